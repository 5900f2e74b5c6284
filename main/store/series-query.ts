import type Database from 'better-sqlite3';
import type {
  BarsResult,
  ChartBar,
  SeriesMetric,
  SeriesRange,
  SeriesResult,
} from '../../contract/charts.js';
import { MinMaxLastSampler, type BucketGrid } from '../charts/downsample.js';
import {
  coverRange,
  ROLLUP_LEVELS_MS,
  ROLLUP_PARTS,
  rollupReady,
  rollupSql,
} from './series-rollup.js';
import { MINUTE_MS, parkinsonVolatility } from '../enrich/bars.js';
import type { StoredBar } from '../enrich/bars.js';

/**
 * Chart reads (series.query, bars.query): index range reads on (symbol, ts, partition, offset)
 * and the bars' primary key, streamed through a bounded downsampler, so a minute or a month of
 * trades comes back with at most maxPoints points per series.
 */

export interface SeriesRequest {
  symbols: readonly string[];
  range: SeriesRange;
  metrics: readonly SeriesMetric[];
  maxPoints: number;
}

/** The read of one symbol's rows in a range, in event order, from the (symbol, ts, …) index. */
export function seriesSql(metrics: readonly SeriesMetric[]): string {
  return (
    `SELECT ts, ${metrics.join(', ')} FROM enriched_trades INDEXED BY enriched_trades_symbol_order` +
    ' WHERE symbol = ? AND ts >= ? AND ts < ? ORDER BY symbol, ts, kafka_partition, kafka_offset'
  );
}

function newestTs(db: Database.Database, symbols: readonly string[]): number | null {
  const stmt = db.prepare('SELECT MAX(ts) FROM enriched_trades WHERE symbol = ?').pluck();
  let newest: number | null = null;
  for (const s of symbols) {
    const ts = stmt.get(s) as number | null;
    if (ts !== null && (newest === null || ts > newest)) newest = ts;
  }
  return newest;
}

/** [from, to) of a range; a `lastMs` window ends just after the newest stored trade. */
export function resolveRange(
  db: Database.Database,
  symbols: readonly string[],
  range: SeriesRange,
): { fromMs: number; toMs: number } | null {
  if ('fromMs' in range) return { fromMs: range.fromMs, toMs: range.toMs };
  const newest = newestTs(db, symbols);
  if (newest === null) return null;
  return { fromMs: newest + 1 - range.lastMs, toMs: newest + 1 };
}

/** How a downsampled read uses the rollup: the level of its middle and the output grid. */
export interface RollupPlan {
  levelIndex: number;
  grid: BucketGrid;
}

/**
 * The rollup level for a range at a point cap, or null when the raw rows must be read (the ideal
 * bucket is under a second). The output buckets are whole multiples of the level's width —
 * at least the ideal width span/(B−1) for B = floor(maxPoints/3) buckets, so at most B of them
 * from the aligned origin — and the level is the coarsest at most a quarter of the ideal width
 * (so the grid is at most 25% coarser than ideal), else the 1 s level when it fits at all.
 */
export function rollupPlan(fromMs: number, toMs: number, maxPoints: number): RollupPlan | null {
  const b = Math.floor(maxPoints / 3);
  if (b < 2) return null;
  const ideal = (toMs - fromMs) / (b - 1);
  let levelIndex = -1;
  for (let i = 0; i < ROLLUP_LEVELS_MS.length; i++) {
    if (ROLLUP_LEVELS_MS[i]! * 4 <= ideal) levelIndex = i;
  }
  if (levelIndex < 0 && ROLLUP_LEVELS_MS[0] <= ideal) levelIndex = 0;
  if (levelIndex < 0) return null;
  const level = ROLLUP_LEVELS_MS[levelIndex]!;
  const widthMs = level * Math.ceil(ideal / level);
  const originMs = Math.floor(fromMs / widthMs) * widthMs;
  const buckets = Math.ceil((toMs - originMs) / widthMs);
  return { levelIndex, grid: { originMs, widthMs, buckets } };
}

/** Rows of one symbol in a range, counted from the index up to `limit`. */
const COUNT_SQL =
  'SELECT COUNT(*) FROM (SELECT 1 FROM enriched_trades INDEXED BY enriched_trades_symbol_order' +
  ' WHERE symbol = ? AND ts >= ? AND ts < ? LIMIT ?)';

type Row = (number | null)[];

