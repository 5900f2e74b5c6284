import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeCheckpoint } from '../../../main/delta/checkpoint.js';
import type { TxnAction } from '../../../main/delta/log.js';
import { loadSnapshot } from '../../../main/delta/snapshot.js';
import { commitActions, newMetaData } from '../../../main/delta/table-writer.js';
import {
  IntervalSet,
  changedRangeTxns,
  rangeAppId,
  sourceSetsFromTxns,
} from '../../../main/sink/source-offsets.js';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vi-delta-ranges-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const TOPIC = 'stock_prices_enriched';

/** Deterministic shuffle (xorshift), so a failure names one order. */
function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let x = seed;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * The kill test's failure in kind: enriched partition 0 carries source offsets 0..2879 (worker A),
 * then 3598..7999 (worker B, which resumed p0 from its own SQLite file), then 2880..3597 (A's
 * records published late, after the rebalance), then republished duplicates.
 */
function killTestSequence(): number[] {
  const run = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  return [...run(0, 2880), ...run(3598, 8000), ...run(2880, 3598), ...run(2000, 4000)];
}

describe('source offset interval set', () => {
  it('merges adjacent and overlapping ranges, and answers membership at the edges', () => {
    const s = new IntervalSet();
    s.add(5);
    s.add(7);
    assert.deepEqual(s.ranges(), [
      [5, 6],
      [7, 8],
    ]);
    s.add(6); // closes the gap: one range
    assert.deepEqual(s.ranges(), [[5, 8]]);
    s.addRange(0, 3);
    s.addRange(10, 20);
    s.addRange(30, 40);
    assert.deepEqual(s.ranges(), [
      [0, 3],
      [5, 8],
      [10, 20],
      [30, 40],
    ]);
    s.addRange(3, 5); // touches both sides
    assert.deepEqual(s.ranges(), [
      [0, 8],
      [10, 20],
      [30, 40],
    ]);
    s.addRange(15, 35); // overlaps two
    assert.deepEqual(s.ranges(), [
      [0, 8],
      [10, 40],
    ]);
    s.addRange(9, 9); // empty: nothing
    assert.equal(s.size, 2);
    for (const [x, want] of [
      [-1, false],
      [0, true],
      [7, true],
      [8, false],
      [9, false],
      [10, true],
      [39, true],
      [40, false],
    ] as const) {
      assert.equal(s.has(x), want, `has(${x})`);
    }
    s.addRange(-5, 100);
    assert.deepEqual(s.ranges(), [[-5, 100]]);
  });

  it('any order of adds gives one range per contiguous run, the same as a naive set', () => {
    for (const seed of [1, 7, 42, 99]) {
      const order = shuffled(2000, seed).filter((x) => x % 97 !== 13); // holes at 13, 110, ...
      const s = new IntervalSet();
      const naive = new Set<number>();
      for (const x of order) {
        assert.equal(s.has(x), naive.has(x));
        s.add(x);
        naive.add(x);
      }
      for (let x = -1; x <= 2001; x++) assert.equal(s.has(x), naive.has(x), `seed ${seed}: ${x}`);
      assert.equal(s.size, 1 + Math.floor((2000 - 13 - 1) / 97) + 1);
    }
  });

  it("the kill test's out-of-order delivery: exact set keeps all, a watermark loses the late block", () => {
    const seq = killTestSequence();
    const set = new IntervalSet();
    const stored: number[] = [];
    let watermark = 0;
    const byWatermark: number[] = [];
    for (const o of seq) {
      if (!set.has(o)) {
        set.add(o);
        stored.push(o);
      }
      if (o >= watermark) {
        byWatermark.push(o);
        watermark = o + 1;
      }
    }
    assert.equal(stored.length, 8000);
    assert.equal(new Set(stored).size, 8000);
    assert.deepEqual(set.ranges(), [[0, 8000]]);
    // The first version of the sink (a watermark per source partition) lost 2880..3597: 718.
    assert.equal(8000 - byWatermark.length, 718);
    assert.equal(
      byWatermark.some((o) => o >= 2880 && o < 3598),
      false,
    );
  });

  it('to and from txn actions: only changed ranges are written; stale ids stay harmless subsets', () => {
    const committed = new Map<number, IntervalSet>();
    const live = new Map<number, IntervalSet>([
      [0, IntervalSet.of([[0, 100]])],
      [1, IntervalSet.of([[50, 60]])],
    ]);
    const log: TxnAction[] = [];
    const commit = () => {
      const txns = changedRangeTxns(TOPIC, live, committed, 1);
      for (const t of txns) {
        const at = log.findIndex((x) => x.appId === t.txn.appId);
        if (at >= 0) log.splice(at, 1);
        log.push(t.txn); // a snapshot keeps the latest txn per appId
      }
      for (const [p, s] of live) committed.set(p, s.clone());
      return txns.map((t) => [t.txn.appId, t.txn.version]);
    };
    assert.deepEqual(commit(), [
      [rangeAppId(TOPIC, 0, 0), 100],
      [rangeAppId(TOPIC, 1, 50), 60],
    ]);
    assert.deepEqual(commit(), []); // nothing changed: nothing written
    live.get(0)!.addRange(150, 200); // out of order: a second range
    assert.deepEqual(commit(), [[rangeAppId(TOPIC, 0, 150), 200]]);
    live.get(0)!.addRange(100, 150); // the gap closes: from-0 grows, from-150 is a stale subset
    assert.deepEqual(commit(), [[rangeAppId(TOPIC, 0, 0), 200]]);
    // Other topics' and the position ids are not ranges.
    log.push({ appId: `volatility-insight/${TOPIC}/0`, version: 9999, lastUpdated: 1 });
    log.push({ appId: `volatility-insight/other/source-0/from-0`, version: 9999, lastUpdated: 1 });
    log.push({ appId: `volatility-insight/${TOPIC}/0/source-0`, version: 9999, lastUpdated: 1 });
    const read = sourceSetsFromTxns(TOPIC, log);
    assert.deepEqual([...read.keys()].sort(), [0, 1]);
    assert.deepEqual(read.get(0)!.ranges(), [[0, 200]]);
    assert.deepEqual(read.get(1)!.ranges(), [[50, 60]]);
    // A topic name with regex characters is matched literally.
    assert.equal(
      sourceSetsFromTxns('a.b', [{ appId: rangeAppId('axb', 0, 0), version: 5, lastUpdated: 1 }])
        .size,
      0,
    );
  });

  it('a checkpointed table reads the same ranges as the log replayed from version 0', async (t) => {
    const table = tmp(t);
    let version = commitActions(table, -1, {
      actions: [],
      operation: 'CREATE TABLE',
      newTable: newMetaData('none'),
    });
    const live = new Map<number, IntervalSet>();
    const committed = new Map<number, IntervalSet>();
    // 25 commits, each adding a block of partition 0 and 1 out of order (blocks of 10 in a
    // shuffled order), so ranges split, grow and merge across the checkpoints at 10 and 20.
    const blocks = shuffled(25, 3);
    for (const b of blocks) {
      for (const p of [0, 1]) {
        let s = live.get(p);
        if (!s) live.set(p, (s = new IntervalSet()));
        s.addRange(b * 10 + p, b * 10 + 10); // partition 1 misses one offset per block
      }
      version = commitActions(table, version, {
        actions: changedRangeTxns(TOPIC, live, committed),
        operation: 'STREAMING UPDATE',
      });
      for (const [p, s] of live) committed.set(p, s.clone());
      if (version % 10 === 0) await writeCheckpoint(table, version);
    }
    assert.equal(version, 25);
    const fromCp = (await loadSnapshot(table))!;
    assert.equal(fromCp.fromCheckpoint, 20);
    const fromZero = (await loadSnapshot(table, { fromZero: true }))!;
    const a = sourceSetsFromTxns(TOPIC, fromCp.txns.values());
    const b = sourceSetsFromTxns(TOPIC, fromZero.txns.values());
    assert.deepEqual(a.get(0)!.ranges(), [[0, 250]]);
    assert.deepEqual(
      a.get(1)!.ranges(),
      Array.from({ length: 25 }, (_, i) => [i * 10 + 1, i * 10 + 10]),
    );
    for (const p of [0, 1]) assert.deepEqual(a.get(p)!.ranges(), b.get(p)!.ranges());
    // Only the checkpoint's txns are read before version 20 (the log before it is not needed).
    const atCp = (await loadSnapshot(table, { version: 20 }))!;
    assert.equal(atCp.fromCheckpoint, 20);
    const expect20 = IntervalSet.of(
      blocks.slice(0, 20).map((blk) => [blk * 10, blk * 10 + 10] as [number, number]),
    );
    assert.deepEqual(
      sourceSetsFromTxns(TOPIC, atCp.txns.values()).get(0)!.ranges(),
      expect20.ranges(),
    );
  });
});
