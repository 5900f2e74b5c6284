import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { EXPORT_COLUMNS } from '../../../contract/export.js';
import { runExport } from '../../../main/export/export-job.js';
import {
  baseRow,
  createDb,
  python,
  readDb,
  requirePython,
  tempDir,
  type TradeRow,
} from './support.js';

type Cell = string | number | boolean | null;

/** Edge cases: awkward text, extreme doubles, nulls, ties in the sort keys, pre-1970. */
function edgeRows(): TradeRow[] {
  const t0 = Date.UTC(2025, 6, 7, 13, 30, 0, 123);
  const rows: TradeRow[] = [
    baseRow({ ts: t0, symbol: 'MSFT', kafka_offset: 5 }),
    // Same ts: ordered by symbol, then offset, then partition.
    baseRow({ ts: t0, symbol: 'AAPL', kafka_offset: 7, kafka_partition: 1 }),
    baseRow({ ts: t0, symbol: 'AAPL', kafka_offset: 7, kafka_partition: 0 }),
    baseRow({ ts: t0, symbol: 'AAPL', kafka_offset: 3, kafka_partition: 2 }),
    baseRow({
      ts: t0 + 1,
      symbol: 'BRK,B',
      company: 'Berkshire "Hathaway", Inc.',
      sector: 'line one\nline two',
      weather_condition: 'cr\rlf\r\n',
      weather_error: '',
      kafka_offset: 1,
    }),
    baseRow({
      ts: t0 + 2,
      symbol: 'Zürich',
      company: '東京 株式会社',
      exchange: 'SIX 🇨🇭',
      kafka_offset: 2,
    }),
    baseRow({
      ts: t0 + 3,
      symbol: 'TINY',
      price: 5e-324,
      log_return: 1e-300,
      vol_1m: 1e-7,
      vol_5m: 1.7976931348623157e308,
      vol_1m_ann: -0, // SQLite stores -0.0 as 0; the export must give what SQLite holds
      vol_5m_ann: 0.1 + 0.2,
      ewma_vol: -2.2250738585072014e-308,
      ewma_vol_ann: 123456789012345680000,
      vwap_5m: 1e21,
      weather_temp_c: -0,
      late: 1,
      kafka_offset: 9007199254740991,
      kafka_partition: 2147483647,
      volume: 9007199254740991,
    }),
    baseRow({
      ts: t0 + 4,
      symbol: 'NULLS',
      exchange: null,
      company: null,
      sector: null,
      weather_temp_c: null,
      weather_condition: null,
      weather_error: null,
      kafka_offset: 3,
    }),
    baseRow({ ts: -1, symbol: 'OLD', kafka_offset: 4 }),
    baseRow({ ts: 0, symbol: 'EPOCH', kafka_offset: 8 }),
  ];
  // Random full-precision doubles, to exercise the readers' float parsing.
  let seed = 7;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < 2000; i++) {
    const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
    rows.push(
      baseRow({
        ts: t0 + 1000 + i,
        symbol: ['AAPL', 'MSFT', 'TSLA'][i % 3]!,
        price: 100 + rand(),
        log_return: x,
        vol_1m: rand() / 3,
        ewma_vol: Math.sqrt(rand()),
        vwap_5m: 100 + rand(),
        weather_temp_c: i % 5 === 0 ? null : rand() * 40 - 10,
        kafka_offset: 100 + i,
        late: i % 17 === 0 ? 1 : 0,
      }),
    );
  }
  return rows;
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The rows the export must produce, in order, as export cells (timestamp in epoch ms). */
function expected(
  rows: readonly TradeRow[],
  keep: (r: TradeRow) => boolean = () => true,
): Cell[][] {
  return rows
    .filter(keep)
    .sort(
      (a, b) =>
        a.ts - b.ts ||
        utf8Compare(a.symbol, b.symbol) ||
        a.kafka_offset - b.kafka_offset ||
        a.kafka_partition - b.kafka_partition,
    )
    .map((r) =>
      EXPORT_COLUMNS.map((c): Cell => {
        if (c === 'timestamp') return r.ts;
        if (c === 'late') return r.late === 1;
        return r[c];
      }),
    );
}

function assertSameRows(actual: Cell[][], want: Cell[][]): void {
  assert.equal(actual.length, want.length, 'row count');
  for (let i = 0; i < want.length; i++) {
    for (let j = 0; j < EXPORT_COLUMNS.length; j++) {
      // Object.is: -0 must stay -0, and numbers must be the same double.
      const a = actual[i]![j];
      const w = want[i]![j];
      if (!Object.is(a, w)) {
        assert.fail(`row ${i} column ${EXPORT_COLUMNS[j]}: got ${String(a)}, want ${String(w)}`);
      }
    }
  }
}

