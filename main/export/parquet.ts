import { Worker } from 'node:worker_threads';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { EXPORT_COLUMNS } from '../../contract/export.js';
import {
  BatchBuilder,
  COLUMN_SPECS,
  decodeColumn,
  type ColumnSpec,
  type WireBatch,
} from './parquet-batch.js';
import type { RawRow } from './query.js';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];
type ColumnSource = Parameters<ParquetWriter['write']>[0]['columnData'][number];

/**
 * A column's Parquet schema element. Timestamps are MILLIS in exports (the SQLite column's
 * precision) and MICROS in Delta tables (Delta's `timestamp` type).
 */
export function schemaElement(
  name: string,
  { kind, nullable }: ColumnSpec,
  timestampUnit: 'MILLIS' | 'MICROS' = 'MILLIS',
): SchemaElement {
  const repetition_type = nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (kind) {
    case 'timestamp':
      return {
        name,
        repetition_type,
        type: 'INT64',
        converted_type: `TIMESTAMP_${timestampUnit}`,
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: timestampUnit },
      };
    case 'string':
      return {
        name,
        repetition_type,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
      };
    case 'double':
      return { name, repetition_type, type: 'DOUBLE' };
    case 'int64':
      return { name, repetition_type, type: 'INT64' };
    case 'int32':
      return { name, repetition_type, type: 'INT32' };
    case 'boolean':
      return { name, repetition_type, type: 'BOOLEAN' };
  }
}

export function exportParquetSchema(): SchemaElement[] {
  return [
    { name: 'schema', num_children: EXPORT_COLUMNS.length },
    ...EXPORT_COLUMNS.map((name, i) => schemaElement(name, COLUMN_SPECS[i]!)),
  ];
}

/** Rows per row group: large enough for fast scans, small enough to keep memory bounded. */
export const DEFAULT_ROW_GROUP_SIZE = 131_072;
const OUTPUT_CHUNK = 1 << 20;

/** A ByteWriter that hands its bytes out every ~1 MiB instead of growing. */
class ChunkingByteWriter extends ByteWriter {
  constructor(private readonly sink: (bytes: Uint8Array) => void) {
    super(OUTPUT_CHUNK * 2);
  }
  override ensure(size: number): void {
    if (this.index > OUTPUT_CHUNK) this.drain();
    super.ensure(size);
  }
  override finish(): void {
    this.drain();
  }
  drain(): void {
    if (this.index === 0) return;
    // A copy: the buffer is reused for the next bytes.
    this.sink(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
  }
}

/**
 * Encodes row groups into a Parquet byte stream: typed columns, nullable where SQLite allows
 * NULL, SNAPPY (the only codec hyparquet-writer has built in, and Node 20 has no zstd).
 * Synchronous; runs in the encoder worker.
 */
export class ParquetEncoder {
  private readonly out: ChunkingByteWriter;
  private readonly writer: ParquetWriter;

  constructor(sink: (bytes: Uint8Array) => void) {
    this.out = new ChunkingByteWriter(sink);
    this.writer = new ParquetWriter({
      writer: this.out,
      schema: exportParquetSchema(),
      codec: 'SNAPPY',
      createdBy: 'volatility-insight export (hyparquet-writer)',
    });
  }

  writeBatch(batch: WireBatch): void {
    if (batch.rows === 0) return;
    // Decoded lazily: hyparquet-writer encodes one column at a time, so only one decoded
    // column is alive at once instead of all 22 (this halves the encoder's peak memory).
    const columnData: ColumnSource[] = EXPORT_COLUMNS.map((name, i) => ({
      name,
      get data() {
        return decodeColumn(batch.columns[i]!, COLUMN_SPECS[i]!, batch.rows);
      },
    }));
    const pending = this.writer.write({ columnData, rowGroupSize: batch.rows });
    if (pending) throw new Error('unexpected asynchronous parquet write');
    this.out.drain();
  }

  finish(): void {
    const pending = this.writer.finish();
    if (pending) throw new Error('unexpected asynchronous parquet finish');
  }
}

export type ToEncoder = { type: 'batch'; batch: WireBatch } | { type: 'finish' };
export type FromEncoder =
  | { type: 'bytes'; chunks: Uint8Array[]; batchDone: boolean; finished: boolean }
  | { type: 'error'; message: string };

export interface ParquetOptions {
  rowGroupSize?: number;
}

// Row groups queued for the encoder at most; the SQLite side waits beyond this (bounded memory).
const MAX_IN_FLIGHT = 2;

// The encoder's live data is one row group (capped in bytes by BatchBuilder) and one decoded
// column; without a cap V8 lets garbage pile up to ~250 MB before collecting it.
const ENCODER_LIMITS = { maxOldGenerationSizeMb: 96 };

function startEncoder(): Worker {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./parquet-worker${ext}`, import.meta.url);
  if (ext === '.js') return new Worker(url, { resourceLimits: ENCODER_LIMITS });
  // Running from TypeScript sources (tests, bench): Node 20 workers do not inherit tsx's
  // --import hooks, so register them in the worker before loading it.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, resourceLimits: ENCODER_LIMITS });
}

/**
 * Streams rows into a Parquet file. Rows are gathered here (the SQLite thread) into row groups
 * of `rowGroupSize` rows; a worker thread encodes and compresses them while the next group is
 * read, and sends the bytes back to `write`. Memory: at most MAX_IN_FLIGHT + 1 row groups.
 */
export class ParquetRowWriter {
  private readonly groupSize: number;
  private builder: BatchBuilder;
  private readonly worker: Worker;
  private inFlight = 0;
  private finished = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly write: (bytes: Uint8Array) => void,
    options: ParquetOptions = {},
  ) {
    this.groupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
    this.builder = new BatchBuilder(this.groupSize);
    this.worker = startEncoder();
    this.worker.on('message', (msg: FromEncoder) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.finished) this.fail(new Error(`parquet encoder stopped (exit code ${code})`));
    });
  }

  private onMessage(msg: FromEncoder): void {
    if (msg.type === 'error') {
      this.fail(new Error(`parquet encoding failed: ${msg.message}`));
      return;
    }
    try {
      for (const chunk of msg.chunks) this.write(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (msg.batchDone) this.inFlight--;
    if (msg.finished) this.finished = true;
    this.notify();
  }

  private fail(err: unknown): void {
    if (this.failure === null) this.failure = err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  private next(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  writeRow(row: RawRow): void {
    this.builder.push(row);
    if (this.builder.full) this.send();
  }

  private send(): void {
    this.check();
    const { batch, transfer } = this.builder.take();
    this.builder = new BatchBuilder(this.groupSize);
    this.inFlight++;
    this.worker.postMessage({ type: 'batch', batch } satisfies ToEncoder, transfer);
  }

  /** True when the caller should `await drain()` before pushing more rows. */
  get backlogged(): boolean {
    return this.inFlight >= MAX_IN_FLIGHT || this.failure !== null;
  }

  async drain(): Promise<void> {
    while (this.inFlight >= MAX_IN_FLIGHT && this.failure === null) await this.next();
    this.check();
  }

  async finish(): Promise<void> {
    if (this.builder.size > 0) this.send();
    this.worker.postMessage({ type: 'finish' } satisfies ToEncoder);
    while (!this.finished && this.failure === null) await this.next();
    this.check();
    await this.worker.terminate();
  }

  /** Stops the encoder; safe after finish() or a failure. */
  close(): void {
    this.finished = true;
    void this.worker.terminate();
  }
}
