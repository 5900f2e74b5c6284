import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  freeViewName,
  readSavedViewsDocument,
  SAVED_VIEWS_FORMAT,
  SAVED_VIEWS_IMPORT_MAX_BYTES,
  SAVED_VIEWS_IMPORT_MAX_VIEWS,
  SavedViewInputSchema,
  SavedViewsDocumentError,
  SavedViewsDocumentSchema,
  VIEW_NAME_MAX,
  ViewNameSchema,
} from '../../../contract/saved-views.js';
import { COMMANDS } from '../../../contract/service.js';

const view = (over: Record<string, unknown> = {}) => ({
  name: 'AAPL highs',
  topic: 'stock_prices',
  filter: 'symbol = AAPL and price > 300',
  columns: ['symbol', 'price', 'context.session'],
  ...over,
});

const doc = (views: unknown[], over: Record<string, unknown> = {}) => ({
  format: SAVED_VIEWS_FORMAT,
  version: 1,
  exportedAt: '2026-01-05T14:30:00.000Z',
  views,
  ...over,
});

/** The first issue's message of a failed parse. */
function reason(result: ReturnType<typeof SavedViewInputSchema.safeParse>): string {
  assert.equal(result.success, false);
  return result.success ? '' : (result.error.issues[0]?.message ?? '');
}

function refused(document: unknown, pattern: RegExp): void {
  assert.throws(
    () => readSavedViewsDocument(document),
    (err: unknown) => err instanceof SavedViewsDocumentError && pattern.test(err.message),
  );
}

describe('SavedViewInputSchema', () => {
  it('fills the defaults: newest, all partitions, no columns, UTC', () => {
    const v = SavedViewInputSchema.parse({ name: 'x', topic: 't' });
    assert.deepEqual(v, {
      name: 'x',
      topic: 't',
      start: { kind: 'newest' },
      columns: [],
      timeZone: 'utc',
    });
  });

  it('trims and NFC-normalizes names; case stays (names are case-sensitive)', () => {
    assert.equal(ViewNameSchema.parse('  Daily  '), 'Daily');
    assert.equal(ViewNameSchema.parse('Cafe\u0301'), 'Caf\u00e9');
    assert.notEqual(ViewNameSchema.parse('Daily'), ViewNameSchema.parse('daily'));
  });

  it('refuses empty, huge and control-character names, saying why', () => {
    assert.match(
      reason(SavedViewInputSchema.safeParse(view({ name: '   ' }))),
      /must not be empty/,
    );
    assert.match(
      reason(SavedViewInputSchema.safeParse(view({ name: 'x'.repeat(VIEW_NAME_MAX + 1) }))),
      /at most 100 characters/,
    );
    assert.match(
      reason(SavedViewInputSchema.safeParse(view({ name: 'y'.repeat(1_000_000) }))),
      /at most 100 characters/,
    );
    for (const hostile of [
      'a\nb',
      'a\tb',
      'red\u001b[31m',
      'a\u0000b',
      'a\u0085b',
      'evil\u202etxt.exe',
    ]) {
      assert.match(
        reason(SavedViewInputSchema.safeParse(view({ name: hostile }))),
        /control characters/,
        JSON.stringify(hostile),
      );
    }
    assert.equal(
      SavedViewInputSchema.safeParse(view({ name: 'x'.repeat(VIEW_NAME_MAX) })).success,
      true,
    );
    assert.equal(SavedViewInputSchema.safeParse(view({ name: 'Ünïcödé 視圖 📈' })).success, true);
  });

  it('checks the filter parses, the topic name, columns and the time zone', () => {
    assert.match(
      reason(SavedViewInputSchema.safeParse(view({ filter: 'price >' }))),
      /filter does not parse: .*no value/,
    );
    assert.match(
      reason(SavedViewInputSchema.safeParse(view({ filter: 'key > 3' }))),
      /filter does not parse: the key is tested with/,
    );
    assert.match(reason(SavedViewInputSchema.safeParse(view({ topic: 'no/slash' }))), /topic name/);
    assert.match(
      reason(SavedViewInputSchema.safeParse(view({ columns: ['a..b'] }))),
      /dotted path/,
    );
    assert.match(
      reason(SavedViewInputSchema.safeParse(view({ columns: ['a', 'a'] }))),
      /listed twice/,
    );
    assert.equal(SavedViewInputSchema.safeParse(view({ timeZone: 'Europe/Paris' })).success, false);
    assert.equal(SavedViewInputSchema.safeParse(view({ partitions: [] })).success, false);
    assert.equal(
      SavedViewInputSchema.safeParse(view({ start: { kind: 'offset', offset: -1 } })).success,
      false,
    );
    assert.equal(SavedViewInputSchema.safeParse(view({ owner: 'me' })).success, false, 'strict');
  });

  it('sorts and deduplicates partitions', () => {
    assert.deepEqual(
      SavedViewInputSchema.parse(view({ partitions: [2, 0, 2] })).partitions,
      [0, 2],
    );
  });
});

