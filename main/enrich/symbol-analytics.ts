import type { EnrichedTrade, Trade } from '../../contract/trade.js';
import { DEFAULT_EWMA_LAMBDA, ewmaVariance } from './ewma.js';
import {
  RunningMoments,
  annualise,
  logReturn,
  meanIntervalSeconds,
  sampleStd,
} from './volatility.js';
import { RunningVwap, vwapOf } from './vwap.js';

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

interface Entry {
  ts: number;
  price: number;
  volume: number;
  /** ln(price / price of the entry before it in event time); null for the first. */
  ret: number | null;
  /** EWMA σ² as emitted for this trade (null before the first return). */
  variance: number | null;
}

class Window {
  /** Index of the oldest entry inside the window. */
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

const COMPACT_MIN = 1024;
/**
 * Windows with at most this many returns get an exact two-pass std (a bounded cost): in a tiny
 * window the running sums' leftover rounding from values that left can dominate a small variance.
 */
const EXACT_MAX = 32;

/**
 * Per-symbol analytics state: a time-ordered deque of accepted trades (the last 5 minutes plus
 * the grace period, plus one predecessor), with running sums for the 1-minute and 5-minute
 * windows. In-order trades cost O(1) amortised; late trades within grace are inserted at their
 * event-time position in O(n).
 */
export class SymbolAnalytics {
  private entries: Entry[] = [];
  /** Entries before head are evicted (kept until compaction). */
  private head = 0;
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

  /** Trades held in the deque (for tests and diagnostics). */
  get retained(): number {
    return this.entries.length - this.head;
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
      s.entries.push({
        ts: r.ts,
        price: r.price,
        volume: r.volume,
        ret: prev ? logReturn(r.price, prev.price) : null,
        variance: r.ewma_vol === null ? null : r.ewma_vol * r.ewma_vol,
      });
      prev = r;
    }
    s.wm = last.ts;
    s.evict();
    // The oldest entry's own return leg is gone (or never existed); live state never counts it.
    const head = s.entries[s.head];
    if (head) head.ret = null;
    s.rebuildWindows();
    return s;
  }

  private processInOrder(trade: Pick<Trade, 'ts' | 'price' | 'volume'>): TradeMetrics {
    const last =
      this.entries.length > this.head ? this.entries[this.entries.length - 1] : undefined;
    const ret = last ? logReturn(trade.price, last.price) : null;
    const variance =
      last && ret !== null ? ewmaVariance(last.variance, ret, this.config.ewmaLambda) : null;
    const entry: Entry = { ts: trade.ts, price: trade.price, volume: trade.volume, ret, variance };
    this.entries.push(entry);
    this.wm = trade.ts;
    this.addAndSlide(this.w1, entry);
    this.addAndSlide(this.w5, entry);
    const v1 = this.view(this.w1, trade.ts);
    const v5 = this.view(this.w5, trade.ts);
    this.evict();
    return this.metrics(entry, v1, v5, false);
  }

  private processLate(trade: Pick<Trade, 'ts' | 'price' | 'volume'>): TradeMetrics {
    const pos = this.upperBound(trade.ts);
    const pred = pos > this.head ? this.entries[pos - 1] : undefined;
    const ret = pred ? logReturn(trade.price, pred.price) : null;
    const variance =
      pred && ret !== null ? ewmaVariance(pred.variance, ret, this.config.ewmaLambda) : null;
    const entry: Entry = { ts: trade.ts, price: trade.price, volume: trade.volume, ret, variance };
    this.entries.splice(pos, 0, entry);
    const next = this.entries[pos + 1];
    const oldNextRet = next ? next.ret : null;
    // The successor's return now has the late trade as its other leg; its emitted metrics and
    // σ² stay as they were.
    if (next) next.ret = logReturn(next.price, trade.price);
    for (const w of [this.w1, this.w5]) {
      // The late trade is inside the window (as of the watermark) unless it lands before it.
      if (pos < w.front) w.front++;
      else {
        if (ret !== null) w.moments.add(ret);
        w.vwap.add(trade.price, trade.volume);
      }
      if (next && pos + 1 >= w.front) {
        if (oldNextRet !== null) w.moments.remove(oldNextRet);
        if (next.ret !== null) w.moments.add(next.ret);
      }
      if (w.moments.stale || w.vwap.stale) this.recompute(w);
    }
    return this.metrics(
      entry,
      this.naiveView(pos, WINDOW_1M_MS),
      this.naiveView(pos, WINDOW_5M_MS),
      true,
    );
  }

