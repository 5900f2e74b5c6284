import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPUBLISHED_FROM_HEADER } from '../../../contract/messages.js';
import { EnrichRequestSchema } from '../../../contract/pipeline.js';
import { runEnricher } from '../../../main/enrich/consumer.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { ensureTopic } from '../../../main/kafka/topics.js';
import { VolatilityService, createLocalApi } from '../../../main/service.js';
import { deadLettersCommand } from '../../../main/shells/cli/messages.js';
import { runCli } from '../../support/cli.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

// Issue 8: a dead letter stored in SQLite, corrected and republished from the table (CLI), is
// then enriched and stored like any trade.

let broker: TestBroker;
const dir = tempDir('vi-dl-stored-');
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

describe('republishing stored dead letters', () => {
  it('an edited dead letter from the table reaches the source topic and is enriched', async () => {
    const request = EnrichRequestSchema.parse({
      connection: broker.connection,
      db: join(dir.path, 'vi.db'),
      sourceTopic: 'dls_trades',
      enrichedTopic: 'dls_enriched',
      deadLetterTopic: 'dls_dlq',
      untilIdleMs: 1000,
    });
    const kafka = createKafka(broker.connection);
    await ensureTopic(kafka, request.sourceTopic, 1);
    const ts = new Date(Date.UTC(2025, 6, 7, 14, 0, 0)).toISOString();
    const bad = JSON.stringify({ timestamp: ts, symbol: 'AAPL', price: 'oops', volume: 5 });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: request.sourceTopic, messages: [{ key: 'AAPL', value: bad }] });
    await producer.disconnect();
    const first = await runEnricher({ request, signal: AbortSignal.timeout(60_000) });
    assert.deepEqual([first.enriched, first.deadLetters], [0, 1]);

    const env = { VI_HOME: dir.path };
    const listed = await runCli(
      deadLettersCommand,
      ['list', '--stored', '--db', request.db, '--json'],
      env,
    );
    assert.equal(listed.code, 0, listed.stderr);
    const row = JSON.parse(listed.stdout.trim()) as { id: number; original: string; key: string };
    // The value is decoded as the topic browser shows it: JSON pretty-printed.
    assert.deepEqual([JSON.parse(row.original), row.key], [JSON.parse(bad), 'AAPL']);

    const fixed = JSON.stringify({ timestamp: ts, symbol: 'AAPL', price: 101.5, volume: 5 });
    const sent = await runCli(
      deadLettersCommand,
      [
        'republish',
        '--stored',
        String(row.id),
        '--value',
        fixed,
        '--topic',
        request.sourceTopic,
        '--db',
        request.db,
        '--brokers',
        broker.brokers,
      ],
      env,
    );
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(
      sent.stdout,
      new RegExp(`^republished sqlite:dead_letters/${row.id} to dls_trades/0/1 \\(edited\\)`),
    );

    const service = new VolatilityService({ env, db: request.db, brokers: [broker.brokers] });
    const api = createLocalApi(service, { trusted: true });
    try {
      const page = await api.call('messages.read', { topic: request.sourceTopic, limit: 1 });
      const header = page.records[0]!.headers.find((h) => h.key === REPUBLISHED_FROM_HEADER);
      assert.equal(header?.value?.text, `sqlite:dead_letters/${row.id}`);
    } finally {
      api.close();
      await service.shutdown();
    }

    const second = await runEnricher({ request, signal: AbortSignal.timeout(60_000) });
    assert.deepEqual([second.enriched, second.deadLetters], [1, 0]);
    const db = new Database(request.db, { readonly: true });
    const stored = db.prepare('SELECT symbol, price, volume FROM enriched_trades').all();
    db.close();
    assert.deepEqual(stored, [{ symbol: 'AAPL', price: 101.5, volume: 5 }]);
  });
});
