import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Trade } from '../../../contract/trade.js';
import { AnalyticsEngine } from '../../../main/enrich/analytics-engine.js';
import type { HistoryRow, TradeMetrics } from '../../../main/enrich/analytics-engine.js';
import { SymbolAnalytics } from '../../../main/enrich/symbol-analytics.js';
import { sampleStd } from '../../../main/enrich/volatility.js';
import { firstMismatch, naiveMetrics, randomStream, rng } from './naive.js';

const T0 = 1_700_000_000_000;

function runEngine(engine: AnalyticsEngine, trades: readonly Trade[]): TradeMetrics[] {
  return trades.map((t) => engine.process(t));
}

describe('AnalyticsEngine vs a naive O(n) recomputation', () => {
  for (const seed of [1, 2, 3]) {
    it(`random out-of-order multi-symbol stream, seed ${seed}`, () => {
      const trades = randomStream({ n: 6000, seed });
      const actual = runEngine(new AnalyticsEngine(), trades);
      const expected = naiveMetrics(trades);
      assert.equal(firstMismatch(actual, expected, 1e-9), null);
      // the stream really exercises every path
      assert.ok(actual.some((m) => m.late && m.log_return !== null));
      assert.ok(actual.some((m) => m.late && m.log_return === null));
    });
  }

  it('other grace and λ', () => {
    const trades = randomStream({ n: 4000, seed: 9, lateProb: 0.2 });
    const config = { gracePeriodMs: 2000, ewmaLambda: 0.8 };
    const actual = runEngine(new AnalyticsEngine(config), trades);
    assert.equal(firstMismatch(actual, naiveMetrics(trades, config), 1e-9), null);
  });

  it('a grace longer than the 1-minute window (late trades land before it)', () => {
    const trades = randomStream({ n: 4000, seed: 10, lateProb: 0.1, lateMaxMs: 200_000 });
    const config = { gracePeriodMs: 120_000, ewmaLambda: 0.94 };
    const actual = runEngine(new AnalyticsEngine(config), trades);
    assert.equal(firstMismatch(actual, naiveMetrics(trades, config), 1e-9), null);
  });

  it('drift-dominated returns (~1e-4, noise 1e-8) stay accurate', () => {
    const rand = rng(5);
    const trades: Trade[] = [];
    let p = 100;
    for (let i = 0; i < 5000; i++) {
      p *= Math.exp(1e-4 + (rand() - 0.5) * 2e-8);
      trades.push({ ts: T0 + i * 100, symbol: 'DRIFT', price: p, volume: 1 + (i % 3) });
    }
    const actual = runEngine(new AnalyticsEngine(), trades);
    assert.equal(firstMismatch(actual, naiveMetrics(trades), 1e-9), null);
  });

  it('a large window that drains to a few trades stays accurate', () => {
    const rand = rng(6);
    const trades: Trade[] = [];
    let p = 100;
    let ts = T0;
    for (let i = 0; i < 30_000; i++) {
      ts += 5;
      p *= Math.exp((rand() - 0.5) * 2e-3);
      trades.push({ ts, symbol: 'X', price: p, volume: 100 + Math.floor(rand() * 1e6) });
    }
    ts += 290_000; // the windows drain from 30 000 trades to the few after the gap
    for (let i = 0; i < 20; i++) {
      ts += 1000;
      p *= Math.exp((rand() - 0.5) * 2e-5);
      trades.push({ ts, symbol: 'X', price: p, volume: 1 });
    }
    const actual = runEngine(new AnalyticsEngine(), trades);
    const expected = naiveMetrics(trades, undefined, trades.length - 40);
    assert.equal(firstMismatch(actual.slice(-40), expected.slice(-40), 1e-9), null);
  });
});

