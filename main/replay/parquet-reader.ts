import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';

type Metadata = Awaited<ReturnType<typeof parquetMetadataAsync>>;
type AsyncBuffer = Awaited<ReturnType<typeof asyncBufferFromFile>>;

export interface ParquetFile {
  file: AsyncBuffer;
  metadata: Metadata;
  /** Top-level column names, in file order. */
  columns: string[];
  rows: number;
}

/** A Parquet file's footer: its columns and row count (the data is read later, by row group). */
export async function openParquet(path: string): Promise<ParquetFile> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const root = metadata.schema[0];
  const count = root?.num_children ?? 0;
  // Top-level children: walk the flattened schema, skipping nested subtrees.
  const columns: string[] = [];
  let i = 1;
  for (let c = 0; c < count && i < metadata.schema.length; c++) {
    const el = metadata.schema[i]!;
    columns.push(el.name);
    i += 1 + subtreeSize(metadata.schema, i);
  }
  return { file, metadata, columns, rows: Number(metadata.num_rows) };
}

function subtreeSize(schema: Metadata['schema'], at: number): number {
  const n = schema[at]?.num_children ?? 0;
  let size = 0;
  let i = at + 1;
  for (let c = 0; c < n; c++) {
    const s = 1 + subtreeSize(schema, i);
    size += s;
    i += s;
  }
  return size;
}

const TIMESTAMPS_AS_MS = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v / 1000n),
  timestampFromNanoseconds: (v: bigint) => Number(v / 1_000_000n),
};

/** Whether a column is a Parquet timestamp (TIMESTAMP, TIMESTAMP_MILLIS/MICROS or INT96). */
export function isTimestampColumn(pq: ParquetFile, name: string): boolean {
  const el = pq.metadata.schema.find((e) => e.name === name);
  if (!el) return false;
  return (
    el.type === 'INT96' ||
    el.logical_type?.type === 'TIMESTAMP' ||
    el.converted_type === 'TIMESTAMP_MILLIS' ||
    el.converted_type === 'TIMESTAMP_MICROS'
  );
}

/** Rows of one row group, column by column (only the columns asked for). */
export interface ParquetGroup {
  /** Index of the group's first row in the file (from 0). */
  start: number;
  rows: number;
  /** Per requested column name, its values for the group's rows. */
  data: Map<string, ArrayLike<unknown>>;
}

/**
 * Reads the named columns one row group at a time, so memory holds one group's columns (the
 * app's exports use 131,072-row groups). Timestamp columns come as epoch-ms numbers, INT64 as
 * BigInt, strings as text.
 */
export async function* parquetGroups(
  pq: ParquetFile,
  columns: string[],
  signal?: AbortSignal,
): AsyncGenerator<ParquetGroup> {
  const wanted = [...new Set(columns)];
  let start = 0;
  for (const group of pq.metadata.row_groups) {
    if (signal?.aborted) return;
    const rows = Number(group.num_rows);
    const end = start + rows;
    const parts = new Map<string, { at: number; values: ArrayLike<unknown> }[]>();
    await parquetRead({
      // Timestamps as epoch-ms numbers, not a Date object per row (bounded memory).
      parsers: TIMESTAMPS_AS_MS,
      file: pq.file,
      metadata: pq.metadata,
      columns: wanted,
      rowStart: start,
      rowEnd: end,
      onChunk: (chunk) => {
        let list = parts.get(chunk.columnName);
        if (!list) parts.set(chunk.columnName, (list = []));
        list.push({ at: chunk.rowStart, values: chunk.columnData as ArrayLike<unknown> });
      },
    });
    const data = new Map<string, ArrayLike<unknown>>();
    for (const name of wanted) {
      const list = parts.get(name) ?? [];
      if (list.length === 1 && list[0]!.at === start && list[0]!.values.length === rows) {
        data.set(name, list[0]!.values);
        continue;
      }
      const flat = new Array<unknown>(rows).fill(null);
      for (const { at, values } of list) {
        for (let i = 0; i < values.length; i++) {
          const r = at + i - start;
          if (r >= 0 && r < rows) flat[r] = values[i];
        }
      }
      data.set(name, flat);
    }
    yield { start, rows, data };
    start = end;
  }
}
