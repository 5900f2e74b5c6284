import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import { createKafka } from '../../../main/kafka/connection.js';
import { sleep } from '../../../main/net-util.js';
import { APP_ROOT } from '../../../main/paths.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

// The broker .ci/run starts through the CLI (VI_TEST_BROKERS) when there is one, else our own.
let brokers = process.env.VI_TEST_BROKERS ?? '';
let own: TestBroker | undefined;
const dir = tempDir('vi-cli-run-');

before(async () => {
  if (!brokers) {
    own = await startTestBroker();
    brokers = own.brokers;
  }
});
after(async () => {
  await own?.cleanup();
  dir.cleanup();
});

function cli(args: string[]) {
  const child = spawn(
    process.execPath,
    [join(APP_ROOT, 'bin', 'volatility-insight.mjs'), ...args],
    {
      env: { ...process.env, KAFKA_BROKERS: brokers, VI_HOME: dir.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

async function topicCount(topic: string): Promise<number> {
  const admin = createKafka({ brokers: brokers.split(',') }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

it('`run` streams live, and Ctrl-C stops it cleanly with nothing lost', async () => {
  const topic = `cli_run_${Date.now()}`;
  const db = join(dir.path, 'run.db');
  const run = cli(['run', '--rate', '2000', '--topic', topic, '--db', db]);
  const deadline = Date.now() + 60_000;
  while (!/stored [1-9]\d{2,}/.test(run.output()) && Date.now() < deadline) await sleep(200);
  run.child.kill('SIGINT');
  const code = await run.exited;
  assert.equal(code, 0, run.output());
  assert.match(run.output(), /stopping/);

  const inTopic = await topicCount(topic);
  const conn = new Database(db, { readonly: true });
  const stored = (conn.prepare('SELECT COUNT(*) AS n FROM enriched_trades').get() as { n: number })
    .n;
  conn.close();
  assert.ok(inTopic >= 100, `produced ${inTopic}`);
  assert.equal(stored, inTopic, 'every produced trade was enriched and stored before the exit');
  assert.match(run.output(), new RegExp(`produced ${inTopic} trades`));
});

it('`produce --count` then `enrich --until-idle` (batch use), then `export`', async () => {
  const topic = `cli_batch_${Date.now()}`;
  const db = join(dir.path, 'batch.db');
  const produce = cli([
    'produce',
    '--count',
    '250',
    '--rate',
    'max',
    '--seed',
    '9',
    '--topic',
    topic,
  ]);
  assert.equal(await produce.exited, 0, produce.output());
  assert.match(produce.output(), /produced 250 trades/);
  const enrich = cli([
    'enrich',
    '--topic',
    topic,
    '--enriched-topic',
    `${topic}_enriched`,
    '--dlq-topic',
    `${topic}_dlq`,
    '--db',
    db,
    '--until-idle',
    '1000',
  ]);
  assert.equal(await enrich.exited, 0, enrich.output());
  assert.match(enrich.output(), /enriched 250 trades, 0 dead letters; 250 rows in/);
  assert.equal(await topicCount(`${topic}_enriched`), 250);
  assert.equal(await topicCount(`${topic}_dlq`), 0);
  const out = join(dir.path, 'batch.csv');
  const exp = cli(['export', '--format', 'csv', '--out', out, '--db', db]);
  assert.equal(await exp.exited, 0, exp.output());
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 251);
  assert.match(
    lines[0]!,
    /^timestamp,symbol,price,volume,log_return,vol_1m,vol_5m,ewma_vol,vwap_5m,/,
  );
});