/** Raw rows of one symbol in a range into one sampler per metric; returns rows per metric. */
function readRaw(
  stmt: Database.Statement,
  symbol: string,
  fromMs: number,
  toMs: number,
  samplers: readonly MinMaxLastSampler[],
  rows: number[],
): void {
  const m = samplers.length;
  for (const row of stmt.iterate(symbol, fromMs, toMs) as Iterable<Row>) {
    const ts = row[0] as number;
    for (let i = 0; i < m; i++) {
      const v = row[i + 1];
      if (v !== null && v !== undefined) {
        samplers[i]!.push(ts, v);
        rows[i]!++;
      }
    }
  }
}

/**
 * A symbol's series from the rollup: the range covered by whole buckets of the plan's level in
 * the middle, finer levels and raw rows at the edges (coverRange); each rollup row gives its
 * min, max and last points (in time order) to the bucket they fall in, so each output bucket
 * keeps exactly the min, max and last of the raw rows in it.
 */
function readRollup(
  db: Database.Database,
  rawStmt: Database.Statement,
  metrics: readonly SeriesMetric[],
  symbol: string,
  fromMs: number,
  toMs: number,
  plan: RollupPlan,
  samplers: readonly MinMaxLastSampler[],
  rows: number[],
): void {
  const stmt = db.prepare(rollupSql(metrics)).raw(true);
  const m = metrics.length;
  const P = ROLLUP_PARTS;
  for (const piece of coverRange(fromMs, toMs, plan.levelIndex)) {
    if (piece.level === 0) {
      readRaw(rawStmt, symbol, piece.fromMs, piece.toMs, samplers, rows);
      continue;
    }
    for (const row of stmt.iterate(symbol, piece.level, piece.fromMs, piece.toMs) as Iterable<
      number[]
    >) {
      for (let i = 0; i < m; i++) {
        const o = i * P;
        const n = row[o]!;
        if (n === 0) continue;
        rows[i]! += n;
        const s = samplers[i]!;
        // (t, v) of min, max, last; min and max times are never after last's.
        const minT = row[o + 2]!;
        const minV = row[o + 1]!;
        const maxT = row[o + 4]!;
        const maxV = row[o + 3]!;
        const lastT = row[o + 6]!;
        const lastV = row[o + 5]!;
        const minFirst = minT <= maxT;
        const [aT, aV, bT, bV] = minFirst ? [minT, minV, maxT, maxV] : [maxT, maxV, minT, minV];
        s.push(aT, aV);
        if (bT !== aT || bV !== aV) s.push(bT, bV);
        if ((lastT !== bT || lastV !== bV) && (lastT !== aT || lastV !== aV)) s.push(lastT, lastV);
      }
    }
  }
}

export function querySeries(db: Database.Database, request: SeriesRequest): SeriesResult {
  const started = performance.now();
  const symbols = [...new Set(request.symbols)];
  const metrics = [...new Set(request.metrics)];
  const range = resolveRange(db, symbols, request.range);
  if (range === null) {
    return { fromMs: null, toMs: null, series: [], elapsedMs: performance.now() - started };
  }
  const { fromMs, toMs } = range;
  const stmt = db.prepare(seriesSql(metrics)).raw(true);
  const plan = rollupPlan(fromMs, toMs, request.maxPoints);
  const useRollup = plan !== null && rollupReady(db);
  const count = db.prepare(COUNT_SQL).pluck();
  const series: SeriesResult['series'] = [];
  for (const symbol of symbols) {
    const rows = metrics.map(() => 0);
    // The rollup only when the rows do not fit under the cap (then the answer is downsampled
    // anyway); a range that fits is read row by row and returned exactly.
    const fromRollup =
      useRollup &&
      (count.get(symbol, fromMs, toMs, request.maxPoints + 1) as number) > request.maxPoints;
    let samplers = metrics.map(
      () =>
        new MinMaxLastSampler(fromMs, toMs, request.maxPoints, fromRollup ? plan!.grid : undefined),
    );
    if (fromRollup) {
      readRollup(db, stmt, metrics, symbol, fromMs, toMs, plan!, samplers, rows);
      // A metric with few values among many rows (nulls) still fits: read it exactly.
      const sparse = metrics.filter((_, i) => rows[i]! <= request.maxPoints);
      if (sparse.length > 0) {
        const exact = sparse.map(() => new MinMaxLastSampler(fromMs, toMs, request.maxPoints));
        const exactRows = sparse.map(() => 0);
        readRaw(db.prepare(seriesSql(sparse)).raw(true), symbol, fromMs, toMs, exact, exactRows);
        samplers = samplers.map((s, i) => {
          const j = sparse.indexOf(metrics[i]!);
          return j < 0 ? s : exact[j]!;
        });
      }
    } else {
      readRaw(stmt, symbol, fromMs, toMs, samplers, rows);
    }
    metrics.forEach((metric, i) => {
      const s = samplers[i]!;
      const { t, v } = s.finish();
      series.push({ symbol, metric, t, v, rows: rows[i]!, downsampled: s.downsampled });
    });
  }
  return { ...range, series, elapsedMs: performance.now() - started };
}

