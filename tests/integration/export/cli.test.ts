import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { UsageError, type CliContext } from '../../../main/shells/cli/command.js';
import { exportCommand, parseExportArgs, progressText } from '../../../main/shells/cli/export.js';
import { baseRow, createDb, tempDir } from './support.js';

function fakeContext(
  options: { tty?: boolean; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty ?? false, columns: 100 });
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  stderr.on('data', (d: Buffer) => err.push(d.toString()));
  const ctx: CliContext = {
    stdout,
    stderr,
    env: options.env ?? {},
    signal: options.signal ?? new AbortController().signal,
  };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
}

describe('volatility-insight export (CLI)', () => {
  it('exports with the flags and prints a summary', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({}), baseRow({ symbol: 'MSFT', kafka_offset: 1 })]);
    const out = join(dir, 'x.csv');
    const f = fakeContext();
    const code = await exportCommand.run(
      ['--format', 'csv', '--out', out, '--db', db, '--symbols', 'MSFT'],
      f.ctx,
    );
    assert.equal(code, 0, f.err());
    assert.match(f.out(), /exported 1 rows to .*x\.csv/);
    assert.equal(readFileSync(out, 'utf8').split('\n').length, 3);
  });

  it('takes the database from VI_DB and the format from the extension', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const out = join(dir, 'x.parquet');
    const f = fakeContext({ env: { VI_DB: db }, tty: true });
    assert.equal(await exportCommand.run(['--out', out], f.ctx), 0, f.err());
    assert.equal(readFileSync(out).subarray(0, 4).toString(), 'PAR1');
  });

  it('says so when nothing matched, and still writes the header', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const out = join(dir, 'x.csv');
    const f = fakeContext();
    const code = await exportCommand.run(['--out', out, '--db', db, '--from', '2030-01-01'], f.ctx);
    assert.equal(code, 0);
    assert.match(
      f.err(),
      /0 rows matched \(check --symbols, --from, --to\); wrote a header-only CSV/,
    );
    assert.ok(existsSync(out));
  });

  it('a missing --db: exit 1, a message naming the fix, no file created', async (t) => {
    const dir = tempDir(t);
    const f = fakeContext();
    const db = join(dir, 'nope.db');
    const code = await exportCommand.run(['--out', join(dir, 'x.csv'), '--db', db], f.ctx);
    assert.equal(code, 1);
    assert.match(f.err(), /does not exist.*\(pass --db FILE or set VI_DB\)/);
    assert.equal(existsSync(db), false);
  });

  it('Ctrl-C (the context signal) cancels with exit 130 and no file', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const ac = new AbortController();
    ac.abort();
    const f = fakeContext({ signal: ac.signal });
    const out = join(dir, 'x.csv');
    assert.equal(await exportCommand.run(['--out', out, '--db', db], f.ctx), 130);
    assert.match(f.err(), /cancelled/);
    assert.equal(existsSync(out), false);
  });

  it('bad arguments are usage errors', () => {
    const bad = [
      [],
      ['--out', 'x.txt'],
      ['--out', 'x.csv', '--format', 'xlsx'],
      ['--out', 'x.parquet', '--bom'],
      ['--out', 'x.csv', '--symbols', ','],
      ['--out', 'x.csv', 'extra'],
      ['--out', 'x.csv', '--nope'],
    ];
    for (const argv of bad) assert.throws(() => parseExportArgs(argv), UsageError, argv.join(' '));
    assert.deepEqual(parseExportArgs(['--out', 'a.CSV', '--symbols', 'AAPL, MSFT']), {
      selection: {
        format: 'csv',
        symbols: ['AAPL', 'MSFT'],
        from: undefined,
        to: undefined,
        bom: false,
        crlf: false,
      },
      out: resolve('a.CSV'),
      db: undefined,
    });
    assert.throws(
      () => parseExportArgs(['--out', 'a.csv', '--from', '2025-07-08', '--to', '2025-07-07']),
      /--from must be before --to/,
    );
  });

  it('an invalid --from is a usage error', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'vi.db');
    createDb(db, [baseRow({})]);
    const f = fakeContext();
    await assert.rejects(
      exportCommand.run(['--out', join(dir, 'x.csv'), '--db', db, '--from', 'monday'], f.ctx),
      UsageError,
    );
  });

  it('progress text: rows, rate and time left', () => {
    const p = {
      phase: 'writing' as const,
      rowsDone: 250_000,
      rowsTotal: 1_000_000,
      rowsPerSec: 125_000,
      etaMs: 6000,
      elapsedMs: 2000,
      bytesWritten: 1,
    };
    assert.equal(progressText(p, 0), ' 25%  250,000/1,000,000 rows  125,000 rows/s  6s left');
    assert.equal(progressText(p, 8).slice(0, 11), '[##------] ');
  });
});
