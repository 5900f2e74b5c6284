import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createKafka } from '../../main/kafka/connection.js';
import type { EdgeServer } from '../../main/shells/edge/server.js';
import {
  buildRendererIfStale,
  chromiumMissing,
  launchChromium,
  closeFixture,
  pageTest,
  serveEdgeOver,
  until,
} from '../support/edge-browser.js';
import { startTestBroker, tempDir, type TestBroker } from '../support/jvm-broker.js';

/**
 * The Topics screen in Chromium (edge mode), by role and name: browse newest, seek by time,
 * filter by symbol, live tail then pause, open a dead letter, republish it and see it enriched.
 */

const missing = chromiumMissing();
const home = tempDir('vi-edge-topics-');
let broker: TestBroker | null = null;
let server: EdgeServer | null = null;
let browser: Browser | null = null;

const N = 30;
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000; // an hour ago, whole seconds
const symbolOf = (i: number) => (i % 3 === 0 ? 'MSFT' : 'AAPL');
const trade = (i: number, ts = T0 + i * 1000, symbol = symbolOf(i)) =>
  JSON.stringify({ timestamp: new Date(ts).toISOString(), symbol, price: 100 + i, volume: 10 + i });
const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')} UTC`;

before(async () => {
  if (missing) return;
  buildRendererIfStale();
  broker = await startTestBroker();
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'stock_prices', numPartitions: 3 },
      { topic: 'stock_prices_dlq', numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'stock_prices',
    messages: Array.from({ length: N }, (_, i) => ({
      key: `${symbolOf(i)}-${i}`,
      value: trade(i),
      timestamp: String(T0 + i * 1000),
      partition: i % 3,
    })),
  });
  await producer.send({
    topic: 'stock_prices_dlq',
    messages: [
      {
        key: 'DLQX',
        value: JSON.stringify({
          source_topic: 'stock_prices',
          source_partition: 0,
          source_offset: 99,
          reason: 'invalid trade: price: price must be >= 0.0001',
          value_base64: Buffer.from(trade(7, Date.now() - 1000, 'DLQX')).toString('base64'),
          key: 'DLQX',
          key_base64: null,
          received_at: new Date().toISOString(),
        }),
      },
    ],
  });
  await producer.disconnect();
  server = await serveEdgeOver(broker, home.path, 'topics.db');
  browser = await launchChromium();
});

const fixture = () => ({ browser, server, broker, home });
after(() => closeFixture(fixture()));

pageTest(
  'the Topics screen: browse, seek, filter, live, dead letters',
  { timeout: 180_000, viewport: { width: 1280, height: 800 }, artifact: 'edge-topics-failure' },
  fixture,
  run,
);

