import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import {
  ExportRequestSchema,
  parseExportInstant,
  type ExportProgress,
  type ExportRequest,
  type ExportResult,
} from '../../contract/export.js';
import { openDatabase } from '../store/open-database.js';
import { AtomicFile, type FileIo } from './atomic-file.js';
import { CsvRowWriter } from './csv.js';
import { ExportError, destinationError } from './errors.js';
import { runDeltaExport } from './delta-export.js';
import { ParquetRowWriter } from './parquet.js';
import { countExportRows, iterateExportRows, type ExportFilter, type RawRow } from './query.js';

export interface ExportOptions {
  signal?: AbortSignal;
  /** Called at most every `progressIntervalMs` while writing, and once at the start and end. */
  onProgress?: (progress: ExportProgress) => void;
  progressIntervalMs?: number;
  /** Parquet rows per row group (default 131,072). */
  rowGroupSize?: number;
  /** File calls to use instead of node:fs ones: tests inject write failures here. */
  io?: Partial<FileIo>;
}

interface RowWriter {
  writeRow(row: RawRow): void;
  /** True when rows are queued faster than they are written: await drain() before more. */
  readonly backlogged: boolean;
  drain(): Promise<void>;
  finish(): Promise<void>;
  close(): void;
}

function csvWriter(write: (bytes: Uint8Array) => void, req: ExportRequest): RowWriter {
  const csv = new CsvRowWriter(write, { bom: req.bom, eol: req.crlf ? '\r\n' : '\n' });
  return {
    writeRow: (row) => csv.writeRow(row),
    backlogged: false,
    drain: async () => {},
    finish: async () => csv.finish(),
    close: () => {},
  };
}

// Rows between checks of the clock (for progress, cancellation and yielding the event loop).
const CHECK_EVERY = 2048;
// The export runs synchronously in slices of this length, so timers, signals and other work
// on the event loop keep running.
const SLICE_MS = 40;

function cancelled(): ExportError {
  return new ExportError('cancelled', 'export cancelled; no file was written');
}

export function toFilter(request: ExportRequest): ExportFilter {
  return {
    symbols: request.symbols,
    fromMs:
      request.from === undefined ? undefined : (parseExportInstant(request.from) ?? undefined),
    toMs: request.to === undefined ? undefined : (parseExportInstant(request.to) ?? undefined),
  };
}

export function openSource(dbPath: string): Database.Database {
  if (!existsSync(dbPath)) {
    throw new ExportError(
      'db-not-found',
      `database ${dbPath} does not exist: give the path of the file the consumer writes to`,
    );
  }
  let db: Database.Database;
  try {
    db = openDatabase(dbPath, { readonly: true });
  } catch (err) {
    throw new ExportError('db-error', (err as Error).message, { cause: err });
  }
  const hasTable = db
    .prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'enriched_trades'`)
    .pluck()
    .get();
  if (!hasTable) {
    db.close();
    throw new ExportError(
      'db-error',
      `${dbPath} is not a Volatility Insight database (no enriched_trades table); ` +
        'check the path, or run the consumer once to create it',
    );
  }
  return db;
}

/** The rows an export will write, in its read transaction; a read failure names the database. */
export function countRows(db: Database.Database, filter: ExportFilter, dbPath: string): number {
  try {
    return countExportRows(db, filter);
  } catch (err) {
    throw new ExportError('db-error', `reading ${dbPath} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Progress events: the rate and the time left are measured from when writing started. */
export function progressReporter(
  onProgress: ExportOptions['onProgress'],
  started: number,
  rowsTotal: number,
  bytesWritten: () => number,
) {
  let writeStarted = performance.now();
  return {
    startWriting() {
      writeStarted = performance.now();
    },
    report(phase: ExportProgress['phase'], rowsDone: number) {
      if (!onProgress) return;
      const now = performance.now();
      const secs = (now - writeStarted) / 1000;
      const rate = secs > 0.05 ? rowsDone / secs : 0;
      onProgress({
        phase,
        rowsDone,
        rowsTotal,
        rowsPerSec: rate,
        etaMs:
          rate > 0 ? ((rowsTotal - rowsDone) / rate) * 1000 : rowsDone === rowsTotal ? 0 : null,
        elapsedMs: now - started,
        bytesWritten: bytesWritten(),
      });
    },
  };
}

/** `path` with every symbolic link resolved (its folder's, if the file does not exist), or null. */
function realPath(path: string): string | null {
  try {
    return realpathSync.native(path);
  } catch {
    try {
      return join(realpathSync.native(dirname(path)), basename(path));
    } catch {
      return null;
    }
  }
}

/**
 * Whether `out` is the database itself or one of its companion files (-wal, -shm, -journal),
 * under whatever name: resolved real paths are compared (case-insensitively where the file
 * system usually is), and existing files also by device and inode (hard links, other spellings).
 */
function isDatabaseFile(out: string, dbPath: string): boolean {
  const dbReal = realPath(dbPath);
  if (dbReal === null || !existsSync(dbReal)) return false; // a missing database is reported later
  const fold = (p: string) =>
    process.platform === 'win32' || process.platform === 'darwin' ? p.toLowerCase() : p;
  const outReal = realPath(out);
  let outStat: ReturnType<typeof statSync> | undefined;
  try {
    outStat = statSync(out);
  } catch {
    outStat = undefined;
  }
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    const target = dbReal + suffix;
    if (outReal !== null && fold(outReal) === fold(target)) return true;
    if (!outStat) continue;
    try {
      const st = statSync(target);
      if (st.ino !== 0 && st.ino === outStat.ino && st.dev === outStat.dev) return true;
    } catch {
      // no such companion file now
    }
  }
  return false;
}

