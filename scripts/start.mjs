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

/** Runs a child in the foreground: Ctrl-C reaches it (same process group); its exit is ours. */
function foreground(cmd, cmdArgs, env = process.env) {
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

runStep('build-renderer.mjs');
const electron = electronBinary();
if ('path' in electron) {
  runStep('build-electron.mjs');
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would turn the app into a plain Node process
  foreground(electron.path, ['.', ...args], env);
} else {
  console.log(
    `[start] Electron's binary is not installed (${electron.reason}); starting edge mode instead. ` +
      'For the desktop app, run `node node_modules/electron/install.js` once, online, then `npm start`.',
  );
  foreground(process.execPath, [join(root, 'bin', 'volatility-insight.mjs'), 'serve', ...args]);
}
