import { EXPORT_COLUMNS } from '../../contract/export.js';
import type { RawRow } from './query.js';

/** Column positions in a RawRow that need more than the generic formatting. */
const TS = 0;
const LATE = 19;

export interface CsvOptions {
  /** Row terminator; LF by default (every reader accepts it; RFC 4180's CRLF on request). */
  eol?: '\n' | '\r\n';
  /** Start with a UTF-8 byte order mark so Excel detects UTF-8. */
  bom?: boolean;
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One RFC 4180 field. null is an empty field and "" a quoted empty string, so readers that tell
 * them apart (DuckDB, Python's csv with care) can. Fields with a comma, quote, CR or LF are
 * quoted with inner quotes doubled.
 */
export function csvString(value: string): string {
  if (value === '') return '""';
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Shortest text that parses back to the same double (ECMAScript Number::toString), e.g. 1e-7,
 * 5e-324, 1.7976931348623157e+308. Negative zero keeps its sign, which String() drops.
 */
export function csvNumber(value: number): string {
  return value === 0 && Object.is(value, -0) ? '-0' : String(value);
}

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** Epoch ms to `2025-07-07T01:23:45.123Z`; the part up to the second is reused between rows. */
export function csvTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4);
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

export function csvHeader(eol: string): string {
  return EXPORT_COLUMNS.join(',') + eol;
}

/** One data row, terminator included. */
export function csvRow(row: RawRow, eol: string): string {
  let line = csvTimestamp(row[TS] as number);
  for (let i = 1; i < row.length; i++) {
    const v = row[i];
    let field: string;
    if (v === null || v === undefined) field = '';
    else if (i === LATE) field = v ? 'true' : 'false';
    else if (typeof v === 'number') field = csvNumber(v);
    else field = csvString(v);
    line += ',' + field;
  }
  return line + eol;
}

const UTF8_BOM = new Uint8Array([0xef, 0xbb, 0xbf]);
const FLUSH_AT = 1 << 20;

/** Streams rows as CSV text to `write` in ~1 MiB chunks. */
export class CsvRowWriter {
  private chunk = '';
  private readonly eol: string;

  constructor(
    private readonly write: (bytes: Uint8Array) => void,
    options: CsvOptions = {},
  ) {
    this.eol = options.eol ?? '\n';
    if (options.bom) write(UTF8_BOM);
    this.chunk = csvHeader(this.eol);
  }

  writeRow(row: RawRow): void {
    this.chunk += csvRow(row, this.eol);
    if (this.chunk.length >= FLUSH_AT) this.flush();
  }

  finish(): void {
    this.flush();
  }

  private flush(): void {
    if (this.chunk.length === 0) return;
    this.write(Buffer.from(this.chunk, 'utf8'));
    this.chunk = '';
  }
}
