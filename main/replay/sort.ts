import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A trade on its way out: recorded ts (epoch ms) and where it was in the file. */
export interface TradeRow {
  ts: number;
  symbol: string;
  price: number;
  volume: number;
  where: number;
}

/**
 * External merge sort for files that are not in timestamp order, in bounded memory: rows are
 * gathered into runs of `runRows` (typed arrays, ~40 bytes a row), each run is sorted by
 * (timestamp, position in the file) — a stable sort, so trades with equal timestamps keep the
 * file's order — and written to a temporary file; the runs are then merged with a heap, at most
 * FAN_IN at a time (more runs are merged in passes first). Memory: one run plus FAN_IN read
 * buffers, whatever the file's size; disk: ~45 bytes a row in `dir`.
 */
export const DEFAULT_RUN_ROWS = 262_144;
export const FAN_IN = 64;
const READ_BUFFER = 128 * 1024;
const WRITE_BUFFER = 1 << 20;
const FIXED = 33; // ts, price, volume, where (f64 each) + symbol length (u8)

export class RunBuilder {
  private ts: Float64Array;
  private price: Float64Array;
  private volume: Float64Array;
  private where: Float64Array;
  private sym: Int32Array;
  private dict = new Map<string, number>();
  private names: string[] = [];
  private n = 0;
  readonly runs: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly runRows = DEFAULT_RUN_ROWS,
  ) {
    this.ts = new Float64Array(runRows);
    this.price = new Float64Array(runRows);
    this.volume = new Float64Array(runRows);
    this.where = new Float64Array(runRows);
    this.sym = new Int32Array(runRows);
  }

  push(row: TradeRow): void {
    let code = this.dict.get(row.symbol);
    if (code === undefined) {
      code = this.names.length;
      // A copy: a substring could keep its whole read chunk alive.
      const copy = Buffer.from(row.symbol, 'latin1').toString('latin1');
      this.dict.set(copy, code);
      this.names.push(copy);
    }
    const i = this.n++;
    this.ts[i] = row.ts;
    this.price[i] = row.price;
    this.volume[i] = row.volume;
    this.where[i] = row.where;
    this.sym[i] = code;
    if (this.n === this.runRows) this.flush();
  }

  /** Writes the last partial run; returns every run file. */
  finish(): string[] {
    if (this.n > 0) this.flush();
    return this.runs;
  }

  private flush(): void {
    const n = this.n;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const { ts, where } = this;
    order.sort((a, b) => ts[a]! - ts[b]! || where[a]! - where[b]!);
    const path = join(this.dir, `run-${this.runs.length}.bin`);
    const out = new RunWriter(path);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      out.write(ts[i]!, this.price[i]!, this.volume[i]!, where[i]!, this.names[this.sym[i]!]!);
    }
    out.close();
    this.runs.push(path);
    this.n = 0;
    this.dict = new Map();
    this.names = [];
  }
}

class RunWriter {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(WRITE_BUFFER);
  private at = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w', 0o600);
  }

  write(ts: number, price: number, volume: number, where: number, symbol: string): void {
    if (this.at + FIXED + 255 > this.buf.length) this.flush();
    const b = this.buf;
    let o = this.at;
    b.writeDoubleLE(ts, o);
    b.writeDoubleLE(price, o + 8);
    b.writeDoubleLE(volume, o + 16);
    b.writeDoubleLE(where, o + 24);
    const len = b.write(symbol, o + FIXED, 255, 'latin1');
    b[o + 32] = len;
    o += FIXED + len;
    this.at = o;
  }

  private flush(): void {
    let off = 0;
    while (off < this.at) off += writeSync(this.fd, this.buf, off, this.at - off);
    this.at = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

class RunReader {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(READ_BUFFER);
  private start = 0;
  private end = 0;
  private eof = false;
  head: TradeRow | null = null;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    this.advance();
  }

  advance(): void {
    if (this.end - this.start < FIXED + 255 && !this.eof) this.refill();
    if (this.end - this.start < FIXED) {
      this.head = null;
      return;
    }
    const b = this.buf;
    const o = this.start;
    const len = b[o + 32]!;
    this.head = {
      ts: b.readDoubleLE(o),
      price: b.readDoubleLE(o + 8),
      volume: b.readDoubleLE(o + 16),
      where: b.readDoubleLE(o + 24),
      symbol: b.toString('latin1', o + FIXED, o + FIXED + len),
    };
    this.start = o + FIXED + len;
  }

  private refill(): void {
    this.buf.copy(this.buf, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
    while (this.end < this.buf.length) {
      const n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (n === 0) {
        this.eof = true;
        break;
      }
      this.end += n;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

const before = (a: TradeRow, b: TradeRow) => a.ts < b.ts || (a.ts === b.ts && a.where < b.where);

/** Rows of several sorted runs, merged in order, a batch at a time. */
export function* mergeRuns(paths: string[], batchRows = 2048): Generator<TradeRow[]> {
  const readers = paths.map((p) => new RunReader(p));
  try {
    const heap = readers.filter((r) => r.head !== null);
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!.head!, heap[m]!.head!)) m = l;
        if (r < heap.length && before(heap[r]!.head!, heap[m]!.head!)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    let batch: TradeRow[] = [];
    while (heap.length > 0) {
      const top = heap[0]!;
      batch.push(top.head!);
      top.advance();
      if (top.head === null) {
        const last = heap.pop()!;
        if (heap.length > 0 && last !== top) heap[0] = last;
      }
      if (heap.length > 0) down(0);
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    for (const r of readers) r.close();
  }
}

/**
 * Merges runs down to at most FAN_IN (so the final merge's buffers are bounded), writing
 * intermediate runs into `dir` and deleting the merged ones.
 */
export function reduceRuns(runs: string[], dir: string, fanIn = FAN_IN): string[] {
  let level = runs;
  let generation = 0;
  while (level.length > fanIn) {
    const next: string[] = [];
    for (let g = 0; g < level.length; g += fanIn) {
      const group = level.slice(g, g + fanIn);
      const path = join(dir, `merge-${generation}-${next.length}.bin`);
      const out = new RunWriter(path);
      for (const batch of mergeRuns(group)) {
        for (const r of batch) out.write(r.ts, r.price, r.volume, r.where, r.symbol);
      }
      out.close();
      for (const p of group) rmSync(p, { force: true });
      next.push(path);
    }
    level = next;
    generation++;
  }
  return level;
}
