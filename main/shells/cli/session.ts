import { z } from 'zod';
import { jobOutcome, type Api } from '../../../contract/rpc.js';
import type { JobKind, JobResult, ServiceEvent } from '../../../contract/service.js';
import { VolatilityService, createLocalApi, type ServiceOptions } from '../../service.js';
import { parseBrokerList } from './admin-support.js';
import { UsageError, type CliContext } from './command.js';

/**
 * The CLI is a thin view over the core service: each command builds one service with its flags
 * as options (they apply to this command only), talks to it through the same `Api` every other
 * shell uses, and shuts it down at the end (running jobs stop cleanly).
 */
export async function withApi<T>(
  ctx: CliContext,
  options: ServiceOptions,
  body: (api: Api) => Promise<T>,
): Promise<T> {
  const service = new VolatilityService({ env: ctx.env, ...options });
  const api = createLocalApi(service, { trusted: true });
  try {
    return await body(api);
  } finally {
    await service.shutdown();
    api.close();
  }
}

/** The flags every Kafka command takes. */
export const CONNECTION_FLAGS = {
  brokers: { type: 'string' },
} as const;

type Values = Record<string, string | boolean | undefined>;
const str = (v: Values, k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);

/**
 * `--brokers`, `--db`, `--weather-key`, `--weather-url` as service options. Absent flags leave
 * the service to its own defaults (KAFKA_BROKERS, VI_DB, OPENWEATHER_*, the saved settings).
 */
export function serviceOptionsFrom(values: Values): ServiceOptions {
  const options: ServiceOptions = {};
  const brokers = str(values, 'brokers');
  if (brokers !== undefined) options.brokers = parseBrokerList(brokers);
  const db = str(values, 'db');
  if (db !== undefined) {
    if (db.trim() === '') throw new UsageError('--db needs the path of a SQLite file');
    options.db = db;
  }
  const key = str(values, 'weather-key');
  if (key !== undefined) options.weatherApiKey = key;
  const url = str(values, 'weather-url');
  if (url !== undefined) {
    if (!z.string().url().safeParse(url).success) {
      throw new UsageError(`--weather-url ${JSON.stringify(url)} is not a URL`);
    }
    options.weatherBaseUrl = url;
  }
  return options;
}

/**
 * Runs one job to its end: its events go to `onEvent`, and `signal` (Ctrl-C) cancels it through
 * `job.cancel` — also when it fires while the job is being started.
 */
export function runJob<K extends JobKind>(
  api: Api,
  kind: K,
  start: () => Promise<{ jobId: string }>,
  options: { signal?: AbortSignal; onEvent?: (event: ServiceEvent) => void } = {},
): Promise<JobResult<K>> {
  const { signal } = options;
  let jobId: string | null = null;
  const cancel = () => {
    if (jobId !== null) void api.call('job.cancel', { jobId }).catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  return jobOutcome(
    api,
    kind,
    () =>
      start().then((ref) => {
        jobId = ref.jobId;
        if (signal?.aborted) cancel();
        return ref;
      }),
    options.onEvent,
  ).finally(() => signal?.removeEventListener('abort', cancel));
}
