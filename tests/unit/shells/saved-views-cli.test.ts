import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MessageRecord } from '../../../contract/messages.js';
import { SAVED_VIEWS_FORMAT, SavedViewsDocumentSchema } from '../../../contract/saved-views.js';
import { main } from '../../../main/shells/cli.js';
import {
  columnsTable,
  columnValues,
  formatTime,
  shellWord,
} from '../../../main/shells/cli/record-view.js';
import { runCli } from '../../support/cli.js';
import { tempDir } from '../../support/jvm-broker.js';

const home = tempDir('vi-views-cli-');
after(() => home.cleanup());
const env = { VI_HOME: home.path, VI_DB: join(home.path, 'vi.db') };
const cli = (...argv: string[]) => runCli(main, argv, env);

function record(offset: number, value: string | null): MessageRecord {
  return {
    partition: 0,
    offset,
    timestamp: Date.UTC(2026, 0, 5, 14, 30, 0, 5),
    timestampType: 'create',
    key: { encoding: 'text', text: 'K', bytes: 1, truncated: false },
    headers: [],
    size: 10,
    value:
      value === null
        ? null
        : {
            encoding: value.startsWith('{') ? 'json' : 'text',
            text: value,
            bytes: value.length,
            truncated: false,
          },
  };
}

describe('views CLI', () => {
  it('a view saved in one run is listed and shown by the next ones (restart)', async () => {
    const saved = await cli(
      'views',
      'save',
      'AAPL highs',
      '--topic',
      'stock_prices',
      '--partitions',
      '1,0',
      '--from',
      'oldest',
      '--filter',
      'symbol = AAPL and price > 300',
      '--columns',
      'symbol, price ,context.session',
      '--tz',
      'local',
    );
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /messages --view 'AAPL highs'/);

    const list = await cli('views', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /AAPL highs\s+stock_prices\s+0,1\s+oldest\s+symbol = AAPL and price > 300\s+symbol,price,context.session\s+local/,
    );
    const show = await cli('views', 'show', 'AAPL highs', '--json');
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual(JSON.parse(show.stdout).columns, ['symbol', 'price', 'context.session']);

    const again = await cli('views', 'save', 'AAPL highs', '--topic', 'x');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already .*views save --replace overwrites it/);
    assert.equal((await cli('views', 'save', 'AAPL highs', '--topic', 'x', '--replace')).code, 0);
    assert.match((await cli('views', 'show', 'AAPL highs')).stdout, /topic:\s+x\n/);
  });

  it('renames, deletes, and says when a view does not exist', async () => {
    assert.equal((await cli('views', 'save', 'old', '--topic', 't')).code, 0);
    const renamed = await cli('views', 'rename', 'old', 'new');
    assert.equal(renamed.stdout, 'renamed view "old" to "new"\n');
    const missing = await cli('views', 'delete', 'old');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no saved view named "old"/);
    assert.equal((await cli('views', 'delete', 'new')).stdout, 'deleted view "new"\n');
    const read = await cli('messages', '--view', 'new');
    assert.equal(read.code, 1);
    assert.match(read.stderr, /no saved view named "new" \(see: volatility-insight views list\)/);
  });

  it('exports to a file and imports it: skip by default, rename, report invalid views', async () => {
    const out = join(home.path, 'views.json');
    assert.equal(
      (await cli('views', 'save', 'shared', '--topic', 't', '--filter', 'a = 1')).code,
      0,
    );
    const exported = await cli('views', 'export', 'shared', '--out', out);
    assert.equal(exported.code, 0, exported.stderr);
    const document = SavedViewsDocumentSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.deepEqual(
      document.views.map((v) => v.name),
      ['shared'],
    );

    const skipped = await cli('views', 'import', out);
    assert.equal(skipped.code, 0);
    assert.match(skipped.stdout, /skipped "shared": a saved view of that name exists/);
    const renamed = await cli('views', 'import', out, '--on-conflict', 'rename');
    assert.match(renamed.stdout, /imported "shared" as "shared \(2\)"/);

    const mixed = join(home.path, 'mixed.json');
    writeFileSync(
      mixed,
      JSON.stringify({
        ...document,
        views: [
          { name: 'fine', topic: 't' },
          { name: 'broken', topic: 't', filter: 'price >' },
        ],
      }),
    );
    const r = await cli('views', 'import', mixed);
    assert.equal(r.code, 1, 'an invalid view makes the exit code 1');
    assert.match(r.stdout, /imported "fine"/);
    assert.match(r.stdout, /invalid view #2 "broken": filter: the filter does not parse/);
    assert.match(r.stdout, /1 imported, 0 skipped, 1 invalid/);
  });

  it('refuses hostile import files with one line saying why', async () => {
    const write = (name: string, text: string) => {
      const p = join(home.path, name);
      writeFileSync(p, text);
      return p;
    };
    const cases: [string, RegExp][] = [
      [write('not.json', '{"format": '), /is not JSON/],
      [
        write('fmt.json', JSON.stringify({ format: 'x', version: 1, views: [] })),
        /not a saved-views document/,
      ],
      [
        write('ver.json', JSON.stringify({ format: SAVED_VIEWS_FORMAT, version: 9, views: [] })),
        /version 9 is not one this app reads/,
      ],
      [
        write(
          'many.json',
          JSON.stringify({
            format: SAVED_VIEWS_FORMAT,
            version: 1,
            exportedAt: '2026-01-05T00:00:00.000Z',
            views: Array.from({ length: 10_000 }, (_, i) => ({ name: `v${i}`, topic: 't' })),
          }),
        ),
        /holds 10000 views; at most 1000/,
      ],
      [write('huge.json', ' '.repeat(4 * 768 * 1024 + 1)), /bytes; a saved-views file is at most/],
      [join(home.path, 'absent.json'), /cannot read .*ENOENT/],
    ];
    for (const [file, pattern] of cases) {
      const r = await cli('views', 'import', file);
      assert.equal(r.code, 1, file);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    }
  });

  it('bad arguments are usage errors (exit 2)', async () => {
    for (const argv of [
      ['views'],
      ['views', 'drop', 'x'],
      ['views', 'save', 'x'],
      ['views', 'save', 'x', '--topic', 't', '--filter', 'price >'],
      ['views', 'save', 'x', '--topic', 't', '--columns', 'a..b'],
      ['views', 'save', 'x', '--topic', 't', '--tz', 'mars'],
      ['views', 'save', 'x', '--topic', 't', '--partitions', 'one'],
      ['views', 'save', 'a\u001bb', '--topic', 't'],
      ['views', 'rename', 'x'],
      ['views', 'list', '--replace'],
      ['views', 'import', 'f', '--on-conflict', 'merge'],
      ['messages'],
      ['messages', '--view', 'x', '--tz', 'mars'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    }
  });
});

describe('messages output with columns and time zones', () => {
  it('formats times in UTC or local time with the offset', () => {
    const ms = Date.UTC(2026, 0, 5, 14, 30, 0, 5);
    assert.equal(formatTime(ms, 'utc'), '2026-01-05T14:30:00.005Z');
    const local = formatTime(ms, 'local');
    assert.match(local, /^2026-01-0\dT\d\d:\d\d:00\.005[+-]\d\d:\d\d$/);
    assert.equal(Date.parse(local), ms, 'the local time names the same instant');
  });

  it('shows JSON columns as a table; missing fields and non-JSON values show -', () => {
    const records = [
      record(1, '{"symbol":"AAPL","price":301.5,"context":{"session":"regular"}}'),
      record(2, '{"symbol":"MSFT"}'),
      record(3, 'plain text'),
      record(4, null),
    ];
    const table = columnsTable(records, {
      timeZone: 'utc',
      columns: ['symbol', 'price', 'context.session'],
    });
    assert.deepEqual(table.split('\n').slice(0, 5), [
      'TIME                      PARTITION/OFFSET  KEY  symbol  price  context.session',
      '2026-01-05T14:30:00.005Z  0/1               K    AAPL    301.5  regular',
      '2026-01-05T14:30:00.005Z  0/2               K    MSFT    -      -',
      '2026-01-05T14:30:00.005Z  0/3               K    -       -      -',
      '2026-01-05T14:30:00.005Z  0/4               K    -       -      -',
    ]);
    assert.deepEqual(columnValues(records[0]!, ['price', 'context', 'nope']), {
      price: 301.5,
      context: { session: 'regular' },
      nope: null,
    });
  });

  it('quotes view names for the shell only when needed', () => {
    assert.equal(shellWord('daily'), 'daily');
    assert.equal(shellWord("Bob's view"), `'Bob'\\''s view'`);
  });
});
