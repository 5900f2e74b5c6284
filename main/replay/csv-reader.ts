import { createReadStream } from 'node:fs';

/** A record longer than this (characters) is a bad row: an unclosed quote, or not a CSV file. */
export const MAX_RECORD_CHARS = 1 << 20;

export type CsvEvent =
  | { kind: 'record'; fields: string[]; line: number }
  | { kind: 'bad'; line: number; reason: string };

/**
 * A streaming RFC 4180 parser: comma-separated fields, fields in double quotes may hold commas,
 * quotes (doubled) and line breaks; records end with LF or CRLF; a UTF-8 byte order mark is
 * dropped. Each record carries the physical line it starts on (from 1), so a bad row can be
 * found in an editor. Blank lines are skipped. Lenient where RFC 4180 is silent: a quote inside
 * an unquoted field is kept as text, and text after a closing quote is appended to the field.
 * Memory is bounded: a record longer than MAX_RECORD_CHARS is reported as bad and skipped up to
 * the next line break.
 */
export class CsvParser {
  private buf = '';
  /** Physical line number of buf[0]. */
  private line = 1;
  private started = false;
  private skipping = false;

  constructor(private readonly emit: (event: CsvEvent) => void) {}

  push(text: string): void {
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    this.drain(false);
  }

  /** The end of the input: a last record without a line break, or an unclosed quote. */
  finish(): void {
    this.drain(true);
  }

  private drain(eof: boolean): void {
    const buf = this.buf;
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      const nl = buf.indexOf('\n', pos);
      const end = nl === -1 ? len : nl;
      if (this.skipping) {
        // The tail of an over-long line: dropped up to its line break.
        if (nl === -1) {
          pos = len;
          break;
        }
        this.skipping = false;
        pos = end + 1;
        this.line++;
        continue;
      }
      if (nl === -1 && !eof) {
        if (len - pos > MAX_RECORD_CHARS) {
          this.emit({ kind: 'bad', line: this.line, reason: tooLong() });
          pos = len; // the rest of this line is dropped as it arrives
          this.skipping = true;
        }
        break;
      }
      if (end - pos > MAX_RECORD_CHARS) {
        this.emit({ kind: 'bad', line: this.line, reason: tooLong() });
        pos = end + 1;
        this.line++;
        continue;
      }
      // Fast path: a line with no quote is one record.
      const q = buf.indexOf('"', pos);
      if (q === -1 || q > end) {
        let stop = end;
        if (stop > pos && buf.charCodeAt(stop - 1) === 13) stop--;
        if (stop > pos)
          this.emit({ kind: 'record', fields: buf.slice(pos, stop).split(','), line: this.line });
        this.line++;
        pos = end + 1;
        continue;
      }
      const parsed = parseQuoted(buf, pos, eof);
      if (parsed === null) {
        // Incomplete: a quoted field goes on past the data we have.
        if (eof) {
          this.emit({ kind: 'bad', line: this.line, reason: 'a quoted field is never closed' });
          pos = len;
        } else if (len - pos > MAX_RECORD_CHARS) {
          this.emit({ kind: 'bad', line: this.line, reason: tooLong() });
          // Resynchronise at the next line break after the record's first line.
          pos = end + 1;
          this.line++;
          continue;
        }
        break;
      }
      this.emit({ kind: 'record', fields: parsed.fields, line: this.line });
      this.line += parsed.lines;
      pos = parsed.next;
    }
    this.buf = pos >= len ? '' : buf.slice(pos);
  }
}

function tooLong(): string {
  return `record longer than ${MAX_RECORD_CHARS} characters (an unclosed quote, or not a CSV file)`;
}

/**
 * Parses one record at `pos` that has quotes. Returns null when the record is not complete in
 * `buf` (unless `eof`, where the end of the data ends it).
 */
function parseQuoted(
  buf: string,
  pos: number,
  eof: boolean,
): { fields: string[]; next: number; lines: number } | null {
  const fields: string[] = [];
  const len = buf.length;
  let i = pos;
  let lines = 1;
  for (;;) {
    let field = '';
    if (i < len && buf.charCodeAt(i) === 34) {
      i++;
      for (;;) {
        const q = buf.indexOf('"', i);
        if (q === -1) return null;
        const part = buf.slice(i, q);
        field += part;
        for (let k = part.indexOf('\n'); k !== -1; k = part.indexOf('\n', k + 1)) lines++;
        if (q + 1 >= len && !eof) return null; // can't tell "" from a closing quote yet
        if (buf.charCodeAt(q + 1) === 34) {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Text after the closing quote (not RFC 4180): kept.
      while (i < len) {
        const c = buf.charCodeAt(i);
        if (c === 44 || c === 10) break;
        if (!(c === 13 && buf.charCodeAt(i + 1) === 10)) field += buf[i];
        i++;
      }
    } else {
      let j = i;
      while (j < len) {
        const c = buf.charCodeAt(j);
        if (c === 44 || c === 10) break;
        j++;
      }
      field = buf.slice(i, j);
      if (j < len && buf.charCodeAt(j) === 10 && field.endsWith('\r')) field = field.slice(0, -1);
      i = j;
    }
    fields.push(field);
    if (i >= len) {
      if (!eof) return null;
      return { fields, next: len, lines };
    }
    if (buf.charCodeAt(i) === 44) {
      i++;
      continue;
    }
    // A line feed ends the record.
    return { fields, next: i + 1, lines };
  }
}

/**
 * Streams a CSV file's records, a batch at a time (bounded: one read chunk's worth). Bytes that
 * are not UTF-8 become U+FFFD (such a row then fails the symbol rule, not the reader).
 */
export async function* csvEvents(
  file: string,
  options: { highWaterMark?: number; signal?: AbortSignal } = {},
): AsyncGenerator<CsvEvent[]> {
  const stream = createReadStream(file, { highWaterMark: options.highWaterMark ?? 1 << 20 });
  const decoder = new TextDecoder('utf-8');
  let batch: CsvEvent[] = [];
  const parser = new CsvParser((e) => batch.push(e));
  try {
    for await (const chunk of stream) {
      if (options.signal?.aborted) return;
      parser.push(decoder.decode(chunk as Buffer, { stream: true }));
      if (batch.length > 0) {
        const out = batch;
        batch = [];
        yield out;
      }
    }
    parser.push(decoder.decode());
    parser.finish();
    if (batch.length > 0) yield batch;
  } finally {
    stream.destroy();
  }
}
