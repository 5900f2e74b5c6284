import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SymbolAnalytics, type TradeMetrics } from '../../../main/enrich/symbol-analytics.js';

// Defence in depth behind the trade bounds (price >= 0.0001): if a price that small ever reached
// the analytics, ln(p / q) would be ±Infinity and, once in the EWMA and the window sums, poison
// every later value of the symbol. A non-finite return counts as no return.

const T0 = 1_700_000_000_000;
const TINY = 5e-324; // the smallest double: 100 / TINY = Infinity, TINY / 100 = 0

function assertFinite(m: TradeMetrics, label: string) {
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number') assert.ok(Number.isFinite(v), `${label} ${k} = ${v}`);
  }
}

describe('analytics never produce a non-finite value', () => {
  it('in order: a tiny price then normal ones; the return chain restarts after it', () => {
    const s = new SymbolAnalytics();
    const ms = [TINY, 100, 101, 99].map((price, i) =>
      s.process({ ts: T0 + i * 1000, price, volume: 1 }),
    );
    ms.forEach((m, i) => assertFinite(m, `trade ${i}`));
    assert.equal(ms[1]!.log_return, null); // ln(100 / 5e-324) = Infinity: no return
    assert.equal(ms[1]!.ewma_vol, null);
    const r2 = Math.log(101 / 100);
    const r3 = Math.log(99 / 101);
    assert.equal(ms[2]!.log_return, r2);
    assert.equal(ms[2]!.ewma_vol, Math.abs(r2)); // σ²₁ = r₁²: the EWMA starts again
    assert.equal(ms[3]!.ewma_vol, Math.sqrt(0.94 * r2 * r2 + 0.06 * r3 * r3));
    // the 1-minute window holds the returns r2 and r3 only
    const mean = (r2 + r3) / 2;
    const std = Math.sqrt((r2 - mean) ** 2 + (r3 - mean) ** 2);
    assert.ok(Math.abs(ms[3]!.vol_1m! - std) < 1e-15, `${ms[3]!.vol_1m} vs ${std}`);
  });
  it('late: a tiny price inserted between two trades leaves the windows finite', () => {
    const s = new SymbolAnalytics();
    const out = [
      s.process({ ts: T0, price: 100, volume: 1 }),
      s.process({ ts: T0 + 2000, price: 101, volume: 1 }),
      s.process({ ts: T0 + 1000, price: TINY, volume: 1 }), // late, within the grace period
      s.process({ ts: T0 + 3000, price: 102, volume: 1 }),
      s.process({ ts: T0 + 4000, price: 103, volume: 1 }),
    ];
    out.forEach((m, i) => assertFinite(m, `trade ${i}`));
    assert.equal(out[2]!.late, true);
    assert.equal(out[2]!.log_return, null); // ln(5e-324 / 100) = ln(0) = -Infinity
    assert.equal(out[4]!.log_return, Math.log(103 / 102));
    assert.notEqual(out[4]!.vol_1m, null);
  });
});
