import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { EXPORT_COLUMNS } from '../../../contract/export.js';
import { checkpointName, commitName, LOG_DIR } from '../../../main/delta/log.js';
import { optimizeTable, vacuumTable } from '../../../main/delta/maintenance.js';
import { loadSnapshot } from '../../../main/delta/snapshot.js';
import {
  DataFileSet,
  commitActions,
  newMetaData,
  txnAction,
} from '../../../main/delta/table-writer.js';
import type { RawRow } from '../../../main/export/query.js';
import { baseRow, tempDir, type TradeRow } from '../export/support.js';
import { canonical, readWithDeltaRs, requireDeltaRs } from './support.js';

const APP = (p: number) => `test-app/${p}`;

function raw(r: TradeRow): RawRow {
  return EXPORT_COLUMNS.map((c) => r[c === 'timestamp' ? 'ts' : c] as string | number | null);
}

/** A table of `commits` appends (a few small files each, txn per commit), like a sink makes. */
function buildTable(table: string, commits: number): TradeRow[] {
  const all: TradeRow[] = [];
  let version = commitActions(table, -1, {
    actions: [],
    operation: 'CREATE TABLE',
    newTable: newMetaData('date,symbol'),
  });
  let offset = 0;
  for (let c = 0; c < commits; c++) {
    const files = new DataFileSet(table, 'date,symbol');
    for (let i = 0; i < 30; i++) {
      const row = baseRow({
        ts: Date.UTC(2025, 6, 7 + (i % 2), 13, 30) + offset,
        symbol: ['AAPL', 'MSFT', '^GSPC'][i % 3]!,
        price: 100 + offset / 7,
        vol_1m: i % 4 === 0 ? null : offset / 1e6,
        kafka_offset: offset++,
        kafka_partition: i % 3,
      });
      files.push(raw(row));
      all.push(row);
    }
    version = commitActions(table, version, {
      actions: [
        ...files.finishFiles().map((add) => ({ add })),
        txnAction(APP(0), offset),
        txnAction(APP(c % 2), offset),
      ],
      operation: 'WRITE',
    });
  }
  return all;
}

function dataFilesOnDisk(table: string): string[] {
  return (readdirSync(table, { recursive: true }) as string[]).filter(
    (f) => f.endsWith('.parquet') && !f.startsWith(LOG_DIR),
  );
}

describe('Delta checkpoints, optimize and vacuum', { timeout: 120_000 }, () => {
  before(() => requireDeltaRs());

  it('a checkpointed table reads the same as the log replayed from version 0', async (t) => {
    const dir = tempDir(t);
    const table = join(dir, 'table');
    const rows = buildTable(table, 12);
    // The writers checkpoint every 10 commits (export, sink and optimize call maybeCheckpoint).
    const { maybeCheckpoint } = await import('../../../main/delta/checkpoint.js');
    assert.equal(await maybeCheckpoint(table, 9), false);
    assert.equal(await maybeCheckpoint(table, 10), true);
    assert.ok(existsSync(join(table, LOG_DIR, checkpointName(10))));
    const last = JSON.parse(readFileSync(join(table, LOG_DIR, '_last_checkpoint'), 'utf8'));
    assert.equal(last.version, 10);

    // Our reader: from the checkpoint and from zero, the same state.
    const fromCp = (await loadSnapshot(table))!;
    const fromZero = (await loadSnapshot(table, { fromZero: true }))!;
    assert.equal(fromCp.fromCheckpoint, 10);
    assert.equal(fromCp.version, 12);
    assert.deepEqual([...fromCp.files.keys()].sort(), [...fromZero.files.keys()].sort());
    assert.deepEqual(
      [...fromCp.txns.values()].map((x) => [x.appId, x.version]).sort(),
      [...fromZero.txns.values()].map((x) => [x.appId, x.version]).sort(),
    );

    // delta-rs: the table as is, a copy whose log before the checkpoint is gone (so only the
    // checkpoint can tell the state), and a copy without checkpoint (replayed from 0): the same.
    const appIds = [APP(0), APP(1)];
    const full = readWithDeltaRs(table, { appIds });
    const onlyCp = join(dir, 'only-checkpoint');
    cpSync(table, onlyCp, { recursive: true });
    for (let v = 0; v < 10; v++) rmSync(join(onlyCp, LOG_DIR, commitName(v)));
    const noCp = join(dir, 'no-checkpoint');
    cpSync(table, noCp, { recursive: true });
    rmSync(join(noCp, LOG_DIR, checkpointName(10)));
    rmSync(join(noCp, LOG_DIR, '_last_checkpoint'));
    const viaCp = readWithDeltaRs(onlyCp, { appIds });
    const replayed = readWithDeltaRs(noCp, { appIds });
    assert.deepEqual(canonical(full.rows), canonical(rows));
    assert.deepEqual(canonical(viaCp.rows), canonical(rows));
    assert.deepEqual(canonical(replayed.rows), canonical(rows));
    assert.deepEqual(viaCp.txn, { [APP(0)]: 360, [APP(1)]: 360 });
    assert.deepEqual(replayed.txn, viaCp.txn);
    assert.deepEqual(viaCp.partitionColumns, ['date', 'symbol']);
    assert.equal(viaCp.version, 12);
    // And our reader from the checkpoint alone.
    const ours = (await loadSnapshot(onlyCp))!;
    assert.equal(ours.files.size, fromZero.files.size);
  });

  it('optimize cuts the file count and vacuum deletes the old files; the content stays row for row', async (t) => {
    const dir = tempDir(t);
    const table = join(dir, 'table');
    const rows = buildTable(table, 8);
    const before = readWithDeltaRs(table, { appIds: [APP(0)] });
    assert.equal(before.files, 8 * 6); // 2 dates x 3 symbols per commit
    const r = await optimizeTable(table);
    assert.equal(r.filesRemoved, 48);
    assert.equal(r.filesAdded, 6);
    assert.equal(r.rows, rows.length);
    const optimized = readWithDeltaRs(table, { appIds: [APP(0)] });
    assert.equal(optimized.files, 6);
    assert.deepEqual(canonical(optimized.rows), canonical(rows));
    assert.deepEqual(optimized.txn, before.txn, 'optimize keeps the txn versions');
    assert.equal(optimized.history[0], 'OPTIMIZE');
    // Nothing left to compact.
    assert.equal((await optimizeTable(table)).version, null);
    // Old versions still read until vacuum; files stay on disk.
    assert.equal(dataFilesOnDisk(table).length, 54);
    // A retention longer than the files' age deletes nothing.
    assert.equal((await vacuumTable(table, 1)).filesDeleted, 0);
    const v = await vacuumTable(table, 0);
    assert.equal(v.filesDeleted, 48);
    assert.equal(dataFilesOnDisk(table).length, 6);
    const vacuumed = readWithDeltaRs(table);
    assert.deepEqual(canonical(vacuumed.rows), canonical(rows));
  });

  it("vacuum keeps a file never committed (a running writer's) younger than an hour", async (t) => {
    const dir = tempDir(t);
    const table = join(dir, 'table');
    const rows = buildTable(table, 1);
    const open = new DataFileSet(table, 'date,symbol');
    open.push(raw(rows[0]!));
    assert.equal((await vacuumTable(table, 0)).filesDeleted, 0);
    open.abort();
  });
});