export function validate(request: ExportRequest): ExportRequest {
  const parsed = ExportRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new ExportError(
      'invalid-request',
      `invalid export request: ${where}${issue?.message ?? 'schema mismatch'}`,
    );
  }
  return parsed.data;
}

/**
 * Exports the selected enriched trades to one CSV or Parquet file. The file appears under
 * `request.out` only when complete; on failure or cancel (via `signal`) nothing is left behind
 * and the promise rejects with an ExportError whose `code` says why. A selection with no rows
 * still writes a file (CSV header / Parquet schema) and resolves with `empty: true`.
 */
export async function runExport(
  request: ExportRequest,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const { signal, onProgress } = options;
  const progressEvery = options.progressIntervalMs ?? 250;
  const req = validate(request);
  if (req.db === undefined) throw new ExportError('invalid-request', 'no database file given');
  if (signal?.aborted) throw cancelled();
  // A Delta table is a folder of files and a log: its own writer (main/export/delta-export.ts).
  if (req.format === 'delta') return runDeltaExport(req, options);

  const out = resolve(req.out);
  if (existsSync(out) && statSync(out).isDirectory()) {
    throw new ExportError('unwritable', `${req.out} is a folder: give a file name to export to`);
  }
  if (isDatabaseFile(out, req.db)) {
    throw new ExportError(
      'invalid-request',
      `${req.out} is the database being exported (${req.db}) or one of its files: ` +
        'choose another file name; nothing was written',
    );
  }
  const filter = toFilter(req);
  const db = openSource(req.db);
  let file: AtomicFile | null = null;
  let writer: RowWriter | null = null;
  const started = performance.now();
  try {
    try {
      file = new AtomicFile(out, options.io);
    } catch (err) {
      throw destinationError(err, req.out);
    }
    const sink = file;
    // One read transaction, so the count and the rows come from the same snapshot even while
    // the consumer keeps writing.
    db.exec('BEGIN');
    const rowsTotal = countRows(db, filter, req.db);
    let rowsDone = 0;
    const progress = progressReporter(onProgress, started, rowsTotal, () => sink.bytesWritten);
    const report = (phase: ExportProgress['phase']) => progress.report(phase, rowsDone);

    const write = (bytes: Uint8Array) => {
      try {
        sink.write(bytes);
      } catch (err) {
        throw destinationError(err, req.out);
      }
    };
    writer =
      req.format === 'csv'
        ? csvWriter(write, req)
        : new ParquetRowWriter(write, { rowGroupSize: options.rowGroupSize });

    progress.startWriting();
    report('writing');
    let lastReport = performance.now();
    let sliceStart = lastReport;
    const rows = iterateExportRows(db, filter);
    try {
      for (const row of rows) {
        writer.writeRow(row);
        rowsDone++;
        if (rowsDone % CHECK_EVERY !== 0) continue;
        if (writer.backlogged) {
          await writer.drain();
          if (signal?.aborted) throw cancelled();
          sliceStart = performance.now();
        }
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
    await writer.finish();
    if (signal?.aborted) throw cancelled();
    try {
      file.commit();
    } catch (err) {
      throw destinationError(err, req.out);
    }
    const elapsedMs = performance.now() - started;
    report('finishing');
    return {
      format: req.format,
      out,
      rows: rowsDone,
      bytes: file.bytesWritten,
      elapsedMs,
      rowsPerSec: elapsedMs > 0 ? (rowsDone / elapsedMs) * 1000 : 0,
      empty: rowsDone === 0,
    };
  } catch (err) {
    if (err instanceof ExportError) throw err;
    throw new ExportError('io', `export failed: ${(err as Error).message}`, { cause: err });
  } finally {
    writer?.close();
    file?.discard();
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  }
}
