// Builds what Electron runs, into dist/:
// - main/ and contract/ → dist/main, dist/contract: each .ts file transpiled to one ESM .js file
//   (no bundling, so the worker files, the utilityProcess entry and import.meta.url-relative
//   paths keep their layout; type-checking is `npm run typecheck`'s job, not this build's);
// - preload/preload.ts → dist/preload/preload.cjs: one bundled CommonJS file, because a
//   sandboxed preload can only require('electron') and a few built-ins.
// The renderer is scripts/build-renderer.mjs's (dist/renderer).
import { build } from 'esbuild';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileNode } from '../bin/node-dist.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

const started = Date.now();
const mainCount = await transpileNode(root);

await build({
  absWorkingDir: root,
  entryPoints: ['preload/preload.ts'],
  outfile: join(dist, 'preload', 'preload.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'chrome130',
  external: ['electron'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

console.log(
  `[build-electron] ${mainCount} main/contract files and the preload bundle → ` +
    `${relative(root, dist)}/ in ${Date.now() - started} ms`,
);
