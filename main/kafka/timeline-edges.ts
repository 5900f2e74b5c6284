/**
 * The timeline's pure parts: readable bucket widths and edges, and counts from the offsets found
 * at each edge.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bucket widths a person reads at a glance; beyond the last, whole multiples of 30 days. */
export const NICE_STEPS_MS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY,
]; // prettier-ignore

export interface BucketEdges {
  /** Bucket i is [edges[i], edges[i + 1]); every bucket `stepMs` wide. */
  edges: number[];
  stepMs: number;
}

function span(from: number, to: number, step: number): { start: number; end: number } {
  const start = Math.floor(from / step) * step;
  const end = Math.max(start + step, Math.ceil(to / step) * step);
  return { start, end };
}

/**
 * The smallest readable width that covers [from, to) in at most maxBuckets buckets, edges on
 * multiples of the width (UTC-aligned), rounded outward.
 */
export function bucketEdges(from: number, to: number, maxBuckets: number): BucketEdges {
  if (!(to > from)) to = from + 1;
  const fits = (step: number) => {
    const { start, end } = span(from, to, step);
    return (end - start) / step <= maxBuckets;
  };
  let stepMs = NICE_STEPS_MS.find(fits);
  if (stepMs === undefined) {
    const month = NICE_STEPS_MS[NICE_STEPS_MS.length - 1]!;
    let k = Math.max(1, Math.ceil((to - from) / maxBuckets / month));
    while (!fits(k * month)) k++;
    stepMs = k * month;
  }
  const { start, end } = span(from, to, stepMs);
  const n = Math.round((end - start) / stepMs);
  return { edges: Array.from({ length: n + 1 }, (_, i) => start + i * stepMs), stepMs };
}

/**
 * The last `ms` up to `now` as whole buckets: the newest holds `now`, and there are as many as
 * the readable width needs to cover `ms` (at most maxBuckets), so the last hour in 60 buckets is
 * 60 whole minutes (the oldest partial minute of the hour is left out).
 */
export function trailingEdges(now: number, ms: number, maxBuckets: number): BucketEdges {
  const raw = ms / maxBuckets;
  const month = NICE_STEPS_MS[NICE_STEPS_MS.length - 1]!;
  const stepMs = NICE_STEPS_MS.find((s) => s >= raw) ?? Math.ceil(raw / month) * month;
  const n = Math.min(maxBuckets, Math.ceil(ms / stepMs));
  const end = (Math.floor(now / stepMs) + 1) * stepMs;
  return { edges: Array.from({ length: n + 1 }, (_, i) => end - (n - i) * stepMs), stepMs };
}

/**
 * Per bucket counts of one partition from the offsets found at each edge (offset-for-time, or
 * null where no record is that new), clamped to the partition's watermarks. Offsets found
 * never decrease with time; a log start moving between lookups could make them, so each edge is
 * held at least at the one before and a count is never negative.
 */
export function countsFromOffsets(
  offsets: readonly (number | null)[],
  low: number,
  high: number,
): number[] {
  const counts: number[] = [];
  let previous = low;
  offsets.forEach((o, i) => {
    const at = Math.max(previous, Math.min(Math.max(o ?? high, low), high));
    if (i > 0) counts.push(at - previous);
    previous = at;
  });
  return counts;
}
