import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { EXPORT_COLUMNS } from '../../contract/export.js';
import { JvmBrokerProvider } from '../../main/broker/jvm.js';
import { freePorts } from '../../main/net-util.js';
import { startEdgeServer, type EdgeServer } from '../../main/shells/edge/server.js';
import {
  buildRendererIfStale,
  chromiumMissing,
  counter,
  counterValue,
  edgeEnv,
  launchChromium,
  onPage,
  until,
} from '../support/edge-browser.js';
import { tempDir } from '../support/jvm-broker.js';

/**
 * Edge mode in Debian's Chromium, with a real broker, by role and accessible name only: the app
 * starts the JVM broker its settings name, the producer and the enrichment run until the
 * counters move, everything stops, and an export from the Export screen is downloaded and read
 * back against the database. A page without the token is refused.
 */

const missing = chromiumMissing();
const home = tempDir('vi-edge-e2e-');
const dbPath = join(home.path, 'e2e.db');
let brokerSettings: { port: number; controllerPort: number; dataDir: string } | null = null;
let server: EdgeServer | null = null;
let browser: Browser | null = null;
let context: BrowserContext | null = null;

before(async () => {
  if (missing) return;
  buildRendererIfStale();
  const [port, controllerPort] = await freePorts(2);
  brokerSettings = {
    port: port!,
    controllerPort: controllerPort!,
    dataDir: join(home.path, 'kafka'),
  };
  const env = edgeEnv(home.path, { provider: 'jvm', jvm: brokerSettings });
  server = await startEdgeServer({ port: 0, serviceOptions: { env, db: dbPath } });
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
});

after(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
  // The UI stops the broker at the end; after a failure it may still run.
  if (brokerSettings) {
    await new JvmBrokerProvider({ ...brokerSettings, env: { ...process.env, VI_HOME: home.path } })
      .stop()
      .catch(() => {});
  }
  home.cleanup();
});

test(
  'edge mode in Chromium: start the broker, stream, stop, export the CSV',
  { timeout: 240_000 },
  async (t) => {
    if (missing) {
      t.skip(missing);
      return;
    }
    assert.ok(server && context);
    const page: Page = await context.newPage();
    const edge = server;
    await onPage(page, 'edge-app-failure', () => run(page, edge));
  },
);

async function run(page: Page, edge: EdgeServer): Promise<void> {
  // ---- refused without the token (a fresh context: no session cookie)
  const stranger = await browser!.newContext();
  try {
    const p = await stranger.newPage();
    const res = await p.goto(`${edge.origin}/`);
    assert.equal(res?.status(), 401, 'the page without the token is refused');
    await p.getByText('This server needs its access token', { exact: false }).waitFor();
  } finally {
    await stranger.close();
  }

  // ---- sign in with the token, the Controls screen
  await page.goto(edge.url);
  assert.ok(!page.url().includes('token='), `the token is dropped from the address: ${page.url()}`);
  await page.getByRole('heading', { name: 'Controls', level: 1 }).waitFor();
  const brokerCard = page.getByRole('region', { name: 'Broker' });
  const producerCard = page.getByRole('region', { name: 'Producer' });
  const enrichCard = page.getByRole('region', { name: 'Enrichment' });

  // The saved settings are shown: the built-in broker on the test's port.
  await brokerCard.getByText('Options', { exact: true }).click();
  const port = brokerCard.getByRole('spinbutton', { name: 'Port' });
  await until(
    'the saved port in the form',
    () => port.inputValue(),
    (v) => v === String(brokerSettings!.port),
    10_000,
  );
  assert.ok(await brokerCard.getByRole('radio', { name: 'Built-in (JVM)' }).isChecked());
  await brokerCard.getByText('stopped', { exact: true }).first().waitFor({ timeout: 30_000 });

  // ---- the app starts the broker
  await brokerCard.getByRole('button', { name: 'Start broker' }).click();
  await brokerCard.getByRole('button', { name: 'Stop broker' }).waitFor({ timeout: 150_000 });
  await brokerCard.getByText('running', { exact: true }).first().waitFor();

  // ---- producer at 200/s, enrichment
  await producerCard.getByText('Options', { exact: true }).click();
  await producerCard.getByRole('spinbutton', { name: 'Trades per second' }).fill('200');
  await producerCard.getByRole('button', { name: 'Start producer' }).click();
  await producerCard.getByRole('button', { name: 'Stop producer' }).waitFor();
  await enrichCard.getByRole('button', { name: 'Start enrichment' }).click();
  await enrichCard.getByRole('button', { name: 'Stop enrichment' }).waitFor();

  await until(
    'trades produced',
    () => counterValue(producerCard, 'produced'),
    (n) => (n ?? 0) >= 200,
    60_000,
  );
  await until(
    'rows stored',
    () => counterValue(enrichCard, 'rows stored'),
    (n) => (n ?? 0) >= 100,
    90_000,
  );
  const rate = await counter(producerCard, 'produced/s').textContent();
  assert.match(rate ?? '', /\/s$/, `produced/s shows a rate: ${rate}`);

  // ---- stop the producer; let the enrichment catch up, then stop it
  await producerCard.getByRole('button', { name: 'Stop producer' }).click();
  await producerCard.getByRole('button', { name: 'Start producer' }).waitFor({ timeout: 30_000 });
  await producerCard.getByText('stopped', { exact: true }).first().waitFor();
  const produced = await counterValue(producerCard, 'produced');
  assert.ok(produced !== null && produced > 0, `produced: ${produced}`);
  // Caught up: every produced trade is stored, a dead letter or late.
  await until(
    'the enrichment to catch up with the producer',
    async () => {
      const [stored, dead, late] = await Promise.all(
        ['rows stored', 'dead letters', 'late trades'].map((n) => counterValue(enrichCard, n)),
      );
      return (stored ?? 0) + (dead ?? 0) + (late ?? 0);
    },
    (n) => n >= produced!,
    60_000,
  );
  await enrichCard.getByRole('button', { name: 'Stop enrichment' }).click();
  await enrichCard.getByRole('button', { name: 'Start enrichment' }).waitFor({ timeout: 30_000 });
  await enrichCard.getByText('stopped', { exact: true }).first().waitFor();
  const storedShown = await counterValue(enrichCard, 'rows stored');
  const db = new Database(dbPath, { readonly: true });
  const { n: storedInDb } = db.prepare('SELECT count(*) AS n FROM enriched_trades').get() as {
    n: number;
  };
  db.close();
  assert.equal(storedShown, storedInDb, 'the rows-stored counter matches the database');

  // ---- export from the Export screen, downloaded and read back
  await page.getByRole('link', { name: 'Export' }).click();
  await page.getByRole('heading', { name: 'Export', level: 1 }).waitFor();
  await page.getByRole('radio', { name: 'CSV' }).check();
  const download = page.waitForEvent('download', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const file = join(home.path, 'downloaded.csv');
  await (await download).saveAs(file);
  await page.getByRole('heading', { name: 'Export finished' }).waitFor();
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  assert.deepEqual(lines[0]?.split(','), [...EXPORT_COLUMNS], 'the CSV header');
  assert.equal(lines.length - 1, storedInDb, 'one CSV row per stored row');

  // ---- the app stops the broker
  await page.getByRole('link', { name: 'Controls' }).click();
  await brokerCard.getByRole('button', { name: 'Stop broker' }).click();
  await brokerCard.getByRole('button', { name: 'Start broker' }).waitFor({ timeout: 60_000 });
  await brokerCard.getByText('stopped', { exact: true }).first().waitFor({ timeout: 30_000 });
}
