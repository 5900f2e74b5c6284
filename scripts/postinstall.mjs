// Electron's own install step downloads its binary, which fails offline, so package.json's
// allowScripts denies it; this only says whether the desktop shell can run on this machine.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
try {
  require('electron');
  console.log('[volatility-insight] Electron binary present: the desktop app can run.');
} catch {
  console.log(
    '[volatility-insight] Electron binary not installed: the CLI works; for the desktop app ' +
      'run `node node_modules/electron/install.js` once, online.',
  );
}
