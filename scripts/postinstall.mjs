// npm install's last step: applies patches/, says whether the desktop shell can run here, and
// builds the CLI into dist/.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { builtCli } from '../bin/node-dist.mjs';
const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

// patches/: kafkajs's produce encoding made cheaper, bytes unchanged (README, "Kafka versions").
// patch-package is a devDependency: a packaged app ships the node_modules patched here.
let patchPackage = null;
try {
  patchPackage = require.resolve('patch-package/index.js'); // its command line
} catch {
  console.log(
    '[volatility-insight] patch-package not installed (dev dependencies omitted): kafkajs runs ' +
      'as published, with its slower produce encoding.',
  );
}
if (patchPackage) {
  const patched = spawnSync(process.execPath, [patchPackage], { cwd: root, stdio: 'inherit' });
  if (patched.status !== 0) {
    console.error('[volatility-insight] applying patches/ failed (see above)');
    process.exit(patched.status ?? 1);
  }
}

// Electron's own install step downloads its binary, which fails offline, so package.json's
// allowScripts denies it; this only says whether the desktop shell can run on this machine.
try {
  require('electron');
  console.log('[volatility-insight] Electron binary present: the desktop app can run.');
} catch {
  console.log(
    '[volatility-insight] Electron binary not installed: the CLI works; for the desktop app ' +
      'run `node node_modules/electron/install.js` once, online.',
  );
}

// The CLI starts from dist/ (main/ and contract/ transpiled, ~0.5 s here); it would build it on
// first use anyway, this only moves the wait into the install.
const cli = await builtCli(root);
console.log(
  cli
    ? '[volatility-insight] CLI built into dist/.'
    : '[volatility-insight] CLI not built (esbuild unavailable): it runs from the sources.',
);
