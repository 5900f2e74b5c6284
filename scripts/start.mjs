// npm start: the desktop app where Electron's binary is installed, else edge mode (the same app in
// the browser) with its URL printed. Builds the renderer (and, for Electron, main and the preload)
// first. Extra arguments go to the app (Electron) or to `volatility-insight serve` (edge mode).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function runStep(script) {
  const file = join(root, 'scripts', script);
  if (!existsSync(file)) {
    console.error(`[start] ${script} is missing; skipping it`);
    return;
  }
  const res = spawnSync(process.execPath, [file], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(
      `[start] ${script} failed (exit ${res.status ?? res.signal}); fix the build and retry.`,
    );
    process.exit(res.status ?? 1);
  }
}

/** The Electron binary's path, or null with the reason (its download is skipped on install). */
function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path)
      ? { path }
      : { reason: 'no binary at its path' };
  } catch (err) {
    return { reason: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

/**
 * Runs a child in the foreground; its exit is ours. Ctrl-C reaches the child from the terminal
 * directly (same process group), so SIGINT is not forwarded: a second copy would read as "Ctrl-C
 * again to force". SIGTERM, which usually comes to us alone, is passed on once.
 */
function foreground(cmd, cmdArgs, env = process.env) {
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env });
  process.on('SIGINT', () => {});
  process.once('SIGTERM', () => {
    child.kill('SIGTERM');
    process.on('SIGTERM', () => {});
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * better-sqlite3 is compiled for one ABI: Node's after `npm install` (the CLI and the tests), or
 * Electron's after `npx electron-builder install-app-deps`. The desktop app needs Electron's.
 */
function sqliteLoadsInElectron(electronPath) {
  const res = spawnSync(
    electronPath,
    ['-e', "new (require('better-sqlite3'))(':memory:').close()"],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      timeout: 30_000,
    },
  );
  if (res.status === 0) return { ok: true };
  const text = `${res.stderr ?? ''}${res.stdout ?? ''}`;
  return {
    ok: false,
    why: /NODE_MODULE_VERSION/.test(text)
      ? 'built for Node, not Electron'
      : text.trim().split('\n')[0],
  };
}

runStep('build-renderer.mjs');
let electron = electronBinary();
if ('path' in electron) {
  const sqlite = sqliteLoadsInElectron(electron.path);
  if (!sqlite.ok) {
    electron = {
      reason:
        `better-sqlite3 does not load in Electron (${sqlite.why}); run \`npx electron-builder install-app-deps\` ` +
        'to rebuild it for Electron (and `npm rebuild better-sqlite3` before running the CLI or the tests with Node again)',
    };
  }
}
if ('path' in electron) {
  runStep('build-electron.mjs');
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would turn the app into a plain Node process
  foreground(electron.path, ['.', ...args], env);
} else {
  console.log(
    `[start] The desktop app cannot start here (${electron.reason}); starting edge mode instead. ` +
      "For the desktop app, install Electron's binary with `node node_modules/electron/install.js` " +
      '(once, online), then `npm start`.',
  );
  foreground(process.execPath, [join(root, 'bin', 'volatility-insight.mjs'), 'serve', ...args]);
}
