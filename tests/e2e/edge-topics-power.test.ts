import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createClient } from '../../contract/rpc.js';
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
 * The Topics screen's power features in Chromium (edge mode), by role and name (issue 12): JSON
 * fields as sortable columns (nested, missing and non-JSON values empty); the message-volume
 * timeline, a range dragged across it opening the list at the range's first record; saved views
 * saved, opened, renamed, exported, deleted, imported, and one whose topic was deleted.
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

// The timeline's topic: 3 partitions, a burst, a 20-minute gap, a second burst.
const TIMELINE_TOPIC = 'power_timeline';
const BURSTS = [
  ...Array.from({ length: 12 }, (_, i) => ({ ts: T0 - 40 * 60_000 + i * 10_000, p: i % 3 })),
  ...Array.from({ length: 18 }, (_, i) => ({ ts: T0 - 20 * 60_000 + i * 5_000, p: (i * 2) % 3 })),
];

before(async () => {
  if (missing) return;
  buildRendererIfStale();
  broker = await startTestBroker();
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: TOPIC, numPartitions: 1 },
      { topic: TIMELINE_TOPIC, numPartitions: 3 },
    ],
    waitForLeaders: true,
  });
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
  await producer.send({
    topic: TIMELINE_TOPIC,
    messages: BURSTS.map((b, i) => ({
      value: JSON.stringify({ n: i }),
      timestamp: String(b.ts),
      partition: b.p,
    })),
  });
  await producer.disconnect();
  server = await serveEdgeOver(broker, home.path, 'power.db');
  browser = await launchChromium();
});

const fixture = () => ({ browser, server, broker, home });
after(() => closeFixture(fixture()));

pageTest(
  'Topics power features: JSON columns, the timeline, saved views',
  {
    timeout: 180_000,
    viewport: { width: 1400, height: 900 },
    artifact: 'edge-topics-power-failure',
  },
  fixture,
  run,
);

/** The cells of the rows in view, top to bottom: [meta, ...columns, value]. */
async function table(page: Page): Promise<string[][]> {
  const rows = page.getByRole('list', { name: 'Messages', exact: true }).getByRole('button');
  return rows.evaluateAll((buttons) =>
    buttons.map((b) => [...b.querySelectorAll('span')].map((s) => s.textContent ?? '')),
  );
}

/** Waits until the rows in view, mapped, equal `expected` (the list redraws on the next frame). */
async function expectRows<T>(
  page: Page,
  map: (cells: string[]) => T,
  expected: T[],
): Promise<void> {
  const want = JSON.stringify(expected);
  const got = await until(
    `the rows to read ${want}`,
    async () => (await table(page)).map(map),
    (rows) => JSON.stringify(rows) === want,
    10_000,
  ).catch(async () => (await table(page)).map(map));
  assert.deepEqual(got, expected);
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
  // Newest first: TSLA, the text value, AMZN (no context), NVDA, AAPL, MSFT.
  await expectRows(page, (r) => r.slice(1, 4), [
    ['TSLA', '250', 'post'],
    ['', '', ''],
    ['AMZN', '99', ''],
    ['NVDA', '1200', 'regular'],
    ['AAPL', '9.25', 'pre'],
    ['MSFT', '310.5', 'regular'],
  ]);
  assert.match((await table(page))[1]![4]!, /plain text, not JSON/);

  // ---- sorting over the loaded page: numbers numerically, empties last both ways
  await page.getByRole('button', { name: 'Sort by price', exact: true }).click();
  await expectRows(page, (r) => r[2], ['9.25', '99', '250', '310.5', '1200', '']);
  await page.getByRole('status').filter({ hasText: 'over the 6 loaded messages only' }).waitFor();
  await page.getByRole('button', { name: 'Sort by price', exact: true }).click();
  await expectRows(page, (r) => r[2], ['1200', '310.5', '250', '99', '9.25', '']);
  await page.getByRole('button', { name: 'Sort by symbol', exact: true }).click();
  await expectRows(page, (r) => r[1], ['AAPL', 'AMZN', 'MSFT', 'NVDA', 'TSLA', '']);
  // A bad path is refused with the reason, and the columns stay as they were.
  await columnsField.fill('symbol, not a path');
  await page.getByRole('button', { name: 'Show columns', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'dotted path' }).waitFor();
  assert.equal((await table(page))[0]!.length, 5);

  await timelineSelection(page, edge);
  await savedViews(page);
}

