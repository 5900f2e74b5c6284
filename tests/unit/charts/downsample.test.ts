import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MinMaxLastSampler, minMaxLast } from '../../../main/charts/downsample.js';

describe('min/max/last downsampling', () => {
  const t = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const v = [5, 1, 9, 3, 3, 2, 7, 7, 0, 8, 8, 4];

  it('returns the series exactly while it fits under the cap', () => {
    const r = minMaxLast(t, v, 0, 12, 12);
    assert.equal(r.downsampled, false);
    assert.deepEqual(r.t, t);
    assert.deepEqual(r.v, v);
  });

  it('keeps each bucket’s minimum, maximum and last point, in time order (hand-checked)', () => {
    // maxPoints 6 → 2 buckets of 6 ms: [0, 6) and [6, 12).
    const r = minMaxLast(t, v, 0, 12, 6);
    assert.equal(r.downsampled, true);
    // bucket 0: min 1 @1, max 9 @2, last 2 @5; bucket 1: min 0 @8, max 8 @9 (first of the tie), last 4 @11
    assert.deepEqual(r.t, [1, 2, 5, 8, 9, 11]);
    assert.deepEqual(r.v, [1, 9, 2, 0, 8, 4]);
  });

  it('keeps a point that is two extremes once, and skips empty buckets', () => {
    // 3 buckets of 10 ms; the middle one is empty; bucket 2's minimum is also its last point.
    const r = minMaxLast([0, 1, 2, 3, 20, 21, 22, 23], [4, 6, 5, 4, 3, 5, 2, 1], 0, 30, 9);
    assert.equal(r.downsampled, false); // 8 points fit under 9
    const d = minMaxLast([0, 1, 2, 3, 20, 21, 22, 23], [4, 6, 5, 4, 3, 5, 2, 1], 0, 30, 7);
    // 2 buckets of 15 ms: [0,15): min 4 @0, max 6 @1, last 4 @3; [15,30): min 1 @23 = last, max 5 @21
    assert.deepEqual(d.t, [0, 1, 3, 21, 23]);
    assert.deepEqual(d.v, [4, 6, 4, 5, 1]);
  });

  it('never returns more than maxPoints points, whatever the input', () => {
    const s = new MinMaxLastSampler(0, 1_000_000, 100);
    let x = 0;
    for (let i = 0; i < 100_000; i++) s.push(i * 10, (x = (x * 1103515245 + 12345) % 2 ** 31));
    const r = s.finish();
    assert.ok(r.t.length <= 100, `${r.t.length} points`);
    assert.equal(s.rows, 100_000);
    for (let i = 1; i < r.t.length; i++) assert.ok(r.t[i]! >= r.t[i - 1]!, 'in time order');
  });
});
