import type Database from 'better-sqlite3';
import { SERIES_METRICS, type SeriesMetric } from '../../contract/charts.js';

/**
 * The series rollup (migration 4): per symbol, per time bucket of each level (1 s, 10 s, 1 min,
 * 10 min, 1 h), and per metric — how many rows had a value, the minimum and the maximum with the
 * time of their first occurrence, and the last value with its time. Written by writeBatch in the
 * batch's own transaction (so it never disagrees with enriched_trades), read by series.query for
 * ranges too long to read row by row (series-query.ts). Every merge here is order-independent
 * for n/min/max and keeps the newest time for last, so a batch, a backfill chunk and a restart
 * in any order give the same rows.
 */

/** Bucket widths, finest first; each divides the next, so a coarse bucket is whole fine ones. */
export const ROLLUP_LEVELS_MS = [1_000, 10_000, 60_000, 600_000, 3_600_000] as const;

/** Columns per metric, in this order. */
const PARTS = ['n', 'min', 'min_ts', 'max', 'max_ts', 'last', 'last_ts'] as const;
const M = SERIES_METRICS.length;
const P = PARTS.length;

export const ROLLUP_COLUMNS: readonly string[] = SERIES_METRICS.flatMap((m) =>
  PARTS.map((p) => `${m}_${p}`),
);

/** meta key present while rows stored before migration 4 are not in the rollup yet. */
export const BACKFILL_KEY = 'rollup_backfill';

function upsertSql(): string {
  const keys = ['symbol', 'level_ms', 'bucket_start'];
  const cols = [...keys, ...ROLLUP_COLUMNS];
  const sets = SERIES_METRICS.flatMap((m) => {
    const has = `excluded.${m}_n > 0`;
    const minWins = `${has} AND (${m}_n = 0 OR excluded.${m}_min < ${m}_min OR (excluded.${m}_min = ${m}_min AND excluded.${m}_min_ts < ${m}_min_ts))`;
    const maxWins = `${has} AND (${m}_n = 0 OR excluded.${m}_max > ${m}_max OR (excluded.${m}_max = ${m}_max AND excluded.${m}_max_ts < ${m}_max_ts))`;
    const lastWins = `${has} AND (${m}_n = 0 OR excluded.${m}_last_ts >= ${m}_last_ts)`;
    const pick = (cond: string, c: string) =>
      `${m}_${c} = CASE WHEN ${cond} THEN excluded.${m}_${c} ELSE ${m}_${c} END`;
    return [
      // Every right-hand side reads the row as it was before this update (SQLite's UPDATE).
      `${m}_n = ${m}_n + excluded.${m}_n`,
      pick(minWins, 'min'),
      pick(minWins, 'min_ts'),
      pick(maxWins, 'max'),
      pick(maxWins, 'max_ts'),
      pick(lastWins, 'last'),
      pick(lastWins, 'last_ts'),
    ];
  });
  return (
    `INSERT INTO series_rollup (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})` +
    ` ON CONFLICT (symbol, level_ms, bucket_start) DO UPDATE SET ${sets.join(', ')}`
  );
}

/** One bucket's aggregate: P numbers per metric (n, min, min_ts, max, max_ts, last, last_ts). */
type Agg = Float64Array;

function newAgg(): Agg {
  return new Float64Array(M * P);
}

/** Folds one value in (at time ts) — the same rules as the SQL merge. */
function addValue(a: Agg, i: number, ts: number, v: number): void {
  const o = i * P;
  if (a[o] === 0) {
    a[o] = 1;
    a[o + 1] = v;
    a[o + 2] = ts;
    a[o + 3] = v;
    a[o + 4] = ts;
    a[o + 5] = v;
    a[o + 6] = ts;
    return;
  }
  a[o]!++;
  if (v < a[o + 1]! || (v === a[o + 1]! && ts < a[o + 2]!)) {
    a[o + 1] = v;
    a[o + 2] = ts;
  }
  if (v > a[o + 3]! || (v === a[o + 3]! && ts < a[o + 4]!)) {
    a[o + 3] = v;
    a[o + 4] = ts;
  }
  if (ts >= a[o + 6]!) {
    a[o + 5] = v;
    a[o + 6] = ts;
  }
}

/** Folds aggregate b into a (a coarser bucket from its finer ones). */
function mergeAgg(a: Agg, b: Agg): void {
  for (let i = 0; i < M; i++) {
    const o = i * P;
    if (b[o] === 0) continue;
    if (a[o] === 0) {
      for (let k = 0; k < P; k++) a[o + k] = b[o + k]!;
      continue;
    }
    a[o]! += b[o]!;
    if (b[o + 1]! < a[o + 1]! || (b[o + 1] === a[o + 1] && b[o + 2]! < a[o + 2]!)) {
      a[o + 1] = b[o + 1]!;
      a[o + 2] = b[o + 2]!;
    }
    if (b[o + 3]! > a[o + 3]! || (b[o + 3] === a[o + 3] && b[o + 4]! < a[o + 4]!)) {
      a[o + 3] = b[o + 3]!;
      a[o + 4] = b[o + 4]!;
    }
    if (b[o + 6]! >= a[o + 6]!) {
      a[o + 5] = b[o + 5]!;
      a[o + 6] = b[o + 6]!;
    }
  }
}

/** The metric values of a row, by SERIES_METRICS order (null: no value). */
export type RollupRow = { ts: number; symbol: string } & {
  [K in SeriesMetric]: number | null;
};

/**
 * Aggregates rows in memory per (symbol, 1 s bucket), then writes every level's buckets with one
 * upsert each: a batch of a few thousand trades over a second or two writes a few dozen rows.
 */