/**
 * Merges consecutive one-minute bars into bars of `minutes` minutes, aligned on multiples of
 * that width from `alignMs`: open of the first, close of the last, high/low extremes, summed
 * volume and trades, volume-weighted VWAP, and Parkinson over the minutes
 * (sqrt(mean(ln(H/L)²) / (4 ln 2)), the multi-bar estimator).
 */
export function mergeBars(bars: readonly StoredBar[], minutes: number, alignMs = 0): ChartBar[] {
  const out: ChartBar[] = [];
  const width = minutes * MINUTE_MS;
  let group: StoredBar[] = [];
  let groupStart = Number.NaN;
  const flush = () => {
    if (group.length === 0) return;
    const first = group[0]!;
    const last = group[group.length - 1]!;
    let high = -Infinity;
    let low = Infinity;
    let volume = 0;
    let trades = 0;
    let pv = 0;
    let vwapWeight = 0;
    for (const b of group) {
      high = Math.max(high, b.high);
      low = Math.min(low, b.low);
      volume += b.volume;
      trades += b.trade_count;
      if (b.vwap !== null) {
        // Weighted by volume; bars without volume weigh by their trades (their VWAP is a mean).
        const w = b.volume > 0 ? b.volume : 0;
        pv += b.vwap * w;
        vwapWeight += w;
      }
    }
    const meanVwap =
      vwapWeight > 0
        ? pv / vwapWeight
        : group.some((b) => b.vwap !== null)
          ? group.reduce((s, b) => s + (b.vwap ?? 0), 0) /
            group.filter((b) => b.vwap !== null).length
          : null;
    out.push({
      start: minutes === 1 ? first.minute_start : groupStart,
      open: first.open,
      high,
      low,
      close: last.close,
      volume,
      trades,
      vwap: meanVwap,
      parkinson: minutes === 1 ? first.parkinson_vol : parkinsonVolatility(group),
    });
    group = [];
  };
  for (const b of bars) {
    const start = alignMs + Math.floor((b.minute_start - alignMs) / width) * width;
    if (start !== groupStart) {
      flush();
      groupStart = start;
    }
    group.push(b);
  }
  flush();
  return out;
}

export function queryBars(
  db: Database.Database,
  request: { symbol: string; range: SeriesRange; maxBars: number },
): BarsResult {
  const range = resolveRange(db, [request.symbol], request.range);
  if (range === null) {
    return { symbol: request.symbol, fromMs: null, toMs: null, intervalMs: MINUTE_MS, bars: [] };
  }
  // A bar belongs to the range when its minute overlaps it.
  const rows = db
    .prepare(
      'SELECT * FROM bars WHERE symbol = ? AND minute_start > ? AND minute_start < ? ORDER BY minute_start',
    )
    .all(request.symbol, range.fromMs - MINUTE_MS, range.toMs) as StoredBar[];
  const spanMinutes = Math.max(1, Math.ceil((range.toMs - range.fromMs) / MINUTE_MS));
  const minutes =
    rows.length <= request.maxBars ? 1 : Math.ceil((spanMinutes + 1) / request.maxBars);
  const align = Math.floor(range.fromMs / MINUTE_MS) * MINUTE_MS;
  return {
    symbol: request.symbol,
    ...range,
    intervalMs: minutes * MINUTE_MS,
    bars: mergeBars(rows, minutes, align),
  };
}

/** Symbols with stored bars (every stored trade makes or updates one), A→Z. */
export function storedSymbols(db: Database.Database): string[] {
  return db.prepare('SELECT DISTINCT symbol FROM bars ORDER BY symbol').pluck().all() as string[];
}
