import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import { EnrichRequestSchema } from '../../../contract/pipeline.js';
import { runEnricher } from '../../../main/enrich/consumer.js';
import { startStage } from '../../../main/pipeline-stage.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { sleep } from '../../../main/net-util.js';
import { runProducer } from '../../../main/simulator/producer.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

let broker: TestBroker;
const dir = tempDir('vi-restart-');

before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

it('the broker stopped and restarted mid-stream: producer and consumer recover, nothing lost', async () => {
  const db = join(dir.path, 'restart.db');
  const n = 4000;
  const producerStates = new Set<string>();
  const producing = runProducer({
    connection: broker.connection,
    topic: 'restart_trades',
    rate: 500,
    count: n,
    partitions: 3,
    simulator: { seed: 3, stepMs: 1000, simulatedStart: Date.UTC(2025, 6, 7, 14) },
    onStats: (s) => producerStates.add(s.state),
  });
  const enrichStates = new Set<string>();
  const stop = new AbortController();
  let stored = 0;
  const enriching = runEnricher({
    request: EnrichRequestSchema.parse({
      connection: broker.connection,
      db,
      sourceTopic: 'restart_trades',
      enrichedTopic: 'restart_enriched',
      deadLetterTopic: 'restart_dlq',
    }),
    signal: stop.signal,
    onStats: (s) => {
      enrichStates.add(s.state);
      stored = s.rowsStored;
      if (process.env.VI_DEBUG) console.log(JSON.stringify(s));
    },
  });

  await sleep(2500);
  await broker.provider.stop();
  await sleep(4000);
  await broker.provider.start({ timeoutMs: 120_000 });

  const produced = await producing;
  assert.equal(produced.produced, n);
  assert.equal(produced.unconfirmed, 0);
  assert.ok(producerStates.has('waiting-for-broker'), 'the producer said it was waiting');
  // The consumer runs until it has stored every trade (bounded), then stops on request.
  const deadline = Date.now() + 90_000;
  while (stored < n && Date.now() < deadline) await sleep(200);
  stop.abort();
  const enriched = await enriching;

  const admin = createKafka(broker.connection).admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets('restart_trades');
  await admin.disconnect();
  const inTopic = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  assert.equal(inTopic, n, 'every trade is in the topic once (idempotent producer)');

  const conn = new Database(db, { readonly: true });
  const { total, uniq } = conn
    .prepare(
      "SELECT COUNT(*) AS total, COUNT(DISTINCT kafka_partition || ':' || kafka_offset) AS uniq FROM enriched_trades",
    )
    .get() as { total: number; uniq: number };
  conn.close();
  assert.equal(total, n);
  assert.equal(uniq, n);
  assert.ok(enriched.enriched <= n);
});

it(
  'stopping the consumer while the broker is down ends the job within a bound',
  { timeout: 150_000 },
  async () => {
    const db = join(dir.path, 'down.db');
    let state = '';
    const stage = startStage(
      'enrich',
      EnrichRequestSchema.parse({
        connection: broker.connection,
        db,
        sourceTopic: 'restart_trades',
        enrichedTopic: 'restart_enriched',
        deadLetterTopic: 'restart_dlq',
      }),
      (s) => (state = s.state),
    );
    const deadline = Date.now() + 60_000;
    while (state !== 'idle' && Date.now() < deadline) await sleep(200);
    assert.equal(state, 'idle', 'the consumer caught up before the broker went away');
    await broker.provider.kill();
    await sleep(2000);
    const stopped = Date.now();
    stage.stop();
    await stage.done.catch(() => undefined);
    assert.ok(Date.now() - stopped < 45_000, `stopped after ${Date.now() - stopped} ms`);
    await broker.provider.start({ timeoutMs: 120_000 });
  },
);
