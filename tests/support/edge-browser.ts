import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage, Locator, Page } from 'playwright-core';
import { startEdgeServer, type EdgeServer } from '../../main/shells/edge/server.js';
import type { TestBroker } from './jvm-broker.js';

/**
 * Helpers for the browser tests of edge mode (tests/e2e/edge-*.test.ts): Debian's Chromium
 * through playwright-core, the renderer built when stale, a private VI_HOME, and failure
 * artifacts (a screenshot and the console log) in test-artifacts/.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.VI_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when Chromium is installed. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `Chromium not found at ${CHROMIUM}: apt-get install chromium (or set VI_CHROMIUM)`;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 60_000,
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** Builds dist/renderer when it is missing or older than renderer/ or contract/. */
export function buildRendererIfStale(): void {
  const app = join(ROOT, 'dist', 'renderer', 'app.js');
  const sources = Math.max(
    newestMtime(join(ROOT, 'renderer')),
    newestMtime(join(ROOT, 'contract')),
    statSync(join(ROOT, 'scripts', 'build-renderer.mjs')).mtimeMs,
  );
  if (existsSync(app) && statSync(app).mtimeMs >= sources) return;
  const res = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-renderer.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    throw new Error(`scripts/build-renderer.mjs failed:\n${res.stderr}${res.stdout}`);
  }
}

/**
 * The environment of an edge server with a private VI_HOME whose settings.json holds `broker`
 * (BrokerSettingsSchema), and nothing from this machine that would pick another broker or key.
 */
export function edgeEnv(home: string, broker: unknown): NodeJS.ProcessEnv {
  writeFileSync(join(home, 'settings.json'), JSON.stringify({ broker }, null, 2), {
    mode: 0o600,
  });
  const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: home };
  delete env.KAFKA_BROKERS;
  delete env.VI_DB;
  delete env.VI_EDGE_TOKEN;
  delete env.OPENWEATHER_API_KEY;
  delete env.OPENWEATHER_BASE_URL;
  return env;
}

/**
 * An edge server on a free port whose service manages `broker` as its built-in (JVM) broker,
 * with a private VI_HOME in `home` and its database `db` there.
 */
export function serveEdgeOver(broker: TestBroker, home: string, db: string): Promise<EdgeServer> {
  const { port, controllerPort, dataDir } = broker.provider;
  const env = edgeEnv(home, { provider: 'jvm', jvm: { port, controllerPort, dataDir } });
  return startEdgeServer({ port: 0, serviceOptions: { env, db: join(home, db) } });
}

/** What a browser test file starts in `before` and stops in `after`. */
export interface EdgeFixture {
  browser: Browser | null;
  server: EdgeServer | null;
  broker: TestBroker | null;
  home: { cleanup(): void };
}

/** Closes what a browser test file started, each part even when another fails. */
export async function closeFixture(f: EdgeFixture): Promise<void> {
  await f.browser?.close().catch(() => {});
  await f.server?.close().catch(() => {});
  await f.broker?.cleanup().catch(() => {});
  f.home.cleanup();
}

/**
 * One browser test: skipped with the reason where Chromium is missing; else a new page at
 * `viewport` runs `steps`, with a screenshot and the console log saved as `artifact` on failure.
 */
export function pageTest(
  name: string,
  options: { timeout: number; viewport: { width: number; height: number }; artifact: string },
  fixture: () => EdgeFixture,
  steps: (page: Page, edge: EdgeServer) => Promise<void>,
): void {
  test(name, { timeout: options.timeout }, async (t) => {
    const missing = chromiumMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const { browser, server } = fixture();
    assert.ok(browser && server, 'the browser and the edge server started');
    const page = await browser.newPage({ viewport: options.viewport });
    await onPage(page, options.artifact, () => steps(page, server));
  });
}

/** Keeps a page's console messages and uncaught errors, for the failure artifacts. */
export function recordConsole(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m: ConsoleMessage) => lines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  return lines;
}

/**
 * Saves a screenshot and the console log of `page` to test-artifacts/<name>.{png,log} and
 * returns a sentence naming them (for the assertion message). Never throws.
 */
export async function saveArtifacts(
  page: Page | null,
  consoleLines: string[],
  name: string,
): Promise<string> {
  try {
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, `${name}.png`);
    const log = join(ARTIFACTS, `${name}.console.log`);
    writeFileSync(log, consoleLines.join('\n') + '\n');
    if (page && !page.isClosed()) {
      await page.screenshot({ path: png, fullPage: true, timeout: 10_000 }).catch(() => {});
    }
    return `screenshot and console log in ${png.replace(ROOT, '')} and ${log.replace(ROOT, '')}`;
  } catch (err) {
    return `could not save artifacts: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The failure with where its artifacts are, in a message the test report shows. */
export function withArtifacts(err: unknown, where: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${message}\n(${where})`, { cause: err });
}

/**
 * Runs a test's steps on `page`, recording its console; on failure saves a screenshot and the
 * console log (saveArtifacts) and names them in the error. The page is closed either way.
 */
export async function onPage(page: Page, name: string, steps: () => Promise<void>): Promise<void> {
  const consoleLines = recordConsole(page);
  try {
    await steps();
  } catch (err) {
    throw withArtifacts(err, await saveArtifacts(page, consoleLines, name));
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * The value of a counter: a `term` named `name` and the `definition` beside it (the renderer's
 * <dl class="counters">), read through their roles; `—` and thousands separators handled.
 */
export function counter(scope: Page | Locator, name: string): Locator {
  return scope
    .getByRole('term')
    .filter({ hasText: new RegExp(`^${name.replace(/[/]/g, '\\/')}$`) })
    .locator('xpath=..')
    .getByRole('definition');
}

export async function counterValue(scope: Page | Locator, name: string): Promise<number | null> {
  const text = (await counter(scope, name).textContent())?.trim() ?? '';
  const n = Number(text.replace(/,/g, '').replace(/\/s$/, ''));
  return text === '' || text === '—' || !Number.isFinite(n) ? null : n;
}

/** Polls `read` until `ok` holds (no fixed sleeps: a short poll interval, a deadline). */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
