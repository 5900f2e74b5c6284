import type { Trade } from '../../contract/trade.js';

export const MINUTE_MS = 60_000;

/** One row of the `bars` table (see main/store/migrations.ts); field names are its columns. */
export interface Bar {
  symbol: string;
  minute_start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trade_count: number;
  /** Σ p·v / Σ v; the mean price when every volume in the bar is 0 (as vwap_5m). */
  vwap: number;
  /** |ln(H/L)| / sqrt(4 ln 2); 0 when H = L. */
  parkinson_vol: number;
  open_ts: number;
  close_ts: number;
}

/** A bar as read back from SQLite, where vwap and parkinson_vol are nullable. */
export type StoredBar = Omit<Bar, 'vwap' | 'parkinson_vol'> & {
  vwap: number | null;
  parkinson_vol: number | null;
};

const FOUR_LN_2 = 4 * Math.LN2;

/** Start of the UTC minute holding ts, epoch ms. */
export function minuteStart(ts: number): number {
  return Math.floor(ts / MINUTE_MS) * MINUTE_MS;
}

/** Per-bar Parkinson estimate |ln(H/L)| / sqrt(4 ln 2); 0 when H = L. */
export function barParkinson(high: number, low: number): number {
  if (high === low) return 0;
  return Math.abs(Math.log(high / low)) / Math.sqrt(FOUR_LN_2);
}

/** Parkinson volatility over several bars: sqrt(mean(ln(H/L)²) / (4 ln 2)); null for no bars. */
export function parkinsonVolatility(bars: readonly { high: number; low: number }[]): number | null {
  if (bars.length === 0) return null;
  let sum = 0;
  for (const b of bars) {
    const x = Math.log(b.high / b.low);
    sum += x * x;
  }
  return Math.sqrt(sum / bars.length / FOUR_LN_2);
}

interface BarState {
  bar: Bar;
  pvSum: number;
  priceSum: number;
}

function copy(bar: Bar): Bar {
  return { ...bar };
}

export interface BarBookOptions {
  /** A bar is dropped from memory once no trade within this grace period can reach it. */
  gracePeriodMs: number;
}

/**
 * The current one-minute bars of every symbol. `add` folds in an accepted trade (in order or
 * late within grace); `takeDirty` hands back the bars changed since the last call, for an upsert
 * in the same transaction as the trades. Bars that no accepted trade can change any more
 * (minute end ≤ newest trade − grace) are dropped from memory; they stay in SQLite.
 */
export class BarBook {
  private readonly bySymbol = new Map<string, Map<number, BarState>>();
  private readonly newest = new Map<string, number>();
  private readonly dirty = new Map<BarState, true>();
  private readonly graceMs: number;

  constructor(options: BarBookOptions = { gracePeriodMs: 5_000 }) {
    this.graceMs = options.gracePeriodMs;
  }

  /** Folds the trade into its bar and returns a copy of the bar. */
  add(trade: Trade): Bar {
    const start = minuteStart(trade.ts);
    let bars = this.bySymbol.get(trade.symbol);
    if (!bars) {
      bars = new Map();
      this.bySymbol.set(trade.symbol, bars);
    }
    let state = bars.get(start);
    if (!state) {
      state = {
        bar: {
          symbol: trade.symbol,
          minute_start: start,
          open: trade.price,
          high: trade.price,
          low: trade.price,
          close: trade.price,
          volume: 0,
          trade_count: 0,
          vwap: trade.price,
          parkinson_vol: 0,
          open_ts: trade.ts,
          close_ts: trade.ts,
        },
        pvSum: 0,
        priceSum: 0,
      };
      bars.set(start, state);
    }
    const b = state.bar;
    if (trade.ts < b.open_ts) {
      b.open = trade.price;
      b.open_ts = trade.ts;
    }
    // Ties go to the later arrival: equal timestamps are in order.
    if (trade.ts >= b.close_ts) {
      b.close = trade.price;
      b.close_ts = trade.ts;
    }
    if (trade.price > b.high) b.high = trade.price;
    if (trade.price < b.low) b.low = trade.price;
    b.volume += trade.volume;
    b.trade_count += 1;
    state.pvSum += trade.price * trade.volume;
    state.priceSum += trade.price;
    b.vwap = b.volume > 0 ? state.pvSum / b.volume : state.priceSum / b.trade_count;
    b.parkinson_vol = barParkinson(b.high, b.low);
    this.dirty.set(state, true);

    const newest = Math.max(this.newest.get(trade.symbol) ?? -Infinity, trade.ts);
    this.newest.set(trade.symbol, newest);
    this.evict(bars, newest);
    return copy(b);
  }

  /** Copies of the bars changed since the last call, then forgets them. */
  takeDirty(): Bar[] {
    const out = [...this.dirty.keys()].map((s) => copy(s.bar));
    this.dirty.clear();
    return out;
  }

  /** Seeds bars read back from SQLite (after a restart); replaces bars with the same key. */
  restore(stored: readonly StoredBar[]): void {
    for (const s of stored) {
      let bars = this.bySymbol.get(s.symbol);
      if (!bars) {
        bars = new Map();
        this.bySymbol.set(s.symbol, bars);
      }
      const vwap = s.vwap ?? s.close;
      const bar: Bar = {
        ...s,
        vwap,
        parkinson_vol: s.parkinson_vol ?? barParkinson(s.high, s.low),
      };
      // Σ p·v comes back from vwap·volume; Σ p (only used while every volume is 0) from the
      // mean price in that case.
      bars.set(s.minute_start, {
        bar,
        pvSum: s.volume > 0 ? vwap * s.volume : 0,
        priceSum: vwap * s.trade_count,
      });
      this.newest.set(s.symbol, Math.max(this.newest.get(s.symbol) ?? -Infinity, s.close_ts));
    }
  }

  /** Copies of the symbol's bars in memory, oldest first. */
  current(symbol: string): Bar[] {
    const bars = this.bySymbol.get(symbol);
    if (!bars) return [];
    return [...bars.values()]
      .map((s) => copy(s.bar))
      .sort((a, b) => a.minute_start - b.minute_start);
  }

  get(symbol: string, minute: number): Bar | undefined {
    const s = this.bySymbol.get(symbol)?.get(minute);
    return s ? copy(s.bar) : undefined;
  }

  symbols(): string[] {
    return [...this.bySymbol.keys()];
  }

  /**
   * Drops the symbol's bars from memory (they stay in SQLite; `restore` brings them back).
   * Refuses, returning false, while one of them has changed since the last takeDirty.
   */
  forget(symbol: string): boolean {
    for (const state of this.dirty.keys()) if (state.bar.symbol === symbol) return false;
    this.bySymbol.delete(symbol);
    this.newest.delete(symbol);
    return true;
  }

  private evict(bars: Map<number, BarState>, newest: number): void {
    if (bars.size <= 1) return;
    const horizon = newest - this.graceMs;
    for (const [start] of bars) {
      if (start + MINUTE_MS <= horizon) bars.delete(start);
    }
  }
}
