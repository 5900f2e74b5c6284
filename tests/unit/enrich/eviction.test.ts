import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Trade } from '../../../contract/trade.js';
import { AnalyticsEngine, type TradeMetrics } from '../../../main/enrich/analytics-engine.js';
import type { StoredBar } from '../../../main/enrich/bars.js';
import { SqliteStore, type EnrichedRow } from '../../../main/store/sqlite-store.js';
import { tempDir } from '../../support/jvm-broker.js';
import { firstMismatch, naiveMetrics, randomStream, relClose } from './naive.js';

const dir = tempDir('vi-evict-');
after(() => dir.cleanup());

const SYMBOLS = Array.from({ length: 40 }, (_, i) => `S${String(i).padStart(2, '0')}`);

/**
 * Four phases of a random stream (bursts, gaps, late and too-late trades), the even ones over
 * S00–S19 and the odd ones over S20–S39: each half goes idle for a phase, is evicted, and comes
 * back from SQLite; within a phase, the stream's long gaps evict and restore symbols too.
 */
function phasedStream(seed: number): Trade[] {
  const out: Trade[] = [];
  let shift = 0;
  for (let phase = 0; phase < 4; phase++) {
    const symbols = SYMBOLS.slice((phase % 2) * 20, (phase % 2) * 20 + 20);
    const trades = randomStream({ n: 2_000, seed: seed * 10 + phase, symbols });
    const first = trades[0]!.ts;
    for (const t of trades) out.push({ ...t, ts: t.ts - first + shift });
    shift = out.at(-1)!.ts + 1_000;
  }
  return out;
}

/**
 * The consumer's loop without Kafka: batches of trades through the engine, each batch's rows,
 * changed bars and offset stored in one transaction, then (with eviction) idle symbols evicted.
 * The clock is event time (the newest ts processed), so idleness is reproducible.
 */
function run(trades: readonly Trade[], file: string, evict: boolean, restartEvery = Infinity) {
  const store = new SqliteStore(file);
  let now = 0;
  const newEngine = () =>
    new AnalyticsEngine(
      { gracePeriodMs: 5_000 },
      evict
        ? { loader: (symbol) => store.symbolSnapshot(symbol, 5_000), clock: () => now }
        : { clock: () => now },
    );
  let engine = newEngine();
  let restored = 0;
  const metrics: TradeMetrics[] = [];
  const evicted: string[] = [];
  let maxHeld = 0;
  let heldSum = 0;
  let batches = 0;
  let batchesDone = 0;
  const batch = 50;
  for (let start = 0; start < trades.length; start += batch) {
    const rows: EnrichedRow[] = [];
    trades.slice(start, start + batch).forEach((t, i) => {
      now = Math.max(now, t.ts);
      const m = engine.process(t);
      metrics.push(m);
      rows.push({
        ...t,
        ...m,
        session: 'regular',
        exchange: null,
        company: null,
        sector: null,
        weather_temp_c: null,
        weather_condition: null,
        weather_error: null,
        kafka_partition: 0,
        kafka_offset: start + i,
      });
    });
    store.writeBatch({
      topic: 't',
      trades: rows,
      deadLetters: [],
      bars: engine.bars.takeDirty(),
      offsets: new Map([[0, start + rows.length]]),
    });
    evicted.push(...engine.evictIdle());
    if (++batchesDone % restartEvery === 0) {
      // the consumer after a restart or rebalance: empty, each symbol restored on first use
      restored += engine.restored;
      engine = newEngine();
    }
    const held = engine.footprint().symbols;
    maxHeld = Math.max(maxHeld, held);
    heldSum += held;
    batches++;
  }
  const bars = store.db
    .prepare('SELECT * FROM bars ORDER BY symbol, minute_start')
    .all() as StoredBar[];
  store.close();
  return {
    metrics,
    bars,
    evicted,
    maxHeld,
    meanHeld: heldSum / batches,
    restored: restored + engine.restored,
  };
}

