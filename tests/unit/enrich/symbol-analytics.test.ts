import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SymbolAnalytics, classifyTrade } from '../../../main/enrich/symbol-analytics.js';
import type { TradeMetrics } from '../../../main/enrich/symbol-analytics.js';

const T0 = 1_700_000_000_000; // 2023-11-14T22:13:20Z, a whole minute
const Y = 5_896_800; // 252 × 6.5 × 3600

function close(actual: number | null, expected: number, tol = 1e-12): void {
  assert.notEqual(actual, null, `expected ${expected}, got null`);
  const a = actual as number;
  assert.ok(Math.abs(a - expected) <= tol * Math.max(1, Math.abs(expected)), `${a} !≈ ${expected}`);
}

function run(s: SymbolAnalytics, rows: [sec: number, price: number, volume?: number][]) {
  return rows.map(([sec, price, volume = 100]) =>
    s.process({ ts: T0 + sec * 1000, price, volume }),
  );
}

describe('SymbolAnalytics — hand-worked example 100, 101, 99, 102 at 10 s spacing', () => {
  const s = new SymbolAnalytics();
  const [m0, m1, m2, m3] = run(s, [
    [0, 100],
    [10, 101],
    [20, 99],
    [30, 102],
  ]) as [TradeMetrics, TradeMetrics, TradeMetrics, TradeMetrics];

  // r1 = ln(101/100) = 0.009950330853168092
  // r2 = ln(99/101)  = −0.020000666706669543
  // r3 = ln(102/99)  = 0.02985296314968113
  const r1 = 0.009950330853168092;
  const r2 = -0.020000666706669543;
  const r3 = 0.02985296314968113;

  it('first trade: all nulls except vwap (its own price)', () => {
    assert.deepEqual(m0, {
      log_return: null,
      vol_1m: null,
      vol_5m: null,
      vol_1m_ann: null,
      vol_5m_ann: null,
      ewma_vol: null,
      ewma_vol_ann: null,
      vwap_5m: 100,
      late: false,
    });
  });

  it('log returns', () => {
    close(m1.log_return, r1);
    close(m2.log_return, r2);
    close(m3.log_return, r3);
  });

  it('second trade: one return → vol null, EWMA = |r1|', () => {
    assert.equal(m1.vol_1m, null);
    assert.equal(m1.vol_5m, null);
    assert.equal(m1.vol_1m_ann, null);
    // σ²_1 = r1² → ewma = |r1|; Δ̄ = (10 − 0)/1 = 10 s → ann = |r1| × sqrt(589 680) = |r1| × 767.906…
    close(m1.ewma_vol, r1);
    close(m1.ewma_vol_ann, r1 * Math.sqrt(Y / 10));
  });

  it('third trade: two returns', () => {
    // std of {r1, r2} = |r1 − r2| / √2 = 0.029950997559837635 / 1.41421356 = 0.02117855347786293
    close(m2.vol_1m, 0.02117855347786293);
    close(m2.vol_5m, 0.02117855347786293);
    // Δ̄ = (20 − 0)/2 = 10 s → × 767.9062442772555 = 16.263143460410728
    close(m2.vol_1m_ann, 16.263143460410728);
    // σ²_2 = 0.94 r1² + 0.06 r2² = 0.94 × 9.900908408750885e-5 + 0.06 × 4.000266677e-4
    //      = 9.30685390e-5 + 2.40016001e-5 = 1.1707013916493507e-4 → σ = 0.010819895524677449
    close(m2.ewma_vol, 0.010819895524677449);
  });

  it('fourth trade: sample std, EWMA and annualisation', () => {
    // mean = (r1 + r2 + r3)/3 = ln(1.02)/3 = 0.006600875765393226
    // deviations: 0.003349455087774866, −0.02660154247206277, 0.0232520873842879
    // squares:    1.1218849385e-5, 7.076420618930e-4, 5.406595677266e-4; Σ = 1.259520479004541e-3
    // var = Σ / (3 − 1) = 6.297602395022705e-4 → std = 0.02509502419808099
    close(m3.vol_1m, 0.02509502419808099);
    close(m3.vol_5m, 0.02509502419808099);
    // Δ̄ = (30 s − 0 s) / 3 = 10 s; × sqrt(5 896 800 / 10) = × 767.9062442772555 → 19.2706257819952
    close(m3.vol_1m_ann, 19.270625781995218);
    close(m3.vol_5m_ann, 19.270625781995218);
    // σ²_3 = 0.94 × 1.1707013916493507e-4 + 0.06 × r3² (8.912e-4) = 1.635178953440121e-4
    // → ewma = 0.012787411596723244; ann = × 767.906… = 9.819533213267169
    close(m3.ewma_vol, 0.012787411596723244);
    close(m3.ewma_vol_ann, 9.819533213267169);
    // all volumes 100 → vwap = mean price = (100 + 101 + 99 + 102)/4 = 100.5
    close(m3.vwap_5m, 100.5);
    assert.equal(m3.late, false);
  });
});