async function run(page: Page, edge: EdgeServer): Promise<void> {
  const kafkaBroker = broker!;
  await page.goto(edge.url);
  await page.getByRole('link', { name: 'Topics' }).click();
  await page.getByRole('heading', { name: 'Topics', level: 1 }).waitFor();
  const rows = page.getByRole('list', { name: 'Messages' }).getByRole('button');
  const rowTexts = () => rows.allTextContents();

  // Browse: newest first.
  await page.getByRole('button', { name: /^stock_prices: 3 partitions, 30 messages/ }).click();
  await until(
    'the newest page',
    rowTexts,
    (r) => r.length > 0 && r[0]!.includes(`${symbolOf(N - 1)}-${N - 1}`),
    20_000,
  );
  const first = (await rowTexts())[0]!;
  assert.ok(first.startsWith(utc(T0 + (N - 1) * 1000)), first);
  assert.match(
    (await page
      .getByRole('status')
      .filter({ hasText: /30 messages/ })
      .first()
      .textContent()) ?? '',
    /30 messages/,
  );

  // Seek by time: from message 20 on, newest first, nothing before it.
  await page
    .getByLabel('Seek to')
    .fill(new Date(T0 + 20_000).toISOString().slice(0, 19).replace('T', ' '));
  await page.getByRole('button', { name: 'Seek', exact: true }).click();
  const sought = await until('the page from the time', rowTexts, (r) => r.length === 10, 20_000);
  assert.ok(sought[9]!.startsWith(utc(T0 + 20_000)), sought[9]);
  assert.ok(sought[0]!.startsWith(utc(T0 + 29_000)), sought[0]);

  // Filter by symbol (applied in the core).
  await page.getByRole('button', { name: 'Oldest', exact: true }).click();
  await page.getByLabel('Filter messages').fill('symbol = MSFT');
  await page.getByRole('button', { name: 'Apply filter', exact: true }).click();
  const msft = await until(
    'only MSFT',
    rowTexts,
    (r) => r.length === 10 && r.every((x) => x.includes('"symbol": "MSFT"') || x.includes('MSFT-')),
    20_000,
  );
  assert.ok(
    msft.every((x) => x.includes('MSFT-')),
    msft.join('\n'),
  );
  await page.getByLabel('Filter messages').fill('');
  await page.getByRole('button', { name: 'Apply filter', exact: true }).click();
  await until('the filter cleared', rowTexts, (r) => r.length === N, 20_000);

  // Live tail, then pause.
  const live = page.getByRole('button', { name: 'Live', exact: true });
  await live.click();
  await until(
    'live on',
    () => live.getAttribute('aria-pressed'),
    (v) => v === 'true',
    10_000,
  );
  await page.getByText(/^Live — /).waitFor();
  const producer = createKafka(kafkaBroker.connection).producer();
  await producer.connect();
  const send = async (keys: string[]) =>
    producer.send({
      topic: 'stock_prices',
      messages: keys.map((k) => ({ key: k, value: trade(50, Date.now(), 'TSLA') })),
    });
  await send(['LIVE-1', 'LIVE-2']);
  await until(
    'live rows',
    rowTexts,
    (r) => r.slice(0, 2).every((x) => x.includes('LIVE-')),
    20_000,
  );
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.getByText('Paused — 0 arrived while paused').waitFor();
  await send(['HELD-1', 'HELD-2', 'HELD-3']);
  await page.getByText('Paused — 3 arrived while paused').waitFor({ timeout: 20_000 });
  assert.ok(!(await rowTexts()).some((x) => x.includes('HELD-')), 'nothing shown while paused');
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await until(
    'the held rows after resume',
    rowTexts,
    (r) => r.filter((x) => x.includes('HELD-')).length === 3,
    20_000,
  );
  await live.click();
  await until(
    'live off',
    () => live.getAttribute('aria-pressed'),
    (v) => v === 'false',
    10_000,
  );
  await producer.disconnect();

  // Time zone: local, remembered.
  await page.getByLabel('Time zone').selectOption('local');
  assert.equal(
    await page.evaluate(() =>
      (
        globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
      ).localStorage.getItem('vi.topics.timeZone'),
    ),
    'local',
  );

  // Start the enrichment, then open the dead letter, republish it and find it enriched.
  await page.getByRole('link', { name: 'Controls' }).click();
  await page.getByRole('button', { name: 'Start enrichment', exact: true }).click();
  await page
    .getByRole('button', { name: 'Stop enrichment', exact: true })
    .waitFor({ timeout: 60_000 });
  await page.getByRole('link', { name: 'Topics' }).click();
  await page.getByRole('button', { name: /^stock_prices_dlq: 1 partition, 1 messages?/ }).click();
  const dead = await until('the dead letter', rowTexts, (r) => r.length === 1, 20_000);
  assert.match(
    dead[0]!,
    /invalid trade: price: price must be >= 0\.0001 · \d+ bytes: \{ "timestamp"/,
  );
  await rows.first().click();
  const details = page.getByRole('complementary', { name: 'Message details' });
  await details.getByText('Reason: invalid trade: price: price must be >= 0.0001').waitFor();
  await details
    .getByLabel('Raw bytes (hex)')
    .getByText(/^00000000 {2}7b 22/)
    .waitFor({ timeout: 10_000 });
  await details.getByRole('button', { name: 'Republish', exact: true }).click();
  await details
    .getByText(/^Republished: stock_prices_dlq\/0\/0 → stock_prices\/\d+\/\d+$/)
    .waitFor({ timeout: 20_000 });

  // The enrichment creates its output topic once it runs: refresh until the list has it.
  const enrichedTopic = page.getByRole('button', { name: /^stock_prices_enriched: / });
  await until(
    'the enriched topic in the list',
    async () => {
      await page.getByRole('button', { name: 'Refresh topics', exact: true }).click();
      return enrichedTopic.count();
    },
    (n) => n === 1,
    30_000,
  );
  await enrichedTopic.click();
  await page.getByLabel('Filter messages').fill('symbol = DLQX');
  await page.getByRole('button', { name: 'Apply filter', exact: true }).click();
  await until(
    'the republished trade, enriched',
    async () => {
      await page.getByRole('button', { name: 'Newest', exact: true }).click();
      return rowTexts();
    },
    (r) => r.length === 1 && r[0]!.includes('DLQX') && r[0]!.includes('log_return'),
    60_000,
  );
}
