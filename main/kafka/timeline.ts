import { z } from 'zod';
import type {
  ApproximateReason,
  MessagesTimeline,
  MessagesTimelineInputSchema,
  TimelinePartition,
} from '../../contract/timeline.js';
import { retryingLeaderErrors } from './admin.js';
import { BrowseError } from './browse.js';
import type { KafkaConnection } from './connection.js';
import { PartitionReader, type Watermark } from './partition-reader.js';
import {
  bucketEdges,
  countsFromOffsets,
  trailingEdges,
  type BucketEdges,
} from './timeline-edges.js';

/**
 * Messages per time bucket from Kafka's offsets-for-times (see contract/timeline.ts): one
 * ListOffsets per bucket edge (all chosen partitions in it), a few at a time, over one group-less
 * connection. Besides the edges, each partition's first and last batches are read (the
 * retained range's ends, and the evidence for `approximate`).
 */

export type TimelineArgs = z.output<typeof MessagesTimelineInputSchema>;

/** Edge lookups in flight at once. */
const LOOKUP_CONCURRENCY = 8;
/** Bytes asked for at a partition's ends: the batch there comes whole even when larger. */
const EDGE_BYTES = 16 * 1024;
/** How far back from the end the last data record is looked for (past transaction markers). */
const LAST_RECORD_WINDOWS = [1, 100, 10_000];

const offsetText = z
  .string()
  .regex(/^-?\d+$/)
  .transform((s) => Number(s));

/** The parts of a fetched record the timeline uses. */
const SeenRecordSchema = z.object({
  offset: offsetText,
  timestamp: offsetText,
  isControlRecord: z.boolean().optional(),
  batchContext: z
    .object({ inTransaction: z.boolean().optional(), isControlBatch: z.boolean().optional() })
    .optional(),
});
type SeenRecord = z.infer<typeof SeenRecordSchema>;

export interface TimelineOptions {
  signal?: AbortSignal;
  /** The clock for 'last' ranges (tests). */
  now?: () => number;
}

interface PartitionEdges {
  first: SeenRecord | null;
  last: SeenRecord | null;
  reasons: Set<ApproximateReason>;
}

/** Reader calls, counted, and retried on leader changes. */
class CountingReader {
  offsetLookups = 0;
  fetches = 0;

  constructor(
    private readonly reader: PartitionReader,
    private readonly signal: AbortSignal | undefined,
  ) {}

  private run<T>(work: () => Promise<T>): Promise<T> {
    if (this.signal?.aborted) throw new BrowseError('cancelled', 'the timeline was cancelled');
    return retryingLeaderErrors(work, () => this.reader.refreshMetadata());
  }

  watermarks(partitions: number[]): Promise<Watermark[]> {
    this.offsetLookups += 2;
    return this.run(() => this.reader.watermarks(partitions));
  }

  offsetsForTime(partitions: number[], ts: number): Promise<Map<number, number | null>> {
    this.offsetLookups++;
    return this.run(() => this.reader.offsetsForTime(partitions, ts));
  }

  /**
   * The whole batch at each position (and what follows within EDGE_BYTES), control records
   * included, in offset order. One partition per Fetch: the broker returns a batch larger than
   * the limit whole only for the first partition of a response, and cuts it for the others.
   */
  async batches(positions: Map<number, number>): Promise<Map<number, SeenRecord[]>> {
    const out = new Map<number, SeenRecord[]>();
    const list = [...positions];
    await forEachLimited(list.length, LOOKUP_CONCURRENCY, async (i) => {
      const [partition, offset] = list[i]!;
      this.fetches++;
      const fetched = await this.run(() =>
        this.reader.fetch(new Map([[partition, offset]]), {
          maxBytesPerPartition: EDGE_BYTES,
          raw: true,
        }),
      );
      const records = fetched.get(partition)?.records ?? [];
      out.set(
        partition,
        z
          .array(SeenRecordSchema)
          .parse(records)
          .sort((a, b) => a.offset - b.offset),
      );
    });
    return out;
  }
}

const isData = (r: SeenRecord) => !r.isControlRecord && !r.batchContext?.isControlBatch;

/** What one contiguous run of records shows: backwards timestamps, markers, offset gaps. */
function inspect(records: SeenRecord[], reasons: Set<ApproximateReason>): void {
  let previous: SeenRecord | null = null;
  let previousData: SeenRecord | null = null;
  for (const r of records) {
    if (!isData(r) || r.batchContext?.inTransaction) reasons.add('transaction-markers');
    if (previous && r.offset > previous.offset + 1) reasons.add('offset-gaps');
    if (isData(r)) {
      if (previousData && r.timestamp < previousData.timestamp) {
        reasons.add('timestamps-backwards');
      }
      previousData = r;
    }
    previous = r;
  }
}

