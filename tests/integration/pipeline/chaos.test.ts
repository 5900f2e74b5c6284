// Chaos: 100,000 seeded trades with simulated timestamps are produced while the broker is
// SIGKILLed and restarted three times and the enrichment consumer (a child process running the
// CLI's `enrich`) is SIGKILLed five times, at moments drawn from a seeded PRNG. At the end SQLite
// must hold exactly what an uninterrupted run over the same topic stores (every trade once, every
// analytics value and bar equal), and the enriched topic every source partition+offset.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import { EnrichRequestSchema } from '../../../contract/pipeline.js';
import { runEnricher } from '../../../main/enrich/consumer.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { sleep } from '../../../main/net-util.js';
import { APP_ROOT } from '../../../main/paths.js';
import { Random } from '../../../main/simulator/random.js';
import { runProducer } from '../../../main/simulator/producer.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';
import { close, RESTORED } from '../../support/reference-analytics.js';

const N = 100_000;
const SEED = Number(process.env.VI_CHAOS_SEED ?? 20251130);
const SIM_START = Date.UTC(2025, 6, 7, 14, 0, 0);
const TOPICS = { source: 'chaos_trades', enriched: 'chaos_enriched', dlq: 'chaos_dlq' };

let broker: TestBroker;
const dir = tempDir('vi-chaos-');
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

function storedCount(db: string): number {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare('SELECT COUNT(*) AS n FROM enriched_trades').get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0; // not created yet
  }
}

/** Keeps one `enrich` CLI process running; kill() SIGKILLs it and starts the next one. */
class EnricherSupervisor {
  private child: ChildProcess | null = null;
  private stopped = false;
  starts = 0;
  /** Exits the supervisor did not cause (e.g. the broker was down at its start). */
  ownExits: string[] = [];

  constructor(private readonly db: string) {}

  start(): void {
    this.starts++;
    const child = spawn(
      process.execPath,
      [
        join(APP_ROOT, 'bin', 'volatility-insight.mjs'),
        'enrich',
        '--brokers',
        broker.brokers,
        '--db',
        this.db,
        '--topic',
        TOPICS.source,
        '--enriched-topic',
        TOPICS.enriched,
        '--dlq-topic',
        TOPICS.dlq,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-500)));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return; // killed on purpose
      this.child = null;
      if (this.stopped) return;
      this.ownExits.push(`${code ?? signal}: ${stderr.trim().split('\n').at(-1) ?? ''}`);
      setTimeout(() => !this.stopped && this.child === null && this.start(), 500);
    });
    this.child = child;
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    this.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

