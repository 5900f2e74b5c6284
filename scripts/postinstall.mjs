// Electron's own install step downloads its binary, which fails offline; the
// project sets ELECTRON_SKIP_BINARY_DOWNLOAD in .npmrc-free ways (see README) and
// only reports here whether the desktop shell can run on this machine.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
try {
  require('electron');
  console.log('[volatility-insight] Electron binary present: the desktop app can run.');
} catch {
  console.log(
    '[volatility-insight] Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD or offline): ' +
      'the CLI and edge server work; run `npx install-electron` or reinstall online for the desktop app.',
  );
}
