import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The desktop app through Playwright's Electron support: a hardened window over the service.
 * Electron's binary cannot be downloaded on our CI machines (its install step is denied in
 * package.json); there this test is reported as skipped, with the reason.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

function electronBinary(): { path: string } | { reason: string } {
  try {
    const path: unknown = require('electron');
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { reason: `no binary at ${String(path)}` };
  } catch (err) {
    return { reason: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) };
  }
}

function build(script: string): void {
  const res = spawnSync(process.execPath, [join(root, 'scripts', script)], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(res.status, 0, `${script} failed:\n${res.stderr}${res.stdout}`);
}

const EXPECTED_BRIDGE = [
  'chooseExportFile',
  'chooseReplayFile',
  'onClose',
  'onMessage',
  'platform',
  'send',
  'showInFolder',
];

test('the desktop app: hardened window, narrow bridge, the Controls screen', async (t) => {
  const electron = electronBinary();
  if ('reason' in electron) {
    t.skip(`Electron binary not installed (its download is blocked here): ${electron.reason}`);
    return;
  }
  // better-sqlite3 is built for one ABI at a time: Node's (the CLI and the other tests) or
  // Electron's (`npx electron-builder install-app-deps`).
  const sqlite = spawnSync(
    electron.path,
    ['-e', "new (require('better-sqlite3'))(':memory:').close()"],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
  );
  if (sqlite.status !== 0) {
    t.skip(
      'better-sqlite3 is not built for Electron here (`npx electron-builder install-app-deps` ' +
        `rebuilds it): ${(sqlite.stderr || sqlite.stdout).trim().split('\n')[0]}`,
    );
    return;
  }
  build('build-renderer.mjs');
  build('build-electron.mjs');

  const { _electron } = await import('playwright-core');
  const home = mkdtempSync(join(tmpdir(), 'vi-electron-e2e-'));
  const artifacts = join(root, 'test-artifacts');
  // As root, Chromium refuses to start with its OS sandbox; the renderer's `sandbox: true`
  // (no Node, only the preload's bridge) is what this test checks.
  const asRoot = process.getuid?.() === 0;
  const app = await _electron.launch({
    executablePath: electron.path,
    args: [...(asRoot ? ['--no-sandbox'] : []), root],
    cwd: root,
    env: { ...process.env, VI_HOME: home, ELECTRON_RUN_AS_NODE: '' },
    timeout: 60_000,
  });
  const page = await app.firstWindow();
  try {
    await page.getByRole('heading', { name: 'Controls' }).waitFor({ timeout: 30_000 });
    assert.match(page.url(), /^app:\/\/volatility-insight\//);

    // Exactly the bridge, and nothing of Node in the page.
    const bridge = await page.evaluate(() =>
      Object.keys((globalThis as unknown as { vi: object }).vi).sort(),
    );
    assert.deepEqual(bridge, EXPECTED_BRIDGE);
    const leaks = await page.evaluate(() => {
      const g = globalThis as Record<string, unknown>;
      return {
        require: typeof g.require,
        process: typeof g.process,
        module: typeof g.module,
        ipcRenderer: typeof g.ipcRenderer,
        electron: typeof g.electron,
      };
    });
    assert.deepEqual(leaks, {
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
      ipcRenderer: 'undefined',
      electron: 'undefined',
    });
    // The bridge refuses what the contract does not allow.
    const refusals = await page.evaluate(() => {
      const vi = (globalThis as unknown as { vi: { send(f: unknown): void } }).vi;
      const out: string[] = [];
      for (const frame of [42, 'x'.repeat(1024 * 1024 + 1)]) {
        try {
          vi.send(frame);
          out.push('sent');
        } catch {
          out.push('refused');
        }
      }
      return out;
    });
    assert.deepEqual(refusals, ['refused', 'refused']);

    // Navigation to another origin is refused (file: is not opened outside either), and so is
    // window.open.
    const before = page.url();
    await page.evaluate(() => {
      (globalThis as unknown as { location: { href: string } }).location.href =
        'file:///etc/hostname';
    });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(page.url(), before);
    const opened = await page.evaluate(
      () => (globalThis as unknown as { open(u: string): unknown }).open('app://evil/') !== null,
    );
    assert.equal(opened, false);
    assert.equal((await app.windows()).length, 1);
  } catch (err) {
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'electron-failure.png') }).catch(() => {});
    throw err;
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
});