/** Each non-empty partition's first and last data record, and what their batches show. */
async function readEdges(
  io: CountingReader,
  marks: Watermark[],
): Promise<Map<number, PartitionEdges>> {
  const result = new Map<number, PartitionEdges>(
    marks.map((w) => [w.partition, { first: null, last: null, reasons: new Set() }]),
  );
  const filled = marks.filter((w) => w.high > w.low);
  if (filled.length === 0) return result;

  const heads = await io.batches(new Map(filled.map((w) => [w.partition, w.low])));
  for (const w of filled) {
    const edges = result.get(w.partition)!;
    const records = heads.get(w.partition) ?? [];
    inspect(records, edges.reasons);
    edges.first = records.find((r) => isData(r) && r.offset >= w.low) ?? null;
  }

  let missing = filled;
  for (const back of LAST_RECORD_WINDOWS) {
    if (missing.length === 0) break;
    const tails = await io.batches(
      new Map(missing.map((w) => [w.partition, Math.max(w.low, w.high - back)])),
    );
    for (const w of missing) {
      const edges = result.get(w.partition)!;
      const records = (tails.get(w.partition) ?? []).filter((r) => r.offset < w.high);
      inspect(records, edges.reasons);
      edges.last = records.filter(isData).at(-1) ?? null;
    }
    missing = missing.filter(
      (w) => result.get(w.partition)!.last === null && w.high - back > w.low,
    );
  }

  // A record newer than the last one, at an earlier offset: timestamps went backwards there.
  await Promise.all(
    filled.map(async (w) => {
      const edges = result.get(w.partition)!;
      if (!edges.last) return;
      if (edges.first && edges.first.timestamp > edges.last.timestamp) {
        edges.reasons.add('timestamps-backwards');
        return;
      }
      const newer = (await io.offsetsForTime([w.partition], edges.last.timestamp + 1)).get(
        w.partition,
      );
      if (newer != null && newer < edges.last.offset) edges.reasons.add('timestamps-backwards');
    }),
  );
  return result;
}

/** Runs work(i) for i in [0, n) with at most `limit` at once. */
async function forEachLimited(
  n: number,
  limit: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

/** The timeline of one topic (see the module comment and contract/timeline.ts). */
export async function messagesTimeline(
  connection: KafkaConnection,
  args: TimelineArgs,
  options: TimelineOptions = {},
): Promise<MessagesTimeline> {
  const started = performance.now();
  const now = (options.now ?? Date.now)();
  const reader = await PartitionReader.open(connection, args.topic);
  try {
    const io = new CountingReader(reader, options.signal);
    const partitions = reader.choose(args.partitions);
    const marks = await io.watermarks(partitions);
    const ends = await readEdges(io, marks);
    const described: TimelinePartition[] = marks.map((w) => {
      const e = ends.get(w.partition)!;
      return {
        ...w,
        messages: Math.max(0, w.high - w.low),
        firstTimestamp: e.first?.timestamp ?? null,
        lastTimestamp: e.last?.timestamp ?? null,
        approximate: [...e.reasons].sort(),
      };
    });
    const finish = (fields: Pick<MessagesTimeline, 'from' | 'to' | 'bucketMs' | 'buckets'>) => ({
      topic: args.topic,
      ...fields,
      total: fields.buckets.reduce((sum, b) => sum + b.count, 0),
      approximate: described.some((p) => p.approximate.length > 0),
      partitions: described,
      requests: { offsetLookups: io.offsetLookups, fetches: io.fetches },
      elapsedMs: Math.round((performance.now() - started) * 10) / 10,
    });

    const range = args.range;
    let grid: BucketEdges;
    if (range.kind === 'all') {
      const times = described.flatMap((p) =>
        [p.firstTimestamp, p.lastTimestamp].filter((t): t is number => t !== null),
      );
      if (times.length === 0) return finish({ from: now, to: now, bucketMs: 1, buckets: [] });
      grid = bucketEdges(Math.min(...times), Math.max(...times) + 1, args.buckets);
    } else if (range.kind === 'last') {
      grid = trailingEdges(now, range.ms, args.buckets);
    } else {
      grid = bucketEdges(range.from, range.to, args.buckets);
    }
    const { edges, stepMs } = grid;

    // For 'all' the outer edges are the watermarks by definition: every record is counted.
    const found: (Map<number, number | null> | null)[] = edges.map(() => null);
    const lookedUp =
      range.kind === 'all' ? edges.map((_, i) => i).slice(1, -1) : edges.map((_, i) => i);
    await forEachLimited(lookedUp.length, LOOKUP_CONCURRENCY, async (k) => {
      const i = lookedUp[k]!;
      found[i] = await io.offsetsForTime(partitions, edges[i]!);
    });

    const perPartition = marks.map((w) =>
      countsFromOffsets(
        edges.map((_, i) => {
          if (range.kind === 'all' && i === 0) return w.low;
          if (range.kind === 'all' && i === edges.length - 1) return null;
          return found[i]!.get(w.partition) ?? null;
        }),
        w.low,
        w.high,
      ),
    );
    const buckets = edges.slice(0, -1).map((start, i) => {
      const byPartition = perPartition.map((counts) => counts[i]!);
      return {
        start,
        end: edges[i + 1]!,
        count: byPartition.reduce((a, b) => a + b, 0),
        byPartition,
      };
    });
    return finish({ from: edges[0]!, to: edges[edges.length - 1]!, bucketMs: stepMs, buckets });
  } finally {
    await reader.close();
  }
}
