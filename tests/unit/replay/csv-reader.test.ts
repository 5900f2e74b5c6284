import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvParser, MAX_RECORD_CHARS, type CsvEvent } from '../../../main/replay/csv-reader.js';

/** Parses `text` fed in pieces of `step` characters (every split point must give the same). */
function parse(text: string, step = text.length): CsvEvent[] {
  const out: CsvEvent[] = [];
  const p = new CsvParser((e) => out.push(e));
  for (let i = 0; i < text.length; i += step) p.push(text.slice(i, i + step));
  p.finish();
  return out;
}

const records = (events: CsvEvent[]) =>
  events.map((e) => (e.kind === 'record' ? [e.line, ...e.fields] : ['bad', e.line, e.reason]));

describe('RFC 4180 CSV parser', () => {
  const text =
    '\ufeffa,b,c\r\n' +
    '1,"x, y",3\r\n' +
    '"say ""hi""",,"two\nlines"\n' +
    '\n' +
    '4,"",6\n' +
    'last,row,no-newline';

  it('reads quotes, doubled quotes, embedded line breaks, CRLF and LF, a BOM, blank lines', () => {
    assert.deepEqual(records(parse(text)), [
      [1, 'a', 'b', 'c'],
      [2, '1', 'x, y', '3'],
      [3, 'say "hi"', '', 'two\nlines'],
      [6, '4', '', '6'],
      [7, 'last', 'row', 'no-newline'],
    ]);
  });

  it('gives the same records and line numbers whatever the chunk boundaries', () => {
    const whole = records(parse(text));
    for (let step = 1; step <= 12; step++) assert.deepEqual(records(parse(text, step)), whole);
  });

  it('reports an unclosed quote at the end of the file with its line', () => {
    assert.deepEqual(records(parse('a,b\n1,2\n"open,3\n4,5\n')), [
      [1, 'a', 'b'],
      [2, '1', '2'],
      ['bad', 3, 'a quoted field is never closed'],
    ]);
  });

  it('keeps memory bounded: an over-long line is one bad row and parsing goes on', () => {
    const long = 'x'.repeat(MAX_RECORD_CHARS + 10);
    const events = parse(`a,b\n${long}\n1,2\n`, 65536);
    assert.deepEqual(
      records(events).map((r) => r.slice(0, 2)),
      [
        [1, 'a'],
        ['bad', 2],
        [3, '1'],
      ],
    );
  });
});
