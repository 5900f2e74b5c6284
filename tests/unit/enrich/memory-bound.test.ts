import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnalyticsEngine } from '../../../main/enrich/analytics-engine.js';
import { BYTES_PER_SLOT } from '../../../main/enrich/symbol-analytics.js';
import { Random } from '../../../main/simulator/random.js';

const T0 = 1_751_896_800_000; // 2025-07-07T14:00:00Z
const SYMBOLS = ['AAPL', 'TSLA', 'GOOGL', 'AMZN', 'MSFT', 'NVDA'];

describe('AnalyticsEngine memory', () => {
  it('stays flat once the 5-minute windows are full: 10 simulated minutes at 1,000 trades/s', () => {
    const rate = 1000;
    const minutes = 10;
    const random = new Random(3);
    const price = new Map(SYMBOLS.map((s) => [s, 100]));
    const engine = new AnalyticsEngine();
    const samples: { at: number; retained: number; slots: number; bytes: number }[] = [];
    for (let i = 0; i < rate * 60 * minutes; i++) {
      const symbol = SYMBOLS[random.int(SYMBOLS.length)]!;
      const p = price.get(symbol)! * Math.exp((random.next() - 0.5) * 2e-4);
      price.set(symbol, p);
      const ts = T0 + Math.floor((i * 1000) / rate);
      engine.process({ ts, symbol, price: p, volume: 1 + random.int(500) });
      if ((i + 1) % (rate * 10) === 0) samples.push({ at: (i + 1) / rate, ...engine.footprint() });
    }
    // Full from 5 min + grace on: (t − 305 s, t] holds 305 000 trades (+ one predecessor each).
    const full = samples.filter((s) => s.at >= 310);
    assert.ok(full.length >= 29);
    for (const s of full) {
      assert.ok(Math.abs(s.retained - 305_000) <= 1_000, `at ${s.at} s: ${s.retained} retained`);
      // nothing but the windows: at most 2 slots a trade (the ring doubles), 40 bytes a slot
      assert.ok(s.slots <= 2 * s.retained, `at ${s.at} s: ${s.slots} slots for ${s.retained}`);
      assert.equal(s.bytes, s.slots * BYTES_PER_SLOT);
      assert.ok(s.bytes / s.retained <= 80, `at ${s.at} s: ${s.bytes / s.retained} bytes a trade`);
    }
    // ... and no growth from minute 5 to minute 10
    const atFull = full[0]!.slots;
    assert.deepEqual(
      full.filter((s) => s.slots > atFull).map((s) => [s.at, s.slots]),
      [],
      `slots at ${full[0]!.at} s: ${atFull}`,
    );
  });
});
