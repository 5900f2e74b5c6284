import type { EnrichedTrade, Trade } from '../../contract/trade.js';
import { DEFAULT_EWMA_LAMBDA, ewmaVariance } from './ewma.js';
import {
  RunningMoments,
  annualise,
  logReturn,
  meanIntervalSeconds,
  sampleStd,
} from './volatility.js';
import { RunningVwap } from './vwap.js';

/** The analytics fields of an enriched trade (names and types from the contract). */
export type TradeMetrics = Pick<
  EnrichedTrade,
  | 'log_return'
  | 'vol_1m'
  | 'vol_5m'
  | 'vol_1m_ann'
  | 'vol_5m_ann'
  | 'ewma_vol'
  | 'ewma_vol_ann'
  | 'vwap_5m'
  | 'late'
>;

export interface AnalyticsConfig {
  /** How far behind the symbol's watermark a trade may be and still enter the windows. */
  gracePeriodMs: number;
  /** RiskMetrics λ, in [0, 1). */
  ewmaLambda: number;
}

export const DEFAULT_ANALYTICS_CONFIG: Readonly<AnalyticsConfig> = Object.freeze({
  gracePeriodMs: 5_000,
  ewmaLambda: DEFAULT_EWMA_LAMBDA,
});

export function resolveAnalyticsConfig(partial: Partial<AnalyticsConfig> = {}): AnalyticsConfig {
  const config = { ...DEFAULT_ANALYTICS_CONFIG, ...partial };
  if (!Number.isFinite(config.gracePeriodMs) || config.gracePeriodMs < 0) {
    throw new RangeError(`gracePeriodMs must be a finite number >= 0 (${config.gracePeriodMs})`);
  }
  if (!(config.ewmaLambda >= 0 && config.ewmaLambda < 1)) {
    throw new RangeError(`ewmaLambda must be in [0, 1) (${config.ewmaLambda})`);
  }
  return config;
}

export const WINDOW_1M_MS = 60_000;
export const WINDOW_5M_MS = 300_000;

export type TradeTiming = 'in-order' | 'late' | 'too-late';

/** The late policy: ts ≥ watermark is in order; behind it by ≤ grace is late; else too late. */
export function classifyTrade(
  ts: number,
  watermark: number | null,
  gracePeriodMs: number,
): TradeTiming {
  if (watermark === null || ts >= watermark) return 'in-order';
  return watermark - ts <= gracePeriodMs ? 'late' : 'too-late';
}

/** A stored enriched_trades row, as much of it as restore needs. */
export interface HistoryRow {
  ts: number;
  price: number;
  volume: number;
  log_return: number | null;
  ewma_vol: number | null;
  late: boolean;
}

/**
 * The oldest timestamp restore needs for a symbol whose newest stored trade is at newestTs:
 * pass the rows with ts ≥ this, plus the last accepted row before it (the predecessor of the
 * oldest return a future trade's window can hold). Older rows are harmless: they are dropped.
 */
export function historyStartTs(newestTs: number, gracePeriodMs: number): number {
  return newestTs - WINDOW_5M_MS - gracePeriodMs;
}

/**
 * The retained trades of one symbol, oldest first, as a ring of typed-array columns: 40 bytes a
 * trade (5 float64), no object per trade. Logical index 0 is the oldest retained trade. The
 * capacity is a power of two that doubles when full and halves when a quarter full, so the
 * memory follows the window's size (at most 2× its trades plus MIN_CAPACITY slots) instead of
 * holding trades that left it.
 */
class TradeRing {
  ts: Float64Array;
  price: Float64Array;
  volume: Float64Array;
  /** ln(price / price of the trade before it in event time); NaN for none (null). */
  ret: Float64Array;
  /** EWMA σ² as emitted for this trade; NaN before the first return (null). */
  variance: Float64Array;
  private start = 0;
  private mask: number;
  size = 0;

