import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { ServiceError } from '../../../contract/rpc.js';
import {
  SAVED_VIEWS_FORMAT,
  SavedViewInputSchema,
  type SavedViewInput,
} from '../../../contract/saved-views.js';
import { createLocalApi, VolatilityService } from '../../../main/service.js';
import { MIGRATIONS } from '../../../main/store/migrations.js';
import { openDatabase } from '../../../main/store/open-database.js';
import {
  exportViews,
  importViews,
  listViews,
  renameView,
  SavedViewsStore,
  saveView,
} from '../../../main/store/saved-views-store.js';
import { tempDir } from '../../support/jvm-broker.js';

const dir = tempDir('vi-saved-views-');
after(() => dir.cleanup());

let n = 0;
function freshDb(): Database.Database {
  return openDatabase(join(dir.path, `views-${++n}.db`));
}

const spec = (input: SavedViewInput) => SavedViewInputSchema.parse(input);
const T1 = new Date('2026-01-05T10:00:00.000Z');
const T2 = new Date('2026-01-05T11:00:00.000Z');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ServiceError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('saved views store', () => {
  it('migration 5 creates saved_views', () => {
    const db = freshDb();
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.ok(MIGRATIONS.length >= 5);
    const cols = (db.prepare('PRAGMA table_info(saved_views)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    assert.deepEqual(cols, ['name', 'topic', 'spec', 'created_at', 'updated_at']);
    db.close();
  });

  it('saves a view and reads every field back', () => {
    const db = freshDb();
    const saved = saveView(
      db,
      spec({
        name: 'AAPL highs',
        topic: 'stock_prices',
        partitions: [1, 0],
        start: { kind: 'timestamp', ts: Date.UTC(2026, 0, 5) },
        filter: 'symbol = AAPL and price > 300',
        columns: ['symbol', 'price', 'context.session'],
        timeZone: 'local',
      }),
      false,
      T1,
    );
    assert.deepEqual(saved, {
      name: 'AAPL highs',
      topic: 'stock_prices',
      partitions: [0, 1],
      start: { kind: 'timestamp', ts: Date.UTC(2026, 0, 5) },
      filter: 'symbol = AAPL and price > 300',
      columns: ['symbol', 'price', 'context.session'],
      timeZone: 'local',
      createdAt: T1.toISOString(),
      updatedAt: T1.toISOString(),
    });
    assert.deepEqual(listViews(db), [saved]);
    db.close();
  });

  it('lists per topic, sorted by name (case-sensitive: code point order)', () => {
    const db = freshDb();
    for (const [name, topic] of [
      ['b', 't1'],
      ['a', 't2'],
      ['B', 't1'],
      ['c', 't1'],
    ] as const) {
      saveView(db, spec({ name, topic }), false);
    }
    assert.deepEqual(
      listViews(db, 't1').map((v) => v.name),
      ['B', 'b', 'c'],
    );
    assert.deepEqual(
      listViews(db).map((v) => `${v.topic}/${v.name}`),
      ['t1/B', 't1/b', 't1/c', 't2/a'],
    );
    assert.deepEqual(listViews(db, 'none'), []);
    db.close();
  });

  it('refuses an existing name unless replace, which keeps createdAt; an empty filter is none', () => {
    const db = freshDb();
    saveView(db, spec({ name: 'v', topic: 't1', filter: 'x' }), false, T1);
    assert.match(
      code(() => saveView(db, spec({ name: 'v', topic: 't2' }), false, T2)),
      /^view-exists: a saved view named "v" exists already \(topic t1\)/,
    );
    const replaced = saveView(db, spec({ name: 'v', topic: 't2', filter: '  ' }), true, T2);
    assert.equal(replaced.topic, 't2');
    assert.equal(replaced.filter, undefined);
    assert.equal(replaced.createdAt, T1.toISOString());
    assert.equal(replaced.updatedAt, T2.toISOString());
    db.close();
  });

  it('renames (refusing a taken name) and deletes; a missing view is not-found', () => {
    const db = freshDb();
    saveView(db, spec({ name: 'a', topic: 't' }), false);
    saveView(db, spec({ name: 'b', topic: 't' }), false);
    assert.match(
      code(() => renameView(db, 'a', 'b')),
      /^view-exists: /,
    );
    assert.match(
      code(() => renameView(db, 'zz', 'c')),
      /^not-found: no saved view named "zz"/,
    );
    assert.equal(renameView(db, 'a', 'c', T2).updatedAt, T2.toISOString());
    assert.deepEqual(
      listViews(db).map((v) => v.name),
      ['b', 'c'],
    );
    db.close();
  });

  it('an unreadable stored spec is a db-error naming the view', () => {
    const db = freshDb();
    db.prepare(
      "INSERT INTO saved_views VALUES ('bad', 't', '{\"columns\": 5}', '2026-01-05T10:00:00.000Z', '2026-01-05T10:00:00.000Z')",
    ).run();
    assert.match(
      code(() => listViews(db)),
      /^db-error: saved view "bad" in the database is unreadable/,
    );
    db.close();
  });

  it('exports a document and imports it: skip, replace, rename; invalid entries reported', () => {
    const a = freshDb();
    saveView(a, spec({ name: 'x', topic: 't1', filter: 'symbol = AAPL' }), false, T1);
    saveView(a, spec({ name: 'y', topic: 't2', columns: ['price'] }), false, T1);
    const all = exportViews(a, {}, T2);
    assert.equal(all.format, SAVED_VIEWS_FORMAT);
    assert.equal(all.version, 1);
    assert.equal(all.exportedAt, T2.toISOString());
    assert.deepEqual(
      all.views.map((v) => v.name),
      ['x', 'y'],
    );
    assert.deepEqual(
      exportViews(a, { topic: 't2' }).views.map((v) => v.name),
      ['y'],
    );
    assert.match(
      code(() => exportViews(a, { names: ['x', 'nope'] })),
      /^not-found: .*"nope"/,
    );

    const b = freshDb();
    saveView(b, spec({ name: 'x', topic: 'other' }), false, T1);
    const hostile = {
      ...all,
      views: [
        ...all.views,
        { name: 'bad\u001b', topic: 't' },
        { name: 'f', topic: 't', filter: 'price >' },
      ],
    };
    const skip = importViews(b, hostile, 'skip', T2);
    assert.deepEqual(skip.imported, ['y']);
    assert.deepEqual(skip.skipped, [{ name: 'x', reason: 'a saved view of that name exists' }]);
    assert.deepEqual(
      skip.invalid.map((i) => [i.index, i.name]),
      [
        [2, 'bad?'],
        [3, 'f'],
      ],
    );
    assert.match(skip.invalid[1]!.reason, /^filter: the filter does not parse/);
    assert.equal(listViews(b).find((v) => v.name === 'x')?.topic, 'other', 'skipped: unchanged');

    const renamed = importViews(b, all, 'rename', T2);
    assert.deepEqual(renamed.renamed, [
      { from: 'x', to: 'x (2)' },
      { from: 'y', to: 'y (2)' },
    ]);
    const replaced = importViews(b, all, 'replace', T2);
    assert.deepEqual(replaced.replaced, ['x', 'y']);
    const x = listViews(b).find((v) => v.name === 'x')!;
    assert.equal(x.topic, 't1');
    assert.equal(x.filter, 'symbol = AAPL');
    assert.equal(x.createdAt, T1.toISOString(), 'replacing keeps the createdAt');
    assert.deepEqual(
      listViews(b).map((v) => v.name),
      ['x', 'x (2)', 'y', 'y (2)'],
    );
    a.close();
    b.close();
  });

  it('a wrong document imports nothing: invalid-argument with the reason', () => {
    const db = freshDb();
    assert.match(
      code(() => importViews(db, { format: 'other', version: 1, views: [] }, 'skip')),
      /^invalid-argument: not a saved-views document/,
    );
    const many = Array.from({ length: 10_000 }, (_, i) => ({ name: `v${i}`, topic: 't' }));
    assert.match(
      code(() =>
        importViews(
          db,
          { format: SAVED_VIEWS_FORMAT, version: 1, exportedAt: T1.toISOString(), views: many },
          'skip',
        ),
      ),
      /^invalid-argument: the document holds 10000 views/,
    );
    assert.deepEqual(listViews(db), []);
    db.close();
  });

  it('reads of a database that does not exist answer empty without creating it', () => {
    const file = join(dir.path, 'absent.db');
    const store = new SavedViewsStore(file);
    assert.deepEqual(store.list(), []);
    assert.deepEqual(store.export({}).views, []);
    assert.match(
      code(() => store.delete('x')),
      /^not-found: /,
    );
    assert.match(
      code(() => store.rename('x', 'y')),
      /^not-found: /,
    );
    assert.equal(existsSync(file), false);
  });
});

describe('saved views survive a restart', () => {
  it('a view saved through one service is read by the next one on the same database', async () => {
    const db = join(dir.path, 'restart.db');
    const open = () => {
      const service = new VolatilityService({ env: { VI_HOME: dir.path }, db });
      return { service, api: createLocalApi(service, { trusted: false }) };
    };
    const first = open();
    await first.api.call('views.save', {
      view: { name: 'Daily', topic: 'stock_prices', filter: 'price > 1', columns: ['symbol'] },
    });
    await first.api.call('views.save', { view: { name: 'gone', topic: 'stock_prices' } });
    await first.api.call('views.delete', { name: 'gone' });
    await first.service.shutdown(5000);
    first.api.close();

    const second = open();
    const views = await second.api.call('views.list', { topic: 'stock_prices' });
    assert.deepEqual(
      views.map((v) => [v.name, v.filter, v.columns]),
      [['Daily', 'price > 1', ['symbol']]],
    );
    await assert.rejects(
      second.api.call('views.save', { view: { name: 'Daily', topic: 'x' } }),
      (err: unknown) => err instanceof ServiceError && err.code === 'view-exists',
    );
    await second.service.shutdown(5000);
    second.api.close();
  });
});
