import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnalyticsEngine } from '../../../main/enrich/analytics-engine.js';
import { SymbolAnalytics } from '../../../main/enrich/symbol-analytics.js';
import { randomStream } from './naive.js';

const T0 = 1_700_000_040_000; // a minute boundary

describe('AnalyticsEngine', () => {
  it('keeps one state per symbol, created on first sight', () => {
    const e = new AnalyticsEngine();
    assert.deepEqual(e.symbols(), []);
    assert.equal(e.process({ ts: T0, symbol: 'A', price: 10, volume: 1 }).log_return, null);
    assert.equal(e.process({ ts: T0 + 1, symbol: 'B', price: 20, volume: 1 }).log_return, null);
    const m = e.process({ ts: T0 + 2, symbol: 'A', price: 11, volume: 1 });
    assert.equal(m.log_return, Math.log(1.1));
    assert.deepEqual(e.symbols().sort(), ['A', 'B']);
    assert.equal(e.watermark('A'), T0 + 2);
    assert.equal(e.watermark('nope'), null);
  });

  it('the same per-symbol results as separate SymbolAnalytics', () => {
    const trades = randomStream({ n: 2000, seed: 4 });
    const e = new AnalyticsEngine({ gracePeriodMs: 3000 });
    const per = new Map<string, SymbolAnalytics>();
    for (const t of trades) {
      let s = per.get(t.symbol);
      if (!s) per.set(t.symbol, (s = new SymbolAnalytics({ gracePeriodMs: 3000 })));
      assert.deepEqual(e.process(t), s.process(t));
    }
  });

  it('feeds accepted trades to the bars, not the too-late ones', () => {
    const e = new AnalyticsEngine();
    e.process({ ts: T0 + 10_000, symbol: 'A', price: 100, volume: 1 });
    e.process({ ts: T0 + 20_000, symbol: 'A', price: 101, volume: 1 });
    e.process({ ts: T0 + 16_000, symbol: 'A', price: 90, volume: 1 }); // late, in grace
    const m = e.process({ ts: T0 + 1_000, symbol: 'A', price: 50, volume: 1 }); // too late
    assert.equal(m.late, true);
    assert.equal(m.vwap_5m, 50);
    const [bar, ...more] = e.bars.takeDirty();
    assert.equal(more.length, 0);
    assert.equal(bar!.trade_count, 3);
    assert.equal(bar!.low, 90);
    assert.equal(bar!.open, 100);
  });

  it('validates its config', () => {
    assert.throws(() => new AnalyticsEngine({ ewmaLambda: -0.1 }), RangeError);
    assert.throws(() => new AnalyticsEngine({ gracePeriodMs: Number.NaN }), RangeError);
    assert.equal(new AnalyticsEngine().config.gracePeriodMs, 5000);
    assert.equal(new AnalyticsEngine().config.ewmaLambda, 0.94);
    assert.equal(new AnalyticsEngine().restoreFromTs(1_000_000), 1_000_000 - 305_000);
  });
});
