import { z } from 'zod';
import { ConnectionSchema } from './pipeline.js';
import { TOPICS } from './trade.js';

/** The Delta table's partition columns: the trade's UTC date, date and symbol, or none. */
export const DeltaPartitionBySchema = z.enum(['date', 'date,symbol', 'none']);

/** Defaults near the usual Delta file size and a one-minute commit cadence. */
export const DEFAULT_ROLL_BYTES = 128 * 1024 * 1024;
export const DEFAULT_ROLL_MS = 60_000;

/** The sink's options a view may set: no table path (a grant), no connection. */
export const DeltaSinkOptionsSchema = z.object({
  topic: z.string().min(1).default(TOPICS.enriched),
  partitionBy: DeltaPartitionBySchema.default('date'),
  /** Commit at least this often while rows wait (ms). */
  rollMs: z.number().int().min(100).max(86_400_000).default(DEFAULT_ROLL_MS),
  /** Commit once the open files reach about this many bytes. */
  rollBytes: z
    .number()
    .int()
    .min(1024)
    .max(1 << 30)
    .default(DEFAULT_ROLL_BYTES),
  /** Commit once this many rows wait (optional). */
  rollRows: z.number().int().positive().optional(),
  /** Stop once the topic is drained and nothing new came for this long (batch use). */
  untilIdleMs: z.number().int().positive().optional(),
  groupId: z.string().min(1).max(255).optional(),
});

/** What the sink worker runs: the options plus the connection and the table folder. */
export const DeltaSinkRequestSchema = DeltaSinkOptionsSchema.extend({
  connection: ConnectionSchema,
  table: z.string().min(1),
});
export type DeltaSinkRequest = z.input<typeof DeltaSinkRequestSchema>;

export const DeltaSinkStatsSchema = z.object({
  state: z.enum(['connecting', 'running', 'idle', 'stopping', 'stopped', 'failed']),
  groupId: z.string(),
  /** Records read from the enriched topic. */
  consumed: z.number(),
  /** Rows committed to the table by this run. */
  appended: z.number(),
  /** Records dropped because their source offset was already in the table (republished). */
  duplicates: z.number(),
  /** Records that were not enriched trades (skipped, counted). */
  invalid: z.number(),
  commits: z.number(),
  /** The table's version after this sink's last commit. */
  version: z.number(),
  /** Messages of the sink's partitions not yet committed to the table. */
  lag: z.number().nullable(),
  rate: z.number(),
  lastError: z.string().nullable(),
});
export type DeltaSinkStats = z.infer<typeof DeltaSinkStatsSchema>;

export const DeltaSinkResultSchema = z.object({
  consumed: z.number(),
  appended: z.number(),
  duplicates: z.number(),
  commits: z.number(),
  version: z.number(),
  /** Next source offset per source partition (the txn versions), as committed. */
  resume: z.record(z.string(), z.number()),
});
export type DeltaSinkResult = z.infer<typeof DeltaSinkResultSchema>;

export const OptimizeResultSchema = z.object({
  version: z.number().nullable(),
  filesRemoved: z.number(),
  filesAdded: z.number(),
  rows: z.number(),
});
export type OptimizeResult = z.infer<typeof OptimizeResultSchema>;

export const VacuumResultSchema = z.object({
  filesDeleted: z.number(),
  bytesDeleted: z.number(),
});
export type VacuumResult = z.infer<typeof VacuumResultSchema>;

/** Sink worker messages. */
export const SinkWorkerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sink-stats'), stats: DeltaSinkStatsSchema }),
  z.object({ type: z.literal('sink-done'), result: DeltaSinkResultSchema }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type SinkWorkerEvent = z.infer<typeof SinkWorkerEventSchema>;
export const SinkWorkerCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), request: DeltaSinkRequestSchema }),
  z.object({ type: z.literal('stop') }),
]);
export type SinkWorkerCommand = z.infer<typeof SinkWorkerCommandSchema>;
