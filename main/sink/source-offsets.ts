import type { TxnAction } from '../delta/log.js';

/**
 * A set of non-negative integers (source offsets) as sorted, merged half-open ranges
 * [start, end): no two ranges overlap or touch. Membership is a binary search; adding an
 * offset next to a range extends it, and closing a gap merges the two ranges around it.
 */
export class IntervalSet {
  /** Sorted, disjoint, non-adjacent: starts[i] < ends[i] < starts[i + 1]. */
  private starts: number[] = [];
  private ends: number[] = [];

  static of(ranges: Iterable<readonly [number, number]>): IntervalSet {
    const set = new IntervalSet();
    for (const [s, e] of ranges) set.addRange(s, e);
    return set;
  }

  get size(): number {
    return this.starts.length;
  }

  /** Index of the last range starting at or before x, or -1. */
  private floor(x: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= x) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  has(x: number): boolean {
    const i = this.floor(x);
    return i >= 0 && x < this.ends[i]!;
  }

  add(x: number): void {
    this.addRange(x, x + 1);
  }

  /** Adds [start, end), merging with every range it overlaps or touches. */
  addRange(start: number, end: number): void {
    if (!(end > start)) return;
    // First range that ends at or after `start` (touching counts), last that starts at or before `end`.
    let first = this.floor(start);
    if (first < 0 || this.ends[first]! < start) first++;
    const last = this.floor(end);
    if (last < first) {
      this.starts.splice(first, 0, start);
      this.ends.splice(first, 0, end);
      return;
    }
    const s = Math.min(start, this.starts[first]!);
    const e = Math.max(end, this.ends[last]!);
    this.starts.splice(first, last - first + 1, s);
    this.ends.splice(first, last - first + 1, e);
  }

  addAll(other: IntervalSet): void {
    for (const [s, e] of other.ranges()) this.addRange(s, e);
  }

  ranges(): [number, number][] {
    return this.starts.map((s, i) => [s, this.ends[i]!]);
  }

  clone(): IntervalSet {
    const c = new IntervalSet();
    c.starts = [...this.starts];
    c.ends = [...this.ends];
    return c;
  }

  /** The ranges of this set that `before` does not hold as exactly the same range. */
  changedSince(before: IntervalSet | undefined): [number, number][] {
    const had = new Set(before?.ranges().map(([s, e]) => `${s}:${e}`));
    return this.ranges().filter(([s, e]) => !had.has(`${s}:${e}`));
  }

  /** The end of the first range: every offset from the lowest stored one up to it is in. */
  get firstEnd(): number | undefined {
    return this.ends[0];
  }
}

/**
 * The source offsets already in the table, per source partition, as Delta `txn` actions:
 * appId `volatility-insight/<topic>/source-<p>/from-<start>` with version = end (exclusive)
 * says offsets [start, end) of source partition p are in the table. The set is the union of
 * every such range; a range that grew keeps its appId (its version grows), one merged into an
 * earlier range stays behind as a harmless subset (the set only ever grows).
 */
export const APP_PREFIX = 'volatility-insight';

export function rangeAppId(topic: string, p: number, start: number): string {
  return `${APP_PREFIX}/${topic}/source-${p}/from-${start}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function rangeAppIdPattern(topic: string): RegExp {
  return new RegExp(`^${escapeRegExp(`${APP_PREFIX}/${topic}/`)}source-(\\d+)/from-(\\d+)$`);
}

/** The sets of source offsets per source partition that `txns` (a snapshot's) hold for `topic`. */
export function sourceSetsFromTxns(
  topic: string,
  txns: Iterable<TxnAction>,
): Map<number, IntervalSet> {
  const pattern = rangeAppIdPattern(topic);
  const sets = new Map<number, IntervalSet>();
  for (const t of txns) {
    const m = pattern.exec(t.appId);
    if (!m) continue;
    const p = Number(m[1]);
    let set = sets.get(p);
    if (!set) sets.set(p, (set = new IntervalSet()));
    set.addRange(Number(m[2]), t.version);
  }
  return sets;
}

/** The txn actions a commit needs: the ranges of `after` not already in `before` as they are. */
export function changedRangeTxns(
  topic: string,
  after: ReadonlyMap<number, IntervalSet>,
  before: ReadonlyMap<number, IntervalSet>,
  now = Date.now(),
): { txn: TxnAction }[] {
  const out: { txn: TxnAction }[] = [];
  for (const [p, set] of after) {
    for (const [s, e] of set.changedSince(before.get(p))) {
      out.push({ txn: { appId: rangeAppId(topic, p, s), version: e, lastUpdated: now } });
    }
  }
  return out;
}
