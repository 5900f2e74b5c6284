import type { Trade } from '../../contract/trade.js';
import { BarBook } from './bars.js';
import {
  SymbolAnalytics,
  historyStartTs,
  resolveAnalyticsConfig,
  type AnalyticsConfig,
  type HistoryRow,
  type TradeMetrics,
} from './symbol-analytics.js';

export type { AnalyticsConfig, HistoryRow, TradeMetrics } from './symbol-analytics.js';

/**
 * Per-symbol analytics for a stream of trades: symbol → SymbolAnalytics, created on first
 * sight, plus the one-minute bars of every accepted trade. Not thread-safe; one per consumer.
 */
export class AnalyticsEngine {
  readonly config: Readonly<AnalyticsConfig>;
  readonly bars: BarBook;
  private readonly states = new Map<string, SymbolAnalytics>();

  constructor(config: Partial<AnalyticsConfig> = {}) {
    this.config = Object.freeze(resolveAnalyticsConfig(config));
    this.bars = new BarBook({ gracePeriodMs: this.config.gracePeriodMs });
  }

  /** Metrics for the trade; in-order and late-within-grace trades also update its bar. */
  process(trade: Trade): TradeMetrics {
    let state = this.states.get(trade.symbol);
    if (!state) {
      state = new SymbolAnalytics(this.config);
      this.states.set(trade.symbol, state);
    }
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
    this.states.set(symbol, SymbolAnalytics.fromHistory(history, this.config));
  }

  /**
   * Restore needs the rows with ts ≥ this (newestTs = the symbol's newest stored ts) plus the
   * last row before it that was not too late for analytics (late = 0 OR log_return IS NOT NULL
   * OR ewma_vol IS NOT NULL).
   */
  restoreFromTs(newestTs: number): number {
    return historyStartTs(newestTs, this.config.gracePeriodMs);
  }

  symbols(): string[] {
    return [...this.states.keys()];
  }

  watermark(symbol: string): number | null {
    return this.states.get(symbol)?.watermark ?? null;
  }
}
