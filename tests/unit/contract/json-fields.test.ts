import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cellOf,
  cellsOf,
  compareCells,
  fieldPaths,
  lookupField,
  parseColumnList,
  parseJsonValue,
  type Cell,
} from '../../../contract/json-fields.js';

const trade = {
  symbol: 'AAPL',
  price: 191.25,
  volume: 300,
  context: { session: 'regular', weather: { temp_c: 4.5 } },
  legs: [{ price: 1 }, { price: 2 }],
  flag: false,
  none: null,
};

describe('JSON fields as columns', () => {
  it('extracts flat, nested and array-index paths exactly', () => {
    assert.equal(lookupField(trade, ['symbol']), 'AAPL');
    assert.equal(lookupField(trade, ['context', 'session']), 'regular');
    assert.equal(lookupField(trade, ['context', 'weather', 'temp_c']), 4.5);
    assert.equal(lookupField(trade, ['legs', '1', 'price']), 2);
    assert.deepEqual(
      cellsOf(trade, ['price', 'context.session', 'flag', 'none']).map((c) => c.text),
      ['191.25', 'regular', 'false', 'null'],
    );
    assert.equal(cellOf(191.25).num, 191.25);
  });

  it('a missing path, a non-JSON or cut-short value, and inherited keys are empty, not errors', () => {
    assert.equal(cellsOf(trade, ['context.missing.deeper'])[0]!.empty, true);
    assert.equal(cellsOf(trade, ['symbol.length'])[0]!.empty, true);
    assert.equal(cellsOf(trade, ['toString'])[0]!.empty, true);
    assert.equal(cellsOf(trade, ['__proto__'])[0]!.empty, true);
    assert.equal(parseJsonValue('not json {'), undefined);
    assert.equal(parseJsonValue('{"a":1}', true), undefined);
    assert.equal(parseJsonValue(null), undefined);
    assert.deepEqual(
      cellsOf(parseJsonValue('plain text'), ['symbol']).map((c) => c.empty),
      [true],
    );
    assert.deepEqual(cellsOf(parseJsonValue('42'), ['a']), [{ text: '', num: null, empty: true }]);
  });

  it('objects show as JSON, cut at the cell cap', () => {
    assert.equal(cellsOf(trade, ['context.weather'])[0]!.text, '{"temp_c":4.5}');
    const long = cellOf('x'.repeat(10_000));
    assert.equal(long.text.length, 200);
    assert.ok(long.text.endsWith('…'));
  });

  it('sorts numbers numerically, then text by code points, empties last both ways', () => {
    const cells: Cell[] = [
      cellOf(10),
      cellOf(undefined),
      cellOf('b'),
      cellOf(9.5),
      cellOf('B'),
      cellOf(-1),
      cellOf(undefined),
      cellOf('a'),
    ];
    const asc = [...cells].sort((x, y) => compareCells(x, y, 'asc')).map((c) => c.text);
    assert.deepEqual(asc, ['-1', '9.5', '10', 'B', 'a', 'b', '', '']);
    const desc = [...cells].sort((x, y) => compareCells(x, y, 'desc')).map((c) => c.text);
    assert.deepEqual(desc, ['b', 'a', 'B', '10', '9.5', '-1', '', '']);
    // Numbers inside strings are text (as the value holds them), not numbers.
    assert.equal(compareCells(cellOf('10'), cellOf('9'), 'asc') < 0, true);
  });

  it('reads a typed column list and refuses what is not a path', () => {
    assert.deepEqual(parseColumnList(' symbol, price ,context.session,,price'), [
      'symbol',
      'price',
      'context.session',
    ]);
    assert.throws(() => parseColumnList('a b'), /dotted path/);
    assert.throws(() => parseColumnList('a..b'), /dotted path/);
    assert.throws(() => parseColumnList(Array.from({ length: 21 }, (_, i) => `f${i}`).join(',')));
  });

  it('offers the paths found in a value, nested ones dotted, bounded', () => {
    assert.deepEqual(fieldPaths(trade), [
      'symbol',
      'price',
      'volume',
      'legs',
      'flag',
      'none',
      'context.session',
      'context.weather.temp_c',
    ]);
    assert.deepEqual(fieldPaths('text'), []);
    assert.equal(
      fieldPaths(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]))).length,
      50,
    );
    assert.deepEqual(fieldPaths({ 'bad key': 1, ok: 2 }), ['ok']);
  });
});
