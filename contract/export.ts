import { z } from 'zod';
import { parseInstant } from './instant.js';

/**
 * Export columns, in file order. The first sixteen are the seed project's enriched record; the
 * rest are this product's additions. `timestamp` is the SQLite column `ts` (epoch ms) as an
 * instant; every other name is the SQLite column name.
 */
export const EXPORT_COLUMNS = [
  'timestamp',
  'symbol',
  'price',
  'volume',
  'log_return',
  'vol_1m',
  'vol_5m',
  'ewma_vol',
  'vwap_5m',
  'session',
  'exchange',
  'sector',
  'weather_temp_c',
  'weather_condition',
  'kafka_partition',
  'kafka_offset',
  'vol_1m_ann',
  'vol_5m_ann',
  'ewma_vol_ann',
  'late',
  'company',
  'weather_error',
] as const;
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

/** `delta`: a Delta Lake table (a folder: Parquet files and a `_delta_log`), issue 13. */
export const ExportFormatSchema = z.enum(['csv', 'parquet', 'delta']);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;

/**
 * Parses a --from/--to bound: an ISO-8601 date (`2025-07-07`, midnight UTC) or date-time with
 * optional seconds, fraction and zone (no zone = UTC). Returns epoch ms, or null.
 */
export function parseExportInstant(text: string): number | null {
  return parseInstant(text, { allowDateOnly: true });
}

const instantText = z.string().refine((t) => parseExportInstant(t) !== null, {
  message: 'must be an ISO-8601 date or date-time, e.g. 2025-07-07 or 2025-07-07T09:30:00Z',
});

/** Which rows and how they are written: everything of an export but its destination. */
export const ExportSelectionSchema = z.object({
  format: ExportFormatSchema,
  /** Exact symbol names; absent or empty = all symbols. */
  symbols: z.array(z.string().min(1, 'a symbol is empty').max(64)).max(10_000).optional(),
  from: instantText.optional(),
  to: instantText.optional(),
  /** CSV only: start with a UTF-8 byte order mark, for Excel. Default false. */
  bom: z.boolean().optional(),
  /** CSV only: end rows with CRLF instead of LF. Default false. */
  crlf: z.boolean().optional(),
  /** Delta only: the partition columns of a new table (default date); an existing table keeps its own. */
  partitionBy: z.enum(['date', 'date,symbol', 'none']).optional(),
});

/** [from, to) must not be empty or reversed. */
export function exportRangeIsOrdered(r: { from?: string | undefined; to?: string | undefined }) {
  return (
    r.from === undefined ||
    r.to === undefined ||
    (parseExportInstant(r.from) ?? 0) < (parseExportInstant(r.to) ?? 0)
  );
}
export const EXPORT_RANGE_ERROR = { message: 'from must be before to', path: ['to'] };

/**
 * What to export. `from` is inclusive and `to` exclusive ([from, to)), so consecutive exports
 * with shared bounds neither overlap nor miss rows. An existing `out` file is replaced, but only
 * once the new one is complete.
 */
export const ExportRequestSchema = ExportSelectionSchema.extend({
  out: z.string().min(1, 'out (the destination file) is required'),
  /** SQLite file; opened read-only and never created. */
  db: z.string().min(1).optional(),
}).refine(exportRangeIsOrdered, EXPORT_RANGE_ERROR);
export type ExportRequest = z.infer<typeof ExportRequestSchema>;

export const ExportPhaseSchema = z.enum(['counting', 'writing', 'finishing']);
export type ExportPhase = z.infer<typeof ExportPhaseSchema>;

export const ExportProgressSchema = z.object({
  phase: ExportPhaseSchema,
  rowsDone: z.number().int().nonnegative(),
  rowsTotal: z.number().int().nonnegative(),
  /** Average since writing started; 0 until there is a rate to tell. */
  rowsPerSec: z.number().nonnegative(),
  /** Estimated time left; null while unknown. */
  etaMs: z.number().nonnegative().nullable(),
  elapsedMs: z.number().nonnegative(),
  bytesWritten: z.number().int().nonnegative(),
});
export type ExportProgress = z.infer<typeof ExportProgressSchema>;

export const ExportResultSchema = z.object({
  format: ExportFormatSchema,
  out: z.string(),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  elapsedMs: z.number().nonnegative(),
  rowsPerSec: z.number().nonnegative(),
  /** True when the selection matched no rows: the file holds the header / schema only. */
  empty: z.boolean(),
});
export type ExportResult = z.infer<typeof ExportResultSchema>;

/** Why an export failed; the UI can pick its wording or action from this. */
export const ExportErrorCodeSchema = z.enum([
  'invalid-request',
  'db-not-found',
  'db-error',
  'unwritable',
  'disk-full',
  'cancelled',
  'io',
]);
export type ExportErrorCode = z.infer<typeof ExportErrorCodeSchema>;
