import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addRule, alertHistory, listRules, removeRule } from '../../../main/store/alerts-store.js';
import {
  mergeBars,
  queryBars,
  querySeries,
  rollupPlan,
  seriesSql,
} from '../../../main/store/series-query.js';
import { backfillRollup, RollupWriter, rollupReady } from '../../../main/store/series-rollup.js';
import { MinMaxLastSampler } from '../../../main/charts/downsample.js';
import { SqliteStore, type EnrichedRow } from '../../../main/store/sqlite-store.js';
import { Random } from '../../../main/simulator/random.js';
import { tempDir } from '../../support/jvm-broker.js';

const dir = tempDir('vi-series-');
let store: SqliteStore;
const T0 = Date.UTC(2025, 6, 7, 14, 0, 0);
const N = 5000;

function row(i: number, symbol: string, price: number, vol: number | null): EnrichedRow {
  return {
    ts: T0 + i * 37, // 37 ms apart: about 3 minutes
    symbol,
    price,
    volume: 10,
    log_return: null,
    vol_1m: vol,
    vol_5m: null,
    vol_1m_ann: vol === null ? null : vol * 100,
    vol_5m_ann: null,
    ewma_vol: null,
    ewma_vol_ann: null,
    vwap_5m: price,
    late: false,
    session: 'regular',
    exchange: 'NASDAQ',
    company: null,
    sector: null,
    weather_temp_c: null,
    weather_condition: null,
    weather_error: null,
    kafka_partition: symbol === 'AAPL' ? 0 : 1,
    kafka_offset: i,
  };
}

before(() => {
  store = new SqliteStore(join(dir.path, 'series.db'));
  const random = new Random(3);
  const rows: EnrichedRow[] = [];
  let p = 100;
  for (let i = 0; i < N; i++) {
    p *= Math.exp((random.next() - 0.5) * 0.01);
    rows.push(row(i, 'AAPL', p, i < 2 ? null : random.next()));
    if (i % 5 === 0) rows.push(row(i, 'MSFT', 400 + random.next(), 0.5));
  }
  store.writeBatch({ topic: 't', trades: rows, deadLetters: [], bars: [], offsets: new Map() });
});
after(() => {
  store.close();
  dir.cleanup();
});

const all = { fromMs: T0, toMs: T0 + N * 37 };

