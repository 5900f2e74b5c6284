/** RiskMetrics decay factor. */
export const DEFAULT_EWMA_LAMBDA = 0.94;

/**
 * One RiskMetrics step: σ²_t = λ σ²_(t−1) + (1 − λ) r_t². With no previous variance (the first
 * return) the seed is σ²_1 = r_1².
 */
export function ewmaVariance(previous: number | null, r: number, lambda: number): number {
  if (previous === null) return r * r;
  return lambda * previous + (1 - lambda) * r * r;
}

/** EWMA volatilities (sqrt σ²_t) for a series of returns, one per return. */
export function ewmaVolSeries(returns: readonly number[], lambda = DEFAULT_EWMA_LAMBDA): number[] {
  const out: number[] = [];
  let v: number | null = null;
  for (const r of returns) {
    v = ewmaVariance(v, r, lambda);
    out.push(Math.sqrt(v));
  }
  return out;
}
