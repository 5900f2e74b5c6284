import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { insertSampleTrades } from '../../../bench/sample-data.js';
import type { ExportProgress } from '../../../contract/export.js';
import { ExportError } from '../../../main/export/errors.js';
import { runExport } from '../../../main/export/export-job.js';
import { explainExportQuery } from '../../../main/export/query.js';
import { openDatabase } from '../../../main/store/open-database.js';
import { baseRow, createDb, tempDir } from './support.js';

function bigDb(file: string, rows: number): void {
  const db = openDatabase(file, { readonly: false });
  insertSampleTrades(db, rows);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

async function exportError(p: Promise<unknown>): Promise<ExportError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ExportError, `expected an ExportError, got ${String(err)}`);
    return err;
  }
  assert.fail('the export should have failed');
}

/** Files in `dir` other than the SQLite database and its WAL/SHM. */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => !f.startsWith('vi.db'));
}

describe('export failures and cancel', { timeout: 120_000 }, () => {
  for (const format of ['csv', 'parquet'] as const) {
    it(`${format}: cancel mid-way leaves no file, not even the temporary one`, async (t) => {
      const dir = tempDir(t);
      const db = join(dir, 'vi.db');
      bigDb(db, 150_000);
      const ac = new AbortController();
      const seen: ExportProgress[] = [];
      const err = await exportError(
        runExport(
          { format, out: join(dir, `out.${format}`), db },
          {
            signal: ac.signal,
            progressIntervalMs: 10,
            rowGroupSize: 8192,
            onProgress: (p) => {
              seen.push(p);
              if (p.rowsDone > 20_000) ac.abort();
            },
          },
        ),
      );
      assert.equal(err.code, 'cancelled');
      const last = seen.at(-1)!;
      assert.ok(last.rowsDone > 0 && last.rowsDone < last.rowsTotal, 'aborted mid-way');
      assert.equal(last.rowsTotal, 150_000);
      assert.deepEqual(leftovers(dir), []);
    });

    it(`${format}: disk full (injected ENOSPC) leaves no file and says what to do`, async (t) => {
      const dir = tempDir(t);
      const db = join(dir, 'vi.db');
      bigDb(db, 30_000);
      let written = 0;
      const err = await exportError(
        runExport(
          { format, out: join(dir, `out.${format}`), db },
          {
            rowGroupSize: 4096,
            io: {
              writeSync: (_fd, data) => {
                written += data.length;
                if (written > 300_000) {
                  throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
                    code: 'ENOSPC',
                  });
                }
                return data.length;
              },
            },
          },
        ),
      );
      assert.equal(err.code, 'disk-full');
      assert.match(err.message, /no space left.*free some disk space or export to another disk/);
      assert.deepEqual(leftovers(dir), []);
    });
  }

  it('a failing fsync leaves no file', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const err = await exportError(
      runExport(
        { format: 'csv', out: join(dir, 'out.csv'), db },
        {
          io: {
            fsyncSync: () => {
              throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
            },
          },
        },
      ),
    );
    assert.equal(err.code, 'io');
    assert.deepEqual(leftovers(dir), []);
  });

  it('an unwritable destination is refused with what to do, leaving nothing', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const missing = await exportError(
      runExport({ format: 'csv', out: join(dir, 'no-such-dir', 'out.csv'), db }),
    );
    assert.equal(missing.code, 'unwritable');
    assert.match(missing.message, /folder does not exist/);

    writeFileSync(join(dir, 'plain-file'), 'x');
    const underFile = await exportError(
      runExport({ format: 'parquet', out: join(dir, 'plain-file', 'out.parquet'), db }),
    );
    assert.equal(underFile.code, 'unwritable');

    mkdirSync(join(dir, 'a-folder'));
    const isDir = await exportError(runExport({ format: 'csv', out: join(dir, 'a-folder'), db }));
    assert.equal(isDir.code, 'unwritable');
    assert.match(isDir.message, /is a folder/);
    assert.deepEqual(leftovers(dir).sort(), ['a-folder', 'plain-file']);
    assert.deepEqual(readdirSync(join(dir, 'a-folder')), []);
  });

  it('a missing database is reported and not created', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'missing.db');
    const err = await exportError(runExport({ format: 'csv', out: join(dir, 'out.csv'), db }));
    assert.equal(err.code, 'db-not-found');
    assert.equal(existsSync(db), false);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a database without the enriched_trades table is refused', async (t) => {
    const dir = tempDir(t);
    const other = join(dir, 'other.sqlite');
    new Database(other).exec('CREATE TABLE x (a)').close();
    const err = await exportError(
      runExport({ format: 'csv', out: join(dir, 'out.csv'), db: other }),
    );
    assert.equal(err.code, 'db-error');
    assert.match(err.message, /not a Volatility Insight database/);
  });

  it('rejects a bad request before touching anything', async () => {
    const bad = await exportError(
      runExport({ format: 'csv', out: 'x.csv', db: 'x.db', from: '2025-13-01' }),
    );
    assert.equal(bad.code, 'invalid-request');
    const reversed = await exportError(
      runExport({ format: 'csv', out: 'x.csv', db: 'x.db', from: '2025-07-08', to: '2025-07-07' }),
    );
    assert.match(reversed.message, /from must be before to/);
  });

  it('replaces an existing file only when the new one is complete', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const out = join(dir, 'out.csv');
    writeFileSync(out, 'old');
    const ac = new AbortController();
    ac.abort();
    await exportError(runExport({ format: 'csv', out, db }, { signal: ac.signal }));
    assert.equal(readFileSync(out, 'utf8'), 'old');
    await runExport({ format: 'csv', out, db });
    assert.match(readFileSync(out, 'utf8'), /^timestamp,symbol/);
  });

  it('the export query streams from the (ts, symbol, kafka_offset) index with every filter', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'vi.db');
    createDb(file, [baseRow({})]);
    const db = openDatabase(file, { readonly: true });
    t.after(() => db.close());
    const filters = [
      {},
      { symbols: ['AAPL', 'MSFT'] },
      { symbols: ['AAPL'] },
      { fromMs: 1, toMs: 2 },
      { symbols: ['AAPL', 'MSFT'], fromMs: 1 },
      { symbols: ['AAPL'], fromMs: 1, toMs: 2 },
    ];
    for (const filter of filters) {
      const plan = explainExportQuery(db, filter);
      const text = JSON.stringify({ filter, plan });
      assert.match(plan[0]!, /USING INDEX enriched_trades_export_order/, text);
      if (filter.fromMs !== undefined) assert.match(plan[0]!, /\(ts>\?/, text);
      // Only ties on the leading keys are sorted (tiny); never the whole selection.
      for (const step of plan.slice(1)) {
        assert.match(
          step,
          /^USE TEMP B-TREE FOR (LAST TERM|LAST \d TERMS|RIGHT PART) OF ORDER BY$/,
          text,
        );
      }
    }
  });
});
