import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPORT_COLUMNS, parseExportInstant } from '../../../contract/export.js';
import { csvHeader, csvNumber, csvRow, csvString, csvTimestamp } from '../../../main/export/csv.js';
import type { RawRow } from '../../../main/export/query.js';

describe('CSV field formatting', () => {
  it('quotes only what RFC 4180 requires, doubling inner quotes', () => {
    assert.equal(csvString('AAPL'), 'AAPL');
    assert.equal(csvString('Tesla, Inc.'), '"Tesla, Inc."');
    assert.equal(csvString('say "hi"'), '"say ""hi"""');
    assert.equal(csvString('two\nlines'), '"two\nlines"');
    assert.equal(csvString('cr\rhere'), '"cr\rhere"');
    assert.equal(csvString('crlf\r\n'), '"crlf\r\n"');
    assert.equal(csvString('Zürich 東京'), 'Zürich 東京');
    assert.equal(csvString(' padded '), ' padded ');
  });

  it('writes an empty string as "" so it differs from null (an empty field)', () => {
    assert.equal(csvString(''), '""');
  });

  it('writes numbers as the shortest text that parses back to the same double', () => {
    assert.equal(csvNumber(1e-7), '1e-7');
    assert.equal(csvNumber(5e-324), '5e-324');
    assert.equal(csvNumber(1e-300), '1e-300');
    assert.equal(csvNumber(1.7976931348623157e308), '1.7976931348623157e+308');
    assert.equal(csvNumber(0.1 + 0.2), '0.30000000000000004');
    assert.equal(csvNumber(123456789012345680000), '123456789012345680000');
    assert.equal(csvNumber(1e21), '1e+21');
    assert.equal(csvNumber(-0), '-0');
    assert.equal(csvNumber(0), '0');
    assert.equal(csvNumber(42), '42');
    for (const x of [1e-7, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, Math.PI, -2.5e-12]) {
      assert.equal(Number(csvNumber(x)), x);
    }
  });

  it('writes timestamps as ISO-8601 UTC with milliseconds', () => {
    const ms = Date.UTC(2025, 6, 7, 1, 23, 45, 123);
    assert.equal(csvTimestamp(ms), '2025-07-07T01:23:45.123Z');
    assert.equal(csvTimestamp(ms - 123), '2025-07-07T01:23:45.000Z');
    assert.equal(csvTimestamp(ms + 877), '2025-07-07T01:23:46.000Z');
    assert.equal(csvTimestamp(ms - 123 + 7), '2025-07-07T01:23:45.007Z');
    assert.equal(csvTimestamp(ms - 123 + 45), '2025-07-07T01:23:45.045Z');
    assert.equal(csvTimestamp(0), '1970-01-01T00:00:00.000Z');
    assert.equal(csvTimestamp(-1), '1969-12-31T23:59:59.999Z');
    for (let t = ms - 5000; t < ms + 5000; t += 37) {
      assert.equal(csvTimestamp(t), new Date(t).toISOString());
    }
  });

  it('has the header in the documented order', () => {
    assert.equal(
      csvHeader('\n'),
      'timestamp,symbol,price,volume,log_return,vol_1m,vol_5m,ewma_vol,vwap_5m,session,' +
        'exchange,sector,weather_temp_c,weather_condition,kafka_partition,kafka_offset,' +
        'vol_1m_ann,vol_5m_ann,ewma_vol_ann,late,company,weather_error\n',
    );
    assert.equal(csvHeader('\r\n').endsWith('weather_error\r\n'), true);
    assert.equal(EXPORT_COLUMNS.length, 22);
  });

  it('formats a row: nulls empty, late as true/false, the chosen line ending', () => {
    const ms = Date.UTC(2025, 6, 7, 13, 30, 0, 5);
    const row: RawRow = [
      ms,
      'BRK,B',
      412.5,
      100,
      null,
      1e-7,
      null,
      null,
      412.5,
      'regular',
      null,
      'Fin "x"',
      null,
      null,
      2,
      9007199254740991,
      null,
      null,
      null,
      1,
      'Zürich',
      '',
    ];
    assert.equal(
      csvRow(row, '\n'),
      '2025-07-07T13:30:00.005Z,"BRK,B",412.5,100,,1e-7,,,412.5,regular,,"Fin ""x""",,,2,' +
        '9007199254740991,,,,true,Zürich,""\n',
    );
    row[19] = 0;
    assert.equal(csvRow(row, '\r\n').endsWith(',false,Zürich,""\r\n'), true);
  });
});

describe('export time bounds', () => {
  it('parses dates and date-times, UTC unless a zone is given', () => {
    assert.equal(parseExportInstant('2025-07-07'), Date.UTC(2025, 6, 7));
    assert.equal(parseExportInstant('2025-07-07T13:30'), Date.UTC(2025, 6, 7, 13, 30));
    assert.equal(
      parseExportInstant('2025-07-07T13:30:01.5Z'),
      Date.UTC(2025, 6, 7, 13, 30, 1, 500),
    );
    assert.equal(parseExportInstant('2025-07-07T15:30:00+02:00'), Date.UTC(2025, 6, 7, 13, 30));
    assert.equal(parseExportInstant('2025-02-30'), null);
    assert.equal(parseExportInstant('yesterday'), null);
  });
});
