import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  linkSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExportError } from '../../../main/export/errors.js';
import { runExport } from '../../../main/export/export-job.js';
import { baseRow, createDb, readDb, tempDir } from './support.js';

async function exportError(p: Promise<unknown>): Promise<ExportError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ExportError, `expected an ExportError, got ${String(err)}`);
    return err;
  }
  assert.fail('the export should have failed');
}

function backdate(file: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  utimesSync(file, then, then);
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('export destinations', () => {
  it('refuses to write over the database or its -wal/-shm files, under any name', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({}), baseRow({ kafka_offset: 1 })]);
    const before = readFileSync(db);
    const names = [
      db,
      join(dir, '.', 'sub', '..', 'vi.db'),
      `${db}-wal`,
      `${db}-shm`,
      `${db}-journal`,
    ];
    if (process.platform !== 'win32') {
      symlinkSync(db, join(dir, 'link-to-db.csv'));
      linkSync(db, join(dir, 'hard-link.csv'));
      symlinkSync(dir, join(dir, 'same-folder'));
      names.push(
        join(dir, 'link-to-db.csv'),
        join(dir, 'hard-link.csv'),
        join(dir, 'same-folder', 'vi.db'),
        join(dir, 'same-folder', 'vi.db-wal'),
      );
    }
    for (const out of names) {
      for (const format of ['csv', 'parquet'] as const) {
        const err = await exportError(runExport({ format, out, db }));
        assert.equal(err.code, 'invalid-request', `${out}: ${err.message}`);
        assert.match(err.message, /is the database being exported .*choose another file name/);
      }
    }
    assert.deepEqual(readFileSync(db), before, 'the database is untouched');
    assert.equal(readDb(db).length, 2);
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.partial')));
    // A neighbour with a similar name is fine.
    await runExport({ format: 'csv', out: `${db}.csv`, db });
    assert.match(readFileSync(`${db}.csv`, 'utf8'), /^timestamp,symbol/);
  });

  it('removes temporary files that killed exports left, never a live one', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const dead = await deadPid();
    const min = 60_000;
    const files = {
      // Untouched for an hour: stale whoever wrote it.
      oldAnyone: [`.vi-export-${process.pid}-0123abcd.partial`, 60 * min],
      // The naming of earlier versions, left by a killed export.
      oldFormat: [`.out.csv.${dead}.0badf00d.partial`, 60 * min],
      // Its writer's pid is gone here and it has not been touched for 5 minutes.
      orphan: [`.vi-export-${dead}-deadbeef.partial`, 5 * min],
      // Live exports: written just now (here, or by a process on another machine).
      liveHere: [`.vi-export-${process.pid}-12345678.partial`, 0],
      liveElsewhere: [`.vi-export-${dead}-87654321.partial`, 10_000],
      // Not an export's temporary file at all.
      unrelated: ['.notes.partial', 60 * min],
    } as const;
    for (const [name, age] of Object.values(files)) {
      writeFileSync(join(dir, name), 'partial rows');
      backdate(join(dir, name), age);
    }
    await runExport({ format: 'csv', out: join(dir, 'out.csv'), db });
    const left = readdirSync(dir);
    for (const key of ['oldAnyone', 'oldFormat', 'orphan'] as const) {
      assert.ok(!left.includes(files[key][0]), `${key} was removed`);
    }
    for (const key of ['liveHere', 'liveElsewhere', 'unrelated'] as const) {
      assert.ok(left.includes(files[key][0]), `${key} was kept`);
    }
    assert.ok(existsSync(join(dir, 'out.csv')));
  });

  it("the temporary file has a short name, recognisable as an export's", async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    let seen: { name: string } | undefined;
    await runExport(
      { format: 'csv', out: join(dir, 'out.csv'), db },
      {
        onProgress: () => {
          const name = readdirSync(dir).find((f) => f.endsWith('.partial'));
          if (name && !seen) seen = { name };
        },
      },
    );
    assert.ok(seen, 'the temporary file existed during the export');
    assert.match(seen.name, /^\.vi-export-\d+-[0-9a-f]{8}\.partial$/);
  });

  it('writes files whose names are as long as the file system allows (255 bytes)', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const names = [
      `${'x'.repeat(251)}.csv`, // 255 bytes
      `${'é'.repeat(121)}.parquet`, // 242 + 8 = 250 bytes
    ];
    for (const name of names) {
      const format = name.endsWith('.csv') ? 'csv' : 'parquet';
      const result = await runExport({ format, out: join(dir, name), db });
      assert.equal(result.rows, 1);
      assert.ok(statSync(join(dir, name)).size > 0, name);
    }
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.partial')),
      [],
    );
  });
});
