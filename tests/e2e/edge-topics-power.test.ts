import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createKafka } from '../../main/kafka/connection.js';
import { startEdgeServer, type EdgeServer } from '../../main/shells/edge/server.js';
import {
  buildRendererIfStale,
  chromiumMissing,
  edgeEnv,
  launchChromium,
  onPage,
  until,
} from '../support/edge-browser.js';
import { startTestBroker, tempDir, type TestBroker } from '../support/jvm-broker.js';

/**
 * The Topics screen's power features in Chromium (edge mode), by role and name (issue 12): JSON
 * fields as sortable columns (nested, missing and non-JSON values empty).
 */

const missing = chromiumMissing();
const home = tempDir('vi-edge-power-');
let broker: TestBroker | null = null;
let server: EdgeServer | null = null;
let browser: Browser | null = null;

const TOPIC = 'power_trades';
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000; // 30 min ago, whole minutes
// Six records on partition 0 (ascending times): prices out of order, one without context, one
// whose value is not JSON.
const VALUES = [
  { symbol: 'MSFT', price: 310.5, context: { session: 'regular' } },
  { symbol: 'AAPL', price: 9.25, context: { session: 'pre' } },
  { symbol: 'NVDA', price: 1200, context: { session: 'regular' } },
  { symbol: 'AMZN', price: 99 },
  'plain text, not JSON',
  { symbol: 'TSLA', price: 250, context: { session: 'post' } },
];

before(async () => {
  if (missing) return;
  buildRendererIfStale();
  broker = await startTestBroker();
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: TOPIC,
    messages: VALUES.map((v, i) => ({
      key: `k${i}`,
      value: typeof v === 'string' ? v : JSON.stringify(v),
      timestamp: String(T0 + i * 1000),
      partition: 0,
    })),
  });
  await producer.disconnect();
  const env = edgeEnv(home.path, {
    provider: 'jvm',
    jvm: {
      port: broker.provider.port,
      controllerPort: broker.provider.controllerPort,
      dataDir: broker.dataDir,
    },
  });
  server = await startEdgeServer({
    port: 0,
    serviceOptions: { env, db: join(home.path, 'power.db') },
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
  await broker?.cleanup().catch(() => {});
  home.cleanup();
});

test('Topics power features: JSON columns', { timeout: 180_000 }, async (t) => {
  if (missing) {
    t.skip(missing);
    return;
  }
  assert.ok(browser && server);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const edge = server;
  await onPage(page, 'edge-topics-power-failure', () => run(page, edge));
});

/** The cells of the rows in view, top to bottom: [meta, ...columns, value]. */
async function table(page: Page): Promise<string[][]> {
  const rows = page.getByRole('list', { name: 'Messages', exact: true }).getByRole('button');
  return rows.evaluateAll((buttons) =>
    buttons.map((b) => [...b.querySelectorAll('span')].map((s) => s.textContent ?? '')),
  );
}

async function run(page: Page, edge: EdgeServer): Promise<void> {
  await page.goto(edge.url);
  await page.getByRole('link', { name: 'Topics' }).click();
  await page.getByRole('heading', { name: 'Topics', level: 1 }).waitFor();
  await page.getByRole('button', { name: new RegExp(`^${TOPIC}:`) }).click();
  const messages = page.getByRole('list', { name: 'Messages', exact: true }).getByRole('button');
  await until(
    'the messages',
    () => messages.count(),
    (n) => n === VALUES.length,
    30_000,
  );

  // ---- columns: offered from the loaded values, added by a click or typed
  await page.getByRole('button', { name: 'Add column symbol', exact: true }).click();
  const columnsField = page.getByRole('textbox', { name: 'Columns', exact: true });
  assert.equal(await columnsField.inputValue(), 'symbol');
  await columnsField.fill('symbol, price, context.session');
  await page.getByRole('button', { name: 'Show columns', exact: true }).click();
  let rows = await table(page);
  // Newest first: TSLA, the text value, AMZN (no context), NVDA, AAPL, MSFT.
  assert.deepEqual(
    rows.map((r) => r.slice(1, 4)),
    [
      ['TSLA', '250', 'post'],
      ['', '', ''],
      ['AMZN', '99', ''],
      ['NVDA', '1200', 'regular'],
      ['AAPL', '9.25', 'pre'],
      ['MSFT', '310.5', 'regular'],
    ],
  );
  assert.match(rows[1]![4]!, /plain text, not JSON/);

  // ---- sorting over the loaded page: numbers numerically, empties last both ways
  await page.getByRole('button', { name: 'Sort by price', exact: true }).click();
  rows = await table(page);
  assert.deepEqual(
    rows.map((r) => r[2]),
    ['9.25', '99', '250', '310.5', '1200', ''],
  );
  await page.getByRole('status').filter({ hasText: 'over the 6 loaded messages only' }).waitFor();
  await page.getByRole('button', { name: 'Sort by price', exact: true }).click();
  rows = await table(page);
  assert.deepEqual(
    rows.map((r) => r[2]),
    ['1200', '310.5', '250', '99', '9.25', ''],
  );
  await page.getByRole('button', { name: 'Sort by symbol', exact: true }).click();
  rows = await table(page);
  assert.deepEqual(
    rows.map((r) => r[1]),
    ['AAPL', 'AMZN', 'MSFT', 'NVDA', 'TSLA', ''],
  );
  // A bad path is refused with the reason, and the columns stay as they were.
  await columnsField.fill('symbol, not a path');
  await page.getByRole('button', { name: 'Show columns', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'dotted path' }).waitFor();
  assert.equal((await table(page))[0]!.length, 5);
}
