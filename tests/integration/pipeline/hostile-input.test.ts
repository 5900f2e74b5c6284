// Hostile input: 10,000+ generated bad payloads (random bytes, truncated and deeply nested JSON,
// wrong types, NaN/Infinity, duplicate keys, UTF-16, BOMs, overlong UTF-8, a 1 MB value, a
// 600 KB key, invalid-UTF-8 keys, symbols with control/RTL/HTML/formula characters, a 1e-300
// price, year-9999 timestamps) mixed into the partitions of 5,000 valid seeded trades. Every valid
// trade must be stored, every bad one dead-lettered with a reason, the consumer must neither
// crash nor stall, and each symbol's analytics must equal a clean run over the valid trades only.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Producer } from 'kafkajs';
import { EnrichRequestSchema } from '../../../contract/pipeline.js';
import { runEnricher } from '../../../main/enrich/consumer.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { ensureTopic } from '../../../main/kafka/topics.js';
import { Random } from '../../../main/simulator/random.js';
import { TradeSimulator } from '../../../main/simulator/trade-simulator.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

const VALID = 5000;
const HOSTILE = 10_000;
const PARTITIONS = 3;
const SIM_START = Date.UTC(2025, 6, 7, 14, 0, 0);

let broker: TestBroker;
const dir = tempDir('vi-hostile-input-');
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

interface Msg {
  key: Buffer | null;
  value: Buffer | null;
  valid: boolean;
  kind: string;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const trade = (fields: Record<string, unknown>) =>
  JSON.stringify({
    timestamp: '2025-07-07T14:00:00Z',
    symbol: 'AAPL',
    price: 100,
    volume: 10,
    ...fields,
  });

/** One bad payload of each kind, cycling; randomness from the seeded PRNG. */
function hostile(i: number, rng: Random): Msg {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rng.int(256)));
  const validText = trade({});
  const make = (kind: string, value: Buffer | null, key: Buffer | null = utf8('AAPL')) => ({
    kind,
    value,
    key,
    valid: false,
  });
  const symbols = [
    'AA\u0000PL',
    'AAPL\u0007',
    'AA\nPL',
    '\u202EAAPL',
    'AAPL\u200F',
    '<script>alert(1)</script>',
    '<b>AAPL</b>',
    '=HYPERLINK("http://x","y")',
    '+1+2',
    '-2+3',
    '@SUM(A1:A2)',
    'A'.repeat(33),
    '',
    '   ',
    'AAPL;DROP TABLE',
    'ÅAPL',
  ];
  switch (i % 24) {
    case 0:
      return make('random bytes', bytes(rng.int(200)));
    case 1:
      return make('truncated JSON', utf8(validText.slice(0, rng.int(validText.length - 1))));
    case 2:
      return make('deeply nested array', utf8('['.repeat(5000 + rng.int(5000)) + ']'.repeat(5000)));
    case 3:
      return make(
        'deeply nested symbol',
        utf8(trade({}).replace('"AAPL"', '{"a":'.repeat(3000) + '1' + '}'.repeat(3000))),
      );
    case 4:
      return make('price as string', utf8(trade({ price: '100' })));
    case 5:
      return make(
        'volume negative / fractional',
        utf8(trade({ volume: rng.next() < 0.5 ? -5 : 1.5 })),
      );
    case 6:
      return make('symbol a number', utf8(trade({ symbol: 42 })));
    case 7:
      return make('missing field', utf8(JSON.stringify({ symbol: 'AAPL', price: 1, volume: 1 })));
    case 8:
      return make('NaN literal', utf8(validText.replace('"price":100', '"price":NaN')));
    case 9:
      return make('Infinity literal', utf8(validText.replace('"price":100', '"price":Infinity')));
    case 10:
      return make(
        '1e999 (Infinity once parsed)',
        utf8(validText.replace('"price":100', '"price":1e999')),
      );
    case 11:
      return make(
        'duplicate key, last one bad',
        utf8(validText.replace('"price":100', '"price":100,"price":"x"')),
      );
    case 12:
      return make(
        'UTF-16LE with BOM',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(validText, 'utf16le')]),
      );
    case 13:
      return make('UTF-16BE', Buffer.from(validText, 'utf16le').swap16());
    case 14:
      return make(
        'UTF-8 BOM, bad type',
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(trade({ volume: 'ten' }))]),
      );
    case 15: {
      // Overlong UTF-8 for 'A' (0xC1 0x81) inside the symbol: decodes to U+FFFD, not a ticker.
      const [head, tail] = validText.split('AAPL');
      return make(
        'overlong UTF-8',
        Buffer.concat([utf8(head!), Buffer.from([0xc1, 0x81]), utf8('APL'), utf8(tail!)]),
      );
    }
    case 16:
      return make('hostile symbol', utf8(trade({ symbol: symbols[rng.int(symbols.length)] })));
    case 17:
      return make('price 1e-300', utf8(trade({ price: 1e-300 })));
    case 18:
      return make('year 9999', utf8(trade({ timestamp: '9999-12-31T23:59:59.999Z' })));
    case 19:
      return make(
        'before 1970 / not a date',
        utf8(trade({ timestamp: rng.next() < 0.5 ? '1969-12-31T23:59:59Z' : 'yesterday' })),
      );
    case 20:
      return make('invalid-UTF-8 key', utf8(trade({ price: -1 })), bytes(1 + rng.int(64)));
    case 21:
      return make('null value', null);
    case 22:
      return make(
        'JSON scalar / array',
        utf8(['1', '"AAPL"', 'null', 'true', '[]', '{}'][rng.int(6)]!),
      );
    default:
      return make('empty / whitespace', utf8(['', ' ', '\n', '\u0000'][rng.int(4)]!));
  }
}