  constructor(capacity = RING_MIN_CAPACITY) {
    this.mask = capacity - 1;
    this.ts = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
    this.ret = new Float64Array(capacity);
    this.variance = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Physical slot of logical index i (0 ≤ i < capacity). */
  at(i: number): number {
    return (this.start + i) & this.mask;
  }

  push(ts: number, price: number, volume: number, ret: number, variance: number): void {
    if (this.size === this.capacity) this.resize(this.capacity * 2);
    this.write(this.at(this.size), ts, price, volume, ret, variance);
    this.size++;
  }

  /** Inserts at logical index pos, shifting the trades from pos on by one (O(n − pos)). */
  insert(
    pos: number,
    ts: number,
    price: number,
    volume: number,
    ret: number,
    variance: number,
  ): void {
    if (this.size === this.capacity) this.resize(this.capacity * 2);
    for (let i = this.size; i > pos; i--) {
      const to = this.at(i);
      const from = this.at(i - 1);
      this.ts[to] = this.ts[from]!;
      this.price[to] = this.price[from]!;
      this.volume[to] = this.volume[from]!;
      this.ret[to] = this.ret[from]!;
      this.variance[to] = this.variance[from]!;
    }
    this.write(this.at(pos), ts, price, volume, ret, variance);
    this.size++;
  }

  /** Drops the k oldest trades. */
  dropFront(k: number): void {
    this.start = (this.start + k) & this.mask;
    this.size -= k;
    if (this.capacity > RING_MIN_CAPACITY && this.size * 4 <= this.capacity) {
      this.resize(this.capacity / 2);
    }
  }

  private write(
    slot: number,
    ts: number,
    price: number,
    volume: number,
    ret: number,
    v: number,
  ): void {
    this.ts[slot] = ts;
    this.price[slot] = price;
    this.volume[slot] = volume;
    this.ret[slot] = ret;
    this.variance[slot] = v;
  }

  private resize(capacity: number): void {
    const columns = [this.ts, this.price, this.volume, this.ret, this.variance].map((old) => {
      const next = new Float64Array(capacity);
      for (let i = 0; i < this.size; i++) next[i] = old[(this.start + i) & this.mask]!;
      return next;
    });
    [this.ts, this.price, this.volume, this.ret, this.variance] = columns as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    this.start = 0;
    this.mask = capacity - 1;
  }
}

const RING_MIN_CAPACITY = 16;
/** Bytes a retained trade slot costs (five float64 columns). */
export const BYTES_PER_SLOT = 5 * Float64Array.BYTES_PER_ELEMENT;

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/**
 * ln(p / q), or NaN (no return) when that is not finite. Defence in depth: the trade bounds
 * (prices in [0.0001, 1e9]) keep every return within ±30, but an infinite one would otherwise
 * stay in the EWMA and the window sums and poison every later value of the symbol.
 */
function finiteLogReturn(price: number, previousPrice: number): number {
  const r = logReturn(price, previousPrice);
  return Number.isFinite(r) ? r : Number.NaN;
}

class Window {
  /** Logical index (in the ring) of the oldest trade inside the window. */
  front = 0;
  readonly moments = new RunningMoments();
  readonly vwap = new RunningVwap();
  constructor(readonly spanMs: number) {}
}

interface WindowView {
  std: number | null;
  meanInterval: number | null;
  vwap: number;
}

/**
 * Windows with at most this many returns get an exact two-pass std (a bounded cost): in a tiny
 * window the running sums' leftover rounding from values that left can dominate a small variance.
 */
const EXACT_MAX = 32;

/**
 * Per-symbol analytics state: a time-ordered ring of accepted trades (the last 5 minutes plus
 * the grace period, plus one predecessor), with running sums for the 1-minute and 5-minute
 * windows. In-order trades cost O(1) amortised; late trades within grace are inserted at their
 * event-time position in O(n).
 */
export class SymbolAnalytics {
  private readonly ring = new TradeRing();
  private wm: number | null = null;
  private readonly w1 = new Window(WINDOW_1M_MS);
  private readonly w5 = new Window(WINDOW_5M_MS);
  private readonly config: AnalyticsConfig;

  constructor(config: Partial<AnalyticsConfig> = {}) {
    this.config = resolveAnalyticsConfig(config);
  }

  /** Max event time seen; null before the first trade. */
  get watermark(): number | null {
    return this.wm;
  }

  /** Trades held (for tests and diagnostics). */
  get retained(): number {
    return this.ring.size;
  }

  /** Trade slots allocated (retained ≤ slots ≤ max(2 × retained, 16) after any eviction). */
  get slots(): number {
    return this.ring.capacity;
  }

  classify(ts: number): TradeTiming {
    return classifyTrade(ts, this.wm, this.config.gracePeriodMs);
  }

  process(trade: Pick<Trade, 'ts' | 'price' | 'volume'>): TradeMetrics {
    if (!Number.isFinite(trade.ts) || !(trade.price > 0) || !Number.isFinite(trade.price)) {
      throw new RangeError(`trade needs a finite ts and a price > 0 (${trade.ts}, ${trade.price})`);
    }
    switch (this.classify(trade.ts)) {
      case 'in-order':
        return this.processInOrder(trade);
      case 'late':
        return this.processLate(trade);
      case 'too-late':
        return {
          log_return: null,
          vol_1m: null,
          vol_5m: null,
          vol_1m_ann: null,
          vol_5m_ann: null,
          ewma_vol: null,
          ewma_vol_ann: null,
          vwap_5m: trade.price,
          late: true,
        };
    }
  }

