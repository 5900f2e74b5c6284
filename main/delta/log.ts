import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * Delta Lake log actions (delta-io/delta PROTOCOL.md), the subset this writer produces: reader
 * version 1, writer version 2, no table features. Each commit is `_delta_log/<version>.json`
 * with one action per line.
 */
export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
}
export interface MetaDataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}
export interface AddAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string | null;
  tags?: Record<string, string> | null;
}
export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null>;
  size?: number;
}
export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}
export type Action =
  | { protocol: ProtocolAction }
  | { metaData: MetaDataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { txn: TxnAction }
  | { commitInfo: Record<string, unknown> };

export const LOG_DIR = '_delta_log';
export const PROTOCOL: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };

export function commitName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}
export function checkpointName(version: number): string {
  return `${String(version).padStart(20, '0')}.checkpoint.parquet`;
}

/** Another writer created this version first (the log entry exists). */
export class CommitConflictError extends Error {
  override name = 'CommitConflictError';
  constructor(readonly version: number) {
    super(`version ${version} of the table was committed by another writer`);
  }
}

/** The table's log says something this reader cannot take (newer protocol, bad JSON). */
export class DeltaTableError extends Error {
  override name = 'DeltaTableError';
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows and some file systems cannot fsync a folder; the file itself is durable.
  }
}

/** Writes `data` to a new file (never an existing one), fsynced. */
function writeNewFile(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `_delta_log/<version>.json` only if it does not exist, with all its bytes at once: the
 * commit is written and fsynced under a temporary name, then hard-linked to its final name
 * (link fails with EEXIST when another writer won the version, and a reader never sees a
 * half-written commit). Where hard links are unsupported (some network or FAT file systems) it
 * falls back to an existence check and rename, which is atomic for readers but not between two
 * racing writers (said in the README). Throws CommitConflictError when the version exists.
 */
export function writeCommit(table: string, version: number, actions: Action[]): void {
  const dir = join(table, LOG_DIR);
  mkdirSync(dir, { recursive: true });
  const final = join(dir, commitName(version));
  const temp = join(dir, `.tmp-${randomUUID()}.json`);
  writeNewFile(temp, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
  try {
    try {
      linkSync(temp, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new CommitConflictError(version);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV')
        throw err;
      if (existsSync(final)) throw new CommitConflictError(version);
      renameSync(temp, final);
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // renamed, or already gone
    }
  }
  fsyncDir(dir);
}

/**
 * Replaces a small file (`_last_checkpoint`) atomically: temporary file, fsync, rename. On
 * Windows a rename over an existing file can fail while another process has it open (EPERM,
 * EBUSY); it is retried briefly, and a reader that finds it stale still lists the log.
 */
export function replaceFile(path: string, data: string): void {
  const temp = `${path}.tmp-${randomUUID()}`;
  writeNewFile(temp, data);
  for (let attempt = 0; ; attempt++) {
    try {
      renameSync(temp, path);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 20 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) {
        try {
          unlinkSync(temp);
        } catch {
          // ignore
        }
        throw err;
      }
      const until = Date.now() + 50;
      while (Date.now() < until) {
        /* brief wait for the other process to let go */
      }
    }
  }
}

export function parseCommit(text: string, version: number): Action[] {
  const actions: Action[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      actions.push(JSON.parse(line) as Action);
    } catch {
      throw new DeltaTableError(`commit ${version} of the table is not valid JSON`);
    }
  }
  return actions;
}

export function readCommit(table: string, version: number): Action[] | null {
  let text: string;
  try {
    text = readFileSync(join(table, LOG_DIR, commitName(version)), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseCommit(text, version);
}

/** Versions of the JSON commits present, ascending. */
export function listCommitVersions(table: string): number[] {
  let names: string[];
  try {
    names = readdirSync(join(table, LOG_DIR));
  } catch {
    return [];
  }
  return names
    .map((n) => /^(\d{20})\.json$/.exec(n)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
