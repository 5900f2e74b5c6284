import { z } from 'zod';
import {
  FULL_VALUE_CAP,
  type FullValue,
  type MessageRecord,
  type MessagesPage,
  type MessagesReadInputSchema,
} from '../../contract/messages.js';
import type { KafkaConnection } from './connection.js';
import { decodeRecord } from './decode.js';
import { compileFilter, type RecordTest } from './filter.js';
import {
  PartitionReader,
  ReaderError,
  type RawRecord,
  type Watermark,
} from './partition-reader.js';

/**
 * Pages of a topic, merged across partitions or from chosen ones, in either direction, from a
 * cursor: the per-partition positions a page stopped at. Reading newer is a k-way merge of the
 * partitions from their start positions, taking the smallest (timestamp, partition, offset)
 * head each time; reading older is the same merge run backwards from end positions (each
 * partition read back in growing chunks). A page's cursors are exactly where it began and where
 * it stopped in each partition, so paging back and forth never skips or repeats a record, even
 * when timestamps are not in order within a partition.
 */

export type ReadArgs = z.output<typeof MessagesReadInputSchema>;

const CursorSchema = z.object({
  v: z.literal(1),
  t: z.string(),
  d: z.enum(['older', 'newer']),
  /** [partition, position]: the next offset to read (newer) or the offset before which (older). */
  p: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).min(1),
});
type Cursor = z.infer<typeof CursorSchema>;

export class BrowseError extends Error {
  constructor(
    readonly code: 'invalid-argument' | 'not-found' | 'cancelled',
    message: string,
  ) {
    super(message);
    this.name = 'BrowseError';
  }
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    return CursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new BrowseError(
      'invalid-argument',
      'this cursor is not one a page gave: start again from newest, oldest, an offset or a time',
    );
  }
}

const FORWARD_BYTES = 512 * 1024;
const FILTER_BYTES = 2 * 1024 * 1024;
const MAX_CHUNK = 50_000;

interface Lane {
  partition: number;
  low: number;
  high: number;
  buffer: RawRecord[];
  /** Forward: index of the next record in buffer. Backward: records are popped from the end. */
  index: number;
  /** Forward: next offset to fetch. Backward: the exclusive end of what is still unread. */
  pos: number;
  /** Where the page stands in this partition: the cursor it leaves. */
  consumed: number;
  done: boolean;
  step: number;
}

