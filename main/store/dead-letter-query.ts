import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { z } from 'zod';
import type {
  RepublishStoredInputSchema,
  StoredDeadLetter,
  StoredDeadLettersInputSchema,
  StoredDeadLettersPage,
} from '../../contract/dead-letters.js';
import { storedDeadLetterRef } from '../../contract/dead-letters.js';
import {
  FULL_VALUE_CAP,
  REPUBLISHED_FROM_HEADER,
  type FullValue,
  type RepublishResult,
} from '../../contract/messages.js';
import { ServiceError } from '../../contract/rpc.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { decodeBytes } from '../kafka/decode.js';
import { PartitionReader } from '../kafka/partition-reader.js';
import { sendMessages } from '../kafka/produce-one.js';
import { openDatabase } from './open-database.js';

/**
 * The `dead_letters` table read for a view (newest first, by id) and republished from: the whole
 * original value, where the DLQ topic's record holds at most 256 KiB of it. The database is opened
 * read-only for each call; one that does not exist yet holds no dead letters.
 */

type PageArgs = z.output<typeof StoredDeadLettersInputSchema>;
type RepublishArgs = z.output<typeof RepublishStoredInputSchema>;

interface Row {
  id: number;
  source_partition: number;
  source_offset: number;
  reason: string;
  /** At most FULL_VALUE_CAP bytes of the value. */
  head: Buffer | null;
  size: number | null;
  message_key: string | null;
  received_at: number;
}

const COLUMNS = `id, source_partition, source_offset, reason, substr(raw, 1, ${FULL_VALUE_CAP}) AS head,
  length(raw) AS size, message_key, received_at`;

function withDatabase<T>(file: string, empty: T, fn: (db: Database.Database) => T): T {
  if (!existsSync(file)) return empty;
  let db: Database.Database;
  try {
    db = openDatabase(file, { readonly: true });
  } catch (err) {
    throw new ServiceError('db-error', (err as Error).message);
  }
  try {
    const table = db
      .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dead_letters'`)
      .get();
    return table ? fn(db) : empty;
  } finally {
    db.close();
  }
}

/** A value's first bytes cut back to a UTF-8 character boundary when they are not all of it. */
function headBytes(head: Buffer, size: number): Buffer {
  if (head.length >= size) return head;
  let end = head.length;
  while (end > 0 && (head[end - 1]! & 0xc0) === 0x80) end--;
  if (end > 0 && head[end - 1]! >= 0xc0) end--;
  return end > 0 ? head.subarray(0, end) : head;
}

function toView(r: Row, cap: number): StoredDeadLetter {
  const size = r.size ?? 0;
  let value: StoredDeadLetter['value'] = null;
  if (r.head !== null) {
    const decoded = decodeBytes(headBytes(r.head, size), cap).decoded;
    value = { ...decoded, bytes: size, truncated: decoded.truncated || r.head.length < size };
  }
  return {
    id: r.id,
    sourcePartition: r.source_partition,
    sourceOffset: r.source_offset,
    reason: r.reason,
    receivedAt: r.received_at,
    key: r.message_key,
    bytes: size,
    value,
  };
}

/** A page of stored dead letters, newest first, from `before` (exclusive) back. */
export function readStoredDeadLetters(file: string, args: PageArgs): StoredDeadLettersPage {
  return withDatabase<StoredDeadLettersPage>(
    file,
    { rows: [], older: null, exists: false },
    (db) => {
      const where: string[] = [];
      const params: (number | string)[] = [];
      if (args.before !== undefined) {
        where.push('id < ?');
        params.push(args.before);
      }
      if (args.reason !== undefined) {
        where.push('instr(lower(reason), lower(?)) > 0');
        params.push(args.reason);
      }
      const rows = db
        .prepare(
          `SELECT ${COLUMNS} FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT ?`,
        )
        .all(...params, args.limit + 1) as Row[];
      const more = rows.length > args.limit;
      const shown = rows.slice(0, args.limit);
      return {
        rows: shown.map((r) => toView(r, args.maxValueBytes)),
        older: more ? shown[shown.length - 1]!.id : null,
        exists: true,
      };
    },
  );
}

/** The whole value of one stored dead letter (up to FULL_VALUE_CAP), like messages.value. */
export function readStoredDeadLetterValue(file: string, id: number): FullValue {
  const row = withDatabase(
    file,
    undefined as Row | undefined,
    (db) =>
      db.prepare(`SELECT ${COLUMNS} FROM dead_letters WHERE id = ?`).get(id) as Row | undefined,
  );
  if (!row) throw new ServiceError('not-found', `no stored dead letter ${id}`);
  if (row.head === null) return { base64: null, bytes: 0, truncated: false };
  const size = row.size ?? 0;
  return { base64: row.head.toString('base64'), bytes: size, truncated: row.head.length < size };
}

/**
 * Republishes stored dead letters to their source topic: the whole original value (or an edited
 * one) and key, with `x-vi-republished-from: sqlite:dead_letters/ID`. Every id is checked first;
 * nothing is sent unless all of them are stored.
 */
export async function republishStoredDeadLetters(
  file: string,
  connection: KafkaConnection,
  args: RepublishArgs,
): Promise<RepublishResult> {
  const ids = args.items.map((i) => i.id);
  const found = withDatabase(
    file,
    new Map<number, { raw: Buffer | null; key: string | null }>(),
    (db) => {
      const stmt = db.prepare('SELECT raw, message_key AS key FROM dead_letters WHERE id = ?');
      const out = new Map<number, { raw: Buffer | null; key: string | null }>();
      for (const id of new Set(ids)) {
        const r = stmt.get(id) as { raw: Buffer | null; key: string | null } | undefined;
        if (r) out.set(id, r);
      }
      return out;
    },
  );
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new ServiceError(
      'not-found',
      `no stored dead letter ${missing.join(', ')}${found.size === 0 && !existsSync(file) ? ` (no database at ${file})` : ''}`,
    );
  }
  const reader = await PartitionReader.open(connection, args.topic); // unknown topic: a clear error
  await reader.close();
  const outgoing = args.items.map((item) => {
    const d = found.get(item.id)!;
    const from = storedDeadLetterRef(item.id);
    return {
      topic: args.topic,
      key: d.key === null ? null : Buffer.from(d.key, 'utf8'),
      value: item.value !== undefined ? Buffer.from(item.value, 'utf8') : d.raw,
      headers: { [REPUBLISHED_FROM_HEADER]: Buffer.from(from) },
      from,
      edited: item.value !== undefined,
    };
  });
  const sent = await sendMessages(connection, outgoing);
  return {
    republished: sent.map((s, i) => ({
      ...s,
      from: outgoing[i]!.from,
      edited: outgoing[i]!.edited,
    })),
  };
}
