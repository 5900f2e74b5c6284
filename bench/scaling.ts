// How cost grows (`npm run bench -- scaling`): enrichment rate and memory with 6, 60, 600 and
// 6,000 symbols and with 1, 3 and 12 partitions (100,000 trades each, in-process enricher, rate
// from its first stored batch), and the restart cost with 1 and 10 million stored rows (rows
// generated straight into SQLite with bench/sample-data.ts; VI_BENCH_RESTART_ROWS to change).
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnrichRequestSchema } from '../contract/pipeline.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { AnalyticsEngine } from '../main/enrich/analytics-engine.js';
import { runEnricher } from '../main/enrich/consumer.js';
import { freePorts } from '../main/net-util.js';
import { APP_ROOT } from '../main/paths.js';
import { runProducer } from '../main/simulator/producer.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { machineLines } from './pipeline.js';
import { insertSampleTrades } from './sample-data.js';

const N = Number(process.env.VI_BENCH_MESSAGES ?? 100_000);
const RESTART_ROWS = (process.env.VI_BENCH_RESTART_ROWS ?? '1000000,10000000')
  .split(',')
  .map(Number);
const MiB = 1024 * 1024;
const RESTART_HEADER =
  '| stored rows | file (GiB) | open + offsets (ms) | restore symbols (ms) | total (ms) | generating took (s) |';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function symbolNames(n: number): string[] {
  // Ticker-shaped names: S0 … S5999.
  return Array.from({ length: n }, (_, i) => `S${i}`);
}

export async function runScalingBenchmark(): Promise<void> {
  const machine = machineLines();
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-scaling-'));
  const [port, controllerPort] = await freePorts(2);
  const broker = new JvmBrokerProvider({ port, controllerPort, dataDir: join(dir, 'kafka') });
  await broker.start();
  const connection = broker.connection();
  const lines: string[] = [];
  try {
    const run = async (label: string, symbols: number, partitions: number) => {
      const topic = `scale_${symbols}_${partitions}`;
      await runProducer({
        connection,
        topic,
        rate: 'max',
        count: N,
        partitions,
        simulator: {
          seed: 5,
          stepMs: 10,
          simulatedStart: Date.UTC(2025, 6, 7, 14),
          ...(symbols === 6 ? {} : { symbols: symbolNames(symbols) }),
        },
      });
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 100);
      let first = 0;
      let last = 0;
      await runEnricher({
        request: EnrichRequestSchema.parse({
          connection,
          db: join(dir, `${topic}.db`),
          sourceTopic: topic,
          enrichedTopic: `${topic}_enriched`,
          deadLetterTopic: `${topic}_dlq`,
          untilIdleMs: 500,
        }),
        onStats: (s) => {
          if (s.enriched > 0 && first === 0) first = performance.now();
          if (s.enriched >= N && last === 0) last = performance.now();
        },
      });
      clearInterval(sampler);
      // The analytics state alone, rebuilt the way the enricher holds it, for this symbol count.
      const engine = new AnalyticsEngine({ gracePeriodMs: 5000 });
      const store = new SqliteStore(join(dir, `${topic}.db`));
      const heap0 = process.memoryUsage().heapUsed;
      for (const row of store.db
        .prepare('SELECT ts, symbol, price, volume FROM enriched_trades ORDER BY ts')
        .iterate() as IterableIterator<{
        ts: number;
        symbol: string;
        price: number;
        volume: number;
      }>) {
        engine.process(row);
      }
      const heapState = process.memoryUsage().heapUsed - heap0;
      store.close();
      const rate = N / ((last - first) / 1000);
      lines.push(
        `| ${label} | ${fmt(symbols)} | ${partitions} | ${fmt(rate)} | ${((peakRss - rssBefore) / MiB).toFixed(0)} | ${(heapState / MiB).toFixed(1)} |`,
      );
      console.log(lines.at(-1));
    };
    for (const s of [6, 60, 600, 6000]) await run('symbols', s, 3);
    for (const p of [1, 12]) await run('partitions', 6, p);

    const restart = await restartCosts(dir);
    const out = [
      `How cost grows, ${new Date().toISOString()}`,
      ...machine,
      '',
      `Enrichment of ${fmt(N)} trades per row (in-process, rate from the first stored batch; RSS growth of the process over the run; heap of the analytics state alone after all trades):`,
      '',
      '| varied | symbols | partitions | trades/s | RSS growth (MiB) | analytics heap (MiB) |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...lines,
      '',
      'Restart with stored rows (warm page cache; the Kafka group join, ~constant, not included):',
      '',
      RESTART_HEADER,
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...restart,
    ].join('\n');
    console.log(`\n${out}`);
    mkdirSync(join(APP_ROOT, 'bench', 'out'), { recursive: true });
    writeFileSync(join(APP_ROOT, 'bench', 'out', 'scaling-results.md'), out + '\n');
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Restart cost with 1M/10M stored rows, as table rows (no broker needed). */
export async function restartCosts(dir: string): Promise<string[]> {
  const restart: string[] = [];
  for (const rows of RESTART_ROWS) {
    const file = join(dir, `restart-${rows}.db`);
    const gen = performance.now();
    const seed = new SqliteStore(file);
    insertSampleTrades(seed.db, rows);
    seed.close();
    const genS = (performance.now() - gen) / 1000;
    // What a restart does before its first batch: open (migrations checked), read the stored
    // offsets, and restore each symbol on its first trade (index range reads).
    const started = performance.now();
    const store = new SqliteStore(file);
    store.storedOffsets('bench_trades');
    const opened = performance.now();
    const symbols = store.db.prepare('SELECT DISTINCT symbol FROM enriched_trades').all() as {
      symbol: string;
    }[];
    const listed = performance.now();
    const engine = new AnalyticsEngine(
      { gracePeriodMs: 5000 },
      { loader: (symbol) => store.symbolSnapshot(symbol, 5000) },
    );
    for (const { symbol } of symbols) {
      engine.process({ ts: Date.UTC(2030, 0, 1), symbol, price: 100, volume: 1 });
    }
    const restored = performance.now();
    store.close();
    const size = statSync(file).size;
    restart.push(
      `| ${fmt(rows)} | ${(size / 2 ** 30).toFixed(2)} | ${(opened - started).toFixed(0)} | ${(restored - listed).toFixed(0)} (${symbols.length} symbols) | ${(restored - started - (listed - opened)).toFixed(0)} | ${genS.toFixed(0)} |`,
    );
    console.log(restart.at(-1));
    rmSync(file, { force: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
  }
  return restart;
}

/** `npm run bench -- restart`: only the restart part of the scaling benchmark. */
export async function runRestartBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-restart-'));
  try {
    const rows = await restartCosts(dir);
    const out = [
      `Restart with stored rows, ${new Date().toISOString()}`,
      ...machineLines(),
      '',
      RESTART_HEADER,
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
    ].join('\n');
    console.log(`\n${out}`);
    mkdirSync(join(APP_ROOT, 'bench', 'out'), { recursive: true });
    writeFileSync(join(APP_ROOT, 'bench', 'out', 'restart-results.md'), out + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
