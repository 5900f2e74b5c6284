import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RateMeter } from '../../main/rate-meter.js';

it('RateMeter: events per second over a sliding window', () => {
  const m = new RateMeter(5000);
  assert.equal(m.update(0, 0), 0);
  // one event a second, sampled every 500 ms: 1/s once the window fills, not 0-or-2 flicker
  let last = 0;
  for (let t = 500; t <= 10_000; t += 500) last = m.update(Math.floor(t / 1000), t);
  assert.ok(Math.abs(last - 1) < 0.15, `rate ${last}`);
  // a burst of 1000 in the last second
  assert.ok(Math.abs(m.update(1010, 11_000) - 1000 / 5.5) < 20);
});