async function waitFor(
  what: string,
  cond: () => boolean,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${context()}`);
    await sleep(100);
  }
}

const COLUMNS =
  'ts, symbol, price, volume, log_return, vol_1m, vol_5m, vol_1m_ann, vol_5m_ann, ewma_vol, ' +
  'ewma_vol_ann, vwap_5m, late, session, exchange, company, sector, weather_temp_c, ' +
  'weather_condition, weather_error, kafka_partition, kafka_offset';

function readAll(db: string) {
  const conn = new Database(db, { readonly: true });
  try {
    return {
      trades: conn
        .prepare(`SELECT ${COLUMNS} FROM enriched_trades ORDER BY kafka_partition, kafka_offset`)
        .all(),
      bars: conn.prepare('SELECT * FROM bars ORDER BY symbol, minute_start').all(),
      deadLetters: (conn.prepare('SELECT COUNT(*) AS n FROM dead_letters').get() as { n: number })
        .n,
      offsets: conn
        .prepare('SELECT partition, next_offset FROM consumer_offsets ORDER BY partition')
        .all(),
    };
  } finally {
    conn.close();
  }
}

/** Every (partition, offset) found in a topic, read to its end. */
async function topicPositions(topic: string): Promise<{ records: number; positions: Set<string> }> {
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const consumer = kafka.consumer({ groupId: `chaos-reader-${Date.now()}`, maxBytes: 50 << 20 });
  const positions = new Set<string>();
  let records = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        records++;
        const r = JSON.parse(m.value!.toString()) as {
          kafka_partition: number;
          kafka_offset: number;
        };
        positions.add(`${r.kafka_partition}:${r.kafka_offset}`);
      }
    },
  });
  await waitFor(`${topic} read to its end`, () => records >= total, 120_000);
  await consumer.disconnect();
  return { records, positions };
}

it(
  `${N} trades through 3 broker SIGKILLs and 5 consumer SIGKILLs: SQLite equals an uninterrupted run`,
  { timeout: 8 * 60_000 },
  async (t) => {
    const db = join(dir.path, 'chaos.db');
    const rng = new Random(SEED);
    // The schedule: 8 moments in the first 40 s of production, 3 broker kills among them.
    const kinds = ['broker', 'broker', 'broker', 'consumer', 'consumer', 'consumer', 'consumer'];
    kinds.push('consumer');
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    const moments = kinds.map(() => 2000 + rng.int(38_000)).sort((a, b) => a - b);

    let producer = 'not started';
    const producing = runProducer({
      connection: broker.connection,
      topic: TOPICS.source,
      rate: 2500,
      count: N,
      partitions: 3,
      // Simulated time: each trade's timestamp depends on its index only, not on the wall clock.
      simulator: { seed: SEED, stepMs: 50, simulatedStart: SIM_START },
      onStats: (s) =>
        (producer = `${s.state}, ${s.produced} produced${s.lastError ? `, ${s.lastError}` : ''}`),
    });
    producing.catch(() => undefined); // awaited below; not unhandled meanwhile
    const supervisor = new EnricherSupervisor(db);
    supervisor.start();
    // However the test ends, no consumer is left running (it would keep the process alive).
    t.after(() => supervisor.stop());

    const started = Date.now();
    const log: string[] = [];
    for (let i = 0; i < kinds.length; i++) {
      const wait = started + moments[i]! - Date.now();
      if (wait > 0) await sleep(wait);
      if (kinds[i] === 'broker') {
        log.push(`${Date.now() - started} ms: broker SIGKILL`);
        await broker.provider.kill();
        await sleep(500 + rng.int(1500));
        await broker.provider.start({ timeoutMs: 120_000 });
        log.push(`${Date.now() - started} ms: broker up`);
      } else {
        // Kill mid-work: once this consumer has stored something since its last kill (so a
        // kill never lands only in a start-up), plus a seeded 0–1.5 s.
        const before = storedCount(db);
        await waitFor(
          'the consumer to store more trades',
          () => storedCount(db) > before || storedCount(db) >= N,
          120_000,
          () =>
            `producer: ${producer}; consumer exits: ${supervisor.ownExits.slice(-2).join(' | ')}; ${log.join('; ')}`,
        );
        await sleep(rng.int(1500));
        log.push(`${Date.now() - started} ms: consumer SIGKILL at ${storedCount(db)} stored`);
        await supervisor.kill();
      }
    }

    const produced = await producing;
    assert.equal(produced.produced, N, 'every trade was produced');
    await waitFor(
      'every trade stored',
      () => storedCount(db) >= N,
      180_000,
      () => `${storedCount(db)} stored; ${log.join('; ')}`,
    );
    await supervisor.stop();
    log.push(`${Date.now() - started} ms: all ${N} stored; ${supervisor.starts} consumer starts`);
    if (process.env.VI_DEBUG)
      console.log(log.join('\n'), supervisor.ownExits.length, supervisor.ownExits[0]);

    // The topic holds each trade once (idempotent producer through the broker kills).
    const admin = createKafka(broker.connection).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(TOPICS.source);
    await admin.disconnect();
    assert.equal(
      offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0),
      N,
      'the source topic holds every trade once',
    );

    // The reference: an uninterrupted run over the same topic into a new database.
    const refDb = join(dir.path, 'reference.db');
    const ref = await runEnricher({
      request: EnrichRequestSchema.parse({
        connection: broker.connection,
        db: refDb,
        sourceTopic: TOPICS.source,
        enrichedTopic: 'chaos_ref_enriched',
        deadLetterTopic: 'chaos_ref_dlq',
        untilIdleMs: 1000,
      }),
    });
    assert.equal(ref.rowsStored, N);

    const got = readAll(db);
    const want = readAll(refDb);
    assert.equal(got.trades.length, N, 'no gap, no duplicate');
    assert.equal(got.deadLetters, 0);
    // Row by row, every stored value: trades, analytics, context, bars, offsets. Analytics whose
    // state a restart rebuilds from SQLite (window sums, the EWMA from its stored square root)
    // may differ in the last bits (~1e-15 relative): those are equal to 1e-9, the rest exactly.
    const sameRows = (what: string, a: unknown[], b: unknown[]) => {
      assert.equal(a.length, b.length, `${what}: row count`);
      for (let i = 0; i < a.length; i++) {
        const x = a[i] as Record<string, unknown>;
        const y = b[i] as Record<string, unknown>;
        if (JSON.stringify(x) === JSON.stringify(y)) continue;
        for (const key of Object.keys(y)) {
          const ok = RESTORED.has(key)
            ? close(x[key] as number | null, y[key] as number | null)
            : x[key] === y[key];
          if (!ok) assert.deepEqual(x, y, `${what} ${i}: ${key} differs (${log.join('; ')})`);
        }
      }
    };
    sameRows('trade', got.trades, want.trades);
    sameRows('bar', got.bars, want.bars);
    assert.deepEqual(got.offsets, want.offsets, 'offsets equal');

    // The enriched topic: at least once, every source position.
    const enriched = await topicPositions(TOPICS.enriched);
    assert.ok(enriched.records >= N);
    for (const o of offsets) {
      for (let off = Number(o.low); off < Number(o.high); off++) {
        if (!enriched.positions.has(`${o.partition}:${off}`)) {
          assert.fail(`the enriched topic lacks source ${o.partition}:${off}`);
        }
      }
    }
    assert.ok(supervisor.starts >= 6, `the consumer was started ${supervisor.starts} times`);
  },
);
