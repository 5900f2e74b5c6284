import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { REPUBLISHED_FROM_HEADER } from '../../../contract/messages.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { main } from '../../../main/shells/cli.js';
import { deadLettersCommand, messagesCommand } from '../../../main/shells/cli/messages.js';
import { runCli } from '../../support/cli.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
let broker: TestBroker;
let home: ReturnType<typeof tempDir>;

before(async () => {
  broker = await startTestBroker();
  home = tempDir('vi-cli-msg-');
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'cli_trades', numPartitions: 2 },
      { topic: 'stock_prices_dlq', numPartitions: 1 },
      { topic: 'stock_prices', numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'cli_trades',
    messages: Array.from({ length: 20 }, (_, i) => ({
      partition: i % 2,
      key: ['AAPL', 'MSFT'][i % 2]!,
      value: JSON.stringify({ symbol: ['AAPL', 'MSFT'][i % 2], price: 100 + i, volume: i }),
      timestamp: String(T0 + i * 1000),
      headers: { i: String(i) },
    })),
  });
  await producer.send({
    topic: 'stock_prices_dlq',
    messages: [
      {
        key: 'BAD',
        value: JSON.stringify({
          source_topic: 'stock_prices',
          source_partition: 0,
          source_offset: 7,
          reason: 'not JSON',
          value_base64: Buffer.from('{oops').toString('base64'),
          key: 'BAD',
          key_base64: null,
          received_at: '2026-01-05T14:31:00.000Z',
        }),
      },
    ],
  });
  await producer.disconnect();
});
after(async () => {
  await broker?.cleanup();
  home?.cleanup();
});

const env = () => ({ VI_HOME: home.path });
const b = () => ['--brokers', broker.brokers];
const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as {
          partition: number;
          offset: number;
          timestamp: number;
          key: string;
          headers: Record<string, string>;
          value: string;
        },
    );

describe('messages command', () => {
  it('--json: one object per line, newest by default, in time order', async () => {
    const r = await runCli(
      messagesCommand,
      ['cli_trades', '--limit', '3', '--json', ...b()],
      env(),
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.deepEqual(
      lines.map((l) => l.timestamp),
      [T0 + 17_000, T0 + 18_000, T0 + 19_000],
    );
    assert.deepEqual(lines[2], {
      partition: 1,
      offset: 9,
      timestamp: T0 + 19_000,
      key: 'MSFT',
      headers: { i: '19' },
      value: '{"symbol":"MSFT","price":119,"volume":19}',
    });
  });

  it('--from ISO-TIME reads forward; --from OFFSET and --partition; --filter', async () => {
    const byTime = await runCli(
      messagesCommand,
      ['cli_trades', '--from', '2026-01-05T14:30:05.500Z', '--limit', '4', '--json', ...b()],
      env(),
    );
    assert.deepEqual(
      jsonLines(byTime.stdout).map((l) => l.timestamp - T0),
      [6000, 7000, 8000, 9000],
    );
    const byOffset = await runCli(
      messagesCommand,
      ['cli_trades', '--from', '8', '--partition', '0', '--json', ...b()],
      env(),
    );
    assert.deepEqual(
      jsonLines(byOffset.stdout).map((l) => [l.partition, l.offset]),
      [
        [0, 8],
        [0, 9],
      ],
    );
    const filtered = await runCli(
      messagesCommand,
      [
        'cli_trades',
        '--from',
        'oldest',
        '--filter',
        'symbol = MSFT and price > 110',
        '--json',
        ...b(),
      ],
      env(),
    );
    assert.deepEqual(
      jsonLines(filtered.stdout).map((l) => JSON.parse(l.value).price),
      [111, 113, 115, 117, 119],
    );
    const all = await runCli(
      messagesCommand,
      ['cli_trades', '--from', 'oldest', '--limit', '1500', ...b()],
      env(),
    );
    const lines = all.stdout.trim().split('\n');
    assert.equal(lines.length, 20);
    assert.match(lines[0]!, /^2026-01-05T14:30:00\.000Z {2}0\/0 {2}AAPL {2}\{"symbol":"AAPL"/);
  });

  it('bad flags are usage errors (exit 2); an unknown topic is one line (exit 1)', async () => {
    const bad = await runCli(
      main,
      ['messages', 'cli_trades', '--from', 'yesterday', ...b()],
      env(),
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--from "yesterday"/);
    const badFilter = await runCli(
      main,
      ['messages', 'cli_trades', '--filter', 'key > 3', ...b()],
      env(),
    );
    assert.equal(badFilter.code, 2);
    const unknown = await runCli(main, ['messages', 'nope', ...b()], env());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /topic "nope" does not exist/);
  });

  it('--follow prints new messages until Ctrl-C', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const abort = new AbortController();
    const running = messagesCommand.run(
      ['cli_trades', '--limit', '1', '--follow', '--json', ...b()],
      {
        stdout: out,
        stderr: new PassThrough(),
        env: env(),
        signal: abort.signal,
      },
    );
    const until = Date.now() + 20_000;
    while (!text.includes('\n')) {
      assert.ok(Date.now() < until, 'the first page');
      await new Promise((r) => setTimeout(r, 20));
    }
    const producer = createKafka(broker.connection).producer();
    await producer.connect();
    await producer.send({
      topic: 'cli_trades',
      messages: [{ key: 'NEW', value: 'fresh', partition: 0 }],
    });
    await producer.disconnect();
    while (!text.includes('fresh')) {
      assert.ok(Date.now() < until, 'the followed message');
      await new Promise((r) => setTimeout(r, 20));
    }
    abort.abort();
    assert.equal(await running, 0);
    const lines = jsonLines(text);
    assert.equal(lines.length, 2);
    assert.equal(lines[1]!.key, 'NEW');
  });
});

describe('dead-letters command', () => {
  it('lists with the reason and republishes with the from header', async () => {
    const list = await runCli(deadLettersCommand, ['list', ...b()], env());
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^0:0 .* from stock_prices\/0\/7 {2}not JSON {2}5 bytes: \{oops\n$/);
    const rep = await runCli(deadLettersCommand, ['republish', '0:0', ...b()], env());
    assert.equal(rep.code, 0, rep.stderr);
    assert.equal(rep.stdout, 'republished stock_prices_dlq/0/0 to stock_prices/0/0\n');
    const src = await runCli(messagesCommand, ['stock_prices', '--json', ...b()], env());
    const [line] = jsonLines(src.stdout);
    assert.equal(line!.value, '{oops');
    assert.equal(line!.headers[REPUBLISHED_FROM_HEADER], 'stock_prices_dlq/0/0');
    const usage = await runCli(main, ['dead-letters', 'republish', 'x', ...b()], env());
    assert.equal(usage.code, 2);
  });
});
