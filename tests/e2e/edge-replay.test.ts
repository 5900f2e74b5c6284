import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import type { EdgeServer } from '../../main/shells/edge/server.js';
import {
  buildRendererIfStale,
  chromiumMissing,
  counter,
  counterValue,
  launchChromium,
  closeFixture,
  pageTest,
  serveEdgeOver,
  until,
} from '../support/edge-browser.js';
import { startTestBroker, tempDir, type TestBroker } from '../support/jvm-broker.js';

/**
 * Replay in edge mode (issue 11), in Chromium with a real broker, by role and accessible name:
 * the producer card's File choice uploads a small CSV (POST /api/uploads), the replay runs at
 * speed max with the timestamps shifted to now, its progress reaches the file's total, the
 * enrichment stores every row (its counter and the SQLite database agree), and the uploaded
 * file is gone once the replay has finished.
 */

const ROWS = 300;
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA'];
const missing = chromiumMissing();
const home = tempDir('vi-edge-replay-');
const dbPath = join(home.path, 'replay.db');
const csvPath = join(home.path, 'recorded-trades.csv');
let broker: TestBroker | null = null;
let server: EdgeServer | null = null;
let browser: Browser | null = null;

before(async () => {
  if (missing) return;
  buildRendererIfStale();
  // Recorded a second apart, in order: time,ticker,price,size (one of the common layouts).
  const start = Date.parse('2025-07-07T13:30:00Z');
  const lines = ['time,ticker,price,size'];
  for (let i = 0; i < ROWS; i++) {
    const symbol = SYMBOLS[i % SYMBOLS.length]!;
    const price = (100 + (i % 17) * 0.25 + SYMBOLS.indexOf(symbol) * 50).toFixed(2);
    lines.push(`${new Date(start + i * 1000).toISOString()},${symbol},${price},${10 + (i % 7)}`);
  }
  writeFileSync(csvPath, lines.join('\n') + '\n');
  broker = await startTestBroker({ dataDir: join(home.path, 'kafka') });
  server = await serveEdgeOver(broker, home.path, 'replay.db');
  browser = await launchChromium();
});

const fixture = () => ({ browser, server, broker, home });
after(() => closeFixture(fixture()));

pageTest(
  'edge mode in Chromium: upload a CSV through File, replay it at max, every row enriched',
  { timeout: 240_000, viewport: { width: 1280, height: 900 }, artifact: 'edge-replay-failure' },
  fixture,
  run,
);

async function run(page: Page, edge: EdgeServer): Promise<void> {
  await page.goto(edge.url);
  await page.getByRole('heading', { name: 'Controls', level: 1 }).waitFor();
  const brokerCard = page.getByRole('region', { name: 'Broker' });
  const producerCard = page.getByRole('region', { name: 'Producer' });
  const enrichCard = page.getByRole('region', { name: 'Enrichment' });
  await brokerCard.getByRole('button', { name: 'Stop broker' }).waitFor({ timeout: 60_000 });

  // The enrichment first, so it reads the replayed trades as they arrive.
  await enrichCard.getByRole('button', { name: 'Start enrichment' }).click();
  await enrichCard.getByRole('button', { name: 'Stop enrichment' }).waitFor();

  // ---- the File choice: the radio group has a name; the simulator's controls go away
  const source = producerCard.getByRole('radiogroup', { name: 'Trades from' });
  assert.ok(await source.getByRole('radio', { name: 'Simulator' }).isChecked());
  await source.getByRole('radio', { name: 'File' }).check();
  await producerCard.getByRole('button', { name: 'Start producer' }).waitFor({ state: 'hidden' });
  await producerCard.getByLabel('File to replay').setInputFiles(csvPath);
  await producerCard.getByText('recorded-trades.csv', { exact: false }).waitFor();
  await producerCard.getByRole('combobox', { name: 'Speed' }).selectOption('max');
  await producerCard.getByRole('checkbox', { name: 'Shift to now' }).check();
  await producerCard.getByRole('button', { name: 'Start replay' }).click();

  // ---- progress reaches the total; the replay ends on its own
  const total = `${ROWS.toLocaleString('en-US')} of ${ROWS.toLocaleString('en-US')}`;
  await until(
    'rows sent to reach the total',
    async () => (await counter(producerCard, 'rows sent').textContent())?.trim() ?? '',
    (text) => text === total,
    120_000,
  );
  await producerCard.getByText('Replay finished', { exact: false }).waitFor({ timeout: 60_000 });
  assert.equal(await counterValue(producerCard, 'bad rows'), 0);
  await producerCard.getByRole('button', { name: 'Start replay' }).waitFor();

  // ---- the upload is deleted once its replay has finished
  await until(
    'the upload to be deleted',
    async () => readdirSync(edge.uploadDir),
    (f) => f.length === 0,
    10_000,
  );

  // ---- the enrichment stores every replayed row: its counter and the database agree
  await until(
    'every replayed trade stored',
    () => counterValue(enrichCard, 'rows stored'),
    (n) => (n ?? 0) >= ROWS,
    90_000,
  );
  await enrichCard.getByRole('button', { name: 'Stop enrichment' }).click();
  await enrichCard.getByRole('button', { name: 'Start enrichment' }).waitFor({ timeout: 30_000 });
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT symbol, count(*) AS n FROM enriched_trades GROUP BY symbol ORDER BY symbol')
      .all() as { symbol: string; n: number }[];
    assert.deepEqual(
      rows,
      SYMBOLS.map((symbol) => ({ symbol, n: ROWS / SYMBOLS.length })),
      'every replayed trade is stored once',
    );
  } finally {
    db.close();
  }
  assert.equal(await counterValue(enrichCard, 'rows stored'), ROWS);
}
