/**
 * Downsampling for charts: pure, streaming, bounded memory. Values arrive in time order; the
 * result has at most `maxPoints` points. While the series fits, it is returned exactly. Beyond
 * that, the range [fromMs, toMs) is cut into floor(maxPoints / 3) equal time buckets and each
 * non-empty bucket keeps, in time order, its minimum, its maximum and its last point (first
 * occurrence on ties; a point that is two of these is kept once). So every spike and dip of the
 * full series is still drawn, and the line ends where the data ends.
 */

export interface Sampled {
  t: number[];
  v: number[];
}

/** Buckets [originMs + k·widthMs, originMs + (k+1)·widthMs) for k < buckets. */
export interface BucketGrid {
  originMs: number;
  widthMs: number;
  buckets: number;
}

export class MinMaxLastSampler {
  private readonly buckets: number;
  private readonly span: number;
  /** The exact points while they fit (dropped once they do not). */
  private exactT: number[] | null = [];
  private exactV: number[] = [];
  private count = 0;
  // Per bucket: min, max, last as (t, v, seq); seq orders points on equal times.
  private readonly minT: Float64Array;
  private readonly minV: Float64Array;
  private readonly minS: Float64Array;
  private readonly maxT: Float64Array;
  private readonly maxV: Float64Array;
  private readonly maxS: Float64Array;
  private readonly lastT: Float64Array;
  private readonly lastV: Float64Array;
  private readonly lastS: Float64Array;

  private readonly fromMs: number;
  /** Fixed-width buckets from an origin (a rollup's grid): always bucketed, never exact. */
  private readonly width: number | null = null;

  constructor(
    fromMs: number,
    toMs: number,
    private readonly maxPoints: number,
    grid?: BucketGrid,
  ) {
    if (!(maxPoints >= 3)) throw new RangeError('maxPoints must be at least 3');
    this.fromMs = fromMs;
    this.buckets = Math.max(1, Math.floor(maxPoints / 3));
    this.span = Math.max(1, toMs - fromMs);
    if (grid !== undefined) {
      if (grid.buckets > this.buckets)
        throw new RangeError('grid has more buckets than maxPoints/3');
      this.fromMs = grid.originMs;
      this.width = grid.widthMs;
      this.buckets = grid.buckets;
      this.exactT = null;
    }
    const n = this.buckets;
    this.minT = new Float64Array(n);
    this.minV = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.minS = new Float64Array(n).fill(-1);
    this.maxT = new Float64Array(n);
    this.maxV = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.maxS = new Float64Array(n);
    this.lastT = new Float64Array(n);
    this.lastV = new Float64Array(n);
    this.lastS = new Float64Array(n);
  }

  /** The bucket of a time (times outside the range are clamped to the first or last bucket). */
  bucketOf(t: number): number {
    const b =
      this.width === null
        ? Math.floor(((t - this.fromMs) * this.buckets) / this.span)
        : Math.floor((t - this.fromMs) / this.width);
    return b < 0 ? 0 : b >= this.buckets ? this.buckets - 1 : b;
  }

  push(t: number, v: number): void {
    const seq = this.count++;
    if (this.exactT !== null) {
      if (this.exactT.length < this.maxPoints) {
        this.exactT.push(t);
        this.exactV.push(v);
      } else {
        this.exactT = null;
        this.exactV = [];
      }
    }
    const b = this.bucketOf(t);
    if (this.minS[b]! < 0 || v < this.minV[b]!) {
      this.minT[b] = t;
      this.minV[b] = v;
      this.minS[b] = seq;
    }
    if (v > this.maxV[b]!) {
      this.maxT[b] = t;
      this.maxV[b] = v;
      this.maxS[b] = seq;
    }
    this.lastT[b] = t;
    this.lastV[b] = v;
    this.lastS[b] = seq;
  }

  /** Points seen. */
  get rows(): number {
    return this.count;
  }

  get downsampled(): boolean {
    return this.exactT === null;
  }

  finish(): Sampled {
    if (this.exactT !== null) return { t: this.exactT, v: this.exactV };
    const t: number[] = [];
    const v: number[] = [];
    for (let b = 0; b < this.buckets; b++) {
      if (this.minS[b]! < 0) continue;
      const picks: [number, number, number][] = [
        [this.minS[b]!, this.minT[b]!, this.minV[b]!],
        [this.maxS[b]!, this.maxT[b]!, this.maxV[b]!],
        [this.lastS[b]!, this.lastT[b]!, this.lastV[b]!],
      ];
      picks.sort((x, y) => x[0] - y[0]);
      let prev = -1;
      for (const [s, pt, pv] of picks) {
        if (s === prev) continue;
        prev = s;
        t.push(pt);
        v.push(pv);
      }
    }
    return { t, v };
  }
}

/** Downsamples a whole series at once (tests, small inputs). */
export function minMaxLast(
  t: readonly number[],
  v: readonly number[],
  fromMs: number,
  toMs: number,
  maxPoints: number,
): Sampled & { downsampled: boolean } {
  const s = new MinMaxLastSampler(fromMs, toMs, maxPoints);
  for (let i = 0; i < t.length; i++) s.push(t[i]!, v[i]!);
  return { ...s.finish(), downsampled: s.downsampled };
}
