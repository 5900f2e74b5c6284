import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { ServiceError, jobOutcome } from '../../contract/rpc.js';
import type { ServiceEvent } from '../../contract/service.js';
import { freePort } from '../../main/net-util.js';
import { VolatilityService, createLocalApi } from '../../main/service.js';
import { tempDir } from '../support/jvm-broker.js';

const dir = tempDir('vi-service-');
const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: dir.path };
delete env.KAFKA_BROKERS;
const port = await freePort();
const db = join(dir.path, 'svc.db');
const service = new VolatilityService({
  env,
  db,
  // This service's broker: a JVM broker of its own, never the saved default.
  brokerSettings: {
    provider: 'jvm',
    jvm: { port, controllerPort: await freePort(), dataDir: join(dir.path, 'kafka') },
    docker: { port: 9092, projectName: 'volatility-insight' },
  },
});
const api = createLocalApi(service, { trusted: true });
const events: ServiceEvent[] = [];
api.onEvent((e) => events.push(e));

after(async () => {
  await service.shutdown();
  await jobOutcome(api, 'broker-stop', () => api.call('broker.stop', {})).catch(() => undefined);
  api.close();
  dir.cleanup();
});

it('the core service: broker, topics, pipeline and export as commands with events', async () => {
  const view = { trusted: false, signal: new AbortController().signal };
  const invalid = await service.dispatch('topics.delete', { name: 'x' }, view);
  assert.equal(invalid.ok, false);
  assert.equal(invalid.ok ? '' : invalid.error.code, 'invalid-argument');

  const status = await jobOutcome(api, 'broker-start', () =>
    api.call('broker.start', { save: false }),
  );
  assert.equal(status.state, 'running');
  assert.ok(events.some((e) => e.event === 'broker-progress'));
  assert.ok(!existsSync(join(dir.path, 'settings.json')), 'a start without save saves nothing');

  await api.call('topics.create', { name: 'svc_trades', partitions: 2 });
  const topics = await api.call('topics.list', {});
  assert.equal(topics.find((t) => t.name === 'svc_trades')?.partitions.length, 2);

  let producerStarted: Promise<unknown> = Promise.resolve();
  const produced = jobOutcome(
    api,
    'producer',
    () =>
      (producerStarted = api.call('producer.start', {
        topic: 'svc_trades',
        rate: 'max',
        count: 500,
        seed: 5,
        simulatedStart: '2025-07-07T14:00:00Z',
      })),
  );
  await producerStarted;
  await assert.rejects(
    api.call('producer.start', {}),
    (err: unknown) => err instanceof ServiceError && err.code === 'conflict',
    'one producer at a time',
  );
  assert.equal((await produced).produced, 500);

  const enriched = await jobOutcome(api, 'enricher', () =>
    api.call('enricher.start', {
      sourceTopic: 'svc_trades',
      enrichedTopic: 'svc_enriched',
      deadLetterTopic: 'svc_dlq',
      untilIdleMs: 1000,
    }),
  );
  assert.equal(enriched.rowsStored, 500);
  assert.ok(events.some((e) => e.event === 'enricher-stats' && e.stats.lag === 0));

  const out = join(dir.path, 'out.csv');
  const { grant } = await api.call('paths.grant', { path: out, purpose: 'export' });
  let exportId = '';
  const exported = await jobOutcome(api, 'export', () =>
    api
      .call('export.start', { format: 'csv', destination: { kind: 'grant', grant } })
      .then((ref) => ((exportId = ref.jobId), ref)),
  );
  assert.equal(exported.rows, 500);
  assert.equal(exported.path, out);
  assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 501);
  assert.ok(events.some((e) => e.event === 'export-progress' && e.jobId === exportId));

  const cancelOut = join(dir.path, 'cancelled.parquet');
  const cancelGrant = await api.call('paths.grant', { path: cancelOut, purpose: 'export' });
  const cancelled = jobOutcome(api, 'export', async () => {
    const ref = await api.call('export.start', {
      format: 'parquet',
      destination: { kind: 'grant', grant: cancelGrant.grant },
    });
    assert.deepEqual(await api.call('job.cancel', { jobId: ref.jobId }), { cancelled: true });
    return ref;
  });
  await assert.rejects(
    cancelled,
    (err: unknown) => err instanceof ServiceError && err.code === 'cancelled',
  );
  assert.equal(existsSync(cancelOut), false);
  assert.deepEqual(
    readdirSync(dir.path).filter((f) => f.includes('partial')),
    [],
  );

  // Cancelling a job that has ended is not an error: there was nothing left to stop.
  assert.deepEqual(await api.call('job.cancel', { jobId: exportId }), { cancelled: false });
  const badStart = await service.dispatch(
    'producer.start',
    { simulatedStart: 'noon' },
    { trusted: true, signal: view.signal },
  );
  assert.equal(badStart.ok, false);
  assert.match(badStart.ok ? '' : badStart.error.message, /simulatedStart: must be an ISO-8601/);
  assert.deepEqual(await api.call('jobs.list', {}), []);
});

it('with an address override (serve --brokers, KAFKA_BROKERS), the status is that cluster’s', async () => {
  // The broker of the test above is running; this service's chosen (built-in) broker is not.
  const elsewhere = new VolatilityService({
    env,
    db: join(dir.path, 'override.db'),
    brokers: [`127.0.0.1:${port}`],
    brokerSettings: {
      provider: 'jvm',
      jvm: { port: await freePort(), dataDir: join(dir.path, 'never-started') },
      docker: { port: 9092, projectName: 'volatility-insight' },
    },
  });
  const other = createLocalApi(elsewhere, { trusted: true });
  try {
    const status = await other.call('broker.status', {});
    assert.equal(status.provider, 'external');
    assert.equal(status.state, 'running', status.detail);
    assert.deepEqual(status.brokers, [`127.0.0.1:${port}`]);
  } finally {
    await elsewhere.shutdown();
    other.close();
  }
});
