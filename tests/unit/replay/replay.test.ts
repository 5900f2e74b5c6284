import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { EXPORT_COLUMNS } from '../../../contract/export.js';
import {
  ReplayOptionsSchema,
  type ReplayOptionsInput,
  type ReplayProgress,
} from '../../../contract/replay.js';
import type { TradeMessage } from '../../../contract/trade.js';
import { CsvRowWriter } from '../../../main/export/csv.js';
import { ParquetRowWriter } from '../../../main/export/parquet.js';
import type { RawRow } from '../../../main/export/query.js';
import { PauseGate, SimulatedClock } from '../../../main/replay/pacing.js';
import { runReplayLoop } from '../../../main/replay/replay.js';
import { openSource } from '../../../main/replay/source.js';
import { tempDir } from '../../support/jvm-broker.js';

const dir = tempDir('vi-replay-unit-');
const T0 = Date.UTC(2025, 6, 7, 14, 0, 0); // 10:00 New York

interface Run {
  sent: TradeMessage[];
  batches: number;
  result: Awaited<ReturnType<typeof runReplayLoop>>;
  clock: SimulatedClock;
  progress: ReplayProgress[];
}

async function replay(
  file: string,
  input: ReplayOptionsInput = {},
  extra: Partial<Parameters<typeof runReplayLoop>[0]> = {},
): Promise<Run> {
  const options = ReplayOptionsSchema.parse({ speed: 'max', ...input });
  const source = await openSource(file, { columns: options.columns, timeUnit: options.timeUnit });
  const clock = (extra.clock as SimulatedClock | undefined) ?? new SimulatedClock(1_000_000);
  const sent: TradeMessage[] = [];
  const progress: ReplayProgress[] = [];
  let batches = 0;
  const result = await runReplayLoop({
    source,
    options,
    clock,
    tempDir: dir.path,
    send: async (trades) => {
      batches++;
      sent.push(...trades);
    },
    onProgress: (p) => progress.push(p),
    progressIntervalMs: 0,
    ...extra,
  });
  return { sent, batches, result, clock, progress };
}

