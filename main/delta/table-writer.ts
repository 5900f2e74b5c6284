import { randomUUID } from 'node:crypto';
import { mkdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RawRow } from '../export/query.js';
import { DataFileWriter, DATA_ROW_GROUP } from './data-file.js';
import {
  CommitConflictError,
  DeltaTableError,
  PROTOCOL,
  readCommit,
  writeCommit,
  type Action,
  type AddAction,
  type MetaDataAction,
  type TxnAction,
} from './log.js';
import type { Snapshot } from './snapshot.js';
import {
  deltaSchemaString,
  partitionColumns,
  partitionDir,
  partitionValuesOf,
  pathToUri,
  type PartitionBy,
} from './schema.js';

export const ENGINE_INFO = 'volatility-insight';

export function newMetaData(by: PartitionBy, name?: string): MetaDataAction {
  return {
    id: randomUUID(),
    name: name ?? null,
    description: null,
    format: { provider: 'parquet', options: {} },
    schemaString: deltaSchemaString(by),
    partitionColumns: partitionColumns(by),
    configuration: {},
    createdTime: Date.now(),
  };
}

/** The table's partitioning if its schema is this product's, else null (a schema change). */
export function partitionByOf(meta: MetaDataAction): PartitionBy | null {
  for (const by of ['date', 'date,symbol', 'none'] as const) {
    if (
      meta.schemaString === deltaSchemaString(by) &&
      meta.partitionColumns.join(',') === partitionColumns(by).join(',')
    ) {
      return by;
    }
  }
  return null;
}

/**
 * The table in `snapshot` must have this product's schema (with `by`'s partitioning) and a
 * protocol this writer can write; else a plain error (a schema change is a new table).
 */
export function checkWritable(
  snapshot: Snapshot,
  table: string,
  by: PartitionBy | null,
): PartitionBy {
  if (snapshot.protocol.minWriterVersion > 2) {
    throw new DeltaTableError(
      `${table} needs a Delta writer of version ${snapshot.protocol.minWriterVersion}; this one writes version 2: use a new table folder`,
    );
  }
  const found = partitionByOf(snapshot.metaData);
  if (found === null) {
    throw new DeltaTableError(
      `${table} holds a Delta table with another schema: a schema change is a new table, so choose a new folder`,
    );
  }
  if (by !== null && found !== by) {
    throw new DeltaTableError(
      `${table} is partitioned by ${found === 'none' ? 'nothing' : found}, not ${by === 'none' ? 'nothing' : by}: use --partition-by ${found}, or a new folder`,
    );
  }
  return found;
}

interface OpenFile {
  writer: DataFileWriter;
  relative: string;
  values: Record<string, string>;
}

/**
 * Rows to Parquet data files under the table folder, one open file per partition. Files are
 * streamed (a row group at a time); nothing is in the log until `finishFiles()`'s add actions
 * are committed. `abort()` deletes every file this appender wrote.
 */
export class DataFileSet {
  private readonly open = new Map<string, OpenFile>();
  private readonly written: string[] = [];
  private rows = 0;

  constructor(
    readonly table: string,
    readonly by: PartitionBy,
    private readonly rowGroupSize = DATA_ROW_GROUP,
  ) {}

  get rowCount(): number {
    return this.rows;
  }

  get approxBytes(): number {
    let total = 0;
    for (const f of this.open.values()) total += f.writer.approxBytes;
    return total;
  }

