import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ExportProgress, ExportRequest, ExportResult } from '../../contract/export.js';
import { maybeCheckpoint } from '../delta/checkpoint.js';
import { DeltaTableError } from '../delta/log.js';
import type { PartitionBy } from '../delta/schema.js';
import { loadSnapshot } from '../delta/snapshot.js';
import {
  ConcurrentWriterError,
  DataFileSet,
  checkWritable,
  commitActions,
  newMetaData,
} from '../delta/table-writer.js';
import { ExportError, destinationError } from './errors.js';
import {
  countRows,
  openSource,
  progressReporter,
  toFilter,
  type ExportOptions,
} from './export-job.js';
import { iterateExportRows } from './query.js';

const CHECK_EVERY = 2048;
const SLICE_MS = 40;

function cancelled(): ExportError {
  return new ExportError('cancelled', 'export cancelled; no table or commit was written');
}

/**
 * Exports the selected rows as a Delta table in the folder `req.out`: a new table (written in a
 * hidden sibling folder and renamed into place when complete), or one commit appended to the
 * table already there when its schema is the same. On failure or cancel nothing is left: a new
 * table's folder is removed, an append's data files are deleted and no commit is written.
 */
export async function runDeltaExport(
  req: ExportRequest,
  options: ExportOptions,
): Promise<ExportResult> {
  const { signal, onProgress } = options;
  const progressEvery = options.progressIntervalMs ?? 250;
  const out = resolve(req.out);
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw new ExportError(
      'unwritable',
      `${req.out} is a file: a Delta table is a folder, so give a folder name (new, empty, or an existing table)`,
    );
  }
  let snapshot;
  try {
    snapshot = existsSync(out) ? await loadSnapshot(out) : null;
  } catch (err) {
    throw new ExportError('invalid-request', `${req.out}: ${(err as Error).message}`);
  }
  let by: PartitionBy;
  if (snapshot) {
    try {
      by = checkWritable(snapshot, req.out, req.partitionBy ?? null);
    } catch (err) {
      throw new ExportError('invalid-request', (err as Error).message);
    }
  } else {
    if (existsSync(out) && readdirSync(out).length > 0) {
      throw new ExportError(
        'invalid-request',
        `${req.out} is a folder with other files in it and no Delta table: choose a new or empty folder`,
      );
    }
    by = req.partitionBy ?? 'date';
  }
  // A new table is written next to its final place, then renamed (same file system).
  let staging: string | null = null;
  if (!snapshot) {
    try {
      mkdirSync(dirname(out), { recursive: true });
      staging = join(
        dirname(out),
        `.vi-delta-${process.pid}-${randomBytes(4).toString('hex')}.partial`,
      );
      mkdirSync(staging);
    } catch (err) {
      throw destinationError(err, req.out);
    }
  }
  const tableDir = staging ?? out;
  const files = new DataFileSet(tableDir, by);
  const db = openSource(req.db!);
  const filter = toFilter(req);
  const started = performance.now();
  let committed = false;
  try {
    db.exec('BEGIN');
    const rowsTotal = countRows(db, filter, req.db!);
    let rowsDone = 0;
    const progress = progressReporter(onProgress, started, rowsTotal, () => files.approxBytes);
    const report = (phase: ExportProgress['phase']) => progress.report(phase, rowsDone);
    report('writing');
    let lastReport = performance.now();
    let sliceStart = lastReport;
    const rows = iterateExportRows(db, filter);
    try {
      for (const row of rows) {
        try {
          files.push(row);
        } catch (err) {
          throw destinationError(err, req.out);
        }
        rowsDone++;
        if (rowsDone % CHECK_EVERY !== 0) continue;
        const now = performance.now();
        if (now - lastReport >= progressEvery) {
          lastReport = now;
          report('writing');
        }
        if (now - sliceStart >= SLICE_MS) {
          await nextTurn();
          if (signal?.aborted) throw cancelled();
          sliceStart = performance.now();
        }
      }
    } finally {
      rows.return?.();
    }
    if (signal?.aborted) throw cancelled();
    report('finishing');
    let adds;
    try {
      adds = files.finishFiles();
    } catch (err) {
      throw destinationError(err, req.out);
    }
    if (signal?.aborted) throw cancelled();
    const bytes = adds.reduce((s, a) => s + a.size, 0);
    let version: number | null = null;
    const operationParameters = {
      mode: 'Append',
      partitionBy: JSON.stringify(by === 'none' ? [] : by.split(',')),
    };
    try {
      if (staging) {
        commitActions(staging, -1, {
          actions: adds.map((add) => ({ add })),
          operation: 'CREATE TABLE AS SELECT',
          operationParameters,
          newTable: newMetaData(by, basename(out)),
          isBlindAppend: true,
        });
        if (existsSync(out)) rmdirSync(out); // empty (checked above); a rename cannot replace it on Windows
        renameSync(staging, out);
        staging = null;
        committed = true;
        version = 0;
      } else if (adds.length > 0) {
        version = commitActions(out, snapshot!.version, {
          actions: adds.map((add) => ({ add })),
          operation: 'WRITE',
          operationParameters,
          isBlindAppend: true,
        });
        committed = true;
      }
    } catch (err) {
      if (err instanceof ConcurrentWriterError || err instanceof DeltaTableError) {
        throw new ExportError('io', (err as Error).message);
      }
      throw destinationError(err, req.out);
    }
    files.forget();
    if (version !== null) await maybeCheckpoint(out, version).catch(() => undefined);
    const elapsedMs = performance.now() - started;
    report('finishing');
    return {
      format: 'delta',
      out,
      rows: rowsDone,
      bytes,
      elapsedMs,
      rowsPerSec: elapsedMs > 0 ? (rowsDone / elapsedMs) * 1000 : 0,
      empty: rowsDone === 0,
    };
  } catch (err) {
    if (err instanceof ExportError) throw err;
    throw new ExportError('io', `export failed: ${(err as Error).message}`, { cause: err });
  } finally {
    if (!committed) files.abort();
    if (staging) rmSync(staging, { recursive: true, force: true });
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  }
}
