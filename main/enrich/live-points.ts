import type { LivePoint } from '../../contract/charts.js';

/** The columns of an enriched row a live point carries. */
export type LiveRow = LivePoint & { late?: boolean };

/** How often points go out at most (a few a second, however fast trades arrive). */
export const LIVE_INTERVAL_MS = 250;
/** Symbols held between two flushes; more in one interval are dropped (and counted). */
export const LIVE_MAX_SYMBOLS = 256;

interface Slot {
  min: LivePoint;
  max: LivePoint;
  last: LivePoint;
}

function point(r: LiveRow): LivePoint {
  return {
    symbol: r.symbol,
    ts: r.ts,
    price: r.price,
    vwap_5m: r.vwap_5m,
    log_return: r.log_return,
    vol_1m: r.vol_1m,
    vol_5m: r.vol_5m,
    ewma_vol: r.ewma_vol,
    vol_1m_ann: r.vol_1m_ann,
    vol_5m_ann: r.vol_5m_ann,
    ewma_vol_ann: r.ewma_vol_ann,
  };
}

/**
 * The enrichment's live feed to views, coalesced: between two flushes each symbol keeps at most
 * three points — its lowest-priced, highest-priced and newest trade — so a spike is not lost and
 * memory is bounded by LIVE_MAX_SYMBOLS × 3 whatever the rate. A flush goes out at most once per
 * interval (on an offer after the interval, or by a timer so the last points are not held back).
 * Trades too late to be part of the analytics (late with no metrics) are not drawn live.
 */
export class LivePoints {
  private readonly slots = new Map<string, Slot>();
  private lastFlush = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Points dropped because more than LIVE_MAX_SYMBOLS symbols traded in one interval. */
  dropped = 0;
  /** Flushes sent (for tests and diagnostics). */
  flushes = 0;

  constructor(
    private readonly emit: (points: LivePoint[]) => void,
    private readonly intervalMs = LIVE_INTERVAL_MS,
    private readonly maxSymbols = LIVE_MAX_SYMBOLS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Points held now (bounded: at most 3 per symbol, maxSymbols symbols). */
  get buffered(): number {
    let n = 0;
    for (const s of this.slots.values()) n += new Set([s.min, s.max, s.last]).size;
    return n;
  }

  offer(rows: readonly LiveRow[]): void {
    for (const r of rows) {
      if (r.late && r.vol_1m === null && r.log_return === null) continue;
      const slot = this.slots.get(r.symbol);
      if (!slot) {
        if (this.slots.size >= this.maxSymbols) {
          this.dropped++;
          continue;
        }
        const p = point(r);
        this.slots.set(r.symbol, { min: p, max: p, last: p });
        continue;
      }
      const p = point(r);
      if (p.price < slot.min.price) slot.min = p;
      if (p.price > slot.max.price) slot.max = p;
      if (p.ts >= slot.last.ts) slot.last = p;
    }
    if (this.slots.size === 0) return;
    const wait = this.lastFlush + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, wait);
      this.timer.unref?.();
    }
  }

  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.slots.size === 0) return;
    const points: LivePoint[] = [];
    for (const s of this.slots.values()) {
      const unique = [...new Set([s.min, s.max, s.last])].sort((a, b) => a.ts - b.ts);
      points.push(...unique);
    }
    this.slots.clear();
    this.lastFlush = this.now();
    this.flushes++;
    this.emit(points);
  }

  close(): void {
    this.flush();
  }
}
