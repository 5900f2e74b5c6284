import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ReplayRole, TimeUnit } from '../../contract/replay.js';
import { ReplayInputError, TimestampReader, resolveColumns, toTrade } from './columns.js';
import { csvEvents } from './csv-reader.js';
import {
  isTimestampColumn,
  openParquet,
  parquetGroups,
  type ParquetFile,
} from './parquet-reader.js';

const SLICE_ROWS = 8192;

/** A row as read: a trade (recorded ts, epoch ms) or why it is bad; `where` is its line or row. */
export type SourceItem =
  | { where: number; ts: number; symbol: string; price: number; volume: number; reason?: never }
  | { where: number; reason: string };

export type SourceFormat = 'csv' | 'parquet' | 'ndjson';

export interface ReplaySource {
  format: SourceFormat;
  /** CSV and JSON lines count lines (from 1, the header is line 1); Parquet counts rows (from 1). */
  unit: 'line' | 'row';
  /** Rows in the file when the format says so (Parquet), else null. */
  knownRows: number | null;
  /** One pass over the file, a batch at a time. Each call reads the file again. */
  items(signal?: AbortSignal): AsyncGenerator<SourceItem[]>;
}

export interface SourceOptions {
  columns?: Partial<Record<ReplayRole, string>>;
  timeUnit?: TimeUnit;
}

/** Opens a file as CSV, Parquet (by its PAR1 magic bytes) or JSON lines (first byte `{`). */
export async function openSource(path: string, options: SourceOptions = {}): Promise<ReplaySource> {
  const head = await readHead(path, 4096);
  if (head.length >= 4 && head.subarray(0, 4).toString('latin1') === 'PAR1') {
    let pq: ParquetFile;
    try {
      pq = await openParquet(path);
    } catch (err) {
      throw new ReplayInputError(`not a readable Parquet file: ${(err as Error).message}`);
    }
    return parquetSource(pq, options);
  }
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trimStart().startsWith('{')) return ndjsonSource(path, options);
  return csvSource(path, options);
}

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function csvSource(path: string, options: SourceOptions): ReplaySource {
  return {
    format: 'csv',
    unit: 'line',
    knownRows: null,
    async *items(signal) {
      const timestamps = new TimestampReader(options.timeUnit);
      let cols: [number, number, number, number] | null = null;
      let width = 0;
      for await (const events of csvEvents(path, { signal })) {
        const out: SourceItem[] = [];
        for (const e of events) {
          if (e.kind === 'bad') {
            if (cols === null) throw new ReplayInputError(`line ${e.line}: ${e.reason}`);
            out.push({ where: e.line, reason: e.reason });
            continue;
          }
          if (cols === null) {
            cols = resolveColumns(e.fields, options.columns);
            width = e.fields.length;
            continue;
          }
          const f = e.fields;
          if (f.length !== width) {
            out.push({
              where: e.line,
              reason: `${f.length} fields where the header has ${width}`,
            });
            continue;
          }
          const t = toTrade(f[cols[0]], f[cols[1]], f[cols[2]], f[cols[3]], timestamps);
          out.push(typeof t === 'string' ? { where: e.line, reason: t } : { where: e.line, ...t });
        }
        if (out.length > 0) yield out;
      }
      if (cols === null && !signal?.aborted) {
        throw new ReplayInputError('the file is empty: no header row');
      }
    },
  };
}

function ndjsonSource(path: string, options: SourceOptions): ReplaySource {
  const role = (r: ReplayRole) => options.columns?.[r] ?? r;
  return {
    format: 'ndjson',
    unit: 'line',
    knownRows: null,
    async *items(signal) {
      const timestamps = new TimestampReader(options.timeUnit);
      const stream = createReadStream(path, { highWaterMark: 1 << 20 });
      const decoder = new TextDecoder('utf-8');
      let rest = '';
      let line = 1;
      const lineOf = (text: string, out: SourceItem[]) => {
        const where = line++;
        const t = text.trim();
        if (t === '') return;
        let json: unknown;
        try {
          json = JSON.parse(t);
        } catch {
          out.push({ where, reason: 'not JSON' });
          return;
        }
        if (typeof json !== 'object' || json === null || Array.isArray(json)) {
          out.push({ where, reason: 'not a JSON object' });
          return;
        }
        const o = json as Record<string, unknown>;
        const r = toTrade(
          o[role('timestamp')],
          o[role('symbol')],
          o[role('price')],
          o[role('volume')],
          timestamps,
        );
        out.push(typeof r === 'string' ? { where, reason: r } : { where, ...r });
      };
      try {
        for await (const chunk of stream) {
          if (signal?.aborted) return;
          rest += decoder.decode(chunk as Buffer, { stream: true });
          const out: SourceItem[] = [];
          let pos = 0;
          for (let nl = rest.indexOf('\n'); nl !== -1; nl = rest.indexOf('\n', pos)) {
            lineOf(rest.slice(pos, nl), out);
            pos = nl + 1;
          }
          rest = rest.slice(pos);
          if (rest.length > 1 << 20) {
            out.push({ where: line, reason: 'line longer than 1 MiB' });
            rest = '';
            line++;
          }
          if (out.length > 0) yield out;
        }
        const out: SourceItem[] = [];
        rest += decoder.decode();
        if (rest.trim() !== '') lineOf(rest, out);
        if (out.length > 0) yield out;
      } finally {
        stream.destroy();
      }
    },
  };
}

function parquetSource(pq: ParquetFile, options: SourceOptions): ReplaySource {
  const cols = resolveColumns(pq.columns, options.columns);
  const names = cols.map((i) => pq.columns[i]!);
  const tsTyped = isTimestampColumn(pq, names[0]!);
  return {
    format: 'parquet',
    unit: 'row',
    knownRows: pq.rows,
    async *items(signal) {
      // A Parquet timestamp column arrives as epoch ms whatever its unit in the file.
      const timestamps = new TimestampReader(tsTyped ? 'ms' : options.timeUnit);
      for await (const group of parquetGroups(pq, names, signal)) {
        const [ts, sym, price, vol] = names.map((n) => group.data.get(n)!);
        // Slices, so one group's rows never all exist as objects at once.
        for (let from = 0; from < group.rows; from += SLICE_ROWS) {
          const to = Math.min(group.rows, from + SLICE_ROWS);
          const out: SourceItem[] = new Array(to - from);
          for (let i = from; i < to; i++) {
            const where = group.start + i + 1;
            const t = toTrade(ts![i], sym![i], price![i], vol![i], timestamps);
            out[i - from] = typeof t === 'string' ? { where, reason: t } : { where, ...t };
          }
          yield out;
        }
      }
    },
  };
}
