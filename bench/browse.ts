// The topic browser on a 1,000,000-message topic (issue 8): the first page from a timestamp
// (merged across 3 partitions, Kafka's offsets-for-times, then a k-way merge), pages from newest,
// and a filtered scan rate (a filter nothing matches, one scan budget of 100,000), each through
// the core service's `messages.read` exactly as a view calls it (a fresh connection per page);
// beside kcat doing the same seek (`-o s@<ms> -c 100`) and the same 100,000-message read, where
// kcat is installed. Target: the first page in under 1 s.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { createKafka } from '../main/kafka/connection.js';
import { freePorts } from '../main/net-util.js';
import { VolatilityService, createLocalApi } from '../main/service.js';

const TOTAL = Number(process.env.VI_BENCH_MESSAGES ?? 1_000_000);
const TOPIC = 'bench_browse';
const PARTITIONS = 3;
const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'TSLA', 'META'];
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function kcatAvailable(): boolean {
  return spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status === 0;
}

/** Wall time of one kcat run, in ms, and the lines it printed. */
function kcat(args: string[]): { ms: number; lines: number } {
  const started = performance.now();
  const r = spawnSync('kcat', args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`kcat ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, lines: r.stdout.split('\n').filter(Boolean).length };
}

export async function runBrowseBenchmark(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vi-bench-browse-'));
  const [port, controllerPort] = await freePorts(2);
  const provider = new JvmBrokerProvider({
    port: port!,
    controllerPort: controllerPort!,
    dataDir,
    heap: '1g',
  });
  const home = mkdtempSync(join(tmpdir(), 'vi-bench-browse-home-'));
  await provider.start({ timeoutMs: 120_000 });
  const connection = provider.connection();
  const brokers = connection.brokers.join(',');
  try {
    const kafka = createKafka(connection);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: PARTITIONS }],
      waitForLeaders: true,
    });
    await admin.disconnect();

    // 1,000,000 trades, message i at T0 + i ms in partition i % 3 (so every partition's
    // timestamps rise and the merged order is i's order).
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const loadStarted = performance.now();
    const BATCH = 5000;
    for (let start = 0; start < TOTAL; start += BATCH * 4) {
      await Promise.all(
        [0, 1, 2, 3].map((k) => {
          const from = start + k * BATCH;
          if (from >= TOTAL) return Promise.resolve();
          return producer.send({
            topic: TOPIC,
            acks: 1,
            messages: Array.from({ length: Math.min(BATCH, TOTAL - from) }, (_, j) => {
              const i = from + j;
              return {
                partition: i % PARTITIONS,
                key: SYMBOLS[i % SYMBOLS.length]!,
                timestamp: String(T0 + i),
                value: JSON.stringify({
                  timestamp: new Date(T0 + i).toISOString(),
                  symbol: SYMBOLS[i % SYMBOLS.length],
                  price: 100 + (i % 1000) / 10,
                  volume: i % 5000,
                }),
              };
            }),
          });
        }),
      );
    }
    await producer.disconnect();
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: home };
    delete env.KAFKA_BROKERS;
    const service = new VolatilityService({ env, brokers: connection.brokers });
    const api = createLocalApi(service, { trusted: false });

    const mid = T0 + Math.floor(TOTAL / 2);
    const fromTime: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const ts = mid + r * 1013;
      const started = performance.now();
      const page = await api.call('messages.read', {
        topic: TOPIC,
        from: { kind: 'timestamp', ts },
      });
      fromTime.push(performance.now() - started);
      if (page.records.length !== 100 || page.records[0]!.timestamp !== ts) {
        throw new Error(
          `the page from ${ts} starts at ${page.records[0]?.timestamp} with ${page.records.length} records`,
        );
      }
    }
    const newest: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const started = performance.now();
      await api.call('messages.read', { topic: TOPIC });
      newest.push(performance.now() - started);
    }
    const scanRates: number[] = [];
    for (let r = 0; r < 3; r++) {
      const started = performance.now();
      const page = await api.call('messages.read', {
        topic: TOPIC,
        from: { kind: 'timestamp', ts: T0 + r * 200_000 },
        filter: { fields: [{ field: 'symbol', op: '=', value: 'NONE' }] },
        scanBudget: 100_000,
      });
      const seconds = (performance.now() - started) / 1000;
      if (page.scanned !== 100_000 || !page.budgetExhausted)
        throw new Error(`scanned ${page.scanned}`);
      scanRates.push(page.scanned / seconds);
    }
    const matchRates: number[] = [];
    for (let r = 0; r < 3; r++) {
      const started = performance.now();
      const page = await api.call('messages.read', {
        topic: TOPIC,
        filter: {
          fields: [
            { field: 'symbol', op: '=', value: 'TSLA' },
            { field: 'price', op: '>', value: '199' },
          ],
        },
        limit: 1000,
      });
      matchRates.push(page.scanned / ((performance.now() - started) / 1000));
    }
    await service.shutdown();
    api.close();

    let kcatLines: string[] = ['kcat is not installed here: `apt-get install -y kcat` to compare.'];
    if (kcatAvailable()) {
      const seek: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const ts = mid + r * 1013;
        const k = kcat([
          '-C',
          '-b',
          brokers,
          '-t',
          TOPIC,
          '-o',
          `s@${ts}`,
          '-c',
          '100',
          '-e',
          '-q',
        ]);
        if (k.lines !== 100) throw new Error(`kcat printed ${k.lines} lines`);
        seek.push(k.ms);
      }
      const read: number[] = [];
      for (let r = 0; r < 3; r++) {
        const k = kcat([
          '-C',
          '-b',
          brokers,
          '-t',
          TOPIC,
          '-o',
          `s@${T0 + r * 200_000}`,
          '-c',
          '100000',
          '-e',
          '-q',
        ]);
        read.push(k.lines / (k.ms / 1000));
      }
      const about = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout;
      const version = `kcat ${/Version (\S+)/.exec(about)?.[1] ?? ''}`;
      kcatLines = [
        `| first 100 from a timestamp (all partitions) | ${version.trim()} \`-o s@<ms> -c 100\` | ${seek.map((x) => x.toFixed(0)).join(', ')} ms | median ${median(seek).toFixed(0)} ms |`,
        `| read 100,000 from a timestamp (no filter: kcat has none) | kcat \`-c 100000\` | ${read.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')} msg/s | median ${Math.round(median(read)).toLocaleString('en-US')} msg/s |`,
      ];
    }

    const fmtMs = (xs: number[]) => `${xs.map((x) => x.toFixed(0)).join(', ')} ms`;
    const fmtRate = (xs: number[]) =>
      `${xs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')} msg/s`;
    const lines = [
      `Topic browser on ${TOTAL.toLocaleString('en-US')} messages (${PARTITIONS} partitions, ~90-byte JSON trades; loaded in ${loadSeconds.toFixed(1)} s), ${new Date().toISOString().slice(0, 10)}, ${cpus().length}-core ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}:`,
      '',
      '| what | tool | runs | result |',
      '| --- | --- | --- | ---: |',
      `| first page (100) from a timestamp, merged | messages.read | ${fmtMs(fromTime)} | median ${median(fromTime).toFixed(0)} ms |`,
      `| first page (100) from newest, merged | messages.read | ${fmtMs(newest)} | median ${median(newest).toFixed(0)} ms |`,
      `| filtered scan, nothing matches, budget 100,000 | messages.read \`symbol = NONE\` | ${fmtRate(scanRates)} | median ${Math.round(median(scanRates)).toLocaleString('en-US')} msg/s |`,
      `| filtered read back from newest, ~0.13% match, budget 100,000 | messages.read \`symbol = TSLA and price > 199\` | ${fmtRate(matchRates)} | median ${Math.round(median(matchRates)).toLocaleString('en-US')} msg/s scanned |`,
      ...kcatLines,
    ];
    console.log(lines.join('\n'));
    mkdirSync(join('bench', 'out'), { recursive: true });
    writeFileSync(join('bench', 'out', 'browse-results.md'), `${lines.join('\n')}\n`);
  } finally {
    await provider.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runBrowseBenchmark();
