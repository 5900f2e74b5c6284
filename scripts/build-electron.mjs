// Builds what Electron runs, into dist/:
// - main/ and contract/ → dist/main, dist/contract: each .ts file transpiled to one ESM .js file
//   (no bundling, so the worker files, the utilityProcess entry and import.meta.url-relative
//   paths keep their layout; type-checking is `npm run typecheck`'s job, not this build's);
// - preload/preload.ts → dist/preload/preload.cjs: one bundled CommonJS file, because a
//   sandboxed preload can only require('electron') and a few built-ins.
// The renderer is scripts/build-renderer.mjs's (dist/renderer).
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const started = Date.now();
const mainFiles = [...tsFiles('main'), ...tsFiles('contract')];
await build({
  absWorkingDir: root,
  entryPoints: mainFiles,
  outdir: dist,
  outbase: '.',
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});

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
  `[build-electron] ${mainFiles.length} main/contract files and the preload bundle → ` +
    `${relative(root, dist)}/ in ${Date.now() - started} ms`,
);
