import { randomUUID } from 'node:crypto';
import { linkSync, unlinkSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { LOG_DIR, checkpointName, replaceFile } from './log.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** A checkpoint every this many commits (as Spark and delta-rs do by default). */
export const CHECKPOINT_INTERVAL = 10;
/** Tombstones younger than this stay in checkpoints (Delta's deletedFileRetentionDuration). */
export const TOMBSTONE_RETENTION_MS = 7 * 24 * 3600_000;

const str = (name: string): SchemaElement => ({
  name,
  repetition_type: 'OPTIONAL',
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
});
const i64 = (name: string): SchemaElement => ({ name, repetition_type: 'OPTIONAL', type: 'INT64' });
const i32 = (name: string): SchemaElement => ({ name, repetition_type: 'OPTIONAL', type: 'INT32' });
const bool = (name: string): SchemaElement => ({
  name,
  repetition_type: 'OPTIONAL',
  type: 'BOOLEAN',
});
const group = (name: string, children: number): SchemaElement => ({
  name,
  repetition_type: 'OPTIONAL',
  num_children: children,
});
/** map<string, string> as Parquet's MAP: 3 elements. */
const stringMap = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  { ...str('key'), repetition_type: 'REQUIRED' },
  str('value'),
];

/** The checkpoint schema of PROTOCOL.md for reader 1 / writer 2 (every field nullable, as Spark writes it). */
export function checkpointSchema(): SchemaElement[] {
  return [
    { name: 'schema', num_children: 5 },
    group('txn', 3),
    str('appId'),
    i64('version'),
    i64('lastUpdated'),
    group('add', 7),
    str('path'),
    ...stringMap('partitionValues'),
    i64('size'),
    i64('modificationTime'),
    bool('dataChange'),
    str('stats'),
    ...stringMap('tags'),
    group('remove', 6),
    str('path'),
    i64('deletionTimestamp'),
    bool('dataChange'),
    bool('extendedFileMetadata'),
    ...stringMap('partitionValues'),
    i64('size'),
    group('metaData', 8),
    str('id'),
    str('name'),
    str('description'),
    group('format', 2),
    str('provider'),
    ...stringMap('options'),
    str('schemaString'),
    {
      name: 'partitionColumns',
      repetition_type: 'OPTIONAL',
      converted_type: 'LIST',
      num_children: 1,
    },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    str('element'),
    ...stringMap('configuration'),
    i64('createdTime'),
    group('protocol', 2),
    i32('minReaderVersion'),
    i32('minWriterVersion'),
  ];
}

const big = (n: number | null | undefined) => (n === null || n === undefined ? null : BigInt(n));

/** The checkpoint's rows (one action each) and its bytes. */
export function encodeCheckpoint(
  snapshot: Snapshot,
  now = Date.now(),
): { bytes: Uint8Array; rows: number; adds: number } {
  type Row = Record<string, unknown>;
  const rows: Row[] = [];
  const empty = { txn: null, add: null, remove: null, metaData: null, protocol: null };
  rows.push({ ...empty, protocol: snapshot.protocol });
  const m = snapshot.metaData;
  rows.push({
    ...empty,
    metaData: {
      id: m.id,
      name: m.name ?? null,
      description: m.description ?? null,
      format: { provider: m.format.provider, options: m.format.options },
      schemaString: m.schemaString,
      partitionColumns: m.partitionColumns,
      configuration: m.configuration,
      createdTime: big(m.createdTime),
    },
  });
  for (const t of snapshot.txns.values()) {
    rows.push({
      ...empty,
      txn: { appId: t.appId, version: BigInt(t.version), lastUpdated: big(t.lastUpdated) },
    });
  }
  for (const a of snapshot.files.values()) {
    rows.push({
      ...empty,
      add: {
        path: a.path,
        partitionValues: a.partitionValues,
        size: BigInt(a.size),
        modificationTime: BigInt(a.modificationTime),
        dataChange: false,
        stats: a.stats ?? null,
        tags: a.tags ?? null,
      },
    });
  }
  for (const r of snapshot.tombstones.values()) {
    if ((r.deletionTimestamp ?? now) < now - TOMBSTONE_RETENTION_MS) continue;
    rows.push({
      ...empty,
      remove: {
        path: r.path,
        deletionTimestamp: big(r.deletionTimestamp),
        dataChange: false,
        extendedFileMetadata: r.extendedFileMetadata ?? false,
        partitionValues: r.partitionValues ?? null,
        size: big(r.size),
      },
    });
  }
  const out = new ByteWriter(64 * 1024);
  const writer = new ParquetWriter({
    writer: out,
    schema: checkpointSchema(),
    codec: 'SNAPPY',
    createdBy: 'volatility-insight delta checkpoint (hyparquet-writer)',
  });
  const names = ['txn', 'add', 'remove', 'metaData', 'protocol'] as const;
  const pending = writer.write({
    columnData: names.map((name) => ({ name, data: rows.map((r) => r[name] ?? null) })),
    rowGroupSize: Math.max(1, rows.length),
  });
  if (pending) throw new Error('unexpected asynchronous parquet write');
  const done = writer.finish();
  if (done) throw new Error('unexpected asynchronous parquet finish');
  return {
    bytes: new Uint8Array(out.getBuffer()),
    rows: rows.length,
    adds: snapshot.files.size,
  };
}

/**
 * Writes the checkpoint of `version` (`<version>.checkpoint.parquet`, created only if absent,
 * complete or not at all) and points `_last_checkpoint` at it.
 */
export async function writeCheckpoint(table: string, version: number): Promise<void> {
  const snapshot = await loadSnapshot(table, { version, fromZero: false });
  if (!snapshot || snapshot.version !== version) return;
  const { bytes, rows, adds } = encodeCheckpoint(snapshot);
  const dir = join(table, LOG_DIR);
  const final = join(dir, checkpointName(version));
  if (!existsSync(final)) {
    const temp = join(dir, `.tmp-${randomUUID()}.parquet`);
    writeFileSync(temp, bytes, { flag: 'wx' });
    try {
      linkSync(temp, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') renameSync(temp, final);
        else throw err;
      }
    } finally {
      try {
        unlinkSync(temp);
      } catch {
        // renamed
      }
    }
  }
  replaceFile(
    join(dir, '_last_checkpoint'),
    JSON.stringify({ version, size: rows, sizeInBytes: bytes.length, numOfAddFiles: adds }),
  );
}

/** Checkpoints after committing `version` when it is a multiple of CHECKPOINT_INTERVAL. */
export async function maybeCheckpoint(table: string, version: number): Promise<boolean> {
  if (version === 0 || version % CHECKPOINT_INTERVAL !== 0) return false;
  await writeCheckpoint(table, version);
  return true;
}