async function savedViews(page: Page): Promise<void> {
  const kafka = createKafka(broker!.connection);
  await page.getByRole('button', { name: new RegExp(`^${TOPIC}:`) }).click();
  await page.getByRole('textbox', { name: 'Columns', exact: true }).fill('symbol, price');
  await page.getByRole('button', { name: 'Show columns', exact: true }).click();
  await page.getByRole('textbox', { name: 'Filter messages', exact: true }).fill('price > 100');
  await page.getByRole('button', { name: 'Apply filter', exact: true }).click();
  const messages = page.getByRole('list', { name: 'Messages', exact: true }).getByRole('button');
  await until(
    'the filtered list',
    () => messages.count(),
    (n) => n === 3,
    30_000,
  );

  const panel = page.getByRole('region', { name: 'Saved views', exact: true });
  await panel.getByRole('textbox', { name: 'View name', exact: true }).fill('Big trades');
  await panel.getByRole('button', { name: 'Save view', exact: true }).click();
  await panel.getByRole('status').filter({ hasText: 'Saved view "Big trades"' }).waitFor();
  // The same name again is refused unless replaced.
  await panel.getByRole('button', { name: 'Save view', exact: true }).click();
  await panel.getByRole('button', { name: 'Replace it', exact: true }).waitFor();

  // Change everything, then open the view: all of it comes back.
  await page.getByRole('textbox', { name: 'Filter messages', exact: true }).fill('');
  await page.getByRole('button', { name: 'Apply filter', exact: true }).click();
  await page.getByRole('textbox', { name: 'Columns', exact: true }).fill('');
  await page.getByRole('button', { name: 'Show columns', exact: true }).click();
  await until(
    'the whole list',
    () => messages.count(),
    (n) => n === VALUES.length,
    30_000,
  );
  await panel.getByRole('button', { name: 'Open view Big trades', exact: true }).click();
  await until(
    "the view's list",
    () => messages.count(),
    (n) => n === 3,
    30_000,
  );
  assert.equal(
    await page.getByRole('textbox', { name: 'Filter messages', exact: true }).inputValue(),
    'price > 100',
  );
  await expectRows(page, (r) => r.slice(1, 3), [
    ['TSLA', '250'],
    ['NVDA', '1200'],
    ['MSFT', '310.5'],
  ]);

  // Rename in place, export, delete, import the file back.
  await panel.getByRole('button', { name: 'Rename view Big trades', exact: true }).click();
  await panel
    .getByRole('textbox', { name: 'New name for view Big trades', exact: true })
    .fill('Big ones');
  await panel
    .getByRole('form', { name: 'Rename view Big trades' })
    .getByRole('button', { name: 'Rename', exact: true })
    .click();
  await panel.getByRole('button', { name: 'Open view Big ones', exact: true }).waitFor();
  await panel.getByText('Share views', { exact: true }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: 'Export views', exact: true }).click(),
  ]);
  const file = join(home.path, 'views.json');
  await download.saveAs(file);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    format: string;
    views: { name: string; filter: string; columns: string[] }[];
  };
  assert.equal(doc.format, 'volatility-insight/saved-views');
  assert.deepEqual(
    doc.views.map((v) => [v.name, v.filter, v.columns]),
    [['Big ones', 'price > 100', ['symbol', 'price']]],
  );
  await panel.getByRole('button', { name: 'Delete view Big ones', exact: true }).click();
  await panel.getByRole('button', { name: 'Confirm deleting view Big ones', exact: true }).click();
  await panel.getByRole('status').filter({ hasText: 'Deleted view "Big ones"' }).waitFor();
  assert.equal(await panel.getByRole('button', { name: 'Open view Big ones' }).count(), 0);
  await panel.getByLabel('Import views').setInputFiles(file);
  await panel.getByRole('status').filter({ hasText: 'Imported 1' }).waitFor();
  await panel.getByRole('button', { name: 'Open view Big ones', exact: true }).waitFor();

  // A view whose topic was deleted says so plainly.
  await page.getByRole('button', { name: new RegExp(`^${TIMELINE_TOPIC}:`) }).click();
  await panel.getByRole('textbox', { name: 'View name', exact: true }).fill('Timeline view');
  await panel.getByRole('button', { name: 'Save view', exact: true }).click();
  await panel.getByRole('status').filter({ hasText: 'Saved view "Timeline view"' }).waitFor();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TIMELINE_TOPIC] });
  await admin.disconnect();
  await panel.getByRole('button', { name: 'Open view Timeline view', exact: true }).click();
  await page
    .getByRole('alert')
    .filter({
      hasText: `Saved view "Timeline view" reads topic "${TIMELINE_TOPIC}", which does not exist on this broker`,
    })
    .waitFor();
}

async function timelineSelection(page: Page, edge: EdgeServer): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^${TIMELINE_TOPIC}:`) }).click();
  const volume = page.getByRole('region', { name: 'Message volume', exact: true });
  await volume.getByRole('combobox', { name: 'Timeline', exact: true }).selectOption({
    label: 'Whole retained range',
  });
  await volume
    .getByRole('status')
    .filter({ hasText: `${BURSTS.length} messages from` })
    .waitFor();
  const chart = volume.getByRole('img', { name: /^Message volume timeline\./ });
  assert.match(
    (await chart.getAttribute('aria-label')) ?? '',
    /30 messages from .* per \d+ (s|min)/,
  );

  // The same timeline from the core, for the bars' positions.
  const client = createClient(edge.connect(true));
  const tl = await client.call('messages.timeline', {
    topic: TIMELINE_TOPIC,
    range: { kind: 'all' },
    buckets: 60,
  });
  client.close();
  assert.equal(
    tl.buckets.reduce((s, b) => s + b.count, 0),
    BURSTS.length,
  );
  const secondBurst = T0 - 20 * 60_000;
  const from = tl.buckets.findIndex((b) => b.end > secondBurst);
  const box = (await chart.boundingBox())!;
  const x = (i: number) => box.x + ((i + 0.5) * box.width) / tl.buckets.length;
  await page.mouse.move(x(from), box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(x(tl.buckets.length - 1), box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await volume
    .getByRole('status')
    .filter({ hasText: 'Selected' })
    .filter({ hasText: '18 messages' })
    .waitFor();

  // The list opens at the range's first record, selected in the details.
  const bucketStart = tl.buckets[from]!.start;
  const firstIndex = BURSTS.findIndex((b) => b.ts >= bucketStart);
  const first = BURSTS[firstIndex]!;
  const offset = BURSTS.slice(0, firstIndex).filter((b) => b.p === first.p).length;
  await page
    .getByRole('complementary', { name: 'Message details' })
    .getByRole('heading', { name: `Partition ${first.p} · offset ${offset}`, exact: true })
    .waitFor();
}
