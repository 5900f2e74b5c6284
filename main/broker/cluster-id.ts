import { randomBytes } from 'node:crypto';

/**
 * A new KRaft cluster id: 16 random bytes as unpadded base64url (22 characters), like Kafka's
 * `Uuid.randomUuid()`, which also draws again when the text would begin with '-': such an id is
 * read by the storage tool's argument parser as an option ("--cluster-id/-t: expected one
 * argument"), so one fresh format in 64 failed.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