const READ_PARQUET = `
import sys, json
import pyarrow as pa, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
cols = {}
for name in t.column_names:
    col = t.column(name)
    if pa.types.is_timestamp(col.type):
        col = col.cast(pa.int64())
    cols[name] = col.to_pylist()
md = f.metadata
print(json.dumps({
    "names": t.column_names,
    "types": [str(x.type) for x in t.schema],
    "nullable": [x.nullable for x in t.schema],
    "rows": [[cols[n][i] for n in t.column_names] for i in range(t.num_rows)],
    "rowGroups": md.num_row_groups,
    "codecs": sorted({md.row_group(g).column(c).compression for g in range(md.num_row_groups) for c in range(md.num_columns)}),
}))
`;

// Python's csv module: the RFC 4180 reference reader. Converts by column type.
const READ_CSV_STDLIB = `
import sys, json, csv
from datetime import datetime
INTS = {"volume", "kafka_partition", "kafka_offset"}
STRS = {"symbol", "session", "exchange", "sector", "weather_condition", "company", "weather_error"}
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    r = csv.reader(f, strict=True)
    header = next(r)
    rows = []
    for rec in r:
        out = []
        for name, v in zip(header, rec):
            if name == "timestamp":
                out.append(v)
            elif name in STRS:
                out.append(v)
            elif name == "late":
                out.append({"true": True, "false": False}[v])
            elif v == "":
                out.append(None)
            elif name in INTS:
                out.append(int(v))
            else:
                out.append(float(v))
        rows.append(out)
print(json.dumps({"header": header, "rows": rows}))
`;

// pandas with its defaults (pandas 2+ parses doubles exactly); timestamps via to_datetime.
const READ_CSV_PANDAS = `
import sys, json
import pandas as pd
df = pd.read_csv(sys.argv[1], keep_default_na=False, na_values={c: [""] for c in
    ["log_return","vol_1m","vol_5m","ewma_vol","weather_temp_c","vol_1m_ann","vol_5m_ann","ewma_vol_ann"]},
    dtype={c: str for c in ["symbol","session","exchange","sector","weather_condition","company","weather_error"]})
ts = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
df["timestamp"] = (ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
rows = [[None if (isinstance(v, float) and v != v) else (v.item() if hasattr(v, "item") else v) for v in rec]
        for rec in df.itertuples(index=False, name=None)]
print(json.dumps({"dtypes": {k: str(v) for k, v in df.dtypes.items()}, "rows": rows}))
`;