function before(a: RawRecord, pa: number, b: RawRecord, pb: number): boolean {
  const ta = Number(a.timestamp);
  const tb = Number(b.timestamp);
  if (ta !== tb) return ta < tb;
  if (pa !== pb) return pa < pb;
  return Number(a.offset) < Number(b.offset);
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** One page of a topic (see the module comment). */
export async function readPage(
  connection: KafkaConnection,
  args: ReadArgs,
  options: ReadOptions = {},
): Promise<MessagesPage> {
  const started = performance.now();
  const cursor = args.cursor ? decodeCursor(args.cursor) : null;
  const topic = cursor ? cursor.t : args.topic;
  if (cursor && cursor.t !== args.topic) {
    throw new BrowseError(
      'invalid-argument',
      `this cursor is for topic "${cursor.t}", not "${args.topic}"`,
    );
  }
  const reader = await PartitionReader.open(connection, topic);
  try {
    const partitions = reader.choose(cursor ? cursor.p.map(([p]) => p) : args.partitions);
    const marks = await reader.watermarks(partitions);
    const clamp = (w: Watermark, n: number) => Math.min(Math.max(n, w.low), w.high);

    let direction: 'older' | 'newer';
    let start: Map<number, number>;
    if (cursor) {
      direction = cursor.d;
      const at = new Map(cursor.p);
      start = new Map(marks.map((w) => [w.partition, clamp(w, at.get(w.partition) ?? w.high)]));
    } else {
      const from = args.from;
      if (from.kind === 'newest') {
        direction = 'older';
        start = new Map(marks.map((w) => [w.partition, w.high]));
      } else if (from.kind === 'oldest') {
        direction = 'newer';
        start = new Map(marks.map((w) => [w.partition, w.low]));
      } else if (from.kind === 'offset') {
        direction = 'newer';
        start = new Map(marks.map((w) => [w.partition, clamp(w, from.offset)]));
      } else {
        direction = 'newer';
        const found = await reader.offsetsForTime(partitions, from.ts);
        start = new Map(
          marks.map((w) => [w.partition, clamp(w, found.get(w.partition) ?? w.high)]),
        );
      }
    }

    const test = compileFilter(args.filter);
    const lanes: Lane[] = marks.map((w) => ({
      partition: w.partition,
      low: w.low,
      high: w.high,
      buffer: [],
      index: 0,
      pos: start.get(w.partition)!,
      consumed: start.get(w.partition)!,
      done: false,
      step: Math.min(MAX_CHUNK, Math.max(args.limit, 100)),
    }));
    const run = direction === 'newer' ? readNewer : readOlder;
    const { records, scanned } = await run(reader, lanes, args, test, options.signal);

    const startList = [...start.entries()];
    const leftList = lanes.map((l) => [l.partition, l.consumed] as [number, number]);
    const older: [number, number][] = direction === 'newer' ? startList : leftList;
    const newer: [number, number][] = direction === 'newer' ? leftList : startList;
    const low = new Map(marks.map((w) => [w.partition, w.low]));
    const high = new Map(marks.map((w) => [w.partition, w.high]));
    const olderLeft = older.some(([p, pos]) => pos > low.get(p)!);
    const newerLeft = newer.some(([p, pos]) => pos < high.get(p)!);
    const full = records.length >= args.limit;
    return {
      topic,
      records,
      direction,
      older: olderLeft ? encodeCursor({ v: 1, t: topic, d: 'older', p: older }) : null,
      newer: encodeCursor({ v: 1, t: topic, d: 'newer', p: newer }),
      hasNewer: newerLeft,
      scanned,
      matched: records.length,
      budgetExhausted:
        !full && scanned >= args.scanBudget && (direction === 'newer' ? newerLeft : olderLeft),
      partitions: marks.map((w) => ({ ...w, messages: Math.max(0, w.high - w.low) })),
      elapsedMs: Math.round((performance.now() - started) * 10) / 10,
    };
  } finally {
    await reader.close();
  }
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BrowseError('cancelled', 'reading was cancelled');
}

interface Collected {
  records: MessageRecord[];
  scanned: number;
}

async function readNewer(
  reader: PartitionReader,
  lanes: Lane[],
  args: ReadArgs,
  test: RecordTest | null,
  signal: AbortSignal | undefined,
): Promise<Collected> {
  const records: MessageRecord[] = [];
  let scanned = 0;
  const bytes = test ? FILTER_BYTES : FORWARD_BYTES;
  for (const l of lanes) l.done = l.pos >= l.high;
  while (records.length < args.limit && scanned < args.scanBudget) {
    checkAbort(signal);
    const empty = lanes.filter((l) => !l.done && l.index >= l.buffer.length);
    if (empty.length > 0) {
      const fetched = await reader.fetch(new Map(empty.map((l) => [l.partition, l.pos])), {
        maxBytesPerPartition: bytes,
      });
      for (const l of empty) {
        const f = fetched.get(l.partition);
        const next = f?.next ?? l.pos;
        l.buffer = (f?.records ?? []).filter((r) => Number(r.offset) < l.high);
        l.index = 0;
        if (next <= l.pos) l.done = true; // nothing more comes back: stop here
        l.pos = Math.max(l.pos, next);
        if (l.pos >= l.high) {
          l.pos = l.high;
          if (l.buffer.length === 0) {
            l.done = true;
            l.consumed = l.high;
          }
        }
      }
    }
    let best: Lane | null = null;
    for (const l of lanes) {
      if (l.index >= l.buffer.length) continue;
      if (
        !best ||
        before(l.buffer[l.index]!, l.partition, best.buffer[best.index]!, best.partition)
      )
        best = l;
    }
    if (!best) {
      if (lanes.every((l) => l.done || l.index < l.buffer.length)) break;
      continue;
    }
    const raw = best.buffer[best.index++]!;
    best.consumed = Number(raw.offset) + 1;
    if (best.index >= best.buffer.length && best.pos >= best.high) {
      best.done = true;
      best.consumed = best.high;
    }
    scanned++;
    const verdict = test?.(raw);
    if (!verdict || verdict.ok)
      records.push(
        decodeRecord(best.partition, raw, args.maxValueBytes, verdict?.parsed, args.pretty).record,
      );
  }
  return { records, scanned };
}

async function readOlder(
  reader: PartitionReader,
  lanes: Lane[],
  args: ReadArgs,
  test: RecordTest | null,
  signal: AbortSignal | undefined,
): Promise<Collected> {
  const newestFirst: MessageRecord[] = [];
  let scanned = 0;
  for (const l of lanes) l.done = l.pos <= l.low;
  while (newestFirst.length < args.limit && scanned < args.scanBudget) {
    checkAbort(signal);
    const empty = lanes.filter((l) => !l.done && l.buffer.length === 0);
    await Promise.all(empty.map((l) => readChunk(reader, l, test !== null, signal)));
    let best: Lane | null = null;
    for (const l of lanes) {
      if (l.buffer.length === 0) continue;
      const head = l.buffer[l.buffer.length - 1]!;
      if (!best || before(best.buffer[best.buffer.length - 1]!, best.partition, head, l.partition))
        best = l;
    }
    if (!best) {
      if (lanes.every((l) => l.done)) break;
      continue;
    }
    const raw = best.buffer.pop()!;
    best.consumed = Number(raw.offset);
    if (best.buffer.length === 0 && best.pos <= best.low) {
      best.done = true;
      best.consumed = best.low;
    }
    scanned++;
    const verdict = test?.(raw);
    if (!verdict || verdict.ok)
      newestFirst.push(
        decodeRecord(best.partition, raw, args.maxValueBytes, verdict?.parsed, args.pretty).record,
      );
  }
  return { records: newestFirst.reverse(), scanned };
}

/** Reads the chunk [max(low, pos - step), pos) of a lane, ascending; the step grows each time. */
async function readChunk(
  reader: PartitionReader,
  lane: Lane,
  filtered: boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  const end = lane.pos;
  const from = Math.max(lane.low, end - lane.step);
  lane.step = Math.min(MAX_CHUNK, lane.step * 2);
  const out: RawRecord[] = [];
  let at = from;
  while (at < end) {
    checkAbort(signal);
    const fetched = (
      await reader.fetch(new Map([[lane.partition, at]]), {
        maxBytesPerPartition: filtered ? FILTER_BYTES : FORWARD_BYTES,
      })
    ).get(lane.partition);
    if (!fetched || fetched.next <= at) break;
    for (const r of fetched.records) if (Number(r.offset) < end) out.push(r);
    at = fetched.next;
  }
  lane.buffer = out;
  lane.pos = from;
  if (out.length === 0) {
    lane.consumed = from;
    if (from <= lane.low) lane.done = true;
  }
}

/** The whole value of one record (up to FULL_VALUE_CAP bytes), for copy and save. */
export async function readValue(
  connection: KafkaConnection,
  ref: { topic: string; partition: number; offset: number },
): Promise<FullValue> {
  const raw = await readOne(connection, ref);
  if (!raw.value) return { base64: null, bytes: 0, truncated: false };
  const shown = raw.value.subarray(0, FULL_VALUE_CAP);
  return {
    base64: shown.toString('base64'),
    bytes: raw.value.length,
    truncated: shown.length < raw.value.length,
  };
}

/** One record by partition and offset; not-found when the log no longer (or not yet) holds it. */
export async function readOne(
  connection: KafkaConnection,
  ref: { topic: string; partition: number; offset: number },
): Promise<RawRecord> {
  const reader = await PartitionReader.open(connection, ref.topic);
  try {
    const [w] = await reader.watermarks(reader.choose([ref.partition]));
    const where = `${ref.topic}/${ref.partition}/${ref.offset}`;
    if (!w || ref.offset < w.low || ref.offset >= w.high) {
      throw new BrowseError(
        'not-found',
        `no message at ${where}: the partition holds offsets ${w?.low ?? 0} to ${(w?.high ?? 1) - 1}`,
      );
    }
    const fetched = await reader.fetch(new Map([[ref.partition, ref.offset]]), {
      maxBytesPerPartition: FULL_VALUE_CAP,
    });
    const raw = fetched.get(ref.partition)?.records.find((r) => Number(r.offset) === ref.offset);
    if (!raw)
      throw new BrowseError(
        'not-found',
        `no message at ${where} (compacted or a transaction marker)`,
      );
    return raw;
  } finally {
    await reader.close();
  }
}

export { ReaderError };
