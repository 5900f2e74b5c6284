import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { EXPORT_COLUMNS } from '../../contract/export.js';
import { COLUMN_SPECS } from '../export/parquet-batch.js';
import { schemaElement } from '../export/parquet.js';
import type { RawRow } from '../export/query.js';
import { partitionColumns, type PartitionBy } from './schema.js';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];
type ColumnSource = Parameters<ParquetWriter['write']>[0]['columnData'][number];

/** Rows per row group in data files (and the rows a file buffers in memory at most). */
export const DATA_ROW_GROUP = 65_536;
const FLUSH_BYTES = 1 << 20;

/** Indexes (into EXPORT_COLUMNS / a RawRow) of the columns stored in data files. */
export function fileColumns(by: PartitionBy): number[] {
  const parts = new Set(partitionColumns(by));
  return EXPORT_COLUMNS.map((_, i) => i).filter((i) => !parts.has(EXPORT_COLUMNS[i]!));
}

export function dataFileSchema(by: PartitionBy): SchemaElement[] {
  const cols = fileColumns(by);
  return [
    { name: 'schema', num_children: cols.length },
    ...cols.map((i) => schemaElement(EXPORT_COLUMNS[i]!, COLUMN_SPECS[i]!, 'MICROS')),
  ];
}

function columnOf(rows: RawRow[], i: number): ColumnSource['data'] {
  const spec = COLUMN_SPECS[i]!;
  const n = rows.length;
  switch (spec.kind) {
    case 'timestamp': {
      const out = new BigInt64Array(n);
      for (let r = 0; r < n; r++) out[r] = BigInt(rows[r]![i] as number) * 1000n;
      return out;
    }
    case 'int64': {
      if (!spec.nullable) {
        const out = new BigInt64Array(n);
        for (let r = 0; r < n; r++) out[r] = BigInt(rows[r]![i] as number);
        return out;
      }
      return rows.map((row) => (row[i] === null ? null : BigInt(row[i] as number)));
    }
    case 'int32':
      if (!spec.nullable) return Int32Array.from(rows, (row) => row[i] as number);
      return rows.map((row) => row[i] as number | null);
    case 'double':
      if (!spec.nullable) return Float64Array.from(rows, (row) => row[i] as number);
      return rows.map((row) => row[i] as number | null);
    case 'boolean':
      return rows.map((row) => (row[i] === null ? null : row[i] !== 0));
    case 'string':
      return rows.map((row) => (row[i] === null ? null : String(row[i])));
  }
}

/** A ByteWriter that appends to a file descriptor every ~1 MiB instead of growing. */
class FileByteWriter extends ByteWriter {
  written = 0;
  constructor(private readonly fd: number) {
    super(FLUSH_BYTES * 2);
  }
  override ensure(size: number): void {
    if (this.index > FLUSH_BYTES) this.drain();
    super.ensure(size);
  }
  override finish(): void {
    this.drain();
  }
  drain(): void {
    let off = 0;
    while (off < this.index) off += writeSync(this.fd, this.view, off, this.index - off);
    this.written += this.index;
    this.index = 0;
  }
}

/**
 * One Parquet data file, streamed: rows are buffered up to DATA_ROW_GROUP, then encoded as a row
 * group and appended to the file. `finish()` writes the footer and fsyncs; `abort()` deletes it.
 */
export class DataFileWriter {
  private readonly fd: number;
  private readonly out: FileByteWriter;
  private readonly writer: ParquetWriter;
  private readonly cols: number[];
  private rows: RawRow[] = [];
  private count = 0;
  private closed = false;

  constructor(
    readonly path: string,
    by: PartitionBy,
    private readonly rowGroupSize = DATA_ROW_GROUP,
  ) {
    this.fd = openSync(path, 'wx', 0o644);
    this.out = new FileByteWriter(this.fd);
    this.cols = fileColumns(by);
    this.writer = new ParquetWriter({
      writer: this.out,
      schema: dataFileSchema(by),
      codec: 'SNAPPY',
      createdBy: 'volatility-insight delta (hyparquet-writer)',
    });
  }

  get rowCount(): number {
    return this.count;
  }

  /** Bytes in the file so far plus an estimate of the buffered rows. */
  get approxBytes(): number {
    return this.out.written + this.out.index + this.rows.length * 60;
  }

  push(row: RawRow): void {
    this.rows.push(row);
    this.count++;
    if (this.rows.length >= this.rowGroupSize) this.flushGroup();
  }

  flushGroup(): void {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    const columnData: ColumnSource[] = this.cols.map((i) => ({
      name: EXPORT_COLUMNS[i]!,
      data: columnOf(rows, i),
    }));
    const pending = this.writer.write({ columnData, rowGroupSize: rows.length });
    if (pending) throw new Error('unexpected asynchronous parquet write');
    this.out.drain();
  }

  /** Writes the footer, fsyncs and closes; returns the file's size in bytes. */
  finish(): number {
    this.flushGroup();
    const pending = this.writer.finish();
    if (pending) throw new Error('unexpected asynchronous parquet finish');
    this.out.drain();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
    return this.out.written;
  }

  abort(): void {
    if (!this.closed) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.closed = true;
    }
    try {
      unlinkSync(this.path);
    } catch {
      // gone already
    }
  }
}