function write(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

const seedTrades: TradeMessage[] = [
  { timestamp: '2025-07-07T14:00:00.000Z', symbol: 'AAPL', price: 245.12, volume: 320 },
  { timestamp: '2025-07-07T14:00:00.500Z', symbol: 'MSFT', price: 501.5, volume: 10 },
  { timestamp: '2025-07-07T14:00:01.250Z', symbol: 'AAPL', price: 245.13, volume: 0 },
];

function exportRow(t: TradeMessage, offset: number): RawRow {
  const row: RawRow = new Array<string | number | null>(EXPORT_COLUMNS.length).fill(null);
  row[0] = Date.parse(t.timestamp);
  row[1] = t.symbol;
  row[2] = t.price;
  row[3] = t.volume;
  row[8] = t.price; // vwap_5m
  row[9] = 'regular';
  row[14] = 0;
  row[15] = offset;
  row[19] = 0; // late
  return row;
}

describe('replay: layouts and timestamp forms', () => {
  it("reads this app's CSV export (all 22 columns, CRLF and a BOM)", async () => {
    const chunks: Uint8Array[] = [];
    const w = new CsvRowWriter((b) => chunks.push(b), { bom: true, eol: '\r\n' });
    seedTrades.forEach((t, i) => w.writeRow(exportRow(t, i)));
    w.finish();
    const path = join(dir.path, 'export.csv');
    writeFileSync(path, Buffer.concat(chunks));
    const { sent, result } = await replay(path);
    assert.deepEqual(sent, seedTrades);
    assert.equal(result.format, 'csv');
    assert.equal(result.sorted, true);
  });

  it("reads this app's Parquet export (TIMESTAMP(MILLIS), INT64 volume)", async () => {
    const chunks: Uint8Array[] = [];
    const w = new ParquetRowWriter((b) => chunks.push(b), { rowGroupSize: 2 });
    seedTrades.forEach((t, i) => w.writeRow(exportRow(t, i)));
    await w.finish();
    w.close();
    const path = join(dir.path, 'export.parquet');
    writeFileSync(path, Buffer.concat(chunks));
    const { sent, result } = await replay(path);
    assert.deepEqual(sent, seedTrades);
    assert.equal(result.format, 'parquet');
  });

  it("reads the seed's messages as JSON lines", async () => {
    const path = write('seed.jsonl', seedTrades.map((t) => JSON.stringify(t)).join('\n') + '\n');
    const { sent, result } = await replay(path);
    assert.deepEqual(sent, seedTrades);
    assert.equal(result.format, 'ndjson');
  });

  const epoch = seedTrades.map((t) => Date.parse(t.timestamp));
  const layouts: [string, (ms: number) => string][] = [
    ['ISO with an offset', (ms) => new Date(ms + 7_200_000).toISOString().replace('Z', '+02:00')],
    ['epoch seconds', (ms) => (ms / 1000).toFixed(3)],
    ['epoch milliseconds', (ms) => String(ms)],
    ['epoch microseconds', (ms) => `${ms}000`],
    ['epoch nanoseconds', (ms) => `${ms}000000`],
  ];
  for (const [name, form] of layouts) {
    it(`reads time/ticker/price/size with ${name}`, async () => {
      const rows = seedTrades.map(
        (t, i) => `${form(epoch[i]!)},${t.symbol},${t.price},${t.volume}`,
      );
      const path = write(`${name}.csv`, ['time,ticker,price,size', ...rows].join('\n'));
      const { sent } = await replay(path);
      assert.deepEqual(sent, seedTrades);
    });
  }

  it('takes a column mapping for other names', async () => {
    const rows = seedTrades.map((t, i) => `${t.volume};x,${t.symbol},${epoch[i]},${t.price}`);
    const path = write(
      'mapped.csv',
      ['qty_traded,instrument_code,when,deal_px', ...rows].join('\n'),
    );
    const columns = {
      timestamp: 'when',
      symbol: 'instrument_code',
      price: 'deal_px',
      volume: 'qty_traded',
    };
    const { sent, result } = await replay(path, { columns });
    // "320;x" is not a whole number: every row is bad, each with its line
    assert.equal(sent.length, 0);
    assert.deepEqual(
      result.badRowSamples.map((b) => [b.where, b.reason]),
      [
        [2, 'volume: not a number'],
        [3, 'volume: not a number'],
        [4, 'volume: not a number'],
      ],
    );
    const good = write(
      'mapped-good.csv',
      [
        'qty_traded,instrument_code,when,deal_px',
        ...seedTrades.map((t, i) => `${t.volume},${t.symbol},${epoch[i]},${t.price}`),
      ].join('\n'),
    );
    assert.deepEqual((await replay(good, { columns })).sent, seedTrades);
  });

  it('reads Parquet timestamps in microseconds and epoch nanoseconds as INT64', async () => {
    const micros = BigInt64Array.from(epoch.map((ms) => BigInt(ms) * 1000n + 999n));
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'event_time', data: micros },
        { name: 'sym', data: seedTrades.map((t) => t.symbol) },
        { name: 'px', data: Float64Array.from(seedTrades.map((t) => t.price)) },
        { name: 'qty', data: Int32Array.from(seedTrades.map((t) => t.volume)) },
      ],
      schema: [
        { name: 'root', num_children: 4 },
        {
          name: 'event_time',
          type: 'INT64',
          repetition_type: 'REQUIRED',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
        },
        { name: 'sym', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'px', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        { name: 'qty', type: 'INT32', repetition_type: 'REQUIRED' },
      ],
    });
    const path = join(dir.path, 'micros.parquet');
    writeFileSync(path, new Uint8Array(buf));
    assert.deepEqual((await replay(path)).sent, seedTrades);

    const nanos = parquetWriteBuffer({
      columnData: [
        {
          name: 'ts',
          data: BigInt64Array.from(epoch.map((ms) => BigInt(ms) * 1_000_000n + 5n)),
          type: 'INT64',
        },
        { name: 'symbol', data: seedTrades.map((t) => t.symbol), type: 'STRING' },
        { name: 'price', data: seedTrades.map((t) => t.price), type: 'DOUBLE' },
        {
          name: 'volume',
          data: BigInt64Array.from(seedTrades.map((t) => BigInt(t.volume))),
          type: 'INT64',
        },
      ],
    });
    const nanoPath = join(dir.path, 'nanos.parquet');
    writeFileSync(nanoPath, new Uint8Array(nanos));
    assert.deepEqual((await replay(nanoPath)).sent, seedTrades);
  });

  it('refuses a file without the needed columns, saying which it has', async () => {
    const path = write('nocols.csv', 'a,b\n1,2\n');
    await assert.rejects(replay(path), /no timestamp column found.*"a", "b"/);
  });

  it('treats a binary file as bad rows or a missing header, never a crash', async () => {
    const bytes = Buffer.alloc(200_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    const path = join(dir.path, 'noise.bin');
    writeFileSync(path, bytes);
    await assert.rejects(replay(path), /no timestamp column|line \d+:/);
  });
});