describe('series.query', () => {
  it('returns exactly the stored values when the range fits under the cap', () => {
    const r = querySeries(store.db, {
      symbols: ['AAPL'],
      range: all,
      metrics: ['price', 'vol_1m'],
      maxPoints: N,
    });
    const sql = store.db
      .prepare('SELECT ts, price, vol_1m FROM enriched_trades WHERE symbol = ? ORDER BY ts')
      .all('AAPL') as { ts: number; price: number; vol_1m: number | null }[];
    const price = r.series.find((s) => s.metric === 'price')!;
    assert.equal(price.downsampled, false);
    assert.deepEqual(
      price.t,
      sql.map((x) => x.ts),
    );
    assert.deepEqual(
      price.v,
      sql.map((x) => x.price),
    );
    const vol = r.series.find((s) => s.metric === 'vol_1m')!;
    assert.deepEqual(
      vol.v,
      sql.filter((x) => x.vol_1m !== null).map((x) => x.vol_1m),
      'nulls are gaps, not zeros',
    );
  });

  it('downsampled: at most maxPoints, and every bucket keeps its extremes and its last value (against SQL)', () => {
    const maxPoints = 300;
    const r = querySeries(store.db, {
      symbols: ['AAPL'],
      range: all,
      metrics: ['price'],
      maxPoints,
    });
    const s = r.series[0]!;
    assert.equal(s.downsampled, true);
    assert.equal(s.rows, N);
    assert.ok(s.t.length <= maxPoints, `${s.t.length} points`);
    // Read from the rollup: buckets of whole seconds on the plan's grid.
    const grid = rollupPlan(all.fromMs, all.toMs, maxPoints)!.grid;
    assert.ok(grid.buckets <= Math.floor(maxPoints / 3));
    for (let b = 0; b < grid.buckets; b++) {
      const from = Math.max(all.fromMs, grid.originMs + b * grid.widthMs);
      const to = Math.min(all.toMs, grid.originMs + (b + 1) * grid.widthMs);
      const ref = store.db
        .prepare(
          `SELECT min(price) AS lo, max(price) AS hi,
             (SELECT price FROM enriched_trades WHERE symbol = 'AAPL' AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT 1) AS last
           FROM enriched_trades WHERE symbol = 'AAPL' AND ts >= ? AND ts < ?`,
        )
        .get(from, to, from, to) as { lo: number | null; hi: number | null; last: number | null };
      if (ref.lo === null) continue;
      const got = s.v.filter((_, i) => s.t[i]! >= from && s.t[i]! < to);
      assert.ok(got.includes(ref.lo), `bucket ${b}: min ${ref.lo}`);
      assert.ok(got.includes(ref.hi!), `bucket ${b}: max ${ref.hi}`);
      assert.equal(got[got.length - 1], ref.last, `bucket ${b}: last`);
      assert.ok(got.length <= 3);
    }
    // Every point returned is a stored (ts, price) pair.
    const stored = new Set(
      (
        store.db.prepare("SELECT ts, price FROM enriched_trades WHERE symbol = 'AAPL'").all() as {
          ts: number;
          price: number;
        }[]
      ).map((x) => `${x.ts}:${x.price}`),
    );
    s.t.forEach((t, i) => assert.ok(stored.has(`${t}:${s.v[i]}`)));
  });

  it('rollup reads equal a raw read on the same grid, at any edges, every metric, any level', () => {
    const random = new Random(11);
    const metrics = ['price', 'vwap_5m', 'vol_1m', 'vol_1m_ann'] as const;
    let used = 0;
    for (let k = 0; k < 40; k++) {
      const a = all.fromMs - 5000 + Math.floor(random.next() * (all.toMs - all.fromMs));
      const b = a + 1 + Math.floor(random.next() * (all.toMs + 5000 - a));
      const maxPoints = 10 + Math.floor(random.next() * 400);
      const r = querySeries(store.db, {
        symbols: ['AAPL', 'MSFT'],
        range: { fromMs: a, toMs: b },
        metrics: [...metrics],
        maxPoints,
      });
      const plan = rollupPlan(a, b, maxPoints);
      for (const s of r.series) {
        const i = metrics.indexOf(s.metric as (typeof metrics)[number]);
        const raw = store.db
          .prepare(
            `SELECT ts, ${s.metric} AS v FROM enriched_trades WHERE symbol = ? AND ts >= ? AND ts < ?
             AND ${s.metric} IS NOT NULL ORDER BY ts, kafka_partition, kafka_offset`,
          )
          .all(s.symbol, a, b) as { ts: number; v: number }[];
        assert.equal(s.rows, raw.length, `${k} ${s.symbol} ${s.metric} rows`);
        assert.ok(s.t.length <= maxPoints);
        if (!s.downsampled) {
          assert.deepEqual(
            s.v,
            raw.map((x) => x.v),
            `${k}: exact`,
          );
          continue;
        }
        assert.ok(i >= 0);
        // From the rollup when a level fits (its grid), else raw rows in equal buckets.
        if (plan !== null) used++;
        const ref = new MinMaxLastSampler(a, b, maxPoints, plan?.grid);
        for (const x of raw) ref.push(x.ts, x.v);
        const want = ref.finish();
        assert.deepEqual(s.t, want.t, `${k} ${s.symbol} ${s.metric}: times`);
        assert.deepEqual(s.v, want.v, `${k} ${s.symbol} ${s.metric}: values`);
      }
    }
    assert.ok(used > 20, `${used} series from the rollup`);
  });

  it('a database from before the rollup is backfilled by bounded chunks and then read from it', () => {
    const file = join(dir.path, 'old.db');
    const old = new SqliteStore(file);
    const rows = (
      store.db
        .prepare("SELECT * FROM enriched_trades WHERE symbol = 'AAPL' ORDER BY id")
        .all() as (Omit<EnrichedRow, 'late'> & { id: number; late: number })[]
    ).map(({ id: _id, ...r }) => ({ ...r, late: r.late === 1 }));
    old.writeBatch({ topic: 't', trades: rows, deadLetters: [], bars: [], offsets: new Map() });
    // As if these rows had been stored before migration 4.
    old.db.exec('DELETE FROM series_rollup');
    old.db
      .prepare("INSERT INTO meta (key, value) VALUES ('rollup_backfill', ?)")
      .run(`0:${rows.length}`);
    const q = { symbols: ['AAPL'], range: all, metrics: ['price' as const], maxPoints: 300 };
    const before = querySeries(old.db, q).series[0]!;
    const writer = new RollupWriter(old.db);
    let chunks = 0;
    while (!old.db.transaction(() => backfillRollup(old.db, writer, 1200))()) chunks++;
    assert.equal(chunks, Math.floor(rows.length / 1200));
    assert.equal(rollupReady(old.db), true);
    const after = querySeries(old.db, q).series[0]!;
    assert.deepEqual(after, querySeries(store.db, q).series[0]);
    // Before the backfill it read raw rows (equal buckets): same extremes overall.
    assert.equal(Math.min(...before.v), Math.min(...after.v));
    assert.equal(Math.max(...before.v), Math.max(...after.v));
    old.close();
  });

  it('a live window ends at the newest stored trade; other symbols stay out', () => {
    const r = querySeries(store.db, {
      symbols: ['MSFT'],
      range: { lastMs: 60_000 },
      metrics: ['price'],
      maxPoints: 5000,
    });
    const newest = T0 + (N - 5) * 37;
    assert.equal(r.toMs, newest + 1);
    assert.equal(r.fromMs, newest + 1 - 60_000);
    assert.ok(r.series[0]!.t.every((t) => t > newest - 60_000 && t <= newest));
    assert.equal(r.series[0]!.t[r.series[0]!.t.length - 1], newest);
    assert.deepEqual(
      querySeries(store.db, {
        symbols: ['NONE'],
        range: { lastMs: 60_000 },
        metrics: ['price'],
        maxPoints: 10,
      }).series,
      [],
    );
  });

  it('reads the (symbol, ts, partition, offset) index with no sort', () => {
    const plan = (
      store.db.prepare(`EXPLAIN QUERY PLAN ${seriesSql(['price'])}`).all('AAPL', 0, 1) as {
        detail: string;
      }[]
    ).map((p) => p.detail);
    assert.ok(
      plan.some((d) => d.includes('enriched_trades_symbol_order')),
      plan.join('; '),
    );
    assert.ok(!plan.some((d) => d.includes('TEMP B-TREE')), plan.join('; '));
  });
});

