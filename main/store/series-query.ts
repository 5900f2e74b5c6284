import type Database from 'better-sqlite3';
import type {
  BarsResult,
  ChartBar,
  SeriesMetric,
  SeriesRange,
  SeriesResult,
} from '../../contract/charts.js';
import { MinMaxLastSampler } from '../charts/downsample.js';
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

export function querySeries(db: Database.Database, request: SeriesRequest): SeriesResult {
  const started = performance.now();
  const symbols = [...new Set(request.symbols)];
  const metrics = [...new Set(request.metrics)];
  const range = resolveRange(db, symbols, request.range);
  if (range === null) {
    return { fromMs: null, toMs: null, series: [], elapsedMs: performance.now() - started };
  }
  const stmt = db.prepare(seriesSql(metrics)).raw(true);
  const series: SeriesResult['series'] = [];
  for (const symbol of symbols) {
    const samplers = metrics.map(
      () => new MinMaxLastSampler(range.fromMs, range.toMs, request.maxPoints),
    );
    const m = metrics.length;
    for (const row of stmt.iterate(symbol, range.fromMs, range.toMs) as Iterable<
      (number | null)[]
    >) {
      const ts = row[0] as number;
      for (let i = 0; i < m; i++) {
        const v = row[i + 1];
        if (v !== null && v !== undefined) samplers[i]!.push(ts, v);
      }
    }
    metrics.forEach((metric, i) => {
      const s = samplers[i]!;
      const { t, v } = s.finish();
      series.push({ symbol, metric, t, v, rows: s.rows, downsampled: s.downsampled });
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
