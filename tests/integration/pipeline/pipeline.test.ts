import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EnrichRequestSchema } from '../../../contract/pipeline.js';
import { DeadLetterSchema, EnrichedTradeSchema } from '../../../contract/trade.js';
import { runEnricher } from '../../../main/enrich/consumer.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { ensureTopic } from '../../../main/kafka/topics.js';
import { sleep } from '../../../main/net-util.js';
import { APP_ROOT } from '../../../main/paths.js';
import { runProducer } from '../../../main/simulator/producer.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';
import { close, referenceMetrics, type RefTrade } from '../../support/reference-analytics.js';

let broker: TestBroker;
const dir = tempDir('vi-pipeline-');
const SIM_START = Date.UTC(2025, 6, 7, 14, 0, 0); // a Monday, 10:00 New York: regular session

before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

function topics(prefix: string) {
  return {
    sourceTopic: `${prefix}_trades`,
    enrichedTopic: `${prefix}_enriched`,
    deadLetterTopic: `${prefix}_dlq`,
  };
}

async function produce(topic: string, count: number, seed: number) {
  return runProducer({
    connection: broker.connection,
    topic,
    rate: 'max',
    count,
    partitions: 3,
    simulator: { seed, stepMs: 1000, simulatedStart: SIM_START },
  });
}

function enrichRequest(prefix: string, db: string) {
  return EnrichRequestSchema.parse({
    connection: broker.connection,
    db,
    ...topics(prefix),
    untilIdleMs: 1000,
  });
}

interface StoredRow extends RefTrade {
  log_return: number | null;
  vol_1m: number | null;
  vol_5m: number | null;
  ewma_vol: number | null;
  vwap_5m: number;
  late: number;
  session: string;
  exchange: string | null;
  kafka_partition: number;
  kafka_offset: number;
}

function readRows(db: string): StoredRow[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare('SELECT * FROM enriched_trades ORDER BY ts, kafka_partition, kafka_offset')
      .all() as StoredRow[];
  } finally {
    conn.close();
  }
}

/** Every stored row equals an independent recomputation from the definitions. */
function assertMatchesReference(rows: StoredRow[]) {
  const bySymbol = new Map<string, StoredRow[]>();
  for (const r of rows) bySymbol.set(r.symbol, [...(bySymbol.get(r.symbol) ?? []), r]);
  for (const [symbol, list] of bySymbol) {
    const ref = referenceMetrics(list);
    list.forEach((row, i) => {
      const want = ref[i]!;
      for (const key of ['log_return', 'vol_1m', 'vol_5m', 'ewma_vol', 'vwap_5m'] as const) {
        assert.ok(
          close(row[key], want[key]),
          `${symbol} trade ${i} ${key}: stored ${row[key]}, reference ${want[key]}`,
        );
      }
    });
  }
}

async function topicMessages(topic: string): Promise<{ partition: number; value: Buffer }[]> {
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const out: { partition: number; value: Buffer }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.push({ partition, value: message.value ?? Buffer.alloc(0) });
    },
  });
  const deadline = Date.now() + 30_000;
  while (out.length < total && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  return out;
}

