// Pipeline throughput beside Apache Kafka's own perf tools and the seed's Python client, on the
// same local JVM broker, in the same run:
// - producers: our idempotent simulator producer, Kafka's ProducerPerformance (same record count
//   and size, acks=all, idempotence on) and kafka-python (the seed's client) sending the very
//   same messages (bench/producer_kafka_python.py);
// - consumers: our enrichment (parse, analytics, context, publish enriched, SQLite) vs
//   ConsumerPerformance (reads only), both timed from process launch to exit, plus the
//   enrichment's rate from its first stored batch (in-process) beside ConsumerPerformance's own
//   steady-state figure. Ratios are what to compare. Results: stdout and bench/out/pipeline-results.md.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EnrichRequestSchema } from '../contract/pipeline.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { runEnricher } from '../main/enrich/consumer.js';
import { freePorts } from '../main/net-util.js';
import { APP_ROOT } from '../main/paths.js';
import { runProducer } from '../main/simulator/producer.js';
import { TradeSimulator } from '../main/simulator/trade-simulator.js';
import { builtCli } from '../bin/node-dist.mjs';

const exec = promisify(execFile);
const N = Number(process.env.VI_BENCH_MESSAGES ?? 200_000);
const SIM_START = Date.UTC(2025, 6, 7, 14);
const PIP_LINE = 'python3 -m pip install kafka-python';

export async function kafkaTool(
  broker: JvmBrokerProvider,
  main: string,
  args: string[],
): Promise<string> {
  const { stdout } = await exec(
    'java',
    [
      '-Xmx512m',
      '-cp',
      join(broker.kafkaHome, 'libs', '*'),
      `-Dlog4j2.configurationFile=${join(broker.kafkaHome, 'log4j2.yaml')}`,
      main,
      ...args,
    ],
    { maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 },
  );
  return stdout;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - started) / 1000 };
}

