import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EnrichRequestSchema } from '../../../contract/pipeline.js';
import { DeadLetterSchema } from '../../../contract/trade.js';
import { runEnricher } from '../../../main/enrich/consumer.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { ensureTopic } from '../../../main/kafka/topics.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

// Issue 10: a bad message whose key is large (600 KB) or not UTF-8, first in each partition,
// made a dead-letter record larger than the broker accepts (MESSAGE_TOO_LARGE, not retriable):
// the consumer retried that batch forever and never stored anything after it.

let broker: TestBroker;
const dir = tempDir('vi-hostile-keys-');
const PARTITIONS = 3;
const TRADES_PER_PARTITION = 20;
const SOON = '{"timestamp": "soon", "symbol": "AAPL", "price": 1, "volume": 1}';

before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

/** Every record of a topic, read from the beginning until the high watermarks are reached. */
async function readTopic(topic: string): Promise<{ key: Buffer | null; value: Buffer }[]> {
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const out: { key: Buffer | null; value: Buffer }[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      out.push({ key: message.key, value: message.value ?? Buffer.alloc(0) });
      if (out.length >= total) done();
    },
  });
  if (total > 0) await all;
  await consumer.disconnect();
  return out;
}

describe('hostile input on a real broker', () => {
  it('a 600 KB key and a key of invalid UTF-8 first in each partition: the stream goes on', async () => {
    const prefix = 'hk';
    const request = EnrichRequestSchema.parse({
      connection: broker.connection,
      db: join(dir.path, 'hostile-keys.db'),
      sourceTopic: `${prefix}_trades`,
      enrichedTopic: `${prefix}_enriched`,
      deadLetterTopic: `${prefix}_dlq`,
      untilIdleMs: 1000,
    });
    const kafka = createKafka(broker.connection);
    await ensureTopic(kafka, request.sourceTopic, PARTITIONS);
    const producer = kafka.producer();
    await producer.connect();

    const bigKey = Buffer.alloc(600 * 1024, 'k');
    // 300 KB of bytes that are not UTF-8: decoded as text each becomes U+FFFD (3 bytes), so a
    // record built from the decoded key is ~900 KB, three times its length in characters
    const badUtf8Key = Buffer.alloc(300 * 1024, 0xff);
    const start = Date.UTC(2025, 6, 7, 14, 0, 0);
    const trade = (p: number, i: number) =>
      JSON.stringify({
        timestamp: new Date(start + i * 1000).toISOString(),
        symbol: ['AAPL', 'MSFT', 'NVDA'][p],
        price: 100 + i / 10,
        volume: 10 + i,
      });
    for (let p = 0; p < PARTITIONS; p++) {
      // one send per message: each is its own record batch, under the broker's 1 MiB limit
      const send = (key: Buffer, value: string) =>
        producer.send({ topic: request.sourceTopic, messages: [{ partition: p, key, value }] });
      await send(bigKey, 'not json'); // offset 0: dead-lettered
      await send(badUtf8Key, SOON); // offset 1: dead-lettered
      await send(bigKey, trade(p, 0)); // offset 2: a valid trade with a huge key is stored
      for (let i = 1; i < TRADES_PER_PARTITION; i++) {
        await send(Buffer.from(`k${i}`), trade(p, i));
      }
    }
    await producer.disconnect();

    // Without the fix the enricher never becomes idle: bound the wait, then check what it stored.
    const result = await runEnricher({ request, signal: AbortSignal.timeout(60_000) });
    assert.equal(result.enriched, PARTITIONS * TRADES_PER_PARTITION);
    assert.equal(result.deadLetters, PARTITIONS * 2);

    const conn = new Database(request.db, { readonly: true });
    const stored = conn
      .prepare('SELECT kafka_partition AS p, COUNT(*) AS n FROM enriched_trades GROUP BY p')
      .all() as { p: number; n: number }[];
    const dead = conn
      .prepare(
        'SELECT source_partition AS p, source_offset AS o, length(message_key) AS keyLength, raw FROM dead_letters ORDER BY p, o',
      )
      .all() as { p: number; o: number; keyLength: number; raw: Buffer }[];
    conn.close();
    assert.deepEqual(
      stored,
      [0, 1, 2].map((p) => ({ p, n: TRADES_PER_PARTITION })),
    );
    // SQLite keeps the whole message (the key as text)
    assert.deepEqual(
      dead.map((d) => [d.p, d.o, d.keyLength, d.raw.toString()]),
      [0, 1, 2].flatMap((p) => [
        [p, 0, 600 * 1024, 'not json'],
        [p, 1, 300 * 1024, SOON],
      ]),
    );

    const enriched = await readTopic(request.enrichedTopic);
    assert.equal(enriched.length, PARTITIONS * TRADES_PER_PARTITION);
    for (const m of enriched) {
      // the enriched record's key is its symbol, whatever the source key was
      assert.equal(m.key?.toString(), JSON.parse(m.value.toString()).symbol);
    }

    const dlq = await readTopic(request.deadLetterTopic);
    assert.equal(dlq.length, PARTITIONS * 2);
    for (const m of dlq) {
      const d = DeadLetterSchema.parse(JSON.parse(m.value.toString('utf8')));
      assert.equal(m.key?.length, 1024);
      if (d.source_offset === 0) {
        assert.equal(d.key, 'k'.repeat(1024));
        assert.equal(d.key_base64, null);
        assert.match(d.reason, /^not JSON \(key truncated to 1024 of 614400 bytes; /);
      } else {
        assert.equal(d.key, null);
        assert.deepEqual(Buffer.from(d.key_base64!, 'base64'), Buffer.alloc(1024, 0xff));
        assert.match(
          d.reason,
          /^invalid trade: timestamp: .*\(key truncated to 1024 of 307200 bytes; /,
        );
      }
    }
  });

  it('a trade dated in the future, a near-zero price and a formula symbol do not poison a symbol', async () => {
    const prefix = 'implausible';
    const request = EnrichRequestSchema.parse({
      connection: broker.connection,
      db: join(dir.path, 'implausible.db'),
      sourceTopic: `${prefix}_trades`,
      enrichedTopic: `${prefix}_enriched`,
      deadLetterTopic: `${prefix}_dlq`,
      untilIdleMs: 1000,
    });
    const kafka = createKafka(broker.connection);
    await ensureTopic(kafka, request.sourceTopic, 1);
    const producer = kafka.producer();
    await producer.connect();
    const start = Date.UTC(2025, 6, 7, 14, 0, 0);
    const trade = (sec: number, price: number, symbol = 'AAPL') =>
      JSON.stringify({
        timestamp: new Date(start + sec * 1000).toISOString(),
        symbol,
        price,
        volume: 1,
      });
    const values = [
      trade(0, 100),
      '{"timestamp": "9999-12-31T23:59:59Z", "symbol": "AAPL", "price": 100, "volume": 1}',
      trade(1, 1e-300),
      trade(2, 100, '=HYPERLINK("x")'),
      trade(3, 100, 'AB\u202EC'),
      ...[4, 5, 6, 7].map((sec) => trade(sec, 100 + sec)),
    ];
    await producer.send({
      topic: request.sourceTopic,
      messages: values.map((value) => ({ key: 'k', value })),
    });
    await producer.disconnect();

    const result = await runEnricher({ request, signal: AbortSignal.timeout(60_000) });
    assert.equal(result.enriched, 5);
    assert.equal(result.deadLetters, 4);
    const conn = new Database(request.db, { readonly: true });
    const rows = conn
      .prepare(
        'SELECT price, late, log_return, ewma_vol FROM enriched_trades ORDER BY kafka_offset',
      )
      .all() as { price: number; late: number; log_return: number | null; ewma_vol: number }[];
    const reasons = (
      conn.prepare('SELECT reason FROM dead_letters ORDER BY source_offset').all() as {
        reason: string;
      }[]
    ).map((d) => d.reason);
    conn.close();
    // every later trade is in order with a finite return from its predecessor
    assert.deepEqual(
      rows.map((r) => [r.price, r.late]),
      [100, 104, 105, 106, 107].map((p) => [p, 0]),
    );
    assert.equal(rows[1]!.log_return, Math.log(104 / 100));
    assert.ok(
      rows.slice(1).every((r) => Number.isFinite(r.log_return) && Number.isFinite(r.ewma_vol)),
    );
    assert.match(reasons[0]!, /^invalid trade: timestamp: more than 24 hours ahead of the clock/);
    assert.equal(reasons[1], 'invalid trade: price: price must be >= 0.0001');
    assert.match(reasons[2]!, /^invalid trade: symbol: symbol must be 1-20 characters/);
    assert.match(reasons[3]!, /^invalid trade: symbol: symbol must be 1-20 characters/);
  });
});
