/** Trading seconds in a year: 252 sessions × 6.5 hours × 3600 s = 5 896 800 s. */
export const TRADING_SECONDS_PER_YEAR = 252 * 6.5 * 3600;

export function logReturn(price: number, previousPrice: number): number {
  return Math.log(price / previousPrice);
}

/** Sample standard deviation (divides by n − 1), two-pass; null with fewer than two values. */
export function sampleStd(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  let sum = 0;
  for (const x of values) sum += x;
  const mean = sum / n;
  let ss = 0;
  for (const x of values) ss += (x - mean) * (x - mean);
  return Math.sqrt(ss / (n - 1));
}

/**
 * Δ̄, the mean time between the trades behind n returns, in seconds:
 * (tLast − tBeforeFirstReturn) / n, where tBeforeFirstReturn is the timestamp of the trade that
 * precedes the window's first return (the other leg of that return). Null when n = 0.
 */
export function meanIntervalSeconds(
  tLastMs: number,
  tBeforeFirstReturnMs: number,
  n: number,
): number | null {
  if (n <= 0) return null;
  return (tLastMs - tBeforeFirstReturnMs) / 1000 / n;
}

/**
 * Annualised volatility: vol × sqrt(Y / Δ̄), Y = TRADING_SECONDS_PER_YEAR, Δ̄ = mean seconds
 * between the trades behind the returns (see meanIntervalSeconds). A per-trade standard
 * deviation scales with sqrt(number of trades), and a year holds Y / Δ̄ trades at that pace.
 * Null when vol is null or Δ̄ is null or 0 (all trades at one instant: no pace to scale by).
 */
export function annualise(vol: number | null, meanIntervalSec: number | null): number | null {
  if (vol === null || meanIntervalSec === null || !(meanIntervalSec > 0)) return null;
  return vol * Math.sqrt(TRADING_SECONDS_PER_YEAR / meanIntervalSec);
}

/**
 * Count, mean and variance of a multiset that values enter and leave (a sliding window), in
 * O(1) per change. Sums are kept of (x − shift) with shift near the mean, so Σd² − (Σd)²/n does
 * not cancel catastrophically when the mean dominates (e.g. steady drift). Add/remove drift is
 * bounded by `stale`: the owner recomputes exactly with `reset` once as many values have left as
 * remain, which keeps the cost amortised O(1) and the error relative to the current contents.
 */
export class RunningMoments {
  private n = 0;
  private shift = 0;
  private s1 = 0;
  private s2 = 0;
  private removed = 0;

  get count(): number {
    return this.n;
  }

  get stale(): boolean {
    return this.removed >= Math.max(this.n, 16);
  }

  add(x: number): void {
    if (this.n === 0) {
      this.shift = x;
      this.s1 = 0;
      this.s2 = 0;
    }
    const d = x - this.shift;
    this.n++;
    this.s1 += d;
    this.s2 += d * d;
  }

  remove(x: number): void {
    this.n--;
    this.removed++;
    if (this.n <= 0) {
      this.n = 0;
      this.s1 = 0;
      this.s2 = 0;
      return;
    }
    const d = x - this.shift;
    this.s1 -= d;
    this.s2 -= d * d;
  }

  /** Exact recomputation from the current contents (two-pass: the shift becomes the mean). */
  reset(values: readonly number[]): void {
    const n = values.length;
    let sum = 0;
    for (const x of values) sum += x;
    this.shift = n > 0 ? sum / n : 0;
    let s1 = 0;
    let s2 = 0;
    for (const x of values) {
      const d = x - this.shift;
      s1 += d;
      s2 += d * d;
    }
    this.n = n;
    this.s1 = s1;
    this.s2 = s2;
    this.removed = 0;
  }

  /** Sample variance (n − 1); null with fewer than two values; tiny negatives clamp to 0. */
  variance(): number | null {
    if (this.n < 2) return null;
    const v = (this.s2 - (this.s1 * this.s1) / this.n) / (this.n - 1);
    return v > 0 ? v : 0;
  }

  std(): number | null {
    const v = this.variance();
    return v === null ? null : Math.sqrt(v);
  }
}
