// Builds the renderer: renderer/main.ts bundled (ESM, es2022, with a source map) into
// dist/renderer/app.js, and renderer/index.html and styles.css copied beside it. The same
// folder is loaded by the desktop window and served by the edge server.
//   node scripts/build-renderer.mjs [--watch]
import { build, context } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'renderer');

/**
 * zod re-exports all of its ~40 error-message locales (360 KB) through the `z` namespace, which
 * a bundler cannot tree-shake. The renderer uses English messages only (zod's default), so the
 * locales index is reduced to `en`.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';\n",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: [join(root, 'renderer', 'main.ts')],
  outfile: join(outdir, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: false,
  legalComments: 'linked',
  logLevel: 'info',
  plugins: [zodEnglishOnly],
};

async function copyStatic() {
  await mkdir(outdir, { recursive: true });
  for (const file of ['index.html', 'styles.css']) {
    await copyFile(join(root, 'renderer', file), join(outdir, file));
  }
}

if (process.argv.includes('--watch')) {
  await copyStatic();
  const ctx = await context({
    ...options,
    plugins: [zodEnglishOnly, { name: 'copy-static', setup: (b) => b.onEnd(() => copyStatic()) }],
  });
  await ctx.watch();
} else {
  await copyStatic();
  await build(options);
}