describe('bars', () => {
  const bar = (m: number, o: number, h: number, l: number, c: number, v: number, vwap: number) => ({
    symbol: 'X',
    minute_start: m * 60_000,
    open: o,
    high: h,
    low: l,
    close: c,
    volume: v,
    trade_count: 2,
    vwap,
    parkinson_vol: Math.abs(Math.log(h / l)) / Math.sqrt(4 * Math.LN2),
    open_ts: m * 60_000,
    close_ts: m * 60_000 + 1,
  });
  it('merges minutes into wider bars: OHLC, summed volume, volume-weighted VWAP, Parkinson over the minutes', () => {
    const merged = mergeBars(
      [
        bar(0, 10, 12, 9, 11, 100, 10.5),
        bar(1, 11, 13, 10, 12, 300, 12),
        bar(2, 12, 12, 8, 9, 100, 10),
      ],
      2,
    );
    assert.equal(merged.length, 2);
    const m = merged[0]!;
    assert.deepEqual(
      [m.start, m.open, m.high, m.low, m.close, m.volume, m.trades],
      [0, 10, 13, 9, 12, 400, 4],
    );
    assert.equal(m.vwap, (10.5 * 100 + 12 * 300) / 400);
    const expected = Math.sqrt(
      (Math.log(12 / 9) ** 2 + Math.log(13 / 10) ** 2) / 2 / (4 * Math.LN2),
    );
    assert.ok(Math.abs(m.parkinson! - expected) < 1e-15);
    assert.equal(merged[1]!.start, 120_000);
  });
  it('bars.query returns one-minute bars under the cap, merged above it', () => {
    store.writeBatch({
      topic: 't',
      trades: [],
      deadLetters: [],
      offsets: new Map(),
      bars: Array.from({ length: 100 }, (_, i) => bar(i, 10, 11, 9, 10, 10, 10)),
    });
    const one = queryBars(store.db, {
      symbol: 'X',
      range: { fromMs: 0, toMs: 100 * 60_000 },
      maxBars: 100,
    });
    assert.equal(one.intervalMs, 60_000);
    assert.equal(one.bars.length, 100);
    const merged = queryBars(store.db, {
      symbol: 'X',
      range: { fromMs: 0, toMs: 100 * 60_000 },
      maxBars: 10,
    });
    assert.ok(merged.bars.length <= 10, `${merged.bars.length} bars`);
    assert.equal(
      merged.bars.reduce((s, b) => s + b.volume, 0),
      1000,
    );
  });
});

