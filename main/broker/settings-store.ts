import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { BrokerSettingsSchema, type BrokerSettings } from '../../contract/broker.js';
import { settingsPath } from '../paths.js';

/**
 * Broker settings live under the "broker" key of the app's settings file (settingsPath()), so
 * other settings can share the file; saving keeps the other keys as they are.
 *
 * Passwords (external SASL) are stored as given, in plain text: the file is written with mode
 * 0600 (owner read/write only) inside a 0700 directory, like ~/.netrc or a kafka client.properties.
 */
export const BROKER_SETTINGS_KEY = 'broker';

/** The settings file cannot be used; the message names the file and, when known, the field. */
export class SettingsFileError extends Error {
  constructor(
    readonly path: string,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'SettingsFileError';
  }
}

export function defaultBrokerSettings(): BrokerSettings {
  return BrokerSettingsSchema.parse({});
}

function readJsonObject(path: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SettingsFileError(
      path,
      null,
      `cannot read the settings file ${path}: ${(err as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new SettingsFileError(
      path,
      null,
      `the settings file ${path} is not valid JSON (${(err as Error).message}): fix it, or delete it to start from the defaults`,
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SettingsFileError(
      path,
      null,
      `the settings file ${path} must hold a JSON object: fix it, or delete it to start from the defaults`,
    );
  }
  return data as Record<string, unknown>;
}

/** The persisted broker settings; the defaults when the file or its "broker" key is missing. */
export function loadBrokerSettings(path: string = settingsPath()): BrokerSettings {
  const file = readJsonObject(path);
  const raw = file?.[BROKER_SETTINGS_KEY];
  if (raw === undefined) return defaultBrokerSettings();
  const parsed = BrokerSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = [BROKER_SETTINGS_KEY, ...(issue?.path ?? []).map(String)].join('.');
    throw new SettingsFileError(
      path,
      field,
      `the settings file ${path} has an invalid value at "${field}": ${issue?.message ?? 'invalid'}. Fix it, or delete the file to start from the defaults`,
    );
  }
  return parsed.data;
}

function writeSettingsFile(path: string, data: Record<string, unknown>): void {
  const text = JSON.stringify(data, null, 2) + '\n';
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new SettingsFileError(
      path,
      null,
      `cannot write the settings file ${path}: ${(err as Error).message}`,
    );
  }
}

/** Validates and writes atomically (temp file + rename), mode 0600. Returns what was written. */
export function saveBrokerSettings(
  settings: BrokerSettings,
  path: string = settingsPath(),
): BrokerSettings {
  const valid = BrokerSettingsSchema.parse(settings);
  saveSettingsSection(path, BROKER_SETTINGS_KEY, valid);
  return valid;
}

/** Another section of the settings file (e.g. "weather"), as stored; null when absent. */
export function loadSettingsSection(path: string, key: string): unknown {
  return readJsonObject(path)?.[key] ?? null;
}

/** Replaces one section of the settings file, keeping the others; atomic, mode 0600. */
export function saveSettingsSection(path: string, key: string, value: unknown): void {
  let others: Record<string, unknown> = {};
  try {
    others = readJsonObject(path) ?? {};
  } catch {
    // A corrupt file is replaced: saving is how a user repairs it.
  }
  writeSettingsFile(path, { ...others, [key]: value });
}
