import type { EnricherResult } from '../../../contract/pipeline.js';
import { addAlertRules, ruleFromSpec } from './alerts.js';
import { ServiceError, type Api } from '../../../contract/rpc.js';
import type { ServiceEvent } from '../../../contract/service.js';
import { DEFAULT_HINTS, reportFailure, type CliHints } from './admin-support.js';
import { parseFlags, type CliCommand, type CliContext } from './command.js';
import {
  CONNECTION_FLAGS,
  ENRICH_FLAGS,
  PRODUCE_FLAGS,
  enrichOptionsFrom,
  produceOptionsFrom,
  type EnrichOptions,
  type ProduceOptions,
} from './pipeline-flags.js';
import { runJob, serviceOptionsFrom, withApi } from './session.js';
import { StatusLine } from './status-line.js';

export const produceCommand: CliCommand = {
  name: 'produce',
  summary: 'run the trade simulator: simulated trades into stock_prices',
  usage:
    'produce [--rate N|max] [--count N] [--symbols A,B] [--seed N] [--partitions N] [--jumps] [--sim-start ISO] [--topic T] [--brokers H:P,...]',
  async run(argv, ctx) {
    const { values } = parseFlags(argv, { ...CONNECTION_FLAGS, ...PRODUCE_FLAGS });
    const options = serviceOptionsFrom(values);
    const produce = produceOptionsFrom(values);
    try {
      return await withApi(ctx, options, async (api) => {
        const { produced } = await runPipeline(ctx, api, { produce });
        if (produced!.unconfirmed > 0) {
          ctx.stderr.write(
            `${produced!.unconfirmed} messages were not confirmed by the broker before the stop gave up\n`,
          );
          return 1;
        }
        ctx.stdout.write(`produced ${produced!.produced} trades to ${produce.topic}\n`);
        return 0;
      });
    } catch (err) {
      return reportFailure(ctx, 'produce', err);
    }
  },
};

