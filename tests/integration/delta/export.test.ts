import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { ExportProgress } from '../../../contract/export.js';
import type { ExportError } from '../../../main/export/errors.js';
import { runExport } from '../../../main/export/export-job.js';
import { openDatabase } from '../../../main/store/open-database.js';
import { insertSampleTrades } from '../../../bench/sample-data.js';
import { baseRow, createDb, readDb, tempDir, type TradeRow } from '../export/support.js';
import { canonical, readWithDeltaRs, requireDeltaRs } from './support.js';

/** Awkward rows: symbols that need escaping in folder names, pre-1970 and far dates, extremes. */
function edgeRows(): TradeRow[] {
  const t0 = Date.UTC(2025, 6, 7, 23, 59, 59, 999);
  return [
    baseRow({ ts: t0, symbol: 'AAPL', kafka_offset: 1 }),
    baseRow({ ts: t0 + 1, symbol: 'AAPL', kafka_offset: 2 }), // next UTC day
    baseRow({ ts: t0, symbol: '^GSPC', kafka_offset: 3, exchange: null, company: null }),
    baseRow({ ts: t0, symbol: 'ES=F', kafka_offset: 4, sector: null }),
    baseRow({ ts: t0, symbol: 'BRK.B', kafka_offset: 5, kafka_partition: 2 }),
    baseRow({ ts: t0, symbol: 'Zürich', company: '東京 株式会社 🇨🇭', kafka_offset: 6 }),
    baseRow({ ts: -1, symbol: 'OLD', kafka_offset: 7, session: 'closed' }), // 1969-12-31
    baseRow({
      ts: t0 + 3,
      symbol: 'TINY',
      price: 5e-324,
      log_return: 1e-300,
      vol_1m: 1e-7,
      vol_5m: 1.7976931348623157e308,
      vol_5m_ann: 0.1 + 0.2,
      ewma_vol: -2.2250738585072014e-308,
      vwap_5m: 1e21,
      weather_temp_c: null,
      weather_condition: null,
      weather_error: 'HTTP 401: "bad key"\nline two',
      late: 1,
      kafka_offset: 9007199254740991,
      kafka_partition: 2147483647,
      volume: 9007199254740991,
    }),
  ];
}

const DATE = (ts: number) => new Date(ts).toISOString().slice(0, 10);

describe('export --format delta, read back by delta-rs', { timeout: 120_000 }, () => {
  before(() => requireDeltaRs());

  for (const partitionBy of ['date', 'date,symbol', 'none'] as const) {
    it(`partitioned by ${partitionBy}: schema, partition values and every value equal SQLite's`, async (t) => {
      const dir = tempDir(t);
      const db = join(dir, 'vi.db');
      createDb(db, edgeRows());
      const out = join(dir, 'table');
      const result = await runExport({ format: 'delta', out, db, partitionBy });
      assert.equal(result.rows, edgeRows().length);
      assert.equal(result.format, 'delta');
      const view = readWithDeltaRs(out);
      assert.equal(view.version, 0);
      assert.deepEqual(view.protocol, [1, 2]);
      assert.deepEqual(view.partitionColumns, partitionBy === 'none' ? [] : partitionBy.split(','));
      const types = Object.fromEntries(view.schema.map(([n, ty]) => [n, ty]));
      assert.equal(types.timestamp, 'timestamp[us, tz=UTC]');
      assert.equal(types.volume, 'int64');
      assert.equal(types.kafka_partition, 'int32');
      assert.equal(types.late, 'bool');
      if (partitionBy !== 'none') assert.equal(types.date, 'date32[day]');
      for (const row of view.rows) {
        if (partitionBy !== 'none') assert.equal(row.date, DATE(row.ts), `date of ${row.symbol}`);
      }
      assert.deepEqual(canonical(view.rows), canonical(readDb(db)));
    });
  }

  it('appends to an existing table in one commit; every version reads as it was', async (t) => {
    const dir = tempDir(t);
    const db1 = join(dir, 'a.db');
    const db2 = join(dir, 'b.db');
    createDb(db1, edgeRows().slice(0, 4));
    createDb(db2, edgeRows().slice(4));
    const out = join(dir, 'table');
    await runExport({ format: 'delta', out, db: db1 });
    const r = await runExport({ format: 'delta', out, db: db2 });
    assert.equal(r.rows, 4);
    const v1 = readWithDeltaRs(out);
    assert.equal(v1.version, 1);
    assert.deepEqual(canonical(v1.rows), canonical([...readDb(db1), ...readDb(db2)]));
    assert.deepEqual(v1.history, ['WRITE', 'CREATE TABLE AS SELECT']);
    const v0 = readWithDeltaRs(out, { version: 0 });
    assert.deepEqual(canonical(v0.rows), canonical(readDb(db1)));
    // Another partitioning is another table: refused plainly, nothing written.
    await assert.rejects(
      runExport({ format: 'delta', out, db: db2, partitionBy: 'none' }),
      (err: ExportError) =>
        err.code === 'invalid-request' && /partitioned by date/.test(err.message),
    );
    assert.equal(readWithDeltaRs(out).version, 1);
  });

  it('a folder that holds other files, or a file, is refused', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, edgeRows());
    mkdirSync(join(dir, 'busy'));
    writeFileSync(join(dir, 'busy', 'notes.txt'), 'mine');
    await assert.rejects(runExport({ format: 'delta', out: join(dir, 'busy'), db }), /other files/);
    await assert.rejects(runExport({ format: 'delta', out: db, db }), /is a file/);
    assert.deepEqual(readdirSync(join(dir, 'busy')), ['notes.txt']);
  });

  it('cancel mid-way leaves no table (new) and no commit or data file (append)', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    const handle = openDatabase(db, { readonly: false });
    insertSampleTrades(handle, 200_000);
    handle.close();
    const cancelAt = async (out: string) => {
      const ac = new AbortController();
      const seen: ExportProgress[] = [];
      await assert.rejects(
        runExport(
          { format: 'delta', out, db },
          {
            signal: ac.signal,
            progressIntervalMs: 10,
            onProgress: (p) => {
              seen.push(p);
              if (p.rowsDone > 70_000) ac.abort();
            },
          },
        ),
        (err: ExportError) => err.code === 'cancelled',
      );
      const last = seen.at(-1)!;
      assert.ok(last.rowsDone > 0 && last.rowsDone < last.rowsTotal, 'aborted mid-way');
    };
    const fresh = join(dir, 'fresh');
    await cancelAt(fresh);
    assert.equal(existsSync(fresh), false);
    assert.deepEqual(
      readdirSync(dir).filter((n) => !n.startsWith('vi.db')),
      [],
      'no staging folder left',
    );
    // An existing table: the cancelled append leaves exactly the files it had.
    const small = join(dir, 'small.db');
    createDb(small, edgeRows());
    const table = join(dir, 'table');
    await runExport({ format: 'delta', out: table, db: small });
    const before = listFiles(table);
    await cancelAt(table);
    assert.deepEqual(listFiles(table), before);
    assert.equal(readWithDeltaRs(table).version, 0);
  });
});

function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}