  private metrics(entry: Entry, v1: WindowView, v5: WindowView, late: boolean): TradeMetrics {
    const ewma = entry.variance === null ? null : Math.sqrt(entry.variance);
    return {
      log_return: entry.ret,
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
   * Adds the newest entry, then moves the window's front past entries at or before its ts − span;
   * recomputes when stale.
   */
  private addAndSlide(w: Window, entry: Entry): void {
    if (entry.ret !== null) w.moments.add(entry.ret);
    w.vwap.add(entry.price, entry.volume);
    const edge = entry.ts - w.spanMs;
    for (;;) {
      const e = this.entries[w.front];
      if (!e || e.ts > edge) break;
      if (e.ret !== null) w.moments.remove(e.ret);
      w.vwap.remove(e.price, e.volume);
      w.front++;
    }
    if (w.moments.stale || w.vwap.stale) this.recompute(w);
  }

  private recompute(w: Window): void {
    const returns: number[] = [];
    const trades: Entry[] = [];
    for (let i = w.front; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.ret !== null) returns.push(e.ret);
      trades.push(e);
    }
    w.moments.reset(returns);
    w.vwap.reset(trades);
  }

  /** Re-derives both windows (as of the watermark) from the deque. */
  private rebuildWindows(): void {
    if (this.wm === null) return;
    for (const w of [this.w1, this.w5]) {
      w.front = this.upperBound(this.wm - w.spanMs);
      this.recompute(w);
    }
  }

  private view(w: Window, now: number): WindowView {
    return {
      std: w.moments.count <= EXACT_MAX ? this.exactStd(w.front) : w.moments.std(),
      meanInterval: this.meanInterval(w.front, w.moments.count, now),
      vwap: w.vwap.value(),
    };
  }

  /** Two-pass std of the returns from index `from` to the newest entry. */
  private exactStd(from: number): number | null {
    const returns: number[] = [];
    for (let i = from; i < this.entries.length; i++) {
      const r = this.entries[i]!.ret;
      if (r !== null) returns.push(r);
    }
    return sampleStd(returns);
  }

  /** Δ̄ for n returns starting at or after index `from`, the last trade being at tLast. */
  private meanInterval(from: number, n: number, tLast: number): number | null {
    if (n === 0) return null;
    const first = this.entries[from];
    const firstReturn = first && first.ret === null ? from + 1 : from;
    const before = this.entries[firstReturn - 1];
    if (!before || firstReturn - 1 < this.head) return null;
    return meanIntervalSeconds(tLast, before.ts, n);
  }

  /** The window (ts − span, ts] ending at entries[end], by direct summation (late path). */
  private naiveView(end: number, spanMs: number): WindowView {
    const t = this.entries[end]!.ts;
    const from = this.upperBound(t - spanMs);
    const returns: number[] = [];
    const trades: Entry[] = [];
    for (let i = from; i <= end; i++) {
      const e = this.entries[i]!;
      if (e.ret !== null) returns.push(e.ret);
      trades.push(e);
    }
    return {
      std: sampleStd(returns),
      meanInterval: this.meanInterval(from, returns.length, t),
      vwap: vwapOf(trades),
    };
  }

  /** First index in [head, length) whose ts is > t. */
  private upperBound(t: number): number {
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.ts <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Keeps the entries a future accepted trade can need: those after watermark − 5 min − grace,
   * plus the one before them (the other leg of the oldest return, for Δ̄ and log_return).
   */
  private evict(): void {
    if (this.wm === null) return;
    const cutoff = historyStartTs(this.wm, this.config.gracePeriodMs);
    for (;;) {
      const next = this.entries[this.head + 1];
      if (!next || next.ts > cutoff) break;
      this.head++;
    }
    if (this.head >= COMPACT_MIN && this.head * 2 >= this.entries.length) {
      const drop = this.head;
      this.entries = this.entries.slice(drop);
      this.head = 0;
      this.w1.front -= drop;
      this.w5.front -= drop;
    }
  }
}