/** Stored rows as the consumer would read them back: ts, then kafka_offset (= arrival index). */
function historyFor(
  engine: AnalyticsEngine,
  symbol: string,
  trades: readonly Trade[],
  metrics: readonly TradeMetrics[],
  all: boolean,
): HistoryRow[] {
  const rows = trades
    .map((t, offset) => ({ t, m: metrics[offset]!, offset }))
    .filter((r) => r.t.symbol === symbol)
    .sort((a, b) => a.t.ts - b.t.ts || a.offset - b.offset)
    .map(({ t, m }) => ({
      ts: t.ts,
      price: t.price,
      volume: t.volume,
      log_return: m.log_return,
      ewma_vol: m.ewma_vol,
      late: m.late,
    }));
  if (all) return rows;
  // The documented query: rows with ts ≥ restoreFromTs(newest), plus the last row before that
  // which was not too late for analytics.
  const newest = Math.max(...rows.map((r) => r.ts));
  const start = engine.restoreFromTs(newest);
  const before = rows.filter(
    (r) => r.ts < start && !(r.late && r.log_return === null && r.ewma_vol === null),
  );
  const firstTs = before.at(-1)?.ts ?? start;
  return rows.filter((r) => r.ts >= firstTs);
}

describe('AnalyticsEngine.restore', () => {
  const cases = [
    { name: 'with late trades', trades: randomStream({ n: 5000, seed: 11 }) },
    {
      name: 'in order',
      trades: randomStream({ n: 20_000, seed: 12, lateProb: 0, symbols: ['A'] }),
    },
  ];
  for (const { name, trades } of cases) {
    const straight = runEngine(new AnalyticsEngine(), trades);
    for (const k of [1, 37, 1200, 2500, 4321, 17_000].filter((x) => x < trades.length)) {
      for (const all of [false, true]) {
        const rows = all ? 'all' : 'the documented';
        it(`${name}: process ${k}, restore from ${rows} rows, process the rest`, () => {
          const before = new AnalyticsEngine();
          const head = trades.slice(0, k);
          const emitted = runEngine(before, head);
          const after = new AnalyticsEngine();
          for (const symbol of before.symbols()) {
            const history = historyFor(before, symbol, head, emitted, all);
            after.restore(symbol, history);
            assert.equal(after.watermark(symbol), before.watermark(symbol));
          }
          const rest = runEngine(after, trades.slice(k));
          assert.equal(firstMismatch(rest, straight.slice(k), 1e-12), null);
        });
      }
    }
  }

  it('restore with no rows is a fresh symbol', () => {
    const e = new AnalyticsEngine();
    e.restore('NEW', []);
    assert.equal(e.watermark('NEW'), null);
    assert.equal(e.process({ ts: T0, symbol: 'NEW', price: 10, volume: 1 }).log_return, null);
  });
});

describe('performance', () => {
  it('200k in-order trades, 100k in the 5-minute window, well under 2 s', (t) => {
    const rand = rng(7);
    const n = 200_000;
    const trades: { ts: number; price: number; volume: number }[] = [];
    let p = 100;
    for (let i = 0; i < n; i++) {
      p *= Math.exp((rand() - 0.5) * 2e-4);
      // 3 ms apart, in bursts of equal timestamps
      trades.push({ ts: T0 + Math.floor(i / 4) * 12, price: p, volume: 1 + (i % 100) });
    }
    const s = new SymbolAnalytics();
    let last: TradeMetrics | undefined;
    const started = performance.now();
    for (const t of trades) last = s.process(t);
    const elapsed = performance.now() - started;
    t.diagnostic(`200k trades in ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
    // spot-check the final trade against a direct computation over its window
    const tLast = trades.at(-1)!.ts;
    const rets: number[] = [];
    for (let i = 1; i < n; i++) {
      if (trades[i]!.ts > tLast - 300_000)
        rets.push(Math.log(trades[i]!.price / trades[i - 1]!.price));
    }
    assert.equal(rets.length, 100_000);
    const sd = sampleStd(rets)!;
    assert.ok(Math.abs(last!.vol_5m! - sd) <= 1e-9 * sd);
  });
});
