// The CLI's fast start: main/ and contract/ transpiled to dist/ (one ESM .js file per .ts file,
// the layout scripts/build-electron.mjs makes), rebuilt only when a source is newer than the last
// build. Loading the built files takes ~0.4 s; loading the sources through tsx takes ~1.1 s, and
// again in every worker thread (the enricher, the sink, replay), each of which registers tsx.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

const SOURCE_DIRS = ['main', 'contract'];
const STAMP = '.node-build.json';

function sources(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  return out.sort();
}

/** What the built files were made from: the source list and their newest change time. */
function fingerprint(root, files) {
  let newest = 0;
  for (const f of files) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
  return { files: files.length, newest };
}

function readStamp(path) {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : null;
  } catch {
    return null;
  }
}

/** Writes through a temporary file and a rename, so a second CLI starting at the same moment
 * never imports a half-written module (both write the same bytes). */
function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

/**
 * Returns the built CLI entry's path, building it first when the sources changed; null when it
 * cannot be built here (no esbuild, a read-only install, no sources): the caller then runs the
 * sources through tsx.
 */
export async function builtCli(root) {
  const dist = join(root, 'dist');
  const entry = join(dist, 'main', 'shells', 'cli.js');
  if (process.env.VI_FROM_SOURCE === '1') return null;
  let files;
  try {
    files = sources(root);
  } catch {
    // A packaged install ships dist/ without the sources: use what is there.
    return existsSync(entry) ? entry : null;
  }
  if (files.length === 0) return existsSync(entry) ? entry : null;
  const now = fingerprint(root, files);
  const stamp = readStamp(join(dist, STAMP));
  if (stamp && stamp.files === now.files && stamp.newest === now.newest && existsSync(entry)) {
    return entry;
  }
  try {
    await transpileNode(root, files);
    return entry;
  } catch {
    return null;
  }
}

/**
 * Transpiles main/ and contract/ into dist/ (each file written atomically) and records what they
 * were built from; also the Electron build's main-process step (scripts/build-electron.mjs).
 * Returns how many files were transpiled; throws with esbuild's messages when a file fails.
 */
export async function transpileNode(root, files = sources(root)) {
  const dist = join(root, 'dist');
  const now = fingerprint(root, files);
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: files,
    outdir: dist,
    outbase: '.',
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    write: false,
    logLevel: 'silent',
  });
  for (const out of result.outputFiles) writeAtomically(out.path, out.contents);
  writeAtomically(join(dist, STAMP), JSON.stringify(now));
  return files.length;
}