describe('export round trip', { timeout: 120_000 }, () => {
  before(() => requirePython());

  it('Parquet read back by pyarrow equals the SQLite rows, with the documented types', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    const rows = edgeRows();
    createDb(db, rows);
    const out = join(dir, 'trades.parquet');
    const result = await runExport({ format: 'parquet', out, db }, { rowGroupSize: 1000 });
    assert.equal(result.rows, rows.length);
    assert.equal(result.empty, false);

    const got = python<{
      names: string[];
      types: string[];
      nullable: boolean[];
      rows: Cell[][];
      rowGroups: number;
      codecs: string[];
    }>(READ_PARQUET, out);
    assert.deepEqual(got.names, [...EXPORT_COLUMNS]);
    assert.deepEqual(got.types, [
      'timestamp[ms, tz=UTC]',
      'string',
      'double',
      'int64',
      'double',
      'double',
      'double',
      'double',
      'double',
      'string',
      'string',
      'string',
      'double',
      'string',
      'int32',
      'int64',
      'double',
      'double',
      'double',
      'bool',
      'string',
      'string',
    ]);
    const nullable = Object.fromEntries(EXPORT_COLUMNS.map((c, i) => [c, got.nullable[i]]));
    assert.equal(nullable.timestamp, false);
    assert.equal(nullable.symbol, false);
    assert.equal(nullable.log_return, true);
    assert.equal(nullable.company, true);
    assert.equal(got.rowGroups, Math.ceil(rows.length / 1000));
    assert.deepEqual(got.codecs, ['SNAPPY']);
    assertSameRows(got.rows, expected(readDb(db)));
  });

  it('CSV read back by Python csv and by pandas equals the SQLite rows', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    const rows = edgeRows();
    createDb(db, rows);
    const out = join(dir, 'trades.csv');
    const result = await runExport({ format: 'csv', out, db });
    assert.equal(result.rows, rows.length);

    const bytes = readFileSync(out);
    assert.notDeepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'no BOM by default');
    assert.equal(bytes.includes('\r\n'), true, 'CRLF only inside quoted fields');
    const want = expected(readDb(db));

    // stdlib csv: text cells cannot tell null from "", so compare those as ''.
    const std = python<{ header: string[]; rows: Cell[][] }>(READ_CSV_STDLIB, out);
    assert.deepEqual(std.header, [...EXPORT_COLUMNS]);
    const asCsvModule = want.map((r) =>
      r.map((v, j) =>
        j === 0
          ? new Date(v as number).toISOString()
          : typeof v === 'string' || v === null
            ? (v ?? (isText(j) ? '' : null))
            : v,
      ),
    );
    assertSameRows(std.rows, asCsvModule);

    const pd = python<{ dtypes: Record<string, string>; rows: Cell[][] }>(READ_CSV_PANDAS, out);
    assert.equal(pd.dtypes.price, 'float64');
    assert.equal(pd.dtypes.kafka_offset, 'int64');
    assert.equal(pd.dtypes.late, 'bool');
    // pandas reads a quoted "" as an empty string and an empty field (null) as '' too, with
    // keep_default_na=False; numbers must be the very same doubles.
    assertSameRows(
      pd.rows,
      want.map((r) => r.map((v, j) => (isText(j) && v === null ? '' : v))),
    );
  });

  it('CSV options: BOM and CRLF', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({}), baseRow({ kafka_offset: 1 })]);
    const out = join(dir, 'excel.csv');
    await runExport({ format: 'csv', out, db, bom: true, crlf: true });
    const bytes = readFileSync(out);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    assert.equal(text.split('\r\n').length, 4); // header, 2 rows, trailing ''
    assert.equal(text.replaceAll('\r\n', '').includes('\n'), false);
    const std = python<{ header: string[]; rows: Cell[][] }>(
      READ_CSV_STDLIB.replace('encoding="utf-8"', 'encoding="utf-8-sig"'),
      out,
    );
    assert.deepEqual(std.header, [...EXPORT_COLUMNS]);
    assert.equal(std.rows.length, 2);
  });

  it('filters by symbols and [from, to), keeping the order', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    const rows = edgeRows();
    createDb(db, rows);
    const from = Date.UTC(2025, 6, 7, 13, 30, 1, 500);
    const to = Date.UTC(2025, 6, 7, 13, 30, 2, 700);
    const symbols = ['MSFT', 'TSLA', 'NOPE'];
    const keep = (r: TradeRow) => symbols.includes(r.symbol) && r.ts >= from && r.ts < to;
    const out = join(dir, 'f.parquet');
    const result = await runExport({
      format: 'parquet',
      out,
      db,
      symbols,
      from: new Date(from).toISOString(),
      to: '2025-07-07T15:30:02.700+02:00',
    });
    const want = expected(readDb(db), keep);
    assert.ok(want.length > 100);
    assert.equal(result.rows, want.length);
    assertSameRows(python<{ rows: Cell[][] }>(READ_PARQUET, out).rows, want);
  });

  it('an empty selection writes a header-only CSV and a schema-only Parquet', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const csv = join(dir, 'none.csv');
    const r1 = await runExport({ format: 'csv', out: csv, db, symbols: ['NOPE'] });
    assert.equal(r1.empty, true);
    assert.equal(r1.rows, 0);
    assert.equal(readFileSync(csv, 'utf8'), EXPORT_COLUMNS.join(',') + '\n');
    const pq = join(dir, 'none.parquet');
    const r2 = await runExport({ format: 'parquet', out: pq, db, symbols: ['NOPE'] });
    assert.equal(r2.empty, true);
    const got = python<{ names: string[]; types: string[]; rows: Cell[][] }>(READ_PARQUET, pq);
    assert.deepEqual(got.names, [...EXPORT_COLUMNS]);
    assert.equal(got.types[0], 'timestamp[ms, tz=UTC]');
    assert.equal(got.rows.length, 0);
  });
});

const TEXT_COLUMNS = new Set([
  'symbol',
  'session',
  'exchange',
  'sector',
  'weather_condition',
  'company',
  'weather_error',
]);
function isText(j: number): boolean {
  return TEXT_COLUMNS.has(EXPORT_COLUMNS[j]!);
}