function assertSameBars(actual: readonly StoredBar[], expected: readonly StoredBar[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((b, i) => {
    const k = expected[i]!;
    for (const [field, value] of Object.entries(b)) {
      const other = k[field as keyof StoredBar];
      if (typeof value === 'number' && typeof other === 'number') {
        assert.ok(relClose(value, other, 1e-12), `bar ${i} ${field}: ${value} vs ${other}`);
      } else assert.equal(value, other, `bar ${i} ${field}`);
    }
  });
}

describe('AnalyticsEngine: idle symbols evicted and restored from SQLite', () => {
  for (const seed of [21, 22]) {
    it(`gives the metrics and bars of a run that never evicts (seed ${seed})`, () => {
      const trades = phasedStream(seed);
      const kept = run(trades, join(dir.path, `kept-${seed}.db`), false);
      const evicting = run(trades, join(dir.path, `evicting-${seed}.db`), true);
      // eviction really happened, and symbols really came back
      assert.ok(evicting.evicted.length >= 50, `${evicting.evicted.length} evictions`);
      assert.ok(evicting.restored >= 50, `${evicting.restored} restores`);
      assert.equal(kept.maxHeld, SYMBOLS.length);
      // at most 20 symbols trade per phase: the state holds about those, not all 40 seen
      assert.ok(evicting.meanHeld < 30, `held ${evicting.meanHeld} symbols on average`);
      // Equal to the engine's precision (the naive-equivalence tolerance): a restored window's
      // sums are recomputed exactly, so they carry less rounding than the never-evicted run's
      // running sums (both agree with the naive recomputation).
      assert.equal(firstMismatch(evicting.metrics, kept.metrics, 1e-9), null);
      assert.equal(firstMismatch(evicting.metrics, naiveMetrics(trades), 1e-9), null);
      assertSameBars(evicting.bars, kept.bars);
    });
  }

  for (const restartEvery of [1, 7]) {
    it(`restarts every ${restartEvery} batches: lazy per-symbol restore, same metrics and bars`, () => {
      const trades = phasedStream(23);
      const kept = run(trades, join(dir.path, `straight-${restartEvery}.db`), false);
      const restarted = run(
        trades,
        join(dir.path, `restart-${restartEvery}.db`),
        true,
        restartEvery,
      );
      assert.ok(restarted.restored >= 1_000 / restartEvery, `${restarted.restored} restores`);
      assert.equal(firstMismatch(restarted.metrics, kept.metrics, 1e-9), null);
      assertSameBars(restarted.bars, kept.bars);
    });
  }

  it('keeps a symbol with a changed bar not yet stored', () => {
    let now = 0;
    const engine = new AnalyticsEngine({}, { loader: () => null, clock: () => now });
    engine.process({ ts: 1_700_000_000_000, symbol: 'A', price: 10, volume: 1 });
    now = 10 * 60_000;
    assert.deepEqual(engine.evictIdle(), []); // its bar is still dirty
    engine.bars.takeDirty();
    now += 1_000;
    assert.deepEqual(engine.evictIdle(), ['A']);
    assert.deepEqual(engine.symbols(), []);
    assert.deepEqual(engine.bars.symbols(), []);
  });

  it('evicts nothing without a loader, and only after 5 min + grace + 1 min idle', () => {
    let now = 0;
    const plain = new AnalyticsEngine({}, { clock: () => now });
    const evicting = new AnalyticsEngine({}, { loader: () => null, clock: () => now });
    for (const e of [plain, evicting]) {
      e.process({ ts: 1_700_000_000_000, symbol: 'A', price: 10, volume: 1 });
      e.bars.takeDirty();
    }
    now = 365_000;
    assert.deepEqual(evicting.evictIdle(), []);
    now = 366_001;
    assert.deepEqual(plain.evictIdle(), []);
    assert.deepEqual(evicting.evictIdle(), ['A']);
  });
});