describe('SymbolAnalytics — window edges', () => {
  // Trades at 0 s (100), 1 s (101), 30 s (99) and then one more at 61 s or 60.999 s (102).
  const lead: [number, number][] = [
    [0, 100],
    [1, 101],
    [30, 99],
  ];
  const rB = Math.log(101 / 100); // return at 1 s
  const rC = Math.log(99 / 101); // return at 30 s

  it('a return exactly at t − 60 s is excluded', () => {
    const s = new SymbolAnalytics();
    const m = run(s, [...lead, [61, 102]]).at(-1)!;
    const rD = Math.log(102 / 99);
    // window (1 s, 61 s]: returns at 30 s and 61 s → std = |rC − rD| / √2
    close(m.vol_1m, Math.abs(rC - rD) / Math.SQRT2);
    // Δ̄ = (61 − 1)/2 = 30 s: the trade before the first return (30 s) is the one at 1 s
    close(m.vol_1m_ann, (Math.abs(rC - rD) / Math.SQRT2) * Math.sqrt(Y / 30));
    // the 5-minute window still has all three returns, Δ̄ = (61 − 0)/3
    const all = [rB, rC, rD];
    const mean = all.reduce((a, x) => a + x) / 3;
    const sd = Math.sqrt(all.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
    close(m.vol_5m, sd);
    close(m.vol_5m_ann, sd * Math.sqrt(Y / (61 / 3)));
  });

  it('a return at t − 59.999 s is included', () => {
    const s = new SymbolAnalytics();
    const m = run(s, [...lead, [60.999, 102]]).at(-1)!;
    const rD = Math.log(102 / 99);
    const all = [rB, rC, rD];
    const mean = all.reduce((a, x) => a + x) / 3;
    const sd = Math.sqrt(all.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
    close(m.vol_1m, sd);
    // Δ̄ = (60.999 − 0)/3 = 20.333 s
    close(m.vol_1m_ann, sd * Math.sqrt(Y / (60.999 / 3)));
  });

  it('the 5-minute window and vwap drop trades at exactly t − 300 s', () => {
    const s = new SymbolAnalytics();
    // 0 s: 100 × 10; 300 s: 110 × 30 → window (0, 300] holds only the second trade
    const [, m] = run(s, [
      [0, 100, 10],
      [300, 110, 30],
    ]);
    close(m!.vwap_5m, 110);
    close(m!.log_return, Math.log(1.1)); // the return still uses the previous trade
    assert.equal(m!.vol_5m, null);
    // EWMA annualisation uses the 5-minute Δ̄: one return whose other leg is at 0 s → Δ̄ = 300 s
    close(m!.ewma_vol_ann, Math.log(1.1) * Math.sqrt(Y / 300));
  });

  it('trades at one instant: vol defined, annualised null (Δ̄ = 0)', () => {
    const s = new SymbolAnalytics();
    const ms = run(s, [
      [5, 100],
      [5, 101],
      [5, 102],
    ]);
    const m = ms[2]!;
    assert.equal(m.late, false);
    const r1 = Math.log(1.01);
    const r2 = Math.log(102 / 101);
    close(m.vol_1m, Math.abs(r1 - r2) / Math.SQRT2);
    assert.equal(m.vol_1m_ann, null);
    assert.equal(m.ewma_vol_ann, null);
    assert.notEqual(m.ewma_vol, null);
  });

  it('constant price: vol exactly 0, not a tiny negative or NaN', () => {
    const s = new SymbolAnalytics();
    const ms = run(
      s,
      Array.from({ length: 50 }, (_, i) => [i, 42] as [number, number]),
    );
    const m = ms.at(-1)!;
    assert.equal(m.vol_1m, 0);
    assert.equal(m.vol_5m, 0);
    assert.equal(m.ewma_vol, 0);
  });
});

describe('SymbolAnalytics — vwap', () => {
  it('weights by volume', () => {
    const s = new SymbolAnalytics();
    // (100×10 + 102×30) / 40 = (1000 + 3060)/40 = 101.5
    const [, m] = run(s, [
      [0, 100, 10],
      [1, 102, 30],
    ]);
    close(m!.vwap_5m, 101.5);
  });

  it('all volumes zero → plain mean price', () => {
    const s = new SymbolAnalytics();
    const ms = run(s, [
      [0, 100, 0],
      [1, 103, 0],
      [2, 99, 0],
    ]);
    close(ms[2]!.vwap_5m, (100 + 103 + 99) / 3); // 100.666…
  });

  it('zero-volume trades are ignored once there is volume', () => {
    const s = new SymbolAnalytics();
    const ms = run(s, [
      [0, 100, 0],
      [1, 103, 5],
    ]);
    close(ms[1]!.vwap_5m, 103);
  });
});

describe('SymbolAnalytics — late policy', () => {
  it('classifyTrade', () => {
    assert.equal(classifyTrade(10, null, 5000), 'in-order');
    assert.equal(classifyTrade(10_000, 10_000, 5000), 'in-order'); // equal ts is in order
    assert.equal(classifyTrade(5_000, 10_000, 5000), 'late'); // exactly at the grace edge
    assert.equal(classifyTrade(4_999, 10_000, 5000), 'too-late');
    assert.equal(classifyTrade(9_999, 10_000, 0), 'too-late');
  });

  it('late within grace: own metrics as of its ts; later windows include it', () => {
    const s = new SymbolAnalytics();
    const [, mB, mC] = run(s, [
      [0, 100],
      [10, 101],
      [20, 99],
    ]);
    const rB = Math.log(1.01);
    // L at 16 s, watermark 20 s: 4 s behind ≤ 5 s → late, inserted between B and C
    const mL = s.process({ ts: T0 + 16_000, price: 100, volume: 100 });
    assert.equal(mL.late, true);
    // log_return vs B (the trade before it in event time): ln(100/101) = −rB
    close(mL.log_return, -rB);
    // window (−44 s, 16 s]: returns rB (at 10 s) and −rB (at 16 s): mean 0, var = 2 rB² / 1
    close(mL.vol_1m, rB * Math.SQRT2);
    close(mL.vol_5m, rB * Math.SQRT2);
    // Δ̄ = (16 − 0)/2 = 8 s
    close(mL.vol_1m_ann, rB * Math.SQRT2 * Math.sqrt(Y / 8));
    // EWMA from B's σ² (= rB²): 0.94 rB² + 0.06 rB² = rB² → ewma = rB
    close(mL.ewma_vol, rB);
    close(mL.ewma_vol_ann, rB * Math.sqrt(Y / 8));
    // vwap over A, B, L (C is after it): (100 + 101 + 100)/3
    close(mL.vwap_5m, 301 / 3);

    // D at 21 s (in order): the window now reads A B L C D in event time
    const mD = s.process({ ts: T0 + 21_000, price: 102, volume: 100 });
    assert.equal(mD.late, false);
    close(mD.log_return, Math.log(102 / 99));
    const rets = [rB, Math.log(100 / 101), Math.log(99 / 100), Math.log(102 / 99)];
    const mean = Math.log(1.02) / 4; // the returns telescope to ln(102/100)
    const sd = Math.sqrt(rets.reduce((a, x) => a + (x - mean) ** 2, 0) / 3);
    close(mD.vol_1m, sd);
    close(mD.vol_1m_ann, sd * Math.sqrt(Y / (21 / 4)));
    close(mD.vwap_5m, (100 + 101 + 100 + 99 + 102) / 5);
    // the running EWMA stays with C (the latest event-time trade before D), not with L
    const varC = 0.94 * rB * rB + 0.06 * Math.log(99 / 101) ** 2;
    close(mC!.ewma_vol, Math.sqrt(varC));
    close(mD.ewma_vol, Math.sqrt(0.94 * varC + 0.06 * Math.log(102 / 99) ** 2));
    assert.equal(mB!.late, false);
  });

  it('late beyond grace: nulls, vwap = own price, and no effect on later trades', () => {
    const trades: [number, number][] = [
      [0, 100],
      [10, 101],
      [20, 99],
    ];
    const a = new SymbolAnalytics();
    const b = new SymbolAnalytics();
    run(a, trades);
    run(b, trades);
    // 14.999 s is 5.001 s behind the watermark of 20 s
    const m = a.process({ ts: T0 + 14_999, price: 500, volume: 7 });
    assert.deepEqual(m, {
      log_return: null,
      vol_1m: null,
      vol_5m: null,
      vol_1m_ann: null,
      vol_5m_ann: null,
      ewma_vol: null,
      ewma_vol_ann: null,
      vwap_5m: 500,
      late: true,
    });
    const next = { ts: T0 + 25_000, price: 102, volume: 100 };
    assert.deepEqual(a.process(next), b.process(next));
  });

  it('exactly grace behind is still in grace; equal timestamps are in order', () => {
    const s = new SymbolAnalytics({ gracePeriodMs: 5000 });
    run(s, [
      [0, 100],
      [10, 101],
    ]);
    assert.equal(s.process({ ts: T0 + 5_000, price: 100.5, volume: 1 }).late, true);
    assert.notEqual(s.process({ ts: T0 + 5_000, price: 100.5, volume: 1 }).log_return, null);
    assert.equal(s.process({ ts: T0 + 10_000, price: 101, volume: 1 }).late, false);
    assert.equal(s.watermark, T0 + 10_000);
  });

  it('late trade before every other trade of the symbol: no predecessor', () => {
    const s = new SymbolAnalytics();
    run(s, [[10, 101]]);
    const m = s.process({ ts: T0 + 8_000, price: 100, volume: 1 });
    assert.equal(m.late, true);
    assert.equal(m.log_return, null);
    assert.equal(m.ewma_vol, null);
    close(m.vwap_5m, 100);
    // the next trade's window holds ln(101/100) (the old first trade now has a return) and its own
    const n = s.process({ ts: T0 + 12_000, price: 102, volume: 1 });
    const rs = [Math.log(1.01), Math.log(102 / 101)];
    close(n.vol_1m, Math.abs(rs[0]! - rs[1]!) / Math.SQRT2);
    close(n.vol_1m_ann, (Math.abs(rs[0]! - rs[1]!) / Math.SQRT2) * Math.sqrt(Y / 2));
  });

  it('configurable λ', () => {
    const s = new SymbolAnalytics({ ewmaLambda: 0.5 });
    const ms = run(s, [
      [0, 100],
      [1, 101],
      [2, 99],
    ]);
    const r1 = Math.log(1.01);
    const r2 = Math.log(99 / 101);
    close(ms[2]!.ewma_vol, Math.sqrt(0.5 * r1 * r1 + 0.5 * r2 * r2));
  });

  it('rejects bad config and bad trades', () => {
    assert.throws(() => new SymbolAnalytics({ ewmaLambda: 1 }), RangeError);
    assert.throws(() => new SymbolAnalytics({ gracePeriodMs: -1 }), RangeError);
    const s = new SymbolAnalytics();
    assert.throws(() => s.process({ ts: Number.NaN, price: 1, volume: 1 }), RangeError);
    assert.throws(() => s.process({ ts: 1, price: 0, volume: 1 }), RangeError);
  });
});

describe('SymbolAnalytics — memory', () => {
  it('keeps only 5 min + grace plus one predecessor', () => {
    const s = new SymbolAnalytics();
    for (let i = 0; i < 5000; i++)
      s.process({ ts: T0 + i * 1000, price: 100 + (i % 7), volume: 1 });
    // (t − 305 s, t] holds 305 trades at 1 s spacing, plus the one before
    assert.equal(s.retained, 306);
  });
});
