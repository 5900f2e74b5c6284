import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTradeMessage, parseTradeTimestamp } from '../../../contract/trade.js';

describe('parseTradeTimestamp', () => {
  it('reads a timestamp without a zone as UTC (the seed: datetime.utcnow().isoformat())', () => {
    assert.equal(
      parseTradeTimestamp('2025-07-07T01:23:45.123456'),
      Date.UTC(2025, 6, 7, 1, 23, 45, 123),
    );
    assert.equal(parseTradeTimestamp('2025-07-07T01:23:45'), Date.UTC(2025, 6, 7, 1, 23, 45));
  });
  it('honours Z and offsets', () => {
    const utc = Date.UTC(2025, 6, 7, 14, 0, 0);
    assert.equal(parseTradeTimestamp('2025-07-07T14:00:00Z'), utc);
    assert.equal(parseTradeTimestamp('2025-07-07T10:00:00-04:00'), utc);
    assert.equal(parseTradeTimestamp('2025-07-07T19:30:00+0530'), utc);
    assert.equal(parseTradeTimestamp('2025-07-07 14:00:00.5Z'), utc + 500);
  });
  it('truncates digits past the millisecond', () => {
    assert.equal(parseTradeTimestamp('2025-07-07T00:00:00.999999Z'), Date.UTC(2025, 6, 7) + 999);
  });
  it('rejects what is not an instant', () => {
    for (const bad of [
      'yesterday',
      '2025-02-30T00:00:00Z',
      '2025-07-07T25:00:00Z',
      '2025-07-07',
      '2025-07-07T00:00:00+25:00',
      '',
    ]) {
      assert.equal(parseTradeTimestamp(bad), null, bad);
    }
  });
});

describe('parseTradeMessage', () => {
  it('accepts the seed message and ignores unknown fields', () => {
    const r = parseTradeMessage(
      Buffer.from(
        '{"timestamp": "2025-07-07T01:23:45Z", "symbol": "GOOGL", "price": 399.75, "volume": 420, "x": 1}',
      ),
    );
    assert.deepEqual(r, {
      ok: true,
      trade: { ts: Date.UTC(2025, 6, 7, 1, 23, 45), symbol: 'GOOGL', price: 399.75, volume: 420 },
    });
  });
  const cases: [string | null, RegExp][] = [
    [null, /null value/],
    ['{not json', /not JSON/],
    ['[1,2]', /invalid trade/],
    ['{"timestamp": "2025-07-07T01:23:45Z", "symbol": "A", "price": 0, "volume": 1}', /price/],
    ['{"timestamp": "2025-07-07T01:23:45Z", "symbol": "A", "price": -1, "volume": 1}', /price/],
    ['{"timestamp": "2025-07-07T01:23:45Z", "symbol": "A", "price": 1, "volume": -1}', /volume/],
    ['{"timestamp": "2025-07-07T01:23:45Z", "symbol": "A", "price": 1, "volume": 1.5}', /volume/],
    [
      '{"timestamp": "2025-07-07T01:23:45Z", "symbol": "A", "price": 1e300, "volume": 1}',
      /price must be <= 1e9/,
    ],
    [
      '{"timestamp": "2025-07-07T01:23:45Z", "symbol": "A", "price": 1, "volume": 1e15}',
      /volume must be <= 1e12/,
    ],
    ['{"timestamp": "2025-07-07T01:23:45Z", "symbol": "A", "price": "1", "volume": 1}', /price/],
    ['{"timestamp": "2025-07-07T01:23:45Z", "symbol": "", "price": 1, "volume": 1}', /symbol/],
    ['{"timestamp": 1720315425, "symbol": "A", "price": 1, "volume": 1}', /timestamp/],
    ['{"timestamp": "soon", "symbol": "A", "price": 1, "volume": 1}', /timestamp/],
  ];
  for (const [value, reason] of cases) {
    it(`rejects ${value} with a reason`, () => {
      const r = parseTradeMessage(value);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, reason);
    });
  }
});