/** Runs a command to its end; rejects with its stderr's tail on a non-zero exit. */
export function runChild(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${cmd} exited with ${code}: ${err.slice(-2000)}`)),
    );
  });
}

export function machineLines(): string[] {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? '?';
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return [
    `- CPU: ${model}, nproc ${cpus().length}; memory ${(memKb / 1024 / 1024).toFixed(1)} GiB`,
    `- Node ${process.version}; Kafka 4.1.2 (local JVM broker, one node)`,
    `- load average when the run started: ${load} (a shared machine: other work may run beside it)`,
  ];
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function runPipelineBenchmark(): Promise<void> {
  const kp = await runChild('python3', ['-c', 'import kafka; print(kafka.__version__)']).catch(
    () => {
      throw new Error(`kafka-python missing for the comparison: run \`${PIP_LINE}\``);
    },
  );
  const machine = machineLines();
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-pipeline-'));
  const [port, controllerPort] = await freePorts(2);
  const broker = new JvmBrokerProvider({ port, controllerPort, dataDir: join(dir, 'kafka') });
  await broker.start();
  const bootstrap = broker.connection().brokers.join(',');
  const createTopic = (topic: string) =>
    kafkaTool(broker, 'org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      topic,
      '--partitions',
      '3',
      '--replication-factor',
      '1',
    ]).catch(() => '');
  try {
    // Our producer: seed-format JSON trades (~90 bytes), keyed by symbol, 3 partitions.
    const ours = await timed(() =>
      runProducer({
        connection: broker.connection(),
        topic: 'bench_trades',
        rate: 'max',
        count: N,
        partitions: 3,
        simulator: { seed: 1, stepMs: 1, simulatedStart: SIM_START },
      }),
    );
    // Kafka's ProducerPerformance: same count, 90-byte records, same guarantees, 3 partitions.
    await createTopic('bench_ref');
    const refProducer = await timed(() =>
      kafkaTool(broker, 'org.apache.kafka.tools.ProducerPerformance', [
        '--topic',
        'bench_ref',
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
      ]),
    );
    const refProducerRate = Number(
      /([\d.]+) records\/sec/.exec(
        refProducer.result.split('\n').filter(Boolean).at(-1) ?? '',
      )?.[1] ?? NaN,
    );
    // kafka-python with the same messages: the same seeded simulator, written to a file first.
    const sim = new TradeSimulator({ seed: 1, stepMs: 1, simulatedStart: SIM_START });
    const lines: string[] = [];
    for (let i = 0; i < N; i++) {
      const t = sim.next(Date.now());
      lines.push(`${t.symbol}\t${JSON.stringify(t)}`);
    }
    const messagesFile = join(dir, 'messages.tsv');
    writeFileSync(messagesFile, lines.join('\n') + '\n');
    await createTopic('bench_kafka_python');
    const kpOut = JSON.parse(
      await runChild('python3', [
        join(APP_ROOT, 'bench', 'producer_kafka_python.py'),
        bootstrap,
        'bench_kafka_python',
        messagesFile,
      ]),
    ) as { messages: number; seconds: number };
    const kpRate = kpOut.messages / kpOut.seconds;

    // Our enrichment as the CLI runs it, timed from process launch (load, connect, group join,
    // all 200k stored, the --until-idle wait, exit), from a new database. The CLI runs from
    // dist/, as after `npm install` (its postinstall builds it): built here first if stale.
    await builtCli(APP_ROOT);
    const cliEnrich = await timed(() =>
      runChild(process.execPath, [
        join(APP_ROOT, 'bin', 'volatility-insight.mjs'),
        'enrich',
        '--brokers',
        bootstrap,
        '--db',
        join(dir, 'cli.db'),
        '--topic',
        'bench_trades',
        '--enriched-topic',
        'bench_enriched_cli',
        '--dlq-topic',
        'bench_dlq_cli',
        '--until-idle',
        '500',
      ]),
    );
    const cliRate = N / cliEnrich.seconds;
    // Kafka's ConsumerPerformance over the same topic (reads and discards), from JVM launch.
    const refConsumer = await timed(() =>
      kafkaTool(broker, 'org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server',
        bootstrap,
        '--topic',
        'bench_trades',
        '--messages',
        String(N),
        '--timeout',
        '60000',
      ]),
    );
    const consumerLine = refConsumer.result.trim().split('\n').at(-1) ?? '';
    const refSteadyRate = Number(consumerLine.split(',')[5]);
    const refLaunchRate = N / refConsumer.seconds;
    // Our enrichment in-process, rate from its first stored batch to the last (steady state).
    let first = 0;
    let last = 0;
    await runEnricher({
      request: EnrichRequestSchema.parse({
        connection: broker.connection(),
        db: join(dir, 'inproc.db'),
        sourceTopic: 'bench_trades',
        enrichedTopic: 'bench_enriched',
        deadLetterTopic: 'bench_dlq',
        untilIdleMs: 500,
      }),
      onStats: (s) => {
        if (s.enriched > 0 && first === 0) first = performance.now();
        if (s.enriched === N && last === 0) last = performance.now();
      },
    });
    // Stats come every 500 ms: the first one after the first batch adds up to that much.
    const steadyRate = N / ((last - first) / 1000);

    const rows: [string, string, string, number, string][] = [
      [
        'producer',
        'volatility-insight (kafkajs, JSON trades, idempotent)',
        'launch',
        ours.result.produced / ours.seconds,
        '',
      ],
      [
        'producer',
        'Kafka ProducerPerformance (Java, 90-byte records, idempotent)',
        'its own',
        refProducerRate,
        '',
      ],
      [
        'producer',
        `kafka-python ${kp.trim()} (same messages, acks=all)`,
        'first send → flush',
        kpRate,
        '',
      ],
      ['consumer', 'volatility-insight enrich (CLI process)', 'launch → exit', cliRate, ''],
      ['consumer', 'Kafka ConsumerPerformance (read only)', 'launch → exit', refLaunchRate, ''],
      ['consumer', 'volatility-insight enrich (in-process)', 'first → last batch', steadyRate, ''],
      ['consumer', 'Kafka ConsumerPerformance (read only)', 'its own', refSteadyRate, ''],
    ];
    const ourProducerRate = rows[0]![3];
    const out = [
      `Pipeline throughput, ${N} messages, one run, ${new Date().toISOString()}`,
      ...machine,
      '',
      '| stage | tool | timed | messages/s |',
      '| --- | --- | --- | ---: |',
      ...rows.map(([stage, tool, how, rate]) => `| ${stage} | ${tool} | ${how} | ${fmt(rate)} |`),
      '',
      `- producer: ${(ourProducerRate / refProducerRate).toFixed(2)}× ProducerPerformance, ${(ourProducerRate / kpRate).toFixed(2)}× kafka-python`,
      `- enrichment, both timed from launch: ${(cliRate / refLaunchRate).toFixed(2)}× ConsumerPerformance`,
      `- enrichment steady state: ${(steadyRate / refSteadyRate).toFixed(2)}× ConsumerPerformance's own figure`,
    ].join('\n');
    console.log(`\n${out}`);
    mkdirSync(join(APP_ROOT, 'bench', 'out'), { recursive: true });
    writeFileSync(join(APP_ROOT, 'bench', 'out', 'pipeline-results.md'), out + '\n');
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
