import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LivePoint } from '../../../contract/charts.js';
import { LivePoints } from '../../../main/enrich/live-points.js';

const SYMBOLS = ['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA', 'NVDA'];
function p(symbol: string, ts: number, price: number): LivePoint {
  return {
    symbol,
    ts,
    price,
    vwap_5m: price,
    log_return: 0,
    vol_1m: 0.1,
    vol_5m: 0.1,
    ewma_vol: 0.1,
    vol_1m_ann: 1,
    vol_5m_ann: 1,
    ewma_vol_ann: 1,
  };
}

describe('live points', () => {
  it('thousands of trades a second become a few events a second, with bounded buffers', async () => {
    const events: LivePoint[][] = [];
    const live = new LivePoints((points) => events.push(points), 250);
    const started = Date.now();
    let offered = 0;
    let maxBuffered = 0;
    let ts = 0;
    while (Date.now() - started < 1500) {
      const rows = Array.from({ length: 100 }, (_, i) =>
        p(SYMBOLS[i % 6]!, ++ts, 100 + Math.sin(ts)),
      );
      live.offer(rows);
      offered += rows.length;
      maxBuffered = Math.max(maxBuffered, live.buffered);
      await new Promise((r) => setImmediate(r));
    }
    const elapsed = Date.now() - started;
    await new Promise((r) => setTimeout(r, 300)); // the trailing flush
    live.close();
    const rate = offered / (elapsed / 1000);
    assert.ok(rate > 5000, `offered ${Math.round(rate)}/s`);
    assert.ok(
      events.length <= Math.ceil(elapsed / 250) + 2,
      `${events.length} events in ${elapsed} ms`,
    );
    assert.ok(events.length >= 3, `${events.length} events`);
    assert.ok(maxBuffered <= SYMBOLS.length * 3, `buffered ${maxBuffered}`);
    for (const e of events) assert.ok(e.length <= SYMBOLS.length * 3);
    // The newest trade of each symbol is the last point it sent.
    const last = new Map<string, number>();
    for (const e of events)
      for (const x of e) last.set(x.symbol, Math.max(last.get(x.symbol) ?? 0, x.ts));
    assert.equal(Math.max(...last.values()), ts);
  });

  it('keeps each symbol’s lowest, highest and newest point of an interval (a spike is not lost)', () => {
    const events: LivePoint[][] = [];
    let now = 0;
    const live = new LivePoints(
      (points) => events.push(points),
      250,
      256,
      () => now,
    );
    now = 1000;
    live.offer([p('A', 1, 10)]); // first offer after the interval: flushed at once
    live.offer([p('A', 2, 11), p('A', 3, 50), p('A', 4, 2), p('A', 5, 12), p('A', 6, 12)]);
    assert.equal(live.buffered, 3);
    now = 1250;
    live.offer([p('A', 7, 13)]);
    assert.deepEqual(
      events.map((e) => e.map((x) => x.ts)),
      [[1], [3, 4, 7]],
    );
  });

  it('drops (and counts) symbols beyond its bound within one interval', () => {
    let now = 0;
    const live = new LivePoints(
      () => undefined,
      250,
      4,
      () => now,
    );
    now = 100;
    live.offer([p('A', 1, 1)]);
    live.offer(['B', 'C', 'D', 'E', 'F', 'G'].map((s, i) => p(s, 2 + i, 1)));
    assert.equal(live.dropped, 3);
    assert.ok(live.buffered <= 12);
    live.close();
  });
});