  /**
   * Rebuilds the state from stored rows of this symbol ordered by ts then kafka_offset (see
   * historyStartTs for which rows). Returns are recomputed from the prices in that order, each
   * row's EWMA σ² is its ewma_vol², and the watermark is the newest ts. Rows of trades that
   * were too late for analytics (late with log_return and ewma_vol null) are skipped.
   */
  static fromHistory(
    rows: readonly HistoryRow[],
    config: Partial<AnalyticsConfig> = {},
  ): SymbolAnalytics {
    const s = new SymbolAnalytics(config);
    const kept = rows
      .filter((r) => !(r.late && r.log_return === null && r.ewma_vol === null))
      .map((r, i) => ({ r, i }))
      .sort((a, b) => a.r.ts - b.r.ts || a.i - b.i)
      .map(({ r }) => r);
    const last = kept[kept.length - 1];
    if (!last) return s;
    let prev: HistoryRow | undefined;
    for (const r of kept) {
      s.ring.push(
        r.ts,
        r.price,
        r.volume,
        prev ? finiteLogReturn(r.price, prev.price) : Number.NaN,
        r.ewma_vol === null ? Number.NaN : r.ewma_vol * r.ewma_vol,
      );
      prev = r;
    }
    s.wm = last.ts;
    s.evict();
    // The oldest entry's own return leg is gone (or never existed); live state never counts it.
    if (s.ring.size > 0) s.ring.ret[s.ring.at(0)] = Number.NaN;
    s.rebuildWindows();
    return s;
  }

  private processInOrder(trade: Pick<Trade, 'ts' | 'price' | 'volume'>): TradeMetrics {
    const r = this.ring;
    let ret = Number.NaN;
    let variance = Number.NaN;
    if (r.size > 0) {
      const last = r.at(r.size - 1);
      ret = finiteLogReturn(trade.price, r.price[last]!);
      variance = ewmaVariance(orNull(r.variance[last]!), ret, this.config.ewmaLambda);
    }
    r.push(trade.ts, trade.price, trade.volume, ret, variance);
    this.wm = trade.ts;
    this.addAndSlide(this.w1, trade.ts);
    this.addAndSlide(this.w5, trade.ts);
    const v1 = this.view(this.w1, trade.ts);
    const v5 = this.view(this.w5, trade.ts);
    this.evict();
    return this.metrics(ret, variance, v1, v5, false);
  }

  private processLate(trade: Pick<Trade, 'ts' | 'price' | 'volume'>): TradeMetrics {
    const r = this.ring;
    const pos = this.upperBound(trade.ts);
    let ret = Number.NaN;
    let variance = Number.NaN;
    if (pos > 0) {
      const pred = r.at(pos - 1);
      ret = finiteLogReturn(trade.price, r.price[pred]!);
      variance = ewmaVariance(orNull(r.variance[pred]!), ret, this.config.ewmaLambda);
    }
    r.insert(pos, trade.ts, trade.price, trade.volume, ret, variance);
    const hasNext = pos + 1 < r.size;
    const next = hasNext ? r.at(pos + 1) : -1;
    const oldNextRet = hasNext ? r.ret[next]! : Number.NaN;
    // The successor's return now has the late trade as its other leg; its emitted metrics and
    // σ² stay as they were.
    if (hasNext) r.ret[next] = finiteLogReturn(r.price[next]!, trade.price);
    for (const w of [this.w1, this.w5]) {
      // The late trade is inside the window (as of the watermark) unless it lands before it.
      if (pos < w.front) w.front++;
      else {
        if (!Number.isNaN(ret)) w.moments.add(ret);
        w.vwap.add(trade.price, trade.volume);
      }
      if (hasNext && pos + 1 >= w.front) {
        if (!Number.isNaN(oldNextRet)) w.moments.remove(oldNextRet);
        if (!Number.isNaN(r.ret[next]!)) w.moments.add(r.ret[next]!);
      }
      if (w.moments.stale || w.vwap.stale) this.recompute(w);
    }
    return this.metrics(
      ret,
      variance,
      this.naiveView(pos, WINDOW_1M_MS),
      this.naiveView(pos, WINDOW_5M_MS),
      true,
    );
  }

