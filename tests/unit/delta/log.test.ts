import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CommitConflictError, LOG_DIR, readCommit, writeCommit } from '../../../main/delta/log.js';
import { escapePartitionValue, pathToUri, uriToPath, utcDate } from '../../../main/delta/schema.js';
import { loadSnapshot } from '../../../main/delta/snapshot.js';
import {
  ConcurrentWriterError,
  commitActions,
  newMetaData,
  txnAction,
} from '../../../main/delta/table-writer.js';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vi-delta-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const add = (path: string) => ({
  add: { path, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true },
});

describe('Delta log', () => {
  it('a version is created once: the second writer gets CommitConflictError, no temp file left', (t) => {
    const table = tmp(t);
    writeCommit(table, 0, [{ commitInfo: { who: 'first' } }]);
    assert.throws(
      () => writeCommit(table, 0, [{ commitInfo: { who: 'second' } }]),
      CommitConflictError,
    );
    assert.deepEqual(readCommit(table, 0), [{ commitInfo: { who: 'first' } }]);
    assert.deepEqual(readdirSync(join(table, LOG_DIR)), ['00000000000000000000.json']);
  });

  it('an append that lost its version retries on the next; another sink with the same txn ids is refused', async (t) => {
    const table = tmp(t);
    const v0 = commitActions(table, -1, {
      actions: [],
      operation: 'CREATE TABLE',
      newTable: newMetaData('none'),
    });
    assert.equal(v0, 0);
    // Two writers read version 0; the first wins version 1.
    commitActions(table, 0, {
      actions: [add('a.parquet'), txnAction('sink/0', 10)],
      operation: 'WRITE',
    });
    // A plain append (an export) retries on version 2.
    assert.equal(commitActions(table, 0, { actions: [add('b.parquet')], operation: 'WRITE' }), 2);
    // A second sink (same application ids) is refused plainly.
    assert.throws(
      () =>
        commitActions(table, 0, {
          actions: [add('c.parquet'), txnAction('sink/0', 12)],
          operation: 'WRITE',
          ownAppIds: (id) => id.startsWith('sink/'),
        }),
      ConcurrentWriterError,
    );
    const snap = (await loadSnapshot(table))!;
    assert.equal(snap.version, 2);
    assert.deepEqual([...snap.files.keys()].sort(), ['a.parquet', 'b.parquet']);
    assert.equal(snap.txns.get('sink/0')?.version, 10);
  });

  it('partition values are escaped in folder names and percent-encoded in log paths', () => {
    assert.equal(escapePartitionValue('^GSPC'), '%5EGSPC');
    assert.equal(escapePartitionValue('ES=F'), 'ES%3DF');
    assert.equal(escapePartitionValue('BRK.B'), 'BRK.B');
    assert.equal(escapePartitionValue('Zü'), 'Z%C3%BC');
    const rel = 'date=2025-07-07/symbol=%5EGSPC/part-1.parquet';
    assert.equal(pathToUri(rel), 'date=2025-07-07/symbol=%255EGSPC/part-1.parquet');
    assert.equal(uriToPath(pathToUri(rel)), rel);
    assert.equal(utcDate(-1), '1969-12-31');
  });
});
