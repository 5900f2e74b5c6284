import { z } from 'zod';
import { ErrorCodeSchema } from './errors.js';
import { parseInstant } from './instant.js';
import { ConnectionSchema } from './pipeline.js';
import { SymbolSchema, TOPICS } from './trade.js';

/**
 * Replay (issue 11): recorded trades from a CSV or Parquet file produced into the trades topic in
 * timestamp order, at the recorded pace scaled by `speed` or as fast as possible.
 */

/** The roles a file's columns play; `--columns` maps them to the file's own names. */
export const REPLAY_ROLES = ['timestamp', 'symbol', 'price', 'volume'] as const;
export type ReplayRole = (typeof REPLAY_ROLES)[number];

/** How numeric timestamps count from the epoch; 'auto' reads it from the first value's size. */
export const TimeUnitSchema = z.enum(['auto', 's', 'ms', 'us', 'ns']);
export type TimeUnit = z.infer<typeof TimeUnitSchema>;

const instantText = z.string().refine((t) => parseInstant(t, { allowDateOnly: true }) !== null, {
  message: 'must be an ISO-8601 date or date-time, e.g. 2025-07-07 or 2025-07-07T09:30:00Z',
});

const columnName = z.string().min(1).max(200);

/** Everything of a replay but its file (which a view never names: it is a grant or an upload). */
export const ReplayOptionsSchema = z.object({
  /** Recorded pace × speed (1 = real time, 60 = a minute a second), or 'max'. */
  speed: z.union([z.number().positive().max(1_000_000), z.literal('max')]).default(1),
  symbols: z.array(SymbolSchema).min(1).max(10_000).optional(),
  /** Inclusive; a date or date-time (no zone = UTC). */
  from: instantText.optional(),
  /** Exclusive. */
  to: instantText.optional(),
  /** Shift every timestamp so the first trade is now (default: as recorded). */
  shiftToNow: z.boolean().default(false),
  /** Start again at the end; each pass continues the clock after the previous one. */
  loop: z.boolean().default(false),
  topic: z.string().min(1).max(249).default(TOPICS.trades),
  /** Partitions of the topic when it is created (as the simulator). */
  partitions: z.number().int().min(1).max(1000).default(3),
  /** The file's column for a role, where the names are not the usual ones. */
  columns: z
    .object({
      timestamp: columnName.optional(),
      symbol: columnName.optional(),
      price: columnName.optional(),
      volume: columnName.optional(),
    })
    .strict()
    .default({}),
  timeUnit: TimeUnitSchema.default('auto'),
  /** Stop at the first bad row instead of counting it and going on. */
  strict: z.boolean().default(false),
});
export type ReplayOptions = z.infer<typeof ReplayOptionsSchema>;
export type ReplayOptionsInput = z.input<typeof ReplayOptionsSchema>;

export function replayRangeIsOrdered(r: { from?: string | undefined; to?: string | undefined }) {
  return (
    r.from === undefined ||
    r.to === undefined ||
    (parseInstant(r.from, { allowDateOnly: true }) ?? 0) <
      (parseInstant(r.to, { allowDateOnly: true }) ?? 0)
  );
}
export const REPLAY_RANGE_ERROR = { message: 'from must be before to', path: ['to'] };

/** A bad row: where it is (CSV: the line it starts on; Parquet: the row, from 1) and why. */
export const BadRowSchema = z.object({
  where: z.number().int().nonnegative(),
  unit: z.enum(['line', 'row']),
  reason: z.string(),
});
export type BadRow = z.infer<typeof BadRowSchema>;

export const ReplayPhaseSchema = z.enum([
  'scanning',
  'sorting',
  'replaying',
  'paused',
  'waiting-for-broker',
  'finishing',
]);
export type ReplayPhase = z.infer<typeof ReplayPhaseSchema>;

export const ReplayProgressSchema = z.object({
  phase: ReplayPhaseSchema,
  /** Rows sent in this pass, of the rows selected (null until the first pass counted them). */
  rowsSent: z.number().int().nonnegative(),
  rowsTotal: z.number().int().nonnegative().nullable(),
  /** Rows sent over every pass. */
  rowsSentAll: z.number().int().nonnegative(),
  pass: z.number().int().positive(),
  badRows: z.number().int().nonnegative(),
  /** The newest bad rows (at most 20), for a view to show. */
  recentBadRows: z.array(BadRowSchema).max(20),
  /** The replayed clock: the (shifted) timestamp of the last trade sent, ISO; null before. */
  replayedAt: z.string().nullable(),
  rowsPerSec: z.number().nonnegative(),
  /** Estimated wall time left in this pass; null while unknown or looping. */
  etaMs: z.number().nonnegative().nullable(),
  elapsedMs: z.number().nonnegative(),
  /** Whether the file was already in timestamp order (null until known). */
  sorted: z.boolean().nullable(),
  lastError: z.string().nullable(),
});
export type ReplayProgress = z.infer<typeof ReplayProgressSchema>;

export const ReplayResultSchema = z.object({
  rowsSent: z.number().int().nonnegative(),
  rowsTotal: z.number().int().nonnegative(),
  passes: z.number().int().nonnegative(),
  badRows: z.number().int().nonnegative(),
  /** The first bad rows (at most 100). */
  badRowSamples: z.array(BadRowSchema).max(100),
  sorted: z.boolean(),
  /** Trades handed to the client but not confirmed when a stop gave up waiting. */
  unconfirmed: z.number().int().nonnegative(),
  elapsedMs: z.number().nonnegative(),
  rowsPerSec: z.number().nonnegative(),
  /** The first and last recorded timestamps sent (ISO), as in the file. */
  firstAt: z.string().nullable(),
  lastAt: z.string().nullable(),
  format: z.enum(['csv', 'parquet', 'ndjson']),
  fileName: z.string(),
  /** Stopped (cancelled) before the end of the file. */
  stopped: z.boolean(),
});
export type ReplayResult = z.infer<typeof ReplayResultSchema>;

/** What the service sends to the replay worker. */
export const ReplayWorkerCommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('replay'),
    file: z.string().min(1),
    options: ReplayOptionsSchema,
    connection: ConnectionSchema,
    /** A folder for the sort's temporary run files (default: the OS's). */
    tempDir: z.string().optional(),
  }),
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('stop') }),
]);
export type ReplayWorkerCommand = z.infer<typeof ReplayWorkerCommandSchema>;

export const ReplayWorkerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), progress: ReplayProgressSchema }),
  z.object({ type: z.literal('done'), result: ReplayResultSchema }),
  z.object({ type: z.literal('error'), code: ErrorCodeSchema, message: z.string() }),
]);
export type ReplayWorkerEvent = z.infer<typeof ReplayWorkerEventSchema>;
