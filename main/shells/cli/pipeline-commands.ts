import type { EnricherResult } from '../../../contract/pipeline.js';
import { createBrokerProvider } from '../../broker/registry.js';
import { loadBrokerSettings } from '../../broker/settings-store.js';
import type { KafkaConnection } from '../../kafka/connection.js';
import { probeCluster } from '../../kafka/probe.js';
import { settingsPath } from '../../paths.js';
import { VolatilityService } from '../../service.js';
import { parseFlags, type CliCommand, type CliContext } from './command.js';
import {
  CONNECTION_FLAGS,
  ENRICH_FLAGS,
  PRODUCE_FLAGS,
  connectionFrom,
  enrichRequestFrom,
  produceRequestFrom,
} from './pipeline-flags.js';
import { StatusLine } from './status-line.js';

export const produceCommand: CliCommand = {
  name: 'produce',
  summary: 'run the trade simulator: simulated trades into stock_prices',
  usage:
    'produce [--rate N|max] [--count N] [--symbols A,B] [--seed N] [--partitions N] [--jumps] [--sim-start ISO] [--topic T] [--brokers H:P,...]',
  async run(argv, ctx) {
    const { values } = parseFlags(argv, { ...CONNECTION_FLAGS, ...PRODUCE_FLAGS });
    const connection = connectionFrom(values, ctx.env);
    const { connection: _, ...options } = produceRequestFrom(values, connection);
    await requireBroker(connection);
    const result = (await runOneJob(ctx, connection, (s) => s.startProducer(options))) as {
      produced: number;
      unconfirmed: number;
    };
    if (result.unconfirmed > 0) {
      ctx.stderr.write(
        `${result.unconfirmed} messages were not confirmed by the broker before the stop gave up\n`,
      );
      return 1;
    }
    ctx.stdout.write(`produced ${result.produced} trades to ${options.topic}\n`);
    return 0;
  },
};

export const enrichCommand: CliCommand = {
  name: 'enrich',
  summary: 'run the enrichment consumer: stock_prices → stock_prices_enriched + SQLite',
  usage:
    'enrich [--db FILE] [--until-idle MS] [--group ID] [--grace-ms MS] [--weather-key KEY] [--weather-url URL] [--topic T] [--enriched-topic T] [--dlq-topic T] [--brokers H:P,...]',
  async run(argv, ctx) {
    const { values } = parseFlags(argv, { ...CONNECTION_FLAGS, ...ENRICH_FLAGS });
    const connection = connectionFrom(values, ctx.env);
    const { connection: _, ...options } = enrichRequestFrom(values, connection, ctx.env);
    await requireBroker(connection);
    const result = (await runOneJob(ctx, connection, (s) =>
      s.startEnricher(options),
    )) as EnricherResult;
    ctx.stdout.write(summary(result, options.db));
    return 0;
  },
};

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'producer and enrichment consumer together, with live progress (Ctrl-C stops cleanly)',
  usage:
    'run [--start-broker] [produce flags] [enrich flags] — see `produce --help` and `enrich --help`',
  async run(argv, ctx) {
    const { values } = parseFlags(argv, {
      ...CONNECTION_FLAGS,
      ...PRODUCE_FLAGS,
      ...ENRICH_FLAGS,
      'start-broker': { type: 'boolean' },
    });
    const connection = connectionFrom(values, ctx.env);
    const { connection: _p, ...produce } = produceRequestFrom(values, connection);
    const { connection: _e, ...enrich } = enrichRequestFrom(values, connection, ctx.env);
    if (values['start-broker'] === true) await ensureBroker(connection, ctx);
    else await requireBroker(connection);

    return withPipeline(ctx, connection, async (service, status) => {
      const producer = service.startProducer(produce).jobId;
      const enricher = service.startEnricher(enrich).jobId;
      const producing = service.waitFor(producer) as Promise<{
        produced: number;
        unconfirmed: number;
      }>;
      const enriching = service.waitFor(enricher) as Promise<EnricherResult>;
      // Ctrl-C: the producer flushes and stops first; the consumer then stores its batch in progress.
      const onAbort = () => {
        service.cancelJob(producer);
        // …and stores what the producer sent before it stopped: nothing of this run is left behind.
        void producing.catch(() => undefined).finally(() => service.finishJob(enricher));
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        // With --count the producer ends on its own; the consumer goes on until idle or Ctrl-C.
        // Both awaited at once: a consumer failure must not wait for (or outlive) the producer.
        const [produced, result] = await Promise.all([producing, enriching]);
        status.stop();
        ctx.stdout.write(`produced ${produced.produced} trades\n` + summary(result, enrich.db));
        return produced.unconfirmed > 0 ? 1 : 0;
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    });
  },
};

/** A service for one CLI command, its events on the status line; every job stopped at the end. */
async function withPipeline<T>(
  ctx: CliContext,
  connection: KafkaConnection,
  body: (service: VolatilityService, status: StatusLine) => Promise<T>,
): Promise<T> {
  const service = new VolatilityService({ env: ctx.env, connection });
  const status = new StatusLine(ctx);
  service.events.on('event', (e) => {
    if (e.event === 'producer-stats') status.producer = e.stats;
    if (e.event === 'enricher-stats') status.enricher = e.stats;
  });
  status.start();
  try {
    return await body(service, status);
  } finally {
    await service.shutdown();
    status.stop();
  }
}

/** Runs one pipeline job with live status; Ctrl-C stops it cleanly. Returns its result. */
function runOneJob(
  ctx: CliContext,
  connection: KafkaConnection,
  start: (service: VolatilityService) => { jobId: string },
): Promise<unknown> {
  return withPipeline(ctx, connection, async (service, status) => {
    const { jobId } = start(service);
    const onAbort = () => service.cancelJob(jobId);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await service.waitFor(jobId);
      status.stop();
      return result;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  });
}

function summary(result: EnricherResult, db: string): string {
  return (
    `enriched ${result.enriched} trades, ${result.deadLetters} dead letters; ` +
    `${result.rowsStored} rows in ${db}\n`
  );
}

/** Fails fast, with what to do, when no broker answers. */
async function requireBroker(connection: KafkaConnection): Promise<void> {
  try {
    await probeCluster(connection, 5000);
  } catch (err) {
    throw new Error(
      `${(err as Error).message}. Start a broker with \`volatility-insight broker start\` (or pass --brokers / KAFKA_BROKERS)`,
    );
  }
}

/**
 * `run --start-broker` (what `npm start` does): when nothing answers, starts the saved broker
 * provider — the local JVM broker on 127.0.0.1:9092 unless the settings choose another.
 */
async function ensureBroker(connection: KafkaConnection, ctx: CliContext): Promise<void> {
  try {
    await probeCluster(connection, 3000);
    return;
  } catch {
    // nothing answers yet: start the saved provider below
  }
  const provider = createBrokerProvider(loadBrokerSettings(settingsPath(ctx.env)), ctx.env);
  const target = provider.connection().brokers.join(',');
  if (target !== connection.brokers.join(',')) {
    throw new Error(
      `no broker answers at ${connection.brokers.join(',')}, and --start-broker starts the saved ${provider.name} broker at ${target}: drop --brokers / KAFKA_BROKERS, or start that broker yourself`,
    );
  }
  ctx.stderr.write(`starting the ${provider.name} Kafka broker at ${target}…\n`);
  await provider.start({
    signal: ctx.signal,
    onProgress: (p) => ctx.stderr.write(`  ${p.step} (${(p.elapsedMs / 1000).toFixed(1)} s)\n`),
  });
  ctx.stderr.write('broker ready; stop it later with `volatility-insight broker stop`\n');
}