  private metrics(
    ret: number,
    variance: number,
    v1: WindowView,
    v5: WindowView,
    late: boolean,
  ): TradeMetrics {
    const ewma = Number.isNaN(variance) ? null : Math.sqrt(variance);
    return {
      log_return: orNull(ret),
      vol_1m: v1.std,
      vol_5m: v5.std,
      vol_1m_ann: annualise(v1.std, v1.meanInterval),
      vol_5m_ann: annualise(v5.std, v5.meanInterval),
      ewma_vol: ewma,
      ewma_vol_ann: annualise(ewma, v5.meanInterval),
      vwap_5m: v5.vwap,
      late,
    };
  }

  /**
   * Adds the newest trade, then moves the window's front past trades at or before its
   * ts − span; recomputes when stale.
   */
  private addAndSlide(w: Window, ts: number): void {
    const r = this.ring;
    const newest = r.at(r.size - 1);
    const ret = r.ret[newest]!;
    if (!Number.isNaN(ret)) w.moments.add(ret);
    w.vwap.add(r.price[newest]!, r.volume[newest]!);
    const edge = ts - w.spanMs;
    while (w.front < r.size) {
      const e = r.at(w.front);
      if (r.ts[e]! > edge) break;
      const eRet = r.ret[e]!;
      if (!Number.isNaN(eRet)) w.moments.remove(eRet);
      w.vwap.remove(r.price[e]!, r.volume[e]!);
      w.front++;
    }
    if (w.moments.stale || w.vwap.stale) this.recompute(w);
  }

  private recompute(w: Window): void {
    const r = this.ring;
    w.moments.reset(this.returnsBetween(w.front, r.size - 1));
    w.vwap.clear();
    for (let i = w.front; i < r.size; i++) {
      const e = r.at(i);
      w.vwap.add(r.price[e]!, r.volume[e]!);
    }
  }

  /** The non-null returns of the trades at logical indexes from..to (inclusive). */
  private returnsBetween(from: number, to: number): number[] {
    const r = this.ring;
    const out: number[] = [];
    for (let i = from; i <= to; i++) {
      const ret = r.ret[r.at(i)]!;
      if (!Number.isNaN(ret)) out.push(ret);
    }
    return out;
  }

  /** Re-derives both windows (as of the watermark) from the ring. */
  private rebuildWindows(): void {
    if (this.wm === null) return;
    for (const w of [this.w1, this.w5]) {
      w.front = this.upperBound(this.wm - w.spanMs);
      this.recompute(w);
    }
  }

  private view(w: Window, now: number): WindowView {
    return {
      std:
        w.moments.count <= EXACT_MAX
          ? sampleStd(this.returnsBetween(w.front, this.ring.size - 1))
          : w.moments.std(),
      meanInterval: this.meanInterval(w.front, w.moments.count, now),
      vwap: w.vwap.value(),
    };
  }

  /** Δ̄ for n returns starting at or after logical index `from`, the last trade being at tLast. */
  private meanInterval(from: number, n: number, tLast: number): number | null {
    if (n === 0) return null;
    const r = this.ring;
    const firstReturn = from < r.size && Number.isNaN(r.ret[r.at(from)]!) ? from + 1 : from;
    const before = firstReturn - 1;
    if (before < 0 || before >= r.size) return null;
    return meanIntervalSeconds(tLast, r.ts[r.at(before)]!, n);
  }

  /** The window (ts − span, ts] ending at logical index end, by direct summation (late path). */
  private naiveView(end: number, spanMs: number): WindowView {
    const r = this.ring;
    const t = r.ts[r.at(end)]!;
    const from = this.upperBound(t - spanMs);
    const returns = this.returnsBetween(from, end);
    // vwapOf's sums, in the same order
    let pv = 0;
    let v = 0;
    let p = 0;
    for (let i = from; i <= end; i++) {
      const e = r.at(i);
      pv += r.price[e]! * r.volume[e]!;
      v += r.volume[e]!;
      p += r.price[e]!;
    }
    return {
      std: sampleStd(returns),
      meanInterval: this.meanInterval(from, returns.length, t),
      vwap: v > 0 ? pv / v : p / (end - from + 1),
    };
  }

  /** First logical index whose ts is > t (size if none). */
  private upperBound(t: number): number {
    const r = this.ring;
    let lo = 0;
    let hi = r.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r.ts[r.at(mid)]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Keeps the trades a future accepted trade can need: those after watermark − 5 min − grace,
   * plus the one before them (the other leg of the oldest return, for Δ̄ and log_return).
   */
  private evict(): void {
    if (this.wm === null) return;
    const r = this.ring;
    const cutoff = historyStartTs(this.wm, this.config.gracePeriodMs);
    let k = 0;
    while (k + 1 < r.size && r.ts[r.at(k + 1)]! <= cutoff) k++;
    if (k === 0) return;
    r.dropFront(k);
    this.w1.front -= k;
    this.w5.front -= k;
  }
}