async function send(producer: Producer, topic: string, partition: number, msgs: Msg[]) {
  // Large records alone; the rest in chunks, in order (idempotent producer, one in flight).
  let chunk: Msg[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    await producer.send({
      topic,
      acks: -1,
      messages: chunk.map((m) => ({ key: m.key, value: m.value, partition })),
    });
    chunk = [];
  };
  for (const m of msgs) {
    const size = (m.value?.length ?? 0) + (m.key?.length ?? 0);
    if (size > 64 * 1024) {
      await flush();
      chunk = [m];
      await flush();
    } else {
      chunk.push(m);
      if (chunk.length >= 500) await flush();
    }
  }
  await flush();
}

async function enrich(prefix: string, db: string) {
  return runEnricher({
    request: EnrichRequestSchema.parse({
      connection: broker.connection,
      db,
      sourceTopic: `${prefix}_trades`,
      enrichedTopic: `${prefix}_enriched`,
      deadLetterTopic: `${prefix}_dlq`,
      untilIdleMs: 1000,
    }),
  });
}

const METRICS =
  'ts, symbol, price, volume, log_return, vol_1m, vol_5m, vol_1m_ann, vol_5m_ann, ewma_vol, ' +
  'ewma_vol_ann, vwap_5m, late, session, exchange, company, sector';

