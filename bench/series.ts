// series.query benchmark (issue 9): one symbol with 1,000,000 stored trades, read back over its
// whole range at 1,000 points per series, through the same code the service runs (querySeries,
// bars), from a file database written by the consumer's own insert statement.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../main/simulator/random.js';
import { openDatabase } from '../main/store/open-database.js';
import { INSERT_TRADE_SQL, SqliteStore, type EnrichedRow } from '../main/store/sqlite-store.js';
import { backfillRollup, BACKFILL_KEY, RollupWriter } from '../main/store/series-rollup.js';
import { queryBars, querySeries } from '../main/store/series-query.js';
import type { SeriesMetric } from '../contract/charts.js';

const ROWS = 1_000_000;
const START = Date.UTC(2025, 6, 7, 13, 30, 0);

/** 1M AAPL trades 20 ms apart (~5.6 h), plus 100k of another symbol around them; bars per minute. */
function fill(file: string): void {
  const db = openDatabase(file);
  const insert = db.prepare(INSERT_TRADE_SQL);
  const bar = db.prepare(
    `INSERT OR REPLACE INTO bars (symbol, minute_start, open, high, low, close, volume, trade_count, vwap, parkinson_vol, open_ts, close_ts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const random = new Random(9);
  const tx = db.transaction((from: number, to: number) => {
    for (const [symbol, every] of [
      ['AAPL', 1],
      ['MSFT', 10],
    ] as const) {
      let price = symbol === 'AAPL' ? 210 : 495;
      let minute = -1;
      let o = 0;
      let hi = 0;
      let lo = 0;
      let n = 0;
      for (let i = from; i < to; i += every) {
        const ts = START + i * 20;
        const r = (random.next() - 0.5) * 0.001;
        price *= Math.exp(r);
        const vol = 0.0003 + random.next() * 0.0001;
        insert.run(
          ts,
          symbol,
          price,
          100,
          r,
          vol,
          vol * 1.1,
          vol * 270,
          vol * 290,
          vol * 0.9,
          vol * 250,
          price * 0.999,
          0,
          'regular',
          'NASDAQ',
          null,
          null,
          null,
          null,
          null,
          symbol === 'AAPL' ? 0 : 1,
          i,
        );
        const m = Math.floor(ts / 60_000) * 60_000;
        if (m !== minute) {
          if (n > 0)
            bar.run(
              symbol,
              minute,
              o,
              hi,
              lo,
              price,
              n * 100,
              n,
              price,
              Math.log(hi / lo) / 1.665,
              minute,
              minute + 59_000,
            );
          minute = m;
          o = hi = lo = price;
          n = 0;
        }
        hi = Math.max(hi, price);
        lo = Math.min(lo, price);
        n++;
      }
    }
  });
  for (let i = 0; i < ROWS; i += 100_000) tx(i, i + 100_000);
  // Rows inserted past the store: build their rollup as a pre-migration database would be.
  const t = performance.now();
  db.prepare('INSERT INTO meta (key, value) SELECT ?, ? || MAX(id) FROM enriched_trades').run(
    BACKFILL_KEY,
    '0:',
  );
  const writer = new RollupWriter(db);
  let chunks = 0;
  while (!db.transaction(() => backfillRollup(db, writer, 100_000)).immediate()) chunks++;
  const ms = performance.now() - t;
  console.log(
    `rollup backfill of ${(ROWS * 1.1).toLocaleString('en-US')} rows: ${chunks + 1} chunks of 100,000, ${(ms / 1000).toFixed(1)} s (${Math.round((ROWS * 1.1) / (ms / 1000)).toLocaleString('en-US')} rows/s)`,
  );
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/**
 * writeBatch's throughput with and without the rollup: 240,000 enriched trades over 6 symbols at
 * 1,000 trades/s of trade time, in batches of 500 (the consumer's order of magnitude), into
 * fresh file databases; runs alternate so load drifts hit both.
 */
function writeCost(dir: string): void {
  const symbols = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'META'];
  const random = new Random(5);
  const rows: EnrichedRow[] = [];
  for (let i = 0; i < 240_000; i++) {
    const v = 0.0003 + random.next() * 0.0001;
    const price = 100 + random.next();
    rows.push({
      ts: START + i,
      symbol: symbols[i % 6]!,
      price,
      volume: 100,
      log_return: v,
      vol_1m: v,
      vol_5m: v,
      vol_1m_ann: v * 270,
      vol_5m_ann: v * 290,
      ewma_vol: v,
      ewma_vol_ann: v * 250,
      vwap_5m: price,
      late: false,
      session: 'regular',
      exchange: 'NASDAQ',
      company: 'Apple Inc.',
      sector: 'Technology',
      weather_temp_c: 21.5,
      weather_condition: 'Clear',
      weather_error: null,
      kafka_partition: i % 3,
      kafka_offset: i,
    });
  }
  const rate = (rollup: boolean, run: number): number => {
    const store = new SqliteStore(join(dir, `write-${rollup}-${run}.db`), { rollup });
    const t = performance.now();
    for (let i = 0; i < rows.length; i += 500) {
      const trades = rows.slice(i, i + 500);
      store.writeBatch({
        topic: 't',
        trades,
        deadLetters: [],
        bars: [],
        offsets: new Map([[0, i + 500]]),
      });
    }
    const r = rows.length / ((performance.now() - t) / 1000);
    store.close();
    return r;
  };
  const without: number[] = [];
  const withRollup: number[] = [];
  for (let run = 0; run < 3; run++) {
    without.push(rate(false, run));
    withRollup.push(rate(true, run));
  }
  const f = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ');
  console.log('\nwriteBatch, 240,000 trades in batches of 500 (rows/s, runs 1/2/3, median):');
  console.log(`| without rollup | ${f(without)} | ${f([median(without)])} |`);
  console.log(`| with rollup | ${f(withRollup)} | ${f([median(withRollup)])} |`);
  console.log(
    `rollup cost: ${((1 - median(withRollup) / median(without)) * 100).toFixed(1)}% of writeBatch throughput`,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runSeriesBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-series-'));
  try {
    const file = join(dir, 'series.db');
    const t0 = performance.now();
    fill(file);
    console.log(
      `filled ${ROWS.toLocaleString('en-US')} AAPL rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const db = openDatabase(file);
    const range = { fromMs: START, toMs: START + ROWS * 20 };
    const cases: { name: string; metrics: SeriesMetric[] }[] = [
      { name: 'price', metrics: ['price'] },
      { name: 'price + vwap_5m (the price panel)', metrics: ['price', 'vwap_5m'] },
      {
        name: 'vol_1m + vol_5m + ewma_vol, annualised (the volatility panel)',
        metrics: ['vol_1m_ann', 'vol_5m_ann', 'ewma_vol_ann'],
      },
    ];
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? '?';
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`\n${model}, nproc ${cpus().length}, Node ${process.version}, load ${load}`);
    console.log('| query | rows read | points per series | run 1 | run 2 | run 3 | median |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const c of cases) {
      const times: number[] = [];
      let rows = 0;
      let points = 0;
      for (let run = 0; run < 3; run++) {
        const t = performance.now();
        const r = querySeries(db, {
          symbols: ['AAPL'],
          range,
          metrics: c.metrics,
          maxPoints: 1000,
        });
        times.push(performance.now() - t);
        rows = r.series[0]!.rows;
        points = Math.max(...r.series.map((s) => s.t.length));
      }
      console.log(
        `| ${c.name} | ${rows.toLocaleString('en-US')} | ${points} | ${times.map((x) => `${x.toFixed(0)} ms`).join(' | ')} | ${median(times).toFixed(0)} ms |`,
      );
    }
    const bt: number[] = [];
    let nb = 0;
    for (let run = 0; run < 3; run++) {
      const t = performance.now();
      nb = queryBars(db, { symbol: 'AAPL', range, maxBars: 1000 }).bars.length;
      bt.push(performance.now() - t);
    }
    console.log(
      `| bars.query (${Math.round((ROWS * 20) / 60_000)} one-minute bars) | | ${nb} | ${bt.map((x) => `${x.toFixed(0)} ms`).join(' | ')} | ${median(bt).toFixed(0)} ms |`,
    );
    db.close();
    writeCost(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { fill };
if (import.meta.url === `file://${process.argv[1]}`) await runSeriesBenchmark();
