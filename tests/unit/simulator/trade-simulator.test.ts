import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TradeMessageSchema } from '../../../contract/trade.js';
import { TRADING_SECONDS_PER_YEAR } from '../../../main/simulator/price-model.js';
import { TradeSimulator } from '../../../main/simulator/trade-simulator.js';

describe('TradeSimulator', () => {
  it('the same seed gives the same trades', () => {
    const make = () =>
      new TradeSimulator({ seed: 42, stepMs: 1000, simulatedStart: Date.UTC(2025, 0, 2) });
    const a = make();
    const b = make();
    for (let i = 0; i < 1000; i++) assert.deepEqual(a.next(0), b.next(0));
    const c = new TradeSimulator({ seed: 43, stepMs: 1000, simulatedStart: Date.UTC(2025, 0, 2) });
    assert.notDeepEqual(
      Array.from({ length: 5 }, () => make().next(0)),
      Array.from({ length: 5 }, () => c.next(0)),
    );
  });

  it('emits the seed message format with cent prices, whole volumes and a simulated clock', () => {
    const start = Date.UTC(2025, 6, 7, 14);
    const sim = new TradeSimulator({ seed: 1, stepMs: 250, simulatedStart: start });
    const seen = new Set<string>();
    for (let i = 1; i <= 2000; i++) {
      const t = TradeMessageSchema.parse(sim.next(0));
      assert.equal(t.timestamp, new Date(start + i * 250).toISOString());
      assert.equal(Math.round(t.price * 100) / 100, t.price);
      assert.ok(Number.isInteger(t.volume) && t.volume >= 1);
      seen.add(t.symbol);
    }
    assert.deepEqual([...seen].sort(), ['AAPL', 'AMZN', 'GOOGL', 'MSFT', 'NVDA', 'TSLA']);
  });

  it('uses the wall clock without a simulated start, and generic models for unknown symbols', () => {
    const sim = new TradeSimulator({ seed: 1, stepMs: 1000, symbols: ['ZZZZ'] });
    const t = sim.next(Date.UTC(2026, 0, 5, 15));
    assert.equal(t.timestamp, '2026-01-05T15:00:00.000Z');
    assert.equal(t.symbol, 'ZZZZ');
  });

  it("realised volatility matches the model's annual volatility (GBM check)", () => {
    // A high price makes cent rounding negligible; one symbol, 1 s steps.
    const sigma = 0.4;
    const sim = new TradeSimulator({
      seed: 7,
      stepMs: 1000,
      symbols: ['AAPL'],
      simulatedStart: 0,
      overrides: { AAPL: { startPrice: 1e6, volatility: sigma, drift: 0 } },
    });
    const prices = Array.from({ length: 50_001 }, () => sim.next(0).price);
    const r = prices.slice(1).map((p, i) => Math.log(p / prices[i]!));
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
    const annualised = std * Math.sqrt(TRADING_SECONDS_PER_YEAR);
    // Standard error of a std estimate over n = 50k samples is about σ/√(2n) ≈ 0.3 %.
    assert.ok(Math.abs(annualised / sigma - 1) < 0.02, `realised ${annualised} vs ${sigma}`);
  });
});
