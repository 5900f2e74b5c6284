import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { JvmBrokerProvider } from '../../main/broker/jvm.js';
import { freePorts } from '../../main/net-util.js';
import { startEdgeServer, type EdgeServer } from '../../main/shells/edge/server.js';
import {
  buildRendererIfStale,
  chromiumMissing,
  edgeEnv,
  launchChromium,
  onPage,
  until,
} from '../support/edge-browser.js';
import { tempDir } from '../support/jvm-broker.js';

/**
 * The Charts screen in Chromium against edge mode with a real broker, by role and name: start
 * the stream from Controls, every chart panel gains points (its "points: N" caption), an alert
 * rule added on the screen fires and is listed, and a historical range is read from SQLite.
 */

const missing = chromiumMissing();
const home = tempDir('vi-edge-charts-');
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
  server = await startEdgeServer({
    port: 0,
    serviceOptions: { env, db: join(home.path, 'charts.db') },
  });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
  if (brokerSettings) {
    await new JvmBrokerProvider({ ...brokerSettings, env: { ...process.env, VI_HOME: home.path } })
      .stop()
      .catch(() => {});
  }
  home.cleanup();
});

async function points(panel: Locator): Promise<number> {
  const text = (await panel.locator('figcaption').textContent()) ?? '';
  const m = /points: (\d+)/.exec(text);
  return m ? Number(m[1]) : -1;
}

test(
  'Charts in Chromium: live points in every panel, an alert fires, a historical range',
  { timeout: 420_000 },
  async (t) => {
    if (missing) {
      t.skip(missing);
      return;
    }
    const page: Page = await context!.newPage();
    await onPage(page, 'edge-charts-failure', async () => {
      await page.goto(server!.url);
      await page.getByRole('heading', { name: 'Controls', level: 1, exact: true }).waitFor();
      const brokerCard = page.getByRole('region', { name: 'Broker', exact: true });
      const producerCard = page.getByRole('region', { name: 'Producer', exact: true });
      const enrichCard = page.getByRole('region', { name: 'Enrichment', exact: true });
      await brokerCard.getByRole('button', { name: 'Start broker', exact: true }).click();
      await brokerCard
        .getByRole('button', { name: 'Stop broker', exact: true })
        .waitFor({ timeout: 150_000 });
      await producerCard.getByText('Options', { exact: true }).click();
      await producerCard
        .getByRole('spinbutton', { name: 'Trades per second', exact: true })
        .fill('200');
      await producerCard.getByRole('button', { name: 'Start producer', exact: true }).click();
      await enrichCard.getByRole('button', { name: 'Start enrichment', exact: true }).click();
      await enrichCard.getByRole('button', { name: 'Stop enrichment', exact: true }).waitFor();

      // ---- Charts: the empty state first or points; then every panel gains points
      await page.getByRole('link', { name: 'Charts', exact: true }).click();
      await page.getByRole('heading', { name: 'Charts', level: 1, exact: true }).waitFor();
      const panelNames = [
        'Price and VWAP',
        'Volatility',
        'One-minute bars and Parkinson volatility',
      ];
      const panels = panelNames.map((name) => page.getByRole('figure', { name, exact: true }));
      const symbol = page.getByRole('combobox', { name: 'Symbol', exact: true });
      await until(
        'a symbol to chart',
        () => symbol.inputValue(),
        (v) => v !== '',
        90_000,
      );
      for (const [i, panel] of panels.entries()) {
        const first = await until(
          'points in a panel',
          () => points(panel),
          (n) => n > 0,
          90_000,
        );
        // Live: the panel keeps gaining points as trades arrive. The bars panel gains a bar only
        // when a new minute starts (up to 60 s away) and refreshes its bars every 5 s, so it gets
        // two minutes, not one (a CI run saw 60 s pass from the start of a minute).
        await until(
          `more points in the ${panelNames[i]} panel`,
          () => points(panel),
          (n) => n > first || n >= 4000,
          i === 2 ? 130_000 : 60_000,
        );
      }
      const canvas = panels[0]!.getByRole('img');
      assert.match(
        (await canvas.getAttribute('aria-label')) ?? '',
        /Price and VWAP — \S+: \d+ points/,
      );

      // ---- an alert rule on the screen fires (price above 1: the next trade of each symbol)
      const form = page.getByRole('form', { name: 'New alert rule', exact: true });
      await form.getByRole('combobox', { name: 'Rule', exact: true }).selectOption('threshold');
      await form.getByRole('combobox', { name: 'Metric', exact: true }).selectOption('price');
      await form.getByRole('spinbutton', { name: 'Level', exact: true }).fill('1');
      await form.getByRole('button', { name: 'Add rule', exact: true }).click();
      await page
        .getByRole('list', { name: 'Alert rules', exact: true })
        .getByText('all symbols: price > 1', { exact: false })
        .waitFor();
      const fired = page
        .getByRole('list', { name: 'Fired alerts', exact: true })
        .getByRole('listitem');
      await until(
        'an alert to fire',
        () => fired.count(),
        (n) => n >= 1,
        60_000,
      );
      assert.match((await fired.first().textContent()) ?? '', /price = [\d.]+ > 1/);

      // ---- a historical range from SQLite
      await page
        .getByRole('combobox', { name: 'Range', exact: true })
        .selectOption({ label: 'Historical range' });
      const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
      // Scoped to the Charts screen: the Export screen (kept in the page, hidden) has its own
      // 'From (UTC)' and 'To (UTC)' fields.
      const chartsScreen = page.getByRole('region', { name: 'Charts', exact: true });
      await chartsScreen.getByLabel('From (UTC)').fill(iso(Date.now() - 3_600_000));
      await chartsScreen.getByLabel('To (UTC)').fill(iso(Date.now() + 60_000));
      await page.getByRole('button', { name: 'Show range', exact: true }).click();
      const status = page.getByRole('status').filter({ hasText: 'from the database' });
      await status.waitFor({ timeout: 30_000 });
      for (const panel of panels) {
        await until(
          'points in the historical range',
          () => points(panel),
          (n) => n > 0,
          30_000,
        );
      }
      // Downsampled to at most 1,000 points per series (price + VWAP).
      assert.ok((await points(panels[0]!)) <= 2000);
    });
  },
);
