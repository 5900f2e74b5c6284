import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { EdgeServer } from '../../main/shells/edge/server.js';
import {
  buildRendererIfStale,
  chromiumMissing,
  launchChromium,
  closeFixture,
  pageTest,
  serveEdgeOver,
} from '../support/edge-browser.js';
import { startTestBroker, tempDir, type TestBroker } from '../support/jvm-broker.js';

/**
 * The Controls screen at 1024×700 in Chromium: it renders, finds the broker already running,
 * every control has an accessible name, and a broker log line carrying markup is shown as text.
 * The markup comes from the real broker: its data folder is named like an HTML tag, and Kafka
 * logs that path when it first starts.
 */

const HOSTILE = '<img src=x onerror=window.__viXss=1>';
const missing = chromiumMissing();
const home = tempDir('vi-edge-controls-');
let broker: TestBroker | null = null;
let server: EdgeServer | null = null;
let browser: Browser | null = null;

/** Roles a person operates; each needs an accessible name. */
const CONTROL_ROLES = [
  'button',
  'link',
  'textbox',
  'spinbutton',
  'checkbox',
  'radio',
  'combobox',
  'switch',
  'slider',
];

before(async () => {
  if (missing) return;
  buildRendererIfStale();
  const dataDir = join(home.path, HOSTILE);
  mkdirSync(dataDir);
  broker = await startTestBroker({ dataDir });
  server = await serveEdgeOver(broker, home.path, 'controls.db');
  browser = await launchChromium();
});

const fixture = () => ({ browser, server, broker, home });
after(() => closeFixture(fixture()));

pageTest(
  'the Controls screen at 1024×700: names, a running broker, log text',
  { timeout: 120_000, viewport: { width: 1024, height: 700 }, artifact: 'edge-controls-failure' },
  fixture,
  run,
);

async function run(page: Page, edge: EdgeServer): Promise<void> {
  await page.goto(edge.url);
  await page.getByRole('heading', { name: 'Controls', level: 1 }).waitFor();
  for (const name of ['Broker', 'Producer', 'Enrichment']) {
    await page.getByRole('heading', { name, level: 2 }).waitFor();
  }
  const brokerCard = page.getByRole('region', { name: 'Broker' });
  // Found running: the app did not start it.
  await brokerCard.getByRole('button', { name: 'Stop broker' }).waitFor({ timeout: 30_000 });
  await brokerCard.getByText('running', { exact: true }).first().waitFor();

  // Usable at 1024 px: nothing scrolls sideways.
  const overflow = await page.evaluate(() => {
    const root = (
      globalThis as unknown as {
        document: { documentElement: { scrollWidth: number; clientWidth: number } };
      }
    ).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 1024 px`);

  // Every control has an accessible name, with the folded parts open. In Playwright's ARIA
  // snapshot a named control reads `- button "Start broker"`; an unnamed one `- button`, or
  // `- spinbutton: "1"` with only its value.
  for (const summary of await page.getByText(/^(Options|Broker log)$/).all()) {
    await summary.click();
  }
  const snapshot = await page.locator('body').ariaSnapshot();
  const unnamed = snapshot
    .split('\n')
    .filter((line) =>
      new RegExp(`^\\s*- (${CONTROL_ROLES.join('|')})( \\[[^\\]]*\\])*(:.*)?$`).test(line),
    );
  assert.deepEqual(unnamed, [], `controls without an accessible name in:\n${snapshot}`);
  for (const role of ['button', 'spinbutton', 'radio', 'checkbox', 'textbox'] as const) {
    assert.ok((await page.getByRole(role).count()) > 0, `the screen has a ${role}`);
  }

  // The broker log (opened above) shows the line with the tag as text.
  const log = page.getByLabel('Broker log', { exact: true });
  await log.getByText(HOSTILE, { exact: false }).waitFor({ timeout: 30_000 });
  assert.equal(await log.locator('img').count(), 0, 'no element made from the log text');
  assert.equal(await page.locator('img').count(), 0, 'no image anywhere on the page');
  assert.equal(await page.evaluate(() => (globalThis as { __viXss?: number }).__viXss), undefined);
}