export const enrichCommand: CliCommand = {
  name: 'enrich',
  summary: 'run the enrichment consumer: stock_prices → stock_prices_enriched + SQLite',
  usage:
    "enrich [--db FILE] [--until-idle MS] [--group ID] [--grace-ms MS] [--weather-key KEY] [--weather-url URL] [--topic T] [--enriched-topic T] [--dlq-topic T] [--alert RULE]... [--brokers H:P,...]\n  --alert RULE  add a volatility-spike alert rule first, e.g. --alert 'vol_1m_ann>0.8' (see `alerts --help`)",
  async run(argv, ctx) {
    const { values: all } = parseFlags(argv, {
      ...CONNECTION_FLAGS,
      ...ENRICH_FLAGS,
      alert: { type: 'string', multiple: true },
    });
    const { alert, ...values } = all;
    const rules = (alert ?? []).map(ruleFromSpec);
    const options = serviceOptionsFrom(values);
    const enrich = enrichOptionsFrom(values);
    try {
      return await withApi(ctx, options, async (api) => {
        const { database } = await api.call('settings.get', {});
        for (const rule of await addAlertRules(api, rules)) {
          ctx.stderr.write(`alert rule: ${rule}\n`);
        }
        const { enriched } = await runPipeline(ctx, api, { enrich });
        ctx.stdout.write(summary(enriched!, database));
        return 0;
      });
    } catch (err) {
      return reportFailure(ctx, 'enrich', err);
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
    const options = serviceOptionsFrom(values);
    const produce = produceOptionsFrom(values);
    const enrich = enrichOptionsFrom(values);
    let hints: CliHints = DEFAULT_HINTS;
    try {
      return await withApi(ctx, options, async (api) => {
        const { database } = await api.call('settings.get', {});
        let notStarted: ServiceError | null = null;
        if (values['start-broker'] === true) notStarted = await startBroker(ctx, api);
        if (ctx.signal.aborted) return 130;
        let outcome: Awaited<ReturnType<typeof runPipeline>>;
        try {
          outcome = await runPipeline(ctx, api, { produce, enrich });
        } catch (err) {
          // No broker answers, and --start-broker could not start the saved one: say why.
          if (notStarted && err instanceof ServiceError && err.code === 'broker-unavailable') {
            hints = { ...DEFAULT_HINTS, conflict: CONFLICT_HINT };
            throw new ServiceError(
              notStarted.code,
              `${err.message}; --start-broker did not start the saved broker: ${notStarted.message}`,
              notStarted.detail,
            );
          }
          throw err;
        }
        const { produced, enriched } = outcome;
        ctx.stdout.write(`produced ${produced!.produced} trades\n` + summary(enriched!, database));
        return produced!.unconfirmed > 0 ? 1 : 0;
      });
    } catch (err) {
      return reportFailure(ctx, 'run', err, hints);
    }
  },
};

const CONFLICT_HINT = 'drop --brokers and unset KAFKA_BROKERS to use the saved broker';

/**
 * `run --start-broker` (what `npm start` does): starts the saved broker provider, or finds it
 * running (the job then ends at once). When clients are set to connect elsewhere (--brokers,
 * KAFKA_BROKERS) or something else holds the port, nothing is started and the pipeline simply
 * connects: that refusal is returned, to explain a broker that then does not answer.
 */
async function startBroker(ctx: CliContext, api: Api): Promise<ServiceError | null> {
  ctx.stderr.write('starting the Kafka broker (or finding it running)…\n');
  try {
    const status = await runJob(
      api,
      'broker-start',
      () => api.call('broker.start', { save: false }),
      {
        signal: ctx.signal,
        onEvent: (e) => {
          if (e.event === 'broker-progress') {
            const p = e.progress;
            ctx.stderr.write(`  ${p.step} (${(p.elapsedMs / 1000).toFixed(1)} s)\n`);
          }
        },
      },
    );
    ctx.stderr.write(
      `${status.provider} broker ready at ${status.brokers.join(',')}; stop it later with \`volatility-insight broker stop\`\n`,
    );
    return null;
  } catch (err) {
    if (err instanceof ServiceError && (err.code === 'conflict' || err.code === 'port-in-use')) {
      return err;
    }
    if (err instanceof ServiceError && err.code === 'cancelled') return null;
    throw err;
  }
}

/**
 * Runs the producer, the enrichment, or both, with the live status line, until they end (with
 * --count / --until-idle) or Ctrl-C. Ctrl-C on both: `pipeline.stop` — the producer flushes and
 * stops, then the enrichment stores what it sent, so nothing of this run is left behind.
 */
async function runPipeline(
  ctx: CliContext,
  api: Api,
  stages: { produce?: ProduceOptions; enrich?: EnrichOptions },
) {
  const status = new StatusLine(ctx);
  const onEvent = (e: ServiceEvent) => {
    if (e.event === 'producer-stats') status.producer = e.stats;
    if (e.event === 'enricher-stats') status.enricher = e.stats;
  };
  const { produce, enrich } = stages;
  // jobOutcome calls start at once, so these hold the start calls once the jobs are created.
  const starts: Promise<unknown>[] = [];
  const producing = produce
    ? runJob(api, 'producer', () => track(starts, api.call('producer.start', produce)), {
        onEvent,
      })
    : undefined;
  const enriching = enrich
    ? runJob(api, 'enricher', () => track(starts, api.call('enricher.start', enrich)), {
        onEvent,
      })
    : undefined;
  const stop = () => {
    // Once both are started (or failed to), so the stop cannot come before the jobs exist.
    void Promise.allSettled(starts).then(() => {
      const call =
        producing && enriching
          ? api.call('pipeline.stop', {})
          : producing
            ? api.call('producer.stop', {})
            : api.call('enricher.stop', { drain: false });
      return call.catch(() => undefined);
    });
  };
  if (ctx.signal.aborted) stop();
  else ctx.signal.addEventListener('abort', stop, { once: true });
  status.start();
  try {
    // Both awaited at once: a consumer failure must not wait for (or outlive) the producer.
    const [produced, enriched] = await Promise.all([producing, enriching]);
    status.stop();
    return { produced, enriched };
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    status.stop();
  }
}

function track<T>(list: Promise<unknown>[], p: Promise<T>): Promise<T> {
  list.push(p);
  return p;
}

function summary(result: EnricherResult, db: string): string {
  return (
    `enriched ${result.enriched} trades, ${result.deadLetters} dead letters; ` +
    `${result.rowsStored} rows in ${db}\n`
  );
}
