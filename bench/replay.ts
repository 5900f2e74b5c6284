// Replay benchmark (issue 11): `replay --speed max` of a recorded-trades CSV into the topic,
// beside our simulator's producer at max and Kafka's ProducerPerformance, on the same local JVM
// broker in the same run, three rounds (medians and each figure). The replay runs as the service
// and the CLI run it: startReplay, in its own worker thread (a counting pass, then the send). Two
// files with the same trades: in timestamp order, and out of order (blocks of 1,000 reversed:
// the on-disk sort runs). Results: stdout and bench/out/replay-results.md.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayOptionsSchema, type ReplayResult } from '../contract/replay.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { freePorts } from '../main/net-util.js';
import { APP_ROOT } from '../main/paths.js';
import { startReplay } from '../main/replay/replay-stage.js';
import { runProducer } from '../main/simulator/producer.js';
import { TradeSimulator } from '../main/simulator/trade-simulator.js';
import { kafkaTool, machineLines } from './pipeline.js';

const N = Number(process.env.VI_BENCH_MESSAGES ?? 200_000);
const SIM_START = Date.UTC(2025, 6, 7, 14);
const ROUNDS = Number(process.env.VI_BENCH_ROUNDS ?? 3);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The simulator's trades as a time,ticker,price,size CSV; `unsorted` reverses each block of 1,000. */
function writeCsv(path: string, unsorted: boolean): void {
  const sim = new TradeSimulator({ seed: 1, stepMs: 1, simulatedStart: SIM_START });
  const rows: string[] = [];
  for (let i = 0; i < N; i++) {
    const t = sim.next(Date.now());
    rows.push(`${t.timestamp},${t.symbol},${t.price},${t.volume}`);
  }
  if (unsorted) {
    for (let i = 0; i < rows.length; i += 1000) {
      const block = rows.slice(i, i + 1000).reverse();
      rows.splice(i, block.length, ...block);
    }
  }
  writeFileSync(path, `time,ticker,price,size\n${rows.join('\n')}\n`);
}

async function replayMax(
  broker: JvmBrokerProvider,
  file: string,
  topic: string,
): Promise<{ result: ReplayResult; seconds: number; sendSeconds: number }> {
  const started = performance.now();
  let firstSent = 0;
  const handle = startReplay(
    file,
    ReplayOptionsSchema.parse({ speed: 'max', topic }),
    broker.connection(),
    (p) => {
      if (firstSent === 0 && p.rowsSent > 0) firstSent = performance.now();
    },
  );
  const result = await handle.done;
  const ended = performance.now();
  return {
    result,
    seconds: (ended - started) / 1000,
    // From the first progress event with trades sent (events come a few times a second).
    sendSeconds: (ended - (firstSent || started)) / 1000,
  };
}

export async function runReplayBenchmark(): Promise<void> {
  const machine = machineLines();
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-replay-'));
  const [port, controllerPort] = await freePorts(2);
  const broker = new JvmBrokerProvider({ port, controllerPort, dataDir: join(dir, 'kafka') });
  await broker.start();
  const bootstrap = broker.connection().brokers.join(',');
  try {
    const sortedCsv = join(dir, 'sorted.csv');
    const unsortedCsv = join(dir, 'unsorted.csv');
    writeCsv(sortedCsv, false);
    writeCsv(unsortedCsv, true);

    // Three rounds, each: replay in order, replay out of order, simulator, ProducerPerformance,
    // each into its own topic; medians (the first round also pays the new broker's warm-up).
    const sortedRuns: Awaited<ReturnType<typeof replayMax>>[] = [];
    const unsortedRuns: Awaited<ReturnType<typeof replayMax>>[] = [];
    const simRates: number[] = [];
    const refRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      sortedRuns.push(await replayMax(broker, sortedCsv, `bench_replay_sorted_${round}`));
      unsortedRuns.push(await replayMax(broker, unsortedCsv, `bench_replay_unsorted_${round}`));
      for (const r of [sortedRuns.at(-1)!, unsortedRuns.at(-1)!]) {
        if (r.result.rowsSent !== N || r.result.badRows !== 0) {
          throw new Error(
            `replay sent ${r.result.rowsSent} of ${N} (${r.result.badRows} bad rows)`,
          );
        }
      }
      const simStarted = performance.now();
      const sim = await runProducer({
        connection: broker.connection(),
        topic: `bench_sim_${round}`,
        rate: 'max',
        count: N,
        partitions: 3,
        simulator: { seed: 1, stepMs: 1, simulatedStart: SIM_START },
      });
      simRates.push(sim.produced / ((performance.now() - simStarted) / 1000));
      await kafkaTool(broker, 'org.apache.kafka.tools.TopicCommand', [
        '--bootstrap-server',
        bootstrap,
        '--create',
        '--topic',
        `bench_ref_${round}`,
        '--partitions',
        '3',
        '--replication-factor',
        '1',
      ]).catch(() => '');
      const ref = await kafkaTool(broker, 'org.apache.kafka.tools.ProducerPerformance', [
        '--topic',
        `bench_ref_${round}`,
        '--num-records',
        String(N),
        '--record-size',
        '90',
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${bootstrap}`,
        'acks=all',
        'enable.idempotence=true',
      ]);
      refRates.push(
        Number(
          /([\d.]+) records\/sec/.exec(ref.split('\n').filter(Boolean).at(-1) ?? '')?.[1] ?? NaN,
        ),
      );
    }
    const all = (xs: number[]) => xs.map(fmt).join(', ');
    const sortedRates = sortedRuns.map((r) => N / r.seconds);
    const sortedSendRates = sortedRuns.map((r) => N / r.sendSeconds);
    const unsortedRates = unsortedRuns.map((r) => N / r.seconds);

    const mb = (f: string) => (statSync(f).size / 1e6).toFixed(1);
    const rows: [string, string, number[]][] = [
      [
        `replay --speed max, CSV in order (${mb(sortedCsv)} MB)`,
        'start → done (count pass + send)',
        sortedRates,
      ],
      ['replay --speed max, CSV in order', 'first trades sent → done', sortedSendRates],
      [
        `replay --speed max, CSV out of order (${mb(unsortedCsv)} MB)`,
        'start → done (count + sort + send)',
        unsortedRates,
      ],
      ['simulator producer, rate max (in-process)', 'start → done', simRates],
      ['Kafka ProducerPerformance (Java, 90-byte records, idempotent)', 'its own', refRates],
    ];
    const m = rows.map((r) => median(r[2]));
    const out = [
      `Replay throughput, ${fmt(N)} trades, ${ROUNDS} rounds, ${new Date().toISOString()}`,
      ...machine,
      '',
      '| producer | timed | trades/s (median) | each round |',
      '| --- | --- | ---: | --- |',
      ...rows.map(
        ([what, how, rates], i) => `| ${what} | ${how} | ${fmt(m[i]!)} | ${all(rates)} |`,
      ),
      '',
      `- replay in order, start → done: ${(m[0]! / m[3]!).toFixed(2)}× the simulator, ${(m[0]! / m[4]!).toFixed(2)}× ProducerPerformance`,
      `- replay in order, sending: ${(m[1]! / m[3]!).toFixed(2)}× the simulator, ${(m[1]! / m[4]!).toFixed(2)}× ProducerPerformance`,
    ].join('\n');
    console.log(`\n${out}`);
    mkdirSync(join(APP_ROOT, 'bench', 'out'), { recursive: true });
    writeFileSync(join(APP_ROOT, 'bench', 'out', 'replay-results.md'), out + '\n');
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
