import type { RawRow } from './query.js';

/**
 * Row groups cross from the SQLite thread to the Parquet encoder thread in this compact form:
 * numbers in Float64Arrays with a null mask, strings as a per-batch dictionary plus codes, so
 * nearly everything is transferred (not copied) and repeated strings are sent once.
 */
export type ColumnKind = 'timestamp' | 'string' | 'double' | 'int64' | 'int32' | 'boolean';

export interface ColumnSpec {
  kind: ColumnKind;
  nullable: boolean;
}

/** Export columns in order (see EXPORT_COLUMNS); `nullable` mirrors SQLite's NOT NULL. */
export const COLUMN_SPECS: readonly ColumnSpec[] = [
  { kind: 'timestamp', nullable: false }, // timestamp
  { kind: 'string', nullable: false }, // symbol
  { kind: 'double', nullable: false }, // price
  { kind: 'int64', nullable: false }, // volume
  { kind: 'double', nullable: true }, // log_return
  { kind: 'double', nullable: true }, // vol_1m
  { kind: 'double', nullable: true }, // vol_5m
  { kind: 'double', nullable: true }, // ewma_vol
  { kind: 'double', nullable: false }, // vwap_5m
  { kind: 'string', nullable: false }, // session
  { kind: 'string', nullable: true }, // exchange
  { kind: 'string', nullable: true }, // sector
  { kind: 'double', nullable: true }, // weather_temp_c
  { kind: 'string', nullable: true }, // weather_condition
  { kind: 'int32', nullable: false }, // kafka_partition
  { kind: 'int64', nullable: false }, // kafka_offset
  { kind: 'double', nullable: true }, // vol_1m_ann
  { kind: 'double', nullable: true }, // vol_5m_ann
  { kind: 'double', nullable: true }, // ewma_vol_ann
  { kind: 'boolean', nullable: false }, // late
  { kind: 'string', nullable: true }, // company
  { kind: 'string', nullable: true }, // weather_error
];

export type WireColumn =
  | { t: 'num'; values: Float64Array; nulls: Uint8Array | null }
  | { t: 'str'; dict: string[]; codes: Int32Array };

export interface WireBatch {
  rows: number;
  columns: WireColumn[];
}

// Bounds the memory of one row group when strings are long or all distinct.
const MAX_DICT_CHARS = 16 << 20;

/** Fills one batch row by row; `take()` hands it over with the buffers to transfer. */
export class BatchBuilder {
  private readonly nums: (Float64Array | null)[];
  private readonly nulls: (Uint8Array | null)[];
  private readonly codes: (Int32Array | null)[];
  private readonly dicts: (Map<string, number> | null)[];
  private n = 0;
  private dictChars = 0;

  constructor(readonly capacity: number) {
    this.nums = COLUMN_SPECS.map((s) => (s.kind === 'string' ? null : new Float64Array(capacity)));
    this.nulls = COLUMN_SPECS.map((s) =>
      s.nullable && s.kind !== 'string' ? new Uint8Array(capacity) : null,
    );
    this.codes = COLUMN_SPECS.map((s) => (s.kind === 'string' ? new Int32Array(capacity) : null));
    this.dicts = COLUMN_SPECS.map((s) => (s.kind === 'string' ? new Map() : null));
  }

  get size(): number {
    return this.n;
  }

  /** Full at `capacity` rows, or earlier if distinct strings pass MAX_DICT_CHARS (long texts). */
  get full(): boolean {
    return this.n === this.capacity || this.dictChars > MAX_DICT_CHARS;
  }

  push(row: RawRow): void {
    const n = this.n;
    for (let i = 0; i < COLUMN_SPECS.length; i++) {
      const v = row[i] ?? null;
      const codes = this.codes[i];
      if (codes) {
        if (v === null) {
          codes[n] = -1;
        } else {
          const dict = this.dicts[i]!;
          const s = String(v);
          let code = dict.get(s);
          if (code === undefined) {
            code = dict.size;
            dict.set(s, code);
            this.dictChars += s.length;
          }
          codes[n] = code;
        }
      } else if (v === null) {
        this.nulls[i]![n] = 1;
      } else {
        this.nums[i]![n] = v as number;
      }
    }
    this.n = n + 1;
  }

  /** The batch and the ArrayBuffers to transfer with it; the builder must not be used after. */
  take(): { batch: WireBatch; transfer: ArrayBuffer[] } {
    const transfer: ArrayBuffer[] = [];
    const columns = COLUMN_SPECS.map((_, i): WireColumn => {
      const codes = this.codes[i];
      if (codes) {
        transfer.push(codes.buffer as ArrayBuffer);
        return { t: 'str', dict: [...this.dicts[i]!.keys()], codes };
      }
      const values = this.nums[i]!;
      const nulls = this.nulls[i] ?? null;
      transfer.push(values.buffer as ArrayBuffer);
      if (nulls) transfer.push(nulls.buffer as ArrayBuffer);
      return { t: 'num', values, nulls };
    });
    return { batch: { rows: this.n, columns }, transfer };
  }
}

/** Column data as hyparquet-writer wants it: typed arrays when required, arrays with nulls otherwise. */
export type DecodedColumn =
  Float64Array | BigInt64Array | Int32Array | (number | string | boolean | null)[];

export function decodeColumn(column: WireColumn, spec: ColumnSpec, rows: number): DecodedColumn {
  if (column.t === 'str') {
    const out = new Array<string | null>(rows);
    for (let r = 0; r < rows; r++) {
      const code = column.codes[r]!;
      out[r] = code < 0 ? null : column.dict[code]!;
    }
    return out;
  }
  const { values, nulls } = column;
  if (nulls) {
    const out = new Array<number | null>(rows);
    for (let r = 0; r < rows; r++) out[r] = nulls[r] ? null : values[r]!;
    return out;
  }
  switch (spec.kind) {
    case 'timestamp':
    case 'int64': {
      const out = new BigInt64Array(rows);
      for (let r = 0; r < rows; r++) out[r] = BigInt(values[r]!);
      return out;
    }
    case 'int32':
      return Int32Array.from(values.subarray(0, rows));
    case 'boolean': {
      const out = new Array<boolean>(rows);
      for (let r = 0; r < rows; r++) out[r] = values[r] !== 0;
      return out;
    }
    default:
      return values.subarray(0, rows);
  }
}