describe('alert tables', () => {
  it('rules: added once (an identical rule is the same rule), listed, removed with their states', () => {
    const a = addRule(store.db, { kind: 'threshold', metric: 'vol_1m_ann', above: 0.8 });
    const b = addRule(store.db, { kind: 'threshold', metric: 'vol_1m_ann', above: 0.8 });
    assert.equal(a.id, b.id);
    assert.ok(Math.abs(a.rearmBelow - 0.72) < 1e-12);
    assert.equal(a.description, 'all symbols: vol_1m_ann > 0.8 (re-arm < 0.72, cooldown 60 s)');
    assert.throws(
      () => addRule(store.db, { kind: 'threshold', metric: 'price', above: 1, rearmBelow: 2 }),
      /re-arm level/,
    );
    const alert = {
      ruleId: a.id,
      rule: a.description,
      symbol: 'AAPL',
      metric: 'vol_1m_ann' as const,
      kind: 'threshold' as const,
      value: 0.9,
      threshold: 0.8,
      metricValue: 0.9,
      price: 100,
      ts: T0,
      sourcePartition: 0,
      sourceOffset: 42,
    };
    const state = { armed: false, cooldownUntil: T0 + 60_000, mean: 0, var: 0, n: 0, lastTs: 0 };
    const batch = {
      topic: 't',
      trades: [],
      deadLetters: [],
      bars: [],
      offsets: new Map(),
      alerts: { alerts: [alert], changes: [{ ruleId: a.id, symbol: 'AAPL', state }] },
    };
    assert.equal(store.writeBatch(batch).length, 1);
    assert.equal(store.writeBatch(batch).length, 0, 'the same trade and rule is stored once');
    assert.deepEqual(store.alerts.state(a.id, 'AAPL'), state);
    assert.equal(alertHistory(store.db, { limit: 10 }).length, 1);
    assert.equal(removeRule(store.db, a.id), true);
    assert.equal(store.alerts.state(a.id, 'AAPL'), null);
    assert.deepEqual(listRules(store.db), []);
    assert.equal(
      store.writeBatch({
        ...batch,
        alerts: { alerts: [{ ...alert, sourceOffset: 43 }], changes: [] },
      }).length,
      0,
      'a removed rule fires nothing',
    );
  });
});
