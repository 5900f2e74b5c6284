import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package root (where package.json, docker-compose.yml and scripts/ live): the
 * nearest folder above this module with a package.json, from the sources and from dist/ alike.
 * In a packaged desktop app that is `<resources>/app.asar`, which docker, bash and Maven cannot
 * read, so electron-builder copies docker-compose.yml and scripts/ beside it (extraResources)
 * and the root is the resources folder.
 */
export const APP_ROOT = outsideAsar(findPackageRoot(dirname(fileURLToPath(import.meta.url))));

export function outsideAsar(root: string): string {
  return /\.asar$/i.test(root) ? dirname(root) : root;
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Where the app keeps its data: VI_HOME, else XDG_DATA_HOME/volatility-insight, else ~/.local/share/... */
export function appDataDir(env = process.env): string {
  if (env.VI_HOME) return env.VI_HOME;
  const base = env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share');
  return join(base, 'volatility-insight');
}

export function defaultDbPath(env = process.env): string {
  return env.VI_DB ?? join(appDataDir(env), 'volatility-insight.db');
}

export function settingsPath(env = process.env): string {
  return join(appDataDir(env), 'settings.json');
}
