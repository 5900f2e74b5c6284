import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createKafka } from '../../../main/kafka/connection.js';
import { main } from '../../../main/shells/cli.js';
import { runCli } from '../../support/cli.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
let broker: TestBroker;
let home: ReturnType<typeof tempDir>;

before(async () => {
  broker = await startTestBroker();
  home = tempDir('vi-cli-views-');
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'view_trades', numPartitions: 2 },
      { topic: 'doomed', numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  // Partition i % 2; AAPL on 0, MSFT on 1; record 5 has no price, record 7 a nested session.
  await producer.send({
    topic: 'view_trades',
    messages: Array.from({ length: 20 }, (_, i) => ({
      partition: i % 2,
      key: ['AAPL', 'MSFT'][i % 2]!,
      value: JSON.stringify({
        symbol: ['AAPL', 'MSFT'][i % 2],
        ...(i === 5 ? {} : { price: 100 + i }),
        volume: i,
        context: { session: i === 7 ? 'pre' : 'regular' },
      }),
      timestamp: String(T0 + i * 1000),
    })),
  });
  await producer.send({ topic: 'doomed', messages: [{ value: '{"a":1}' }] });
  await producer.disconnect();
});
after(async () => {
  await broker?.cleanup();
  home?.cleanup();
});

const env = () => ({ VI_HOME: home.path, VI_DB: join(home.path, 'vi.db') });
const cli = (...argv: string[]) => runCli(main, [...argv], env());
const b = () => ['--brokers', broker.brokers];

interface Line {
  partition: number;
  offset: number;
  timestamp: number;
  columns?: Record<string, unknown>;
}
const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

describe('messages --view', () => {
  before(async () => {
    const saved = await cli(
      'views',
      'save',
      'MSFT from 10',
      '--topic',
      'view_trades',
      '--partitions',
      '1',
      '--from',
      'oldest',
      '--filter',
      'price >= 110',
      '--columns',
      'symbol,price,context.session',
    );
    assert.equal(saved.code, 0, saved.stderr);
  });

  it('reads the view’s topic, partitions, start and filter, with its columns', async () => {
    const r = await cli('messages', '--view', 'MSFT from 10', '--json', ...b());
    assert.equal(r.code, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    // Partition 1 holds i = 1, 3, …, 19 at offsets 0…9; price >= 110 keeps i = 11…19.
    assert.deepEqual(
      lines.map((l) => [l.partition, l.offset, l.timestamp - T0]),
      [
        [1, 5, 11_000],
        [1, 6, 13_000],
        [1, 7, 15_000],
        [1, 8, 17_000],
        [1, 9, 19_000],
      ],
    );
    assert.deepEqual(lines[0]?.columns, {
      symbol: 'MSFT',
      price: 111,
      'context.session': 'regular',
    });
  });

  it('prints the columns as a table, and flags override the view', async () => {
    const table = await cli('messages', '--view', 'MSFT from 10', '--limit', '2', ...b());
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(table.stdout.trimEnd().split('\n'), [
      'TIME                      PARTITION/OFFSET  KEY   symbol  price  context.session',
      '2026-01-05T14:30:11.000Z  1/5               MSFT  MSFT    111    regular',
      '2026-01-05T14:30:13.000Z  1/6               MSFT  MSFT    113    regular',
    ]);

    const overridden = await cli(
      'messages',
      '--view',
      'MSFT from 10',
      '--partition',
      '0',
      '--filter',
      'volume <= 8',
      '--columns',
      'price,context.session',
      '--json',
      ...b(),
    );
    assert.equal(overridden.code, 0, overridden.stderr);
    const lines = jsonLines(overridden.stdout);
    assert.deepEqual(
      lines.map((l) => [l.partition, l.offset]),
      [
        [0, 0],
        [0, 1],
        [0, 2],
        [0, 3],
        [0, 4],
      ],
    );
    assert.deepEqual(lines[0]?.columns, { price: 100, 'context.session': 'regular' });
  });

  it('a view of a deleted topic says so plainly and exits 1', async () => {
    assert.equal((await cli('views', 'save', 'Doomed view', '--topic', 'doomed')).code, 0);
    const before = await cli('messages', '--view', 'Doomed view', '--json', ...b());
    assert.equal(before.code, 0, before.stderr);
    assert.equal(jsonLines(before.stdout).length, 1);

    const admin = createKafka(broker.connection).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ['doomed'] });
    for (let i = 0; i < 50 && (await admin.listTopics()).includes('doomed'); i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.disconnect();

    const r = await cli('messages', '--view', 'Doomed view', ...b());
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `volatility-insight messages: saved view "Doomed view" reads topic "doomed", which does not exist on this broker: recreate the topic or delete the view (volatility-insight views delete 'Doomed view')\n`,
    );
    // The view itself is still there to delete.
    assert.equal((await cli('views', 'delete', 'Doomed view')).code, 0);
  });
});
