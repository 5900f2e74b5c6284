// Pipeline throughput beside Apache Kafka's own perf tools, on the same local JVM broker, in the
// same run: our idempotent simulator producer vs ProducerPerformance (same record count and size,
// acks=all, idempotence on), and our enrichment consumer (parse, analytics, context, publish
// enriched, SQLite) vs ConsumerPerformance (reads only). Ratios are what to compare.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EnrichRequestSchema } from '../contract/pipeline.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { runEnricher } from '../main/enrich/consumer.js';
import { freePorts } from '../main/net-util.js';
import { runProducer } from '../main/simulator/producer.js';

const exec = promisify(execFile);
const N = Number(process.env.VI_BENCH_MESSAGES ?? 200_000);

async function kafkaTool(broker: JvmBrokerProvider, main: string, args: string[]): Promise<string> {
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

export async function runPipelineBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-pipeline-'));
  const [port, controllerPort] = await freePorts(2);
  const broker = new JvmBrokerProvider({ port, controllerPort, dataDir: join(dir, 'kafka') });
  await broker.start();
  const bootstrap = broker.connection().brokers.join(',');
  try {
    // Our producer: seed-format JSON trades (~90 bytes), keyed by symbol, 3 partitions.
    const ours = await timed(() =>
      runProducer({
        connection: broker.connection(),
        topic: 'bench_trades',
        rate: 'max',
        count: N,
        partitions: 3,
        simulator: { seed: 1, stepMs: 1, simulatedStart: Date.UTC(2025, 6, 7, 14) },
      }),
    );
    // Kafka's ProducerPerformance: same count, 90-byte records, same guarantees, 3 partitions.
    await kafkaTool(broker, 'org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'bench_ref',
      '--partitions',
      '3',
      '--replication-factor',
      '1',
    ]).catch(() => '');
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

    // Our enrichment consumer, from a new database: group join to drained topic.
    const enrich = await timed(() =>
      runEnricher({
        request: EnrichRequestSchema.parse({
          connection: broker.connection(),
          db: join(dir, 'bench.db'),
          sourceTopic: 'bench_trades',
          enrichedTopic: 'bench_enriched',
          deadLetterTopic: 'bench_dlq',
          untilIdleMs: 500,
        }),
      }),
    );
    // Kafka's ConsumerPerformance over the same topic (reads and discards).
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
    const nMsgSec = Number(consumerLine.split(',')[5]);

    const ourProducerRate = ours.result.produced / ours.seconds;
    // The enricher's wall time includes its group join and the --until-idle wait (500 ms).
    const ourEnrichRate = enrich.result.enriched / enrich.seconds;
    const rows = [
      ['producer', 'volatility-insight (kafkajs, JSON trades, idempotent)', ourProducerRate],
      [
        'producer',
        'Kafka ProducerPerformance (Java, 90-byte records, idempotent)',
        refProducerRate,
      ],
      [
        'consumer',
        'volatility-insight enrich (parse + analytics + publish + SQLite)',
        ourEnrichRate,
      ],
      ['consumer', 'Kafka ConsumerPerformance (read only)', nMsgSec],
    ] as const;
    console.log(
      `\nPipeline throughput, ${N} messages, local JVM broker (Kafka 4.1.2), ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
    );
    console.log('| stage | tool | messages/s |\n| --- | --- | ---: |');
    for (const [stage, tool, rate] of rows)
      console.log(`| ${stage} | ${tool} | ${Math.round(rate).toLocaleString('en-US')} |`);
    console.log(
      `producer ratio (ours / Kafka's): ${(ourProducerRate / refProducerRate).toFixed(2)}`,
    );
    console.log(
      `consumer ratio (ours, with enrichment / Kafka's, read only): ${(ourEnrichRate / nMsgSec).toFixed(2)}`,
    );
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
