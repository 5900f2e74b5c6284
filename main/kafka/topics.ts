import type { Admin, Kafka } from 'kafkajs';
import { sleep } from '../net-util.js';

/** How long a just-created topic may take to show leaders for all its partitions. */
const READY_WITHIN_MS = 30_000;

/**
 * Creates the topic if missing and waits until every partition has a leader; returns the
 * partition count. Another process (a producer, a second enricher) may be creating the same topic
 * at this moment: then the broker can answer UNKNOWN_TOPIC_OR_PARTITION or "no leader" for a
 * while, which is waited out here rather than failing the caller.
 */
export async function ensureTopic(
  kafka: Kafka,
  topic: string,
  partitions: number,
): Promise<number> {
  const deadline = Date.now() + READY_WITHIN_MS;
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = await admin.listTopics();
        if (!existing.includes(topic)) {
          // Leaders are waited for below: kafkajs's own wait gives up on the first
          // UNKNOWN_TOPIC_OR_PARTITION, which a just-created topic answers for a moment.
          await admin.createTopics({
            topics: [{ topic, numPartitions: partitions, replicationFactor: -1 }],
            waitForLeaders: false,
          });
        }
        break;
      } catch (err) {
        // Another process may have created it between list and create.
        if (/already exists/i.test((err as Error).message)) break;
        if (!isRetriable(err) || Date.now() >= deadline) throw err;
        await sleep(Math.min(100 * attempt, 1000));
      }
    }
    return await partitionsWithLeaders(admin, topic, deadline);
  } finally {
    await admin.disconnect();
  }
}

/** kafkajs marks retriable errors, and wraps the last one once its own retries run out. */
function isRetriable(err: unknown): boolean {
  const e = err as { retriable?: unknown; cause?: { retriable?: unknown } };
  return e.retriable === true || e.cause?.retriable === true;
}

async function partitionsWithLeaders(
  admin: Admin,
  topic: string,
  deadline: number,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    let problem: unknown;
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = meta.topics.find((t) => t.name === topic)?.partitions ?? [];
      if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return parts.length;
      problem = new Error(`topic "${topic}" has no leader yet for some of its partitions`);
    } catch (err) {
      if (!isRetriable(err)) throw err;
      problem = err;
    }
    if (Date.now() >= deadline) throw problem;
    await sleep(Math.min(100 * attempt, 1000));
  }
}
