import { readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { EXPORT_COLUMNS } from '../../contract/export.js';
import type { RawRow } from '../export/query.js';
import { maybeCheckpoint } from './checkpoint.js';
import { DeltaTableError, type Action, type AddAction } from './log.js';
import { uriToPath } from './schema.js';
import { loadSnapshot } from './snapshot.js';
import { DataFileSet, checkWritable, commitActions } from './table-writer.js';

/** Files below this size are compacted by optimize (the usual Delta target file size). */
export const OPTIMIZE_TARGET_BYTES = 128 * 1024 * 1024;
/**
 * Files that were never in the log (left by a writer killed before its commit) look exactly like
 * the files a running sink is still writing, so vacuum deletes them only past this age,
 * whatever the retention asked for.
 */
export const UNTRACKED_MIN_AGE_MS = 3600_000;

function toRaw(
  obj: Record<string, unknown>,
  partitionValues: Record<string, string | null>,
): RawRow {
  return EXPORT_COLUMNS.map((name) => {
    const v = name in obj ? obj[name] : (partitionValues[name] ?? null);
    if (v === null || v === undefined) return null;
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    return v as string | number;
  });
}

async function readDataFile(table: string, add: AddAction): Promise<RawRow[]> {
  const bytes = readFileSync(join(table, ...uriToPath(add.path).split('/')));
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  return rows.map((r) => toRaw(r, add.partitionValues));
}

export interface OptimizeOutcome {
  version: number | null;
  filesRemoved: number;
  filesAdded: number;
  rows: number;
}

/**
 * Compacts each partition's small files into one (remove + add with `dataChange: false`), in one
 * commit. The rows are unchanged; readers of older versions still find the old files until
 * vacuum deletes them. A sink appending meanwhile is not disturbed (its commit retries on the
 * next version); two optimizes removing the same file conflict and the later one stops.
 */
export async function optimizeTable(
  table: string,
  options: { targetBytes?: number; signal?: AbortSignal } = {},
): Promise<OptimizeOutcome> {
  const snapshot = await loadSnapshot(table);
  if (!snapshot) throw new DeltaTableError(`${table} is not a Delta table (no _delta_log)`);
  const by = checkWritable(snapshot, table, null);
  const target = options.targetBytes ?? OPTIMIZE_TARGET_BYTES;
  const groups = new Map<string, AddAction[]>();
  for (const add of snapshot.files.values()) {
    if (add.size >= target) continue;
    const key = JSON.stringify(Object.entries(add.partitionValues).sort());
    const list = groups.get(key) ?? [];
    list.push(add);
    groups.set(key, list);
  }
  const files = new DataFileSet(table, by);
  const removed: AddAction[] = [];
  let rows = 0;
  try {
    for (const list of groups.values()) {
      if (list.length < 2) continue;
      for (const add of list) {
        if (options.signal?.aborted) throw new Error('optimize cancelled; nothing was committed');
        for (const row of await readDataFile(table, add)) {
          files.push(row);
          rows++;
        }
        removed.push(add);
      }
    }
    if (removed.length === 0) return { version: null, filesRemoved: 0, filesAdded: 0, rows: 0 };
    const now = Date.now();
    const adds = files.finishFiles(now).map((a) => ({ ...a, dataChange: false }));
    const actions: Action[] = [
      ...removed.map((r): Action => ({
        remove: {
          path: r.path,
          deletionTimestamp: now,
          dataChange: false,
          extendedFileMetadata: true,
          partitionValues: r.partitionValues,
          size: r.size,
        },
      })),
      ...adds.map((add): Action => ({ add })),
    ];
    const version = commitActions(table, snapshot.version, {
      actions,
      operation: 'OPTIMIZE',
      operationParameters: { predicate: '[]', targetSize: String(target) },
      removes: new Set(removed.map((r) => r.path)),
      isBlindAppend: false,
    });
    files.forget();
    await maybeCheckpoint(table, version).catch(() => undefined);
    return { version, filesRemoved: removed.length, filesAdded: adds.length, rows };
  } catch (err) {
    files.abort();
    throw err;
  }
}

export interface VacuumOutcome {
  filesDeleted: number;
  bytesDeleted: number;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Delta ignores names starting with `_` or `.` (the log, staging and temporary files).
    if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.isFile()) out.push(p);
  }
}

/**
 * Deletes data files the latest version does not reference: files removed (by optimize) more
 * than `retentionHours` ago, and files never committed (a killed writer's) once older than both
 * the retention and UNTRACKED_MIN_AGE_MS. Older versions whose files are deleted can no longer
 * be read (time travel ends at the retention), as in every Delta implementation.
 */
export async function vacuumTable(table: string, retentionHours: number): Promise<VacuumOutcome> {
  const snapshot = await loadSnapshot(table);
  if (!snapshot) throw new DeltaTableError(`${table} is not a Delta table (no _delta_log)`);
  const now = Date.now();
  const retentionMs = retentionHours * 3600_000;
  const live = new Set([...snapshot.files.keys()].map(uriToPath));
  const removedAt = new Map<string, number>();
  for (const r of snapshot.tombstones.values()) {
    removedAt.set(uriToPath(r.path), r.deletionTimestamp ?? 0);
  }
  const all: string[] = [];
  walk(table, all);
  let filesDeleted = 0;
  let bytesDeleted = 0;
  for (const path of all) {
    const rel = relative(table, path).split(sep).join('/');
    if (live.has(rel)) continue;
    let st;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    const removed = removedAt.get(rel);
    const old =
      removed !== undefined
        ? now - removed >= retentionMs
        : now - st.mtimeMs >= Math.max(retentionMs, UNTRACKED_MIN_AGE_MS);
    if (!old) continue;
    try {
      unlinkSync(path);
      filesDeleted++;
      bytesDeleted += st.size;
    } catch {
      // gone meanwhile
    }
  }
  return { filesDeleted, bytesDeleted };
}
