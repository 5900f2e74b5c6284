import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository / installed package root (where docker-compose.yml and scripts/ live). */
export const APP_ROOT = fileURLToPath(new URL('..', import.meta.url));

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
