import type Database from 'better-sqlite3';
import { EXPORT_COLUMNS } from '../../contract/export.js';

/** The export's filter, already parsed: epoch-ms bounds, [fromMs, toMs). */
export interface ExportFilter {
  symbols?: readonly string[];
  fromMs?: number;
  toMs?: number;
}

/**
 * SQLite columns in export order (`ts` becomes `timestamp`). Row arrays from `.raw()` follow
 * this order, so writers index them with the constants below.
 */
export const SQL_COLUMNS = EXPORT_COLUMNS.map((c) => (c === 'timestamp' ? 'ts' : c));

/** One row as `.raw()` returns it, in SQL_COLUMNS order. */
export type RawRow = (string | number | null)[];

function whereClause(filter: ExportFilter): { sql: string; params: (string | number)[] } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (filter.fromMs !== undefined) {
    parts.push('ts >= ?');
    params.push(filter.fromMs);
  }
  if (filter.toMs !== undefined) {
    parts.push('ts < ?');
    params.push(filter.toMs);
  }
  const symbols = [...new Set(filter.symbols ?? [])];
  if (symbols.length > 0) {
    parts.push(`symbol IN (${symbols.map(() => '?').join(', ')})`);
    params.push(...symbols);
  }
  return { sql: parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '', params };
}

/**
 * The ordered export query. INDEXED BY pins the (ts, symbol, kafka_offset) index: with a symbol
 * filter the planner would otherwise prefer (symbol, ts) and sort the whole selection in a temp
 * B-tree before the first row comes out. Rows tied on all three keys (same ts, symbol and offset
 * in two partitions) are ordered by partition in a tiny per-tie sort.
 */
export function exportSelectSql(filter: ExportFilter): {
  sql: string;
  params: (string | number)[];
} {
  const where = whereClause(filter);
  return {
    sql:
      `SELECT ${SQL_COLUMNS.join(', ')} FROM enriched_trades INDEXED BY enriched_trades_export_order` +
      `${where.sql} ORDER BY ts, symbol, kafka_offset, kafka_partition`,
    params: where.params,
  };
}

export function countExportRows(db: Database.Database, filter: ExportFilter): number {
  const where = whereClause(filter);
  const row = db
    .prepare(
      `SELECT count(*) FROM enriched_trades INDEXED BY enriched_trades_export_order${where.sql}`,
    )
    .pluck()
    .get(...where.params);
  return typeof row === 'number' ? row : Number(row);
}

/** Streams the selected rows in export order; memory stays flat whatever the row count. */
export function iterateExportRows(
  db: Database.Database,
  filter: ExportFilter,
): IterableIterator<RawRow> {
  const { sql, params } = exportSelectSql(filter);
  return db
    .prepare(sql)
    .raw(true)
    .iterate(...params) as IterableIterator<RawRow>;
}

/** EXPLAIN QUERY PLAN details for the export query, for tests and diagnostics. */
export function explainExportQuery(db: Database.Database, filter: ExportFilter): string[] {
  const { sql, params } = exportSelectSql(filter);
  return db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((r) => String((r as { detail: unknown }).detail));
}