describe('replay: bad rows, filters, order', () => {
  const good = (i: number, sym = 'AAPL') =>
    `${new Date(T0 + i * 1000).toISOString()},${sym},100.5,10`;
  const withBad = [
    'timestamp,symbol,price,volume',
    good(0),
    `${new Date(T0 + 1000).toISOString()},AAPL,abc,10`,
    '"unterminated,AAPL,1,1\nstill,open', // line 4 (quote continues to EOF)
  ];

  it('counts each bad row with its line and goes on; --strict stops at the first, sending nothing', async () => {
    const text = [
      'timestamp,symbol,price,volume',
      good(0),
      `${new Date(T0 + 1000).toISOString()},AAPL,abc,10`,
      `${new Date(T0 + 2000).toISOString()},=HYPERLINK,1,1`,
      'only,three,fields,here,extra',
      `${new Date(T0 + 3000).toISOString()},AAPL,100,1.5`,
      good(4),
    ].join('\n');
    const path = write('bad.csv', text);
    const { sent, result } = await replay(path);
    assert.equal(sent.length, 2);
    assert.equal(result.badRows, 4);
    assert.deepEqual(
      result.badRowSamples.map((b) => `${b.unit} ${b.where}: ${b.reason}`),
      [
        'line 3: price: not a number',
        'line 4: symbol: symbol must be 1-20 characters: letters, digits and . - / = ^, starting with a letter, digit or ^',
        'line 5: 5 fields where the header has 4',
        'line 6: volume: must be a whole number',
      ],
    );
    let strictSent = 0;
    await assert.rejects(
      replay(path, { strict: true }, { send: async (t) => void (strictSent += t.length) }),
      /line 3: price: not a number \(strict/,
    );
    assert.equal(strictSent, 0);
    const unclosed = await replay(write('unclosed.csv', withBad.join('\n')));
    assert.deepEqual(
      unclosed.result.badRowSamples.map((b) => b.where),
      [3, 4],
    );
  });

  it('selects --symbols and [--from, --to)', async () => {
    const rows = ['timestamp,symbol,price,volume'];
    for (let i = 0; i < 10; i++) rows.push(good(i, i % 2 ? 'MSFT' : 'AAPL'));
    const path = write('filter.csv', rows.join('\n'));
    const { sent } = await replay(path, {
      symbols: ['AAPL'],
      from: new Date(T0 + 2000).toISOString(),
      to: new Date(T0 + 8000).toISOString(),
    });
    assert.deepEqual(
      sent.map((t) => t.timestamp),
      [2, 4, 6].map((i) => new Date(T0 + i * 1000).toISOString()),
    );
  });

  it('sorts an unsorted file on disk in bounded runs: timestamp order, ties in file order', async () => {
    // 5,000 rows in a scrambled order, run size 100: 50 runs, merged through an extra pass (fan-in 64 not hit)
    const n = 5000;
    const rows = ['timestamp,symbol,price,volume'];
    for (let k = 0; k < n; k++) {
      const i = (k * 7919) % n; // a permutation
      const ts = T0 + Math.floor(i / 2) * 1000; // pairs share a timestamp
      rows.push(`${new Date(ts).toISOString()},S${i % 2},${100 + i / 100},${i}`);
    }
    const path = write('unsorted.csv', rows.join('\n'));
    const { sent, result } = await replay(path, {}, { runRows: 100 });
    assert.equal(result.sorted, false);
    assert.equal(sent.length, n);
    for (let k = 1; k < n; k++) {
      const a = Date.parse(sent[k - 1]!.timestamp);
      const b = Date.parse(sent[k]!.timestamp);
      assert.ok(a <= b, `row ${k} out of order`);
    }
    // Ties keep the file's order: within each timestamp, the row that came first in the file first.
    const firstLine = new Map<number, number>();
    for (let k = 0; k < n; k++) firstLine.set((k * 7919) % n, k);
    for (let k = 1; k < n; k++) {
      const a = sent[k - 1]!;
      const b = sent[k]!;
      if (a.timestamp === b.timestamp) {
        assert.ok(firstLine.get(a.volume)! < firstLine.get(b.volume)!, 'tie out of file order');
      }
    }
    // The temporary runs are gone.
    assert.deepEqual(
      readdirSync(dir.path).filter((f) => f.startsWith('vi-replay-sort-')),
      [],
    );
  });

  it('merges in passes when there are more runs than the fan-in', async () => {
    const n = 3000;
    const rows = ['timestamp,symbol,price,volume'];
    for (let k = 0; k < n; k++)
      rows.push(`${new Date(T0 + (n - k) * 10).toISOString()},AAPL,1,${k}`);
    const path = write('reverse.csv', rows.join('\n'));
    const { sent } = await replay(path, {}, { runRows: 10 }); // 300 runs > 64
    assert.deepEqual(
      sent.map((t) => t.volume),
      Array.from({ length: n }, (_, k) => n - 1 - k),
    );
  });
});

describe('replay: pacing on a simulated clock', () => {
  // One trade a second for a recorded minute (61 trades, 0 s … 60 s).
  const minute = () => {
    const rows = ['timestamp,symbol,price,volume'];
    for (let i = 0; i <= 60; i++) rows.push(`${new Date(T0 + i * 1000).toISOString()},AAPL,100,1`);
    return write('minute.csv', rows.join('\n'));
  };

  it('at --speed 10 a recorded minute takes six seconds', async () => {
    const clock = new SimulatedClock(5_000);
    const sentAt: number[] = [];
    const { result } = await replay(
      minute(),
      { speed: 10 },
      {
        clock,
        send: async (trades) => {
          for (const _ of trades) sentAt.push(clock.now());
          clock.advance(3); // each send takes 3 ms of clock time
        },
      },
    );
    assert.equal(result.rowsSent, 61);
    const took = sentAt.at(-1)! - sentAt[0]!;
    assert.ok(Math.abs(took - 6000) <= 5, `took ${took} ms`);
    // each trade goes out at its own due time (100 ms apart), no drift from the send time
    for (let i = 0; i <= 60; i++) assert.ok(Math.abs(sentAt[i]! - (sentAt[0]! + i * 100)) <= 5);
  });

  it('at --speed max nothing waits; at 1 the minute takes a minute', async () => {
    const fast = await replay(minute(), { speed: 'max' });
    assert.equal(fast.clock.now(), 1_000_000);
    assert.equal(fast.batches, 1);
    const clock = new SimulatedClock(0);
    await replay(minute(), { speed: 1 }, { clock });
    assert.ok(Math.abs(clock.now() - 60_000) <= 250, `clock ${clock.now()}`);
  });

  it('a pause stops the clock of the replay; resume goes on where it was', async () => {
    const clock = new SimulatedClock(0);
    const gate = new PauseGate();
    const sentAt: number[] = [];
    const run = replay(
      minute(),
      { speed: 10 },
      {
        clock,
        gate,
        send: async (trades) => {
          for (const _ of trades) sentAt.push(clock.now());
          if (sentAt.length === 30) {
            gate.pause();
            // resumed after 10 s of clock time, from "outside"
            setImmediate(() => {
              clock.advance(10_000);
              gate.resume();
            });
          }
        },
      },
    );
    const { progress } = await run;
    assert.ok(progress.some((p) => p.phase === 'paused'));
    const took = sentAt.at(-1)! - sentAt[0]!;
    assert.ok(Math.abs(took - 16_000) <= 260, `took ${took}`);
    // No burst after the pause: the trade after it is 100 ms after the resume, not at once.
    assert.ok(sentAt[30]! - sentAt[29]! >= 10_000);
  });

  it('--shift-to-now moves the first trade to now; --loop continues the clock pass after pass', async () => {
    const path = write(
      'three.csv',
      [
        'timestamp,symbol,price,volume',
        ...seedTrades.map((t) => `${t.timestamp},${t.symbol},${t.price},${t.volume}`),
      ].join('\n'),
    );
    const now = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const { sent } = await replay(path, { shiftToNow: true }, { wallNow: () => now });
    assert.deepEqual(
      sent.map((t) => Date.parse(t.timestamp) - now),
      [0, 500, 1250],
    );
    const abort = new AbortController();
    const looped = await replay(
      path,
      { loop: true },
      {
        signal: abort.signal,
        send: async (trades) => {
          looped_sent.push(...trades);
          if (looped_sent.length >= 9) abort.abort();
        },
      },
    );
    const ts = looped_sent.map((t) => Date.parse(t.timestamp) - T0);
    // span 1250 ms + a mean gap of 625 ms between passes
    assert.deepEqual(ts, [0, 500, 1250, 1875, 2375, 3125, 3750, 4250, 5000]);
    assert.equal(looped.result.stopped, true);
    assert.equal(looped.result.passes, 3);
  });
});
const looped_sent: TradeMessage[] = [];
