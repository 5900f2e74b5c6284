import { EXPORT_COLUMNS } from '../../contract/export.js';
import { COLUMN_SPECS, type ColumnSpec } from '../export/parquet-batch.js';
import type { RawRow } from '../export/query.js';

/**
 * The Delta table's schema: the export's columns and types (EXPORT_COLUMNS, COLUMN_SPECS), with
 * the trade time as Delta `timestamp` (UTC, microseconds in the Parquet files) and, when the
 * table is partitioned by date, a `date` column (the trade's UTC date) as the first partition
 * column. Partition columns live in the log's partition values, not in the data files.
 */
export type PartitionBy = 'date' | 'date,symbol' | 'none';
export const PARTITION_BY_VALUES: readonly PartitionBy[] = ['date', 'date,symbol', 'none'];

export function partitionColumns(by: PartitionBy): string[] {
  return by === 'none' ? [] : by === 'date' ? ['date'] : ['date', 'symbol'];
}

const DELTA_TYPES: Record<ColumnSpec['kind'], string> = {
  timestamp: 'timestamp',
  string: 'string',
  double: 'double',
  int64: 'long',
  int32: 'integer',
  boolean: 'boolean',
};

interface DeltaField {
  name: string;
  type: string;
  nullable: boolean;
  metadata: Record<string, never>;
}

/** The `schemaString` of the table's metaData action (Delta's JSON struct type). */
export function deltaSchemaString(by: PartitionBy): string {
  const fields: DeltaField[] = EXPORT_COLUMNS.map((name, i) => ({
    name,
    type: DELTA_TYPES[COLUMN_SPECS[i]!.kind],
    nullable: COLUMN_SPECS[i]!.nullable,
    metadata: {},
  }));
  if (by !== 'none') fields.push({ name: 'date', type: 'date', nullable: false, metadata: {} });
  return JSON.stringify({ type: 'struct', fields });
}

const SYMBOL_INDEX = EXPORT_COLUMNS.indexOf('symbol');
/** Row index of the trade time (epoch ms) in a RawRow (SQL_COLUMNS order). */
export const TS_INDEX = EXPORT_COLUMNS.indexOf('timestamp');

/** The UTC date (YYYY-MM-DD) of an epoch-ms instant. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A row's partition values, in partitionColumns order. */
export function partitionValuesOf(row: RawRow, by: PartitionBy): Record<string, string> {
  if (by === 'none') return {};
  const date = utcDate(row[TS_INDEX] as number);
  if (by === 'date') return { date };
  return { date, symbol: String(row[SYMBOL_INDEX]) };
}

/**
 * Hive-style escaping of a partition value in a folder name (as Spark does): characters that are
 * unsafe in paths on some system, plus `%` and `=`, become %XX.
 */
export function escapePartitionValue(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9._-]$/.test(ch)) out += ch;
    else
      for (const b of Buffer.from(ch, 'utf8'))
        out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The folder of a partition, relative to the table root (`date=2025-07-07/symbol=AAPL`). */
export function partitionDir(values: Record<string, string>, by: PartitionBy): string {
  return partitionColumns(by)
    .map((c) => `${c}=${escapePartitionValue(values[c]!)}`)
    .join('/');
}

/**
 * A relative path as it goes into the log: the protocol's paths are URIs, so every byte outside
 * the unreserved set (and `/`, `=`) is percent-encoded, including the `%` of escaped values.
 */
export function pathToUri(relative: string): string {
  return relative
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/g, '='))
    .join('/');
}

export function uriToPath(uri: string): string {
  return uri.split('/').map(decodeURIComponent).join('/');
}
