import type { Trade } from '../../contract/trade.js';
import { BarBook, type StoredBar } from './bars.js';
import {
  BYTES_PER_SLOT,
  SymbolAnalytics,
  WINDOW_5M_MS,
  historyStartTs,
  resolveAnalyticsConfig,
  type AnalyticsConfig,
  type HistoryRow,
  type TradeMetrics,
} from './symbol-analytics.js';

export type { AnalyticsConfig, HistoryRow, TradeMetrics } from './symbol-analytics.js';

/** What restores one symbol: its analytics history (see restoreFromTs) and its recent bars. */
export interface SymbolSnapshot {
  history: readonly HistoryRow[];
  bars: readonly StoredBar[];
}

/** Reads a symbol's stored state (null: nothing stored, a new symbol). */
export type SymbolLoader = (symbol: string) => SymbolSnapshot | null;

export interface EngineOptions {
  /**
   * Restores a symbol the first time a trade of it arrives (after a start, or after it was
   * evicted). Without a loader, symbols start empty and are never evicted.
   */
  loader?: SymbolLoader;
  /**
   * A symbol with no trade for longer than this (by `clock`) is evicted by `evictIdle`.
   * Default: the 5-minute window plus the grace period plus one minute.
   */
  idleEvictMs?: number;
  /** Milliseconds, for idleness; default Date.now. */
  clock?: () => number;
}

/** What the engine holds in memory (for tests and diagnostics). */
export interface EngineFootprint {
  symbols: number;
  /** Trades held across all symbols' windows. */
  retained: number;
  /** Trade slots allocated for them. */
  slots: number;
  bytes: number;
}

interface Held {
  analytics: SymbolAnalytics;
  touchedAt: number;
}

/** evictIdle looks at the symbols at most this often. */
const SWEEP_INTERVAL_MS = 1_000;
const IDLE_MARGIN_MS = 60_000;

/**
 * Per-symbol analytics for a stream of trades: symbol → SymbolAnalytics, created (or restored by
 * the loader) on first sight, plus the one-minute bars of every accepted trade. Idle symbols are
 * evicted by evictIdle and restored on their next trade. Not thread-safe; one per consumer.
 */
export class AnalyticsEngine {
  readonly config: Readonly<AnalyticsConfig>;
  readonly bars: BarBook;
  private readonly states = new Map<string, Held>();
  private readonly loader: SymbolLoader | undefined;
  private readonly idleEvictMs: number;
  private readonly clock: () => number;
  private lastSweep = -Infinity;
  private loads = 0;

  constructor(config: Partial<AnalyticsConfig> = {}, options: EngineOptions = {}) {
    this.config = Object.freeze(resolveAnalyticsConfig(config));
    this.bars = new BarBook({ gracePeriodMs: this.config.gracePeriodMs });
    this.loader = options.loader;
    this.idleEvictMs =
      options.idleEvictMs ?? WINDOW_5M_MS + this.config.gracePeriodMs + IDLE_MARGIN_MS;
    if (!(this.idleEvictMs >= 0)) throw new RangeError(`idleEvictMs must be >= 0`);
    this.clock = options.clock ?? Date.now;
  }

  /** Metrics for the trade; in-order and late-within-grace trades also update its bar. */
  process(trade: Trade): TradeMetrics {
    let held = this.states.get(trade.symbol);
    if (!held) held = this.load(trade.symbol);
    held.touchedAt = this.clock();
    const state = held.analytics;
    const accepted = state.classify(trade.ts) !== 'too-late';
    const metrics = state.process(trade);
    if (accepted) this.bars.add(trade);
    return metrics;
  }

  /**
   * Replaces the symbol's state with one rebuilt from stored rows (ordered by ts then
   * kafka_offset; which rows: see restoreFromTs). Bars are restored separately, from the bars
   * table, with `bars.restore`.
   */
  restore(symbol: string, history: readonly HistoryRow[]): void {
    this.states.set(symbol, {
      analytics: SymbolAnalytics.fromHistory(history, this.config),
      touchedAt: this.clock(),
    });
  }

  /**
   * Restore needs the rows with ts ≥ this (newestTs = the symbol's newest stored ts) plus the
   * last row before it that was not too late for analytics (late = 0 OR log_return IS NOT NULL
   * OR ewma_vol IS NOT NULL).
   */
  restoreFromTs(newestTs: number): number {
    return historyStartTs(newestTs, this.config.gracePeriodMs);
  }

  /**
   * Drops the symbols with no trade for longer than idleEvictMs (analytics and bars); the loader
   * restores them on their next trade. Call it only when every trade processed so far is stored
   * and the changed bars were taken (after a batch is written): the loader must find them.
   * Looks at most once a second; a no-op without a loader. Returns the evicted symbols.
   */
  evictIdle(): string[] {
    if (!this.loader) return [];
    const now = this.clock();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return [];
    this.lastSweep = now;
    const evicted: string[] = [];
    for (const [symbol, held] of this.states) {
      if (now - held.touchedAt <= this.idleEvictMs) continue;
      if (!this.bars.forget(symbol)) continue; // a changed bar not taken yet: keep it
      this.states.delete(symbol);
      evicted.push(symbol);
    }
    return evicted;
  }

  /** How many symbols the loader has restored so far. */
  get restored(): number {
    return this.loads;
  }

  symbols(): string[] {
    return [...this.states.keys()];
  }

  watermark(symbol: string): number | null {
    return this.states.get(symbol)?.analytics.watermark ?? null;
  }

  footprint(): EngineFootprint {
    let retained = 0;
    let slots = 0;
    for (const { analytics } of this.states.values()) {
      retained += analytics.retained;
      slots += analytics.slots;
    }
    return { symbols: this.states.size, retained, slots, bytes: slots * BYTES_PER_SLOT };
  }

  private load(symbol: string): Held {
    const snapshot = this.loader?.(symbol) ?? null;
    let analytics: SymbolAnalytics;
    if (snapshot) {
      this.loads++;
      analytics = SymbolAnalytics.fromHistory(snapshot.history, this.config);
      this.bars.restore(snapshot.bars);
    } else {
      analytics = new SymbolAnalytics(this.config);
    }
    const held = { analytics, touchedAt: this.clock() };
    this.states.set(symbol, held);
    return held;
  }
}
