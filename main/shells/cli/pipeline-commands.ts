import type { EnricherResult } from '../../../contract/pipeline.js';
import { JvmBrokerProvider } from '../../broker/jvm.js';
import type { KafkaConnection } from '../../kafka/connection.js';
import { probeCluster } from '../../kafka/probe.js';
import { startStage } from '../../pipeline-stage.js';
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
    const request = produceRequestFrom(values, connection);
    await requireBroker(connection);
    const status = new StatusLine(ctx);
    status.start();
    const stage = startStage('produce', request, (s) => (status.producer = s));
    const onAbort = () => stage.stop();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await stage.done;
      status.stop();
      if (result.unconfirmed > 0) {
        ctx.stderr.write(
          `${result.unconfirmed} messages were not confirmed by the broker before the stop gave up\n`,
        );
        return 1;
      }
      ctx.stdout.write(`produced ${result.produced} trades to ${request.topic}\n`);
      return 0;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      status.stop();
    }
  },
};

export const enrichCommand: CliCommand = {
  name: 'enrich',
  summary: 'run the enrichment consumer: stock_prices → stock_prices_enriched + SQLite',
  usage:
    'enrich [--db FILE] [--until-idle MS] [--group ID] [--grace-ms MS] [--weather-key KEY] [--weather-url URL] [--topic T] [--brokers H:P,...]',
  async run(argv, ctx) {
    const { values } = parseFlags(argv, { ...CONNECTION_FLAGS, ...ENRICH_FLAGS });
    const connection = connectionFrom(values, ctx.env);
    const request = enrichRequestFrom(values, connection, ctx.env);
    await requireBroker(connection);
    const status = new StatusLine(ctx);
    status.start();
    const stage = startStage('enrich', request, (s) => (status.enricher = s));
    const onAbort = () => stage.stop();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await stage.done;
      status.stop();
      ctx.stdout.write(summary(result, request.db));
      return 0;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      status.stop();
    }
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
    const produce = produceRequestFrom(values, connection);
    const enrich = enrichRequestFrom(values, connection, ctx.env);
    if (values['start-broker'] === true) await ensureLocalBroker(connection, ctx);
    else await requireBroker(connection);

    const status = new StatusLine(ctx);
    status.start();
    const producer = startStage('produce', produce, (s) => (status.producer = s));
    const enricher = startStage('enrich', enrich, (s) => (status.enricher = s));
    // Ctrl-C: the producer flushes and stops first; the consumer then stores its batch in progress.
    const onAbort = () => {
      producer.stop();
      void producer.done.finally(() => enricher.stop());
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const produced = await producer.done;
      // With --count the producer ends on its own; the consumer goes on until idle or Ctrl-C.
      const result = await enricher.done;
      status.stop();
      ctx.stdout.write(`produced ${produced.produced} trades\n` + summary(result, enrich.db));
      return produced.unconfirmed > 0 ? 1 : 0;
    } catch (err) {
      producer.stop();
      enricher.stop();
      await Promise.allSettled([producer.done, enricher.done]);
      throw err;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      status.stop();
    }
  },
};

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

/** `run --start-broker`: starts the local JVM broker when nothing answers on a local address. */
async function ensureLocalBroker(connection: KafkaConnection, ctx: CliContext): Promise<void> {
  try {
    await probeCluster(connection, 3000);
    return;
  } catch {
    // nothing answers: start one below if the address is local
  }
  const [first] = connection.brokers;
  const m = first ? /^(127\.0\.0\.1|localhost):(\d+)$/.exec(first) : null;
  if (!m || connection.brokers.length !== 1) {
    throw new Error(
      `no broker answers at ${connection.brokers.join(',')} and --start-broker only starts a local one (127.0.0.1:PORT)`,
    );
  }
  const provider = new JvmBrokerProvider({ port: Number(m[2]), env: ctx.env });
  ctx.stderr.write(`starting a local Kafka broker on ${first}…\n`);
  await provider.start({
    onProgress: (p) => ctx.stderr.write(`  ${p.step} (${(p.elapsedMs / 1000).toFixed(1)} s)\n`),
  });
  ctx.stderr.write('broker ready; stop it later with `volatility-insight broker stop`\n');
}