describe('pipeline on a real broker', () => {
  it('N simulated trades become N enriched rows with the right values', async () => {
    const db = join(dir.path, 'n-trades.db');
    const t = topics('n');
    const produced = await produce(t.sourceTopic, 900, 7);
    assert.equal(produced.produced, 900);
    const result = await runEnricher({ request: enrichRequest('n', db) });
    assert.equal(result.enriched, 900);
    assert.equal(result.deadLetters, 0);

    const rows = readRows(db);
    assert.equal(rows.length, 900);
    assert.equal(new Set(rows.map((r) => `${r.kafka_partition}:${r.kafka_offset}`)).size, 900);
    assert.ok(rows.every((r) => r.session === 'regular' && r.exchange === 'NASDAQ'));
    assert.ok(rows.every((r) => r.late === 0));
    assertMatchesReference(rows);

    const conn = new Database(db, { readonly: true });
    const bars = conn.prepare('SELECT * FROM bars').all() as {
      trade_count: number;
      high: number;
      low: number;
      parkinson_vol: number;
    }[];
    conn.close();
    assert.equal(
      bars.reduce((n, b) => n + b.trade_count, 0),
      900,
      'every trade is in exactly one bar',
    );
    for (const b of bars) {
      assert.ok(
        close(b.parkinson_vol, Math.abs(Math.log(b.high / b.low)) / Math.sqrt(4 * Math.log(2))),
      );
    }

    const enriched = await topicMessages(t.enrichedTopic);
    assert.equal(enriched.length, 900);
    for (const m of enriched) EnrichedTradeSchema.parse(JSON.parse(m.value.toString('utf8')));
  });

  it('malformed messages go to the dead-letter topic and table; the stream goes on', async () => {
    const db = join(dir.path, 'malformed.db');
    const t = topics('bad');
    const kafka = createKafka(broker.connection);
    await ensureTopic(kafka, t.sourceTopic, 1);
    const producer = kafka.producer();
    await producer.connect();
    const good = [
      // the seed's Python producer: datetime.utcnow().isoformat() — no zone, microseconds
      '{"timestamp": "2025-07-07T14:23:45.123456", "symbol": "GOOGL", "price": 399.75, "volume": 420}',
      '{"timestamp": "2025-07-07T14:23:46Z", "symbol": "GOOGL", "price": 400.1, "volume": 10, "extra": true}',
      '{"timestamp": "2025-07-07T10:23:47-04:00", "symbol": "GOOGL", "price": 400.2, "volume": 0}',
    ];
    const bad: (string | null)[] = [
      'not json at all',
      '{"timestamp": "yesterday", "symbol": "AAPL", "price": 1, "volume": 1}',
      '{"timestamp": "2025-07-07T14:23:45Z", "symbol": "AAPL", "price": 0, "volume": 1}',
      '{"timestamp": "2025-07-07T14:23:45Z", "symbol": "AAPL", "price": -3, "volume": 1}',
      '{"timestamp": "2025-07-07T14:23:45Z", "symbol": "AAPL", "price": 10, "volume": -1}',
      '{"timestamp": "2025-07-07T14:23:45Z", "symbol": "AAPL", "price": "10", "volume": 1}',
      '{"timestamp": "2025-07-07T14:23:45Z", "price": 10, "volume": 1}',
      null,
    ];
    const values = [good[0], bad[0], bad[1], good[1], ...bad.slice(2), good[2]];
    await producer.send({
      topic: t.sourceTopic,
      messages: values.map((v) => ({ key: 'k', value: v ?? null })),
    });
    await producer.disconnect();

    const result = await runEnricher({ request: enrichRequest('bad', db) });
    assert.equal(result.enriched, good.length);
    assert.equal(result.deadLetters, bad.length);

    const rows = readRows(db);
    assert.deepEqual(
      rows.map((r) => [new Date(r.ts).toISOString(), r.price]),
      [
        ['2025-07-07T14:23:45.123Z', 399.75],
        ['2025-07-07T14:23:46.000Z', 400.1],
        ['2025-07-07T14:23:47.000Z', 400.2],
      ],
    );
    const conn = new Database(db, { readonly: true });
    const dlRows = conn.prepare('SELECT * FROM dead_letters ORDER BY source_offset').all() as {
      source_offset: number;
      reason: string;
      raw: Buffer | null;
    }[];
    conn.close();
    assert.equal(dlRows.length, bad.length);
    assert.match(dlRows[0]!.reason, /not JSON/);
    assert.match(dlRows.find((d) => d.raw?.toString().includes('"price": -3'))!.reason, /price/);

    const dlq = (await topicMessages(t.deadLetterTopic)).map((m) =>
      DeadLetterSchema.parse(JSON.parse(m.value.toString('utf8'))),
    );
    assert.equal(dlq.length, bad.length);
    for (const d of dlq) {
      const original = values[d.source_offset];
      assert.equal(d.source_topic, t.sourceTopic);
      assert.equal(
        d.value_base64 === null ? null : Buffer.from(d.value_base64, 'base64').toString(),
        original,
      );
      assert.ok(d.reason.length > 0);
    }
  });

  it('a consumer killed hard mid-stream and restarted stores every trade exactly once', async () => {
    const db = join(dir.path, 'killed.db');
    const t = topics('kill');
    const n = 20_000;
    await produce(t.sourceTopic, n, 11);
    const cli = (extra: string[]) =>
      spawn(
        process.execPath,
        [
          join(APP_ROOT, 'bin', 'volatility-insight.mjs'),
          'enrich',
          '--db',
          db,
          '--topic',
          t.sourceTopic,
          ...extra,
        ],
        {
          env: { ...process.env, KAFKA_BROKERS: broker.brokers },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    const count = () => {
      try {
        const conn = new Database(db, { readonly: true, fileMustExist: true });
        try {
          return (conn.prepare('SELECT COUNT(*) AS n FROM enriched_trades').get() as { n: number })
            .n;
        } finally {
          conn.close();
        }
      } catch {
        return 0;
      }
    };
    const first = cli([]);
    const exited = new Promise((resolve) => first.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (count() < 2000 && Date.now() < deadline) await sleep(20);
    first.kill('SIGKILL');
    await exited;
    const atKill = count();
    assert.ok(atKill > 0 && atKill < n, `killed mid-stream (stored ${atKill} of ${n})`);

    const second = cli(['--until-idle', '1500']);
    let stderr = '';
    second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => second.on('exit', resolve));
    assert.equal(code, 0, stderr);

    const rows = readRows(db);
    assert.equal(rows.length, n);
    const byPartition = new Map<number, number[]>();
    for (const r of rows)
      byPartition.set(r.kafka_partition, [
        ...(byPartition.get(r.kafka_partition) ?? []),
        r.kafka_offset,
      ]);
    for (const [partition, offsets] of byPartition) {
      offsets.sort((a, b) => a - b);
      assert.deepEqual(
        offsets,
        offsets.map((_, i) => i),
        `partition ${partition}: offsets 0..n-1 once each`,
      );
    }
    // The analytics resumed from SQLite: values across the restart equal a straight run's.
    assertMatchesReference(rows.filter((r) => r.symbol === 'AAPL'));
  });

  it('messages deleted by retention before they were stored are counted, not silently skipped', async () => {
    const db = join(dir.path, 'retention.db');
    const t = topics('ret');
    const kafka = createKafka(broker.connection);
    await ensureTopic(kafka, t.sourceTopic, 1);
    const sim = async (count: number, seed: number) =>
      runProducer({
        connection: broker.connection,
        topic: t.sourceTopic,
        rate: 'max',
        count,
        partitions: 1,
        simulator: { seed, stepMs: 1000, simulatedStart: SIM_START },
      });
    await sim(100, 1);
    assert.equal((await runEnricher({ request: enrichRequest('ret', db) })).enriched, 100);
    await sim(100, 2);
    // What retention does to old segments: records before offset 150 are gone.
    const admin = kafka.admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [t.sourceTopic] });
    await admin.deleteTopicRecords({
      topic: t.sourceTopic,
      partitions: [{ partition: 0, offset: '150' }],
    });
    await admin.disconnect();
    let lost = 0;
    const result = await runEnricher({
      request: enrichRequest('ret', db),
      onStats: (s) => (lost = s.lostToRetention),
    });
    assert.equal(lost, 50);
    assert.equal(result.enriched, 50);
    assert.equal(readRows(db).length, 150);
  });

  it('a recreated topic is refused with what to do, not silently skipped', async () => {
    const db = join(dir.path, 'recreated.db');
    const t = topics('rec');
    await produce(t.sourceTopic, 60, 4);
    assert.equal((await runEnricher({ request: enrichRequest('rec', db) })).enriched, 60);
    const admin = createKafka(broker.connection).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [t.sourceTopic] });
    await admin.disconnect();
    await sleep(1000);
    await produce(t.sourceTopic, 10, 5);
    await assert.rejects(
      runEnricher({ request: enrichRequest('rec', db) }),
      /was deleted and recreated \(or truncated\)\. Use a new database/,
    );
    assert.equal(readRows(db).length, 60);
  });
});