  push(row: RawRow): void {
    const values = partitionValuesOf(row, this.by);
    const key = this.by === 'none' ? '' : partitionDir(values, this.by);
    let file = this.open.get(key);
    if (!file) {
      const name = `part-00000-${randomUUID()}-c000.snappy.parquet`;
      const relative = key === '' ? name : `${key}/${name}`;
      const path = join(this.table, ...relative.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      file = { writer: new DataFileWriter(path, this.by, this.rowGroupSize), relative, values };
      this.open.set(key, file);
      this.written.push(path);
    }
    file.writer.push(row);
    this.rows++;
  }

  /** Finishes every open file (footer, fsync) and returns their add actions. */
  finishFiles(now = Date.now()): AddAction[] {
    const adds: AddAction[] = [];
    for (const f of this.open.values()) {
      const rows = f.writer.rowCount;
      const size = f.writer.finish();
      adds.push({
        path: pathToUri(f.relative),
        partitionValues: f.values,
        size,
        modificationTime: now,
        dataChange: true,
        stats: JSON.stringify({ numRecords: rows }),
      });
    }
    this.open.clear();
    return adds;
  }

  /** Files finished or open, for abort(). */
  get paths(): readonly string[] {
    return this.written;
  }

  /** Deletes every file this set wrote (open or finished) and the partition folders left empty. */
  abort(): void {
    for (const f of this.open.values()) f.writer.abort();
    this.open.clear();
    for (const path of this.written) removeFileAndEmptyParents(path, this.table);
    this.written.length = 0;
  }

  /** After a commit: the files belong to the table now. */
  forget(): void {
    this.written.length = 0;
    this.rows = 0;
  }
}

export function removeFileAndEmptyParents(path: string, stopAt: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
  let dir = dirname(path);
  while (dir.length > stopAt.length && dir.startsWith(stopAt)) {
    try {
      rmdirSync(dir);
    } catch {
      break; // not empty
    }
    dir = dirname(dir);
  }
}

export interface CommitRequest {
  /** Actions of this commit (add, remove, txn); protocol and metaData are added for version 0. */
  actions: Action[];
  operation: string;
  operationParameters?: Record<string, unknown>;
  /** For a new table (no snapshot): its metaData. */
  newTable?: MetaDataAction;
  /** Application ids this commit's txn actions own: a winning commit with one of them is another sink. */
  ownAppIds?: (appId: string) => boolean;
  /** Paths this commit removes: a winning commit that removed one of them is a conflict. */
  removes?: ReadonlySet<string>;
  isBlindAppend?: boolean;
}

/** Two sinks on one table: a plain refusal, not a retry. */
export class ConcurrentWriterError extends Error {
  override name = 'ConcurrentWriterError';
}

/**
 * Commits at `readVersion + 1` with create-if-absent semantics. When another writer won that
 * version, its commit is checked as the protocol's optimistic concurrency asks: an append by
 * another writer (or optimize, vacuum's nothing) is retried at the next version; a commit with
 * this writer's txn application ids (a second sink), a metaData or protocol change, or a removal
 * of a file this commit also removes is refused. Returns the version committed.
 */
export function commitActions(table: string, readVersion: number, req: CommitRequest): number {
  let version = readVersion + 1;
  for (;;) {
    const actions: Action[] = [];
    const now = Date.now();
    actions.push({
      commitInfo: {
        timestamp: now,
        operation: req.operation,
        operationParameters: req.operationParameters ?? {},
        readVersion: version === 0 ? undefined : readVersion,
        isBlindAppend: req.isBlindAppend ?? false,
        engineInfo: ENGINE_INFO,
      },
    });
    if (version === 0) {
      if (!req.newTable) throw new DeltaTableError('a new table needs its metaData');
      actions.push({ protocol: PROTOCOL }, { metaData: req.newTable });
    }
    actions.push(...req.actions);
    try {
      writeCommit(table, version, actions);
      return version;
    } catch (err) {
      if (!(err instanceof CommitConflictError)) throw err;
    }
    const winner = readCommit(table, version) ?? [];
    for (const a of winner) {
      if ('txn' in a && a.txn && req.ownAppIds?.(a.txn.appId)) {
        throw new ConcurrentWriterError(
          `another sink committed version ${version} of ${table} for the same source partitions: run one sink per table (stop the other one)`,
        );
      }
      if (('metaData' in a && a.metaData) || ('protocol' in a && a.protocol)) {
        if (version === 0 && req.newTable) {
          throw new ConcurrentWriterError(
            `another writer created a table in ${table} at the same time: try again`,
          );
        }
        throw new ConcurrentWriterError(
          `another writer changed the table's schema or protocol at version ${version}: stopped`,
        );
      }
      if ('remove' in a && a.remove && req.removes?.has(a.remove.path)) {
        throw new ConcurrentWriterError(
          `another writer removed ${a.remove.path} at version ${version} (a concurrent optimize?): try again`,
        );
      }
    }
    version++;
  }
}

export function txnAction(appId: string, version: number): { txn: TxnAction } {
  return { txn: { appId, version, lastUpdated: Date.now() } };
}
