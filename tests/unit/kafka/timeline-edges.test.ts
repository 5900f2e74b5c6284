import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessagesTimelineInputSchema } from '../../../contract/timeline.js';
import {
  bucketEdges,
  countsFromOffsets,
  trailingEdges,
} from '../../../main/kafka/timeline-edges.js';

const T = Date.UTC(2026, 0, 5, 14, 0, 0);
const MIN = 60_000;

describe('timeline bucket edges', () => {
  it('an hour in 60 buckets: one minute each, on the minute', () => {
    const { edges, stepMs } = bucketEdges(T, T + 60 * MIN, 60);
    assert.equal(stepMs, MIN);
    assert.equal(edges.length, 61);
    assert.equal(edges[0], T);
    assert.equal(edges[60], T + 60 * MIN);
  });

  it('an unaligned hour: rounded outward, still at most 60 buckets', () => {
    const from = T + 17_345;
    const { edges, stepMs } = bucketEdges(from, from + 60 * MIN, 60);
    // 61 one-minute buckets would be needed; the next readable width is 2 minutes.
    assert.equal(stepMs, 2 * MIN);
    assert.equal(edges[0], T);
    assert.ok(edges.at(-1)! >= from + 60 * MIN);
    assert.ok(edges.length - 1 <= 60);
    for (let i = 1; i < edges.length; i++) assert.equal(edges[i]! - edges[i - 1]!, stepMs);
  });

  it('a day in 60 buckets: 30 minutes; 500 buckets: 5 minutes', () => {
    const day = 24 * 60 * MIN;
    assert.equal(bucketEdges(T, T + day, 60).stepMs, 30 * MIN);
    assert.equal(bucketEdges(T, T + day, 500).stepMs, 5 * MIN);
  });

  it('tiny and huge ranges', () => {
    assert.deepEqual(bucketEdges(T + 3, T + 4, 60), { edges: [T + 3, T + 4], stepMs: 1 });
    assert.deepEqual(bucketEdges(T, T, 60).edges.length, 2);
    const tenYears = 3650 * 24 * 60 * MIN;
    const { edges, stepMs } = bucketEdges(T, T + tenYears, 60);
    assert.equal(stepMs % (30 * 24 * 60 * MIN), 0);
    assert.ok(edges.length - 1 <= 60);
    assert.ok(edges.at(-1)! >= T + tenYears && edges[0]! <= T);
  });

  it('every width and bucket count covers the range within the limit', () => {
    for (const buckets of [1, 7, 60, 500]) {
      for (const width of [1, 999, 61_000, 3_600_000, 86_400_000 * 3]) {
        const from = T + 12_345;
        const { edges } = bucketEdges(from, from + width, buckets);
        assert.ok(edges.length - 1 <= buckets, `${width} in ${buckets}`);
        assert.ok(edges[0]! <= from && edges.at(-1)! >= from + width);
      }
    }
  });
});

describe('timeline trailing edges (last hour, last day)', () => {
  it('the last hour: 60 whole minutes, the newest holding now', () => {
    const now = T + 17_345;
    const { edges, stepMs } = trailingEdges(now, 60 * MIN, 60);
    assert.equal(stepMs, MIN);
    assert.equal(edges.length, 61);
    assert.equal(edges.at(-1), T + MIN);
    assert.equal(edges[0], T - 59 * MIN);
    assert.ok(edges.at(-2)! <= now && now < edges.at(-1)!);
  });

  it('now on an edge is in the newest bucket; a day in 500 buckets is 288 of 5 minutes', () => {
    assert.equal(trailingEdges(T, 60 * MIN, 60).edges.at(-1), T + MIN);
    const day = trailingEdges(T + 1, 24 * 60 * MIN, 500);
    assert.equal(day.stepMs, 5 * MIN);
    assert.equal(day.edges.length, 289);
  });
});

describe('timeline counts from offsets', () => {
  it('differences of the offsets at the edges; null is the end', () => {
    assert.deepEqual(countsFromOffsets([10, 12, 12, 20, null], 10, 25), [2, 0, 8, 5]);
  });

  it('clamped to the watermarks and never negative', () => {
    assert.deepEqual(countsFromOffsets([3, 8, 6, 30], 5, 20), [3, 0, 12]);
    assert.deepEqual(countsFromOffsets([null, null], 0, 0), [0]);
  });
});

describe('timeline input', () => {
  it('defaults to the last hour in 60 buckets and refuses a reversed range or 501 buckets', () => {
    const parsed = MessagesTimelineInputSchema.parse({ topic: 't' });
    assert.deepEqual(parsed.range, { kind: 'last', ms: 3_600_000 });
    assert.equal(parsed.buckets, 60);
    assert.equal(
      MessagesTimelineInputSchema.safeParse({
        topic: 't',
        range: { kind: 'between', from: 5, to: 5 },
      }).success,
      false,
    );
    assert.equal(
      MessagesTimelineInputSchema.safeParse({ topic: 't', buckets: 501 }).success,
      false,
    );
    assert.equal(
      MessagesTimelineInputSchema.strict().safeParse({ topic: 't', extra: 1 }).success,
      false,
    );
  });
});