describe('readSavedViewsDocument', () => {
  it('reads a valid document, dropping the entries’ times', () => {
    const entries = readSavedViewsDocument(
      doc([view({ createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-02T00:00:00.000Z' })]),
    );
    assert.equal(entries.length, 1);
    const [e] = entries;
    assert.ok(e?.ok);
    if (e?.ok) {
      assert.equal(e.view.name, 'AAPL highs');
      assert.equal('createdAt' in e.view, false);
    }
  });

  it('refuses a wrong envelope as a whole, with the reason', () => {
    refused(null, /not a saved-views document/);
    refused([view()], /not a saved-views document/);
    refused('text', /not a saved-views document/);
    refused(
      doc([], { format: 'kafka-ui/filters' }),
      /"format" is "kafka-ui\/filters", expected "volatility-insight\/saved-views"/,
    );
    refused(doc([], { format: undefined }), /"format" is missing/);
    refused(doc([], { version: 2 }), /version 2 is not one this app reads \(it reads version 1\)/);
    refused(doc([], { version: '1' }), /version "1"/);
    refused(doc([], { views: undefined }), /no "views" list/);
    refused(doc([], { views: { a: view() } }), /no "views" list/);
  });

  it('refuses 10,000 views and a document over the byte cap', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ name: `v${i}`, topic: 't' }));
    refused(doc(many), new RegExp(`holds 10000 views; at most ${SAVED_VIEWS_IMPORT_MAX_VIEWS}`));
    const big = [view({ filter: 'x'.repeat(SAVED_VIEWS_IMPORT_MAX_BYTES) })];
    refused(doc(big), /bytes; at most 786432 bytes/);
  });

  it('reports each invalid entry with its index, name and reason; keeps the valid ones', () => {
    const entries = readSavedViewsDocument(
      doc([
        view({ name: 'good' }),
        view({ name: 'broken filter', filter: 'price >' }),
        view({ name: 'n'.repeat(5000) }),
        view({ name: 'bell\u0007' }),
        42,
        { name: 'no topic' },
        view({ name: 'extra', sql: 'DROP TABLE saved_views' }),
      ]),
    );
    assert.deepEqual(
      entries.map((e) => (e.ok ? ['ok', e.view.name] : [e.index, e.name?.length ?? null])),
      [
        ['ok', 'good'],
        [1, 13],
        [2, 100],
        [3, 5],
        [4, null],
        [5, 8],
        [6, 5],
      ],
    );
    const reasons = entries.flatMap((e) => (e.ok ? [] : [e.reason]));
    assert.match(reasons[0]!, /^filter: the filter does not parse/);
    assert.match(reasons[1]!, /^name: a view name has at most 100 characters/);
    assert.match(reasons[2]!, /^name: .*control characters/);
    assert.match(reasons[3]!, /object/);
    assert.match(reasons[4]!, /^topic: /);
    assert.match(reasons[5]!, /sql/);
    const bell = entries[3];
    assert.equal(bell && !bell.ok ? bell.name : '', 'bell?', 'the reported name is printable');
  });

  it('an export document parses back through the result schema', () => {
    const exported = doc([
      {
        ...SavedViewInputSchema.parse(view()),
        createdAt: '2026-01-05T14:30:00.000Z',
        updatedAt: '2026-01-05T14:30:00.000Z',
      },
    ]);
    assert.ok(SavedViewsDocumentSchema.safeParse(exported).success);
    assert.ok(COMMANDS['views.export'].result.safeParse(exported).success);
  });
});

describe('freeViewName', () => {
  it('appends the first free (n), cutting the name to stay within the limit', () => {
    const taken = new Set(['a', 'a (2)']);
    assert.equal(
      freeViewName('a', (n) => taken.has(n)),
      'a (3)',
    );
    const long = 'z'.repeat(VIEW_NAME_MAX);
    const free = freeViewName(long, () => false);
    assert.equal(free.length, VIEW_NAME_MAX);
    assert.ok(free.endsWith(' (2)'));
    assert.ok(ViewNameSchema.safeParse(free).success);
  });
});

describe('views commands', () => {
  it('are open to views and strict', () => {
    for (const name of [
      'views.list',
      'views.save',
      'views.rename',
      'views.delete',
      'views.export',
      'views.import',
    ] as const) {
      assert.equal(COMMANDS[name].access, 'view');
    }
    assert.equal(
      COMMANDS['views.save'].input.safeParse({ view: view(), force: true }).success,
      false,
    );
    assert.deepEqual(COMMANDS['views.import'].input.parse({ document: {} }).onConflict, 'skip');
  });
});
