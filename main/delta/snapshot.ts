import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import {
  DeltaTableError,
  LOG_DIR,
  checkpointName,
  listCommitVersions,
  readCommit,
  type Action,
  type AddAction,
  type MetaDataAction,
  type ProtocolAction,
  type RemoveAction,
  type TxnAction,
} from './log.js';

/** The table's state at one version: the log replayed (from a checkpoint when there is one). */
export interface Snapshot {
  version: number;
  protocol: ProtocolAction;
  metaData: MetaDataAction;
  /** Live data files by path (as in the log: a relative URI). */
  files: Map<string, AddAction>;
  /** Removed files still within the log's memory (vacuum and checkpoints use them). */
  tombstones: Map<string, RemoveAction>;
  /** Latest txn per application id. */
  txns: Map<string, TxnAction>;
  /** The checkpoint version the replay started from, or null. */
  fromCheckpoint: number | null;
}

interface Builder {
  protocol: ProtocolAction | null;
  metaData: MetaDataAction | null;
  files: Map<string, AddAction>;
  tombstones: Map<string, RemoveAction>;
  txns: Map<string, TxnAction>;
}

export function applyActions(state: Builder, actions: Iterable<Action>): void {
  for (const a of actions) {
    if ('add' in a && a.add) {
      state.files.set(a.add.path, a.add);
      state.tombstones.delete(a.add.path);
    } else if ('remove' in a && a.remove) {
      state.files.delete(a.remove.path);
      state.tombstones.set(a.remove.path, a.remove);
    } else if ('txn' in a && a.txn) {
      state.txns.set(a.txn.appId, a.txn);
    } else if ('metaData' in a && a.metaData) {
      state.metaData = a.metaData;
    } else if ('protocol' in a && a.protocol) {
      state.protocol = a.protocol;
    }
  }
}

function lastCheckpoint(table: string): number | null {
  try {
    const text = readFileSync(join(table, LOG_DIR, '_last_checkpoint'), 'utf8');
    const v = (JSON.parse(text) as { version?: unknown }).version;
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
  } catch {
    return null;
  }
}

/** Map columns come back from hyparquet as plain objects (or null). */
function stringMap(value: unknown): Record<string, string | null> {
  if (value === null || value === undefined) return {};
  if (value instanceof Map) return Object.fromEntries(value) as Record<string, string | null>;
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((e: { key: string; value: string | null }) => [e.key, e.value]),
    );
  }
  return value as Record<string, string | null>;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

async function readCheckpoint(table: string, version: number): Promise<Action[]> {
  const bytes = readFileSync(join(table, LOG_DIR, checkpointName(version)));
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  const actions: Action[] = [];
  for (const row of rows) {
    const { protocol, metaData, add, remove, txn } = row as Record<string, Record<string, unknown>>;
    if (protocol) {
      actions.push({
        protocol: {
          minReaderVersion: num(protocol.minReaderVersion),
          minWriterVersion: num(protocol.minWriterVersion),
        },
      });
    }
    if (metaData) {
      const format = metaData.format as { provider: string; options: unknown } | null;
      actions.push({
        metaData: {
          id: metaData.id as string,
          name: (metaData.name as string | null) ?? null,
          description: (metaData.description as string | null) ?? null,
          format: {
            provider: format?.provider ?? 'parquet',
            options: stringMap(format?.options) as Record<string, string>,
          },
          schemaString: metaData.schemaString as string,
          partitionColumns: (metaData.partitionColumns as string[] | null) ?? [],
          configuration: stringMap(metaData.configuration) as Record<string, string>,
          createdTime: metaData.createdTime == null ? null : num(metaData.createdTime),
        },
      });
    }
    if (add) {
      actions.push({
        add: {
          path: add.path as string,
          partitionValues: stringMap(add.partitionValues),
          size: num(add.size),
          modificationTime: num(add.modificationTime),
          dataChange: Boolean(add.dataChange),
          stats: (add.stats as string | null) ?? null,
        },
      });
    }
    if (remove) {
      actions.push({
        remove: {
          path: remove.path as string,
          deletionTimestamp:
            remove.deletionTimestamp == null ? null : num(remove.deletionTimestamp),
          dataChange: Boolean(remove.dataChange),
          extendedFileMetadata: Boolean(remove.extendedFileMetadata),
          partitionValues: stringMap(remove.partitionValues),
          size: remove.size == null ? 0 : num(remove.size),
        },
      });
    }
    if (txn) {
      actions.push({
        txn: {
          appId: txn.appId as string,
          version: num(txn.version),
          lastUpdated: txn.lastUpdated == null ? null : num(txn.lastUpdated),
        },
      });
    }
  }
  return actions;
}

/**
 * Reads the table's latest snapshot, or null when `table` has no Delta log. Starts from the
 * checkpoint `_last_checkpoint` names (when its file is there), then replays the JSON commits
 * after it; `options.fromZero` ignores checkpoints (tests compare both).
 */
export async function loadSnapshot(
  table: string,
  options: { fromZero?: boolean; version?: number } = {},
): Promise<Snapshot | null> {
  let versions = listCommitVersions(table);
  if (options.version !== undefined) versions = versions.filter((v) => v <= options.version!);
  const state: Builder = {
    protocol: null,
    metaData: null,
    files: new Map(),
    tombstones: new Map(),
    txns: new Map(),
  };
  let start = 0;
  let fromCheckpoint: number | null = null;
  const cp = options.fromZero ? null : lastCheckpoint(table);
  if (cp !== null && (options.version === undefined || cp <= options.version)) {
    try {
      applyActions(state, await readCheckpoint(table, cp));
      start = cp + 1;
      fromCheckpoint = cp;
    } catch (err) {
      if (!versions.includes(0)) {
        throw new DeltaTableError(
          `the table's checkpoint ${cp} cannot be read (${(err as Error).message}) and its log no longer starts at version 0`,
        );
      }
    }
  }
  if (versions.length === 0 && fromCheckpoint === null) return null;
  let version = fromCheckpoint ?? -1;
  for (const v of versions) {
    if (v < start) continue;
    if (v !== version + 1) {
      throw new DeltaTableError(
        `the table's log is missing version ${version + 1} (next found: ${v}): it cannot be read`,
      );
    }
    const actions = readCommit(table, v);
    if (actions === null) throw new DeltaTableError(`commit ${v} disappeared while reading`);
    applyActions(state, actions);
    version = v;
  }
  if (version < 0) return null;
  if (!state.protocol || !state.metaData) {
    throw new DeltaTableError(
      'the table has no protocol or metaData action: it is not a Delta table',
    );
  }
  if (state.protocol.minReaderVersion > 1) {
    throw new DeltaTableError(
      `the table needs a Delta reader of version ${state.protocol.minReaderVersion} (this one reads version 1)`,
    );
  }
  return {
    version,
    protocol: state.protocol,
    metaData: state.metaData,
    files: state.files,
    tombstones: state.tombstones,
    txns: state.txns,
    fromCheckpoint,
  };
}