export class RollupWriter {
  private readonly upsert: Database.Statement;
  private readonly seconds = new Map<string, Map<number, Agg>>();
  private readonly params: (string | number | null)[] = new Array(3 + M * P).fill(null);

  constructor(db: Database.Database) {
    this.upsert = db.prepare(upsertSql());
  }

  add(r: RollupRow): void {
    let bySecond = this.seconds.get(r.symbol);
    if (bySecond === undefined) {
      bySecond = new Map();
      this.seconds.set(r.symbol, bySecond);
    }
    const start = r.ts - (((r.ts % 1000) + 1000) % 1000);
    let a = bySecond.get(start);
    if (a === undefined) {
      a = newAgg();
      bySecond.set(start, a);
    }
    for (let i = 0; i < M; i++) {
      const v = r[SERIES_METRICS[i]!];
      if (v !== null && v !== undefined) addValue(a, i, r.ts, v);
    }
  }

  /** Forgets what was added and not written (a batch whose transaction failed). */
  clear(): void {
    this.seconds.clear();
  }

  /** Writes what was added (call inside the batch's transaction) and forgets it. */
  flush(): void {
    for (const [symbol, bySecond] of this.seconds) {
      let level: Map<number, Agg> = bySecond;
      for (let li = 0; li < ROLLUP_LEVELS_MS.length; li++) {
        const width = ROLLUP_LEVELS_MS[li]!;
        if (li > 0) {
          const coarser = new Map<number, Agg>();
          for (const [start, a] of level) {
            const c = start - (((start % width) + width) % width);
            const into = coarser.get(c);
            if (into === undefined) coarser.set(c, Float64Array.from(a));
            else mergeAgg(into, a);
          }
          level = coarser;
        }
        for (const [start, a] of level) this.write(symbol, width, start, a);
      }
    }
    this.seconds.clear();
  }

  private write(symbol: string, width: number, start: number, a: Agg): void {
    const p = this.params;
    p[0] = symbol;
    p[1] = width;
    p[2] = start;
    for (let i = 0; i < M; i++) {
      const o = i * P;
      const has = a[o]! > 0;
      p[3 + o] = a[o]!;
      for (let k = 1; k < P; k++) p[3 + o + k] = has ? a[o + k]! : null;
    }
    this.upsert.run(p);
  }
}

/** Whether every stored trade is in the rollup (no backfill pending). */
export function rollupReady(db: Database.Database): boolean {
  return db.prepare('SELECT 1 FROM meta WHERE key = ?').get(BACKFILL_KEY) === undefined;
}

/**
 * Adds up to `maxRows` rows stored before migration 4 to the rollup, by row id from a cursor kept
 * in meta (`cursor:end`), and removes the key once it reaches the end. Must run inside a write
 * transaction (the batch's, or an immediate one) so two connections never add the same rows.
 * Returns whether the backfill is complete.
 */
export function backfillRollup(
  db: Database.Database,
  writer: RollupWriter,
  maxRows: number,
): boolean {
  const value = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(BACKFILL_KEY) as
    string | undefined;
  if (value === undefined) return true;
  const [cursorText, endText] = value.split(':');
  const cursor = Number(cursorText);
  const end = Number(endText);
  const rows = db
    .prepare(
      `SELECT id, ts, symbol, ${SERIES_METRICS.join(', ')} FROM enriched_trades
       WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
    )
    .all(cursor, end, maxRows) as (RollupRow & { id: number })[];
  for (const r of rows) writer.add(r);
  writer.flush();
  const reached = rows.length > 0 ? rows[rows.length - 1]!.id : end;
  if (rows.length < maxRows || reached >= end) {
    db.prepare('DELETE FROM meta WHERE key = ?').run(BACKFILL_KEY);
    return true;
  }
  db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(`${reached}:${end}`, BACKFILL_KEY);
  return false;
}

/** A piece of a range read from one level (0: the raw rows), in time order. */
export interface RangePiece {
  level: number;
  fromMs: number;
  toMs: number;
}

/**
 * Covers [fromMs, toMs) with whole buckets of `ROLLUP_LEVELS_MS[levelIndex]` in the middle and,
 * at each edge, finer levels down to raw rows for the part no whole bucket covers.
 */
export function coverRange(fromMs: number, toMs: number, levelIndex: number): RangePiece[] {
  if (fromMs >= toMs) return [];
  if (levelIndex < 0) return [{ level: 0, fromMs, toMs }];
  const width = ROLLUP_LEVELS_MS[levelIndex]!;
  const a = Math.ceil(fromMs / width) * width;
  const b = Math.floor(toMs / width) * width;
  if (a >= b) return coverRange(fromMs, toMs, levelIndex - 1);
  return [
    ...coverRange(fromMs, a, levelIndex - 1),
    { level: width, fromMs: a, toMs: b },
    ...coverRange(b, toMs, levelIndex - 1),
  ];
}

/** The rollup rows of one symbol and level in [fromMs, toMs) (bucket starts), in time order. */
export function rollupSql(metrics: readonly SeriesMetric[]): string {
  const cols = metrics.flatMap((m) => PARTS.map((p) => `${m}_${p}`));
  return (
    `SELECT ${cols.join(', ')} FROM series_rollup` +
    ' WHERE symbol = ? AND level_ms = ? AND bucket_start >= ? AND bucket_start < ?' +
    ' ORDER BY bucket_start'
  );
}

/** Columns per metric in a rollupSql row. */
export const ROLLUP_PARTS = P;
