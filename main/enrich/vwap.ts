export interface PriceVolume {
  price: number;
  volume: number;
}

/**
 * Σ p·v / Σ v. When Σ v = 0 (every volume zero) there is no volume to weight by, so the plain
 * mean price is used instead: the result is never null. NaN for an empty list.
 */
export function vwapOf(trades: readonly PriceVolume[]): number {
  let pv = 0;
  let v = 0;
  let p = 0;
  for (const t of trades) {
    pv += t.price * t.volume;
    v += t.volume;
    p += t.price;
  }
  return v > 0 ? pv / v : p / trades.length;
}

/**
 * The sums behind vwapOf for a sliding window, O(1) per change; `stale` and `reset` work as in
 * RunningMoments (exact recomputation once as many trades have left as remain).
 */
export class RunningVwap {
  private n = 0;
  private pv = 0;
  private v = 0;
  private p = 0;
  private removed = 0;

  get count(): number {
    return this.n;
  }

  get stale(): boolean {
    return this.removed >= Math.max(this.n, 16);
  }

  add(price: number, volume: number): void {
    this.n++;
    this.pv += price * volume;
    this.v += volume;
    this.p += price;
  }

  remove(price: number, volume: number): void {
    this.n--;
    this.removed++;
    if (this.n <= 0) {
      this.n = 0;
      this.pv = 0;
      this.v = 0;
      this.p = 0;
      return;
    }
    this.pv -= price * volume;
    this.v -= volume;
    this.p -= price;
  }

  reset(trades: readonly PriceVolume[]): void {
    this.clear();
    for (const t of trades) this.add(t.price, t.volume);
  }

  /** Empties it (then `add` the current contents for an exact recomputation). */
  clear(): void {
    this.n = 0;
    this.pv = 0;
    this.v = 0;
    this.p = 0;
    this.removed = 0;
  }

  /** Same rule as vwapOf; NaN when empty. Volumes are integers, so the Σ v = 0 test is exact. */
  value(): number {
    return this.v > 0 ? this.pv / this.v : this.p / this.n;
  }
}
