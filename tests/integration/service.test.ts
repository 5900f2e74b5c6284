import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import type { ServiceEvent } from '../../contract/service.js';
import { freePort } from '../../main/net-util.js';
import { VolatilityService } from '../../main/service.js';
import { tempDir } from '../support/jvm-broker.js';

const dir = tempDir('vi-service-');
const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: dir.path };
delete env.KAFKA_BROKERS;
const service = new VolatilityService({ env });
const events: ServiceEvent[] = [];
service.events.on('event', (e) => events.push(e));

after(async () => {
  await service.shutdown();
  await service.dispatch({ command: 'broker.stop' });
  dir.cleanup();
});

function finished(
  jobId: string,
  timeoutMs = 60_000,
): Promise<Extract<ServiceEvent, { event: 'job-finished' }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`job ${jobId} did not finish`)), timeoutMs);
    const check = (e: ServiceEvent) => {
      if (e.event === 'job-finished' && e.jobId === jobId) {
        clearTimeout(timer);
        resolve(e);
      }
    };
    events.forEach(check);
    service.events.on('event', check);
  });
}

async function ok<T = unknown>(command: unknown): Promise<T> {
  const reply = await service.dispatch(command);
  assert.ok(reply.ok, reply.ok ? '' : reply.error);
  return reply.result as T;
}

it('the core service: broker, topics, pipeline and export as commands with events', async () => {
  const invalid = await service.dispatch({ command: 'topics.delete', name: 'x' });
  assert.equal(invalid.ok, false);
  assert.match(invalid.ok ? '' : invalid.error, /confirm/);

  const port = await freePort();
  await ok({
    command: 'settings.set',
    broker: {
      provider: 'jvm',
      jvm: { port, controllerPort: await freePort(), dataDir: join(dir.path, 'kafka') },
    },
  });
  const status = await ok<{ state: string }>({ command: 'broker.start' });
  assert.equal(status.state, 'running');
  assert.ok(events.some((e) => e.event === 'broker-progress'));

  await ok({ command: 'topics.create', topic: { name: 'svc_trades', partitions: 2 } });
  const topics = await ok<{ name: string; partitions: unknown[] }[]>({ command: 'topics.list' });
  assert.equal(topics.find((t) => t.name === 'svc_trades')?.partitions.length, 2);

  const producer = await ok<{ jobId: string }>({
    command: 'producer.start',
    options: {
      topic: 'svc_trades',
      rate: 'max',
      count: 500,
      seed: 5,
      simulatedStart: '2025-07-07T14:00:00Z',
    },
  });
  const again = await service.dispatch({ command: 'producer.start', options: {} });
  assert.equal(again.ok, false, 'one producer at a time');
  assert.equal((await finished(producer.jobId)).ok, true);

  const db = join(dir.path, 'svc.db');
  const enricher = await ok<{ jobId: string }>({
    command: 'enricher.start',
    options: {
      db,
      sourceTopic: 'svc_trades',
      enrichedTopic: 'svc_enriched',
      deadLetterTopic: 'svc_dlq',
      untilIdleMs: 1000,
    },
  });
  const enrichDone = await finished(enricher.jobId);
  assert.equal(enrichDone.ok, true, enrichDone.error ?? '');
  assert.equal((enrichDone.result as { rowsStored: number }).rowsStored, 500);
  assert.ok(events.some((e) => e.event === 'enricher-stats' && e.stats.lag === 0));

  const out = join(dir.path, 'out.csv');
  const exportJob = await ok<{ jobId: string }>({
    command: 'export.start',
    request: { format: 'csv', out, db },
  });
  const exported = await finished(exportJob.jobId);
  assert.equal(exported.ok, true, exported.error ?? '');
  assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 501);
  assert.ok(events.some((e) => e.event === 'job-progress' && e.jobId === exportJob.jobId));

  const cancelOut = join(dir.path, 'cancelled.parquet');
  const cancelJob = await ok<{ jobId: string }>({
    command: 'export.start',
    request: { format: 'parquet', out: cancelOut, db },
  });
  await ok({ command: 'job.cancel', jobId: cancelJob.jobId });
  const cancelled = await finished(cancelJob.jobId);
  assert.equal(cancelled.ok, false);
  assert.equal(cancelled.cancelled, true);
  assert.equal(existsSync(cancelOut), false);
  assert.deepEqual(
    readdirSync(dir.path).filter((f) => f.includes('partial')),
    [],
  );

  // Cancelling a job that has ended is not an error: there was nothing left to stop.
  assert.deepEqual(await ok({ command: 'job.cancel', jobId: exportJob.jobId }), {
    cancelled: false,
  });
  const badStart = await service.dispatch({
    command: 'producer.start',
    options: { simulatedStart: 'noon' },
  });
  assert.equal(badStart.ok, false);
  assert.match(badStart.ok ? '' : badStart.error, /simulatedStart: must be an ISO-8601/);
});