it(
  `${HOSTILE} hostile payloads among ${VALID} trades: valid stored, bad dead-lettered with reasons, analytics unpoisoned`,
  { timeout: 5 * 60_000 },
  async () => {
    const rng = new Random(10);
    const sim = new TradeSimulator({ seed: 10, stepMs: 200, simulatedStart: SIM_START });
    // Each symbol's valid trades in one partition, in order; bad ones anywhere between them.
    const symbolPartition = new Map<string, number>();
    const valid: Msg[][] = Array.from({ length: PARTITIONS }, () => []);
    for (let i = 0; i < VALID; i++) {
      const t = sim.next(Date.now());
      if (!symbolPartition.has(t.symbol))
        symbolPartition.set(t.symbol, symbolPartition.size % PARTITIONS);
      valid[symbolPartition.get(t.symbol)!]!.push({
        key: utf8(t.symbol),
        value: utf8(JSON.stringify(t)),
        valid: true,
        kind: 'trade',
      });
    }
    const bad: Msg[] = Array.from({ length: HOSTILE }, (_, i) => hostile(i, rng));
    // The giants: a 1 MB value (just under the broker's 1 MiB limit) and a 600 KB key.
    bad.push({
      kind: '1 MB value',
      key: utf8('AAPL'),
      value: utf8(trade({ symbol: 'A'.repeat(1_000_000) })),
      valid: false,
    });
    bad.push({
      kind: '600 KB key',
      key: Buffer.alloc(600 * 1024, 0xfe),
      value: utf8('not json'),
      valid: false,
    });
    bad.push({
      kind: '600 KB key (UTF-8)',
      key: Buffer.alloc(600 * 1024, 'k'),
      value: utf8(trade({ price: 0 })),
      valid: false,
    });
    const mixed: Msg[][] = valid.map((list) => [...list]);
    for (const m of bad) {
      const p = mixed[rng.int(PARTITIONS)]!;
      p.splice(rng.int(p.length + 1), 0, m);
    }
    // A bad message first in every partition, as in the stall the issue found.
    for (let p = 0; p < PARTITIONS; p++) {
      mixed[p]!.unshift({
        kind: '600 KB key first',
        key: Buffer.alloc(600 * 1024, 0x80),
        value: utf8('{'),
        valid: false,
      });
    }
    const totalBad = bad.length + PARTITIONS;

    const kafka = createKafka(broker.connection);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const prefix of ['hostile', 'clean'])
      await ensureTopic(kafka, `${prefix}_trades`, PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      await send(producer, 'hostile_trades', p, mixed[p]!);
      await send(producer, 'clean_trades', p, valid[p]!);
    }
    await producer.disconnect();

    const hostileDb = join(dir.path, 'hostile.db');
    const cleanDb = join(dir.path, 'clean.db');
    // No crash, no stall: the run ends by itself once everything is stored.
    const result = await enrich('hostile', hostileDb);
    await enrich('clean', cleanDb);
    assert.equal(result.enriched, VALID);
    assert.equal(result.deadLetters, totalBad);

    const h = new Database(hostileDb, { readonly: true });
    const c = new Database(cleanDb, { readonly: true });
    try {
      // Every bad message is a dead letter with a reason, at exactly its position.
      const dead = h
        .prepare('SELECT source_partition AS p, source_offset AS o, reason FROM dead_letters')
        .all() as { p: number; o: number; reason: string }[];
      const deadAt = new Map(dead.map((d) => [`${d.p}:${d.o}`, d.reason]));
      assert.equal(dead.length, totalBad);
      for (let p = 0; p < PARTITIONS; p++) {
        mixed[p]!.forEach((m, offset) => {
          const reason = deadAt.get(`${p}:${offset}`);
          if (m.valid)
            assert.equal(reason, undefined, `valid trade at ${p}:${offset} dead-lettered`);
          else
            assert.ok(reason && reason.length > 0, `${m.kind} at ${p}:${offset}: no dead letter`);
        });
      }
      // The dead-letter topic got them all (at least once).
      const admin = kafka.admin();
      await admin.connect();
      const dlq = await admin.fetchTopicOffsets('hostile_dlq');
      await admin.disconnect();
      assert.ok(dlq.reduce((n, o) => n + Number(o.high), 0) >= totalBad);

      // Every valid trade stored, with the analytics of the clean run, symbol by symbol.
      const rows = (db: Database.Database) =>
        db
          .prepare(
            `SELECT ${METRICS} FROM enriched_trades ORDER BY symbol, kafka_partition, kafka_offset`,
          )
          .all() as Record<string, unknown>[];
      const got = rows(h);
      const want = rows(c);
      assert.equal(got.length, VALID);
      assert.deepEqual(got, want);
      for (const r of got) {
        for (const k of ['log_return', 'vol_1m', 'ewma_vol', 'vwap_5m'] as const) {
          const v = r[k];
          assert.ok(v === null || Number.isFinite(v), `${String(r.symbol)} ${k} = ${String(v)}`);
        }
      }
      const bars = (db: Database.Database) =>
        db.prepare('SELECT * FROM bars ORDER BY symbol, minute_start').all();
      assert.deepEqual(bars(h), bars(c));
    } finally {
      h.close();
      c.close();
    }
  },
);
