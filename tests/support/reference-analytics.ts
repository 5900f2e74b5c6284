/**
 * An independent, naive O(n²) re-computation of the product's per-trade analytics, straight from
 * the definitions, used to check what the pipeline stored. In-order trades only.
 */
export interface RefTrade {
  ts: number;
  symbol: string;
  price: number;
  volume: number;
}

export interface RefMetrics {
  log_return: number | null;
  vol_1m: number | null;
  vol_5m: number | null;
  ewma_vol: number | null;
  vwap_5m: number;
}

function sampleStd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return Math.sqrt(ss / (xs.length - 1));
}

/** Trades of one symbol in event order (ties in arrival order). */
export function referenceMetrics(trades: RefTrade[], lambda = 0.94): RefMetrics[] {
  const out: RefMetrics[] = [];
  let variance: number | null = null;
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const r = i === 0 ? null : Math.log(t.price / trades[i - 1]!.price);
    if (r !== null) variance = variance === null ? r * r : lambda * variance + (1 - lambda) * r * r;
    const inWindow = (w: number) =>
      trades.slice(0, i + 1).filter((x, j) => j > 0 && x.ts > t.ts - w && x.ts <= t.ts);
    const returns = (w: number) =>
      inWindow(w).map((x) => {
        const j = trades.indexOf(x);
        return Math.log(x.price / trades[j - 1]!.price);
      });
    const window5 = trades.slice(0, i + 1).filter((x) => x.ts > t.ts - 300_000 && x.ts <= t.ts);
    const v = window5.reduce((a, x) => a + x.volume, 0);
    const vwap =
      v > 0
        ? window5.reduce((a, x) => a + x.price * x.volume, 0) / v
        : window5.reduce((a, x) => a + x.price, 0) / window5.length;
    out.push({
      log_return: r,
      vol_1m: sampleStd(returns(60_000)),
      vol_5m: sampleStd(returns(300_000)),
      ewma_vol: variance === null ? null : Math.sqrt(variance),
      vwap_5m: vwap,
    });
  }
  return out;
}

/**
 * Columns whose state a restarted enricher rebuilds from stored values (window sums re-added, the
 * EWMA variance from the stored ewma_vol²), so a trade computed again after a restart may differ
 * from its first computation in the last bits (~1e-15 relative): compare them with `close`.
 */
export const RESTORED = new Set([
  'ewma_vol',
  'ewma_vol_ann',
  'vol_1m',
  'vol_5m',
  'vol_1m_ann',
  'vol_5m_ann',
  'vwap_5m',
  'vwap',
  'parkinson_vol',
]);

export function close(a: number | null, b: number | null, rel = 1e-9): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}
