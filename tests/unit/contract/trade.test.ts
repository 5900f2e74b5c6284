import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SymbolSchema, parseTradeMessage, parseTradeTimestamp } from '../../../contract/trade.js';

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

describe('plausibility bounds', () => {
  const NOW = Date.UTC(2025, 6, 7, 14, 0, 0);
  const trade = (timestamp: string, price = 100, symbol = 'AAPL') =>
    JSON.stringify({ timestamp, symbol, price, volume: 1 });

  it('dead-letters a timestamp more than 24 hours ahead of the clock, with both instants', () => {
    const r = parseTradeMessage(trade('2025-07-08T14:00:00.001Z'), NOW);
    assert.deepEqual(r, {
      ok: false,
      reason:
        'invalid trade: timestamp: more than 24 hours ahead of the clock ' +
        '(2025-07-08T14:00:00.001Z; now 2025-07-07T14:00:00.000Z)',
    });
    assert.equal(parseTradeMessage(trade('9999-12-31T23:59:59Z'), NOW).ok, false);
  });
  it('accepts a timestamp exactly 24 hours ahead, and the past back to 1970', () => {
    assert.equal(parseTradeMessage(trade('2025-07-08T14:00:00Z'), NOW).ok, true);
    // historical replays: an old tape still parses
    assert.equal(parseTradeMessage(trade('1987-10-19T14:00:00Z'), NOW).ok, true);
    assert.equal(parseTradeMessage(trade('1970-01-01T00:00:00Z'), NOW).ok, true);
  });
  it('dead-letters a timestamp before 1970', () => {
    const r = parseTradeMessage(trade('1969-12-31T23:59:59.999Z'), NOW);
    assert.deepEqual(r, {
      ok: false,
      reason: 'invalid trade: timestamp: before 1970-01-01T00:00:00Z (1969-12-31T23:59:59.999Z)',
    });
  });
  it('checks against the wall clock when no clock is given', () => {
    const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString();
    assert.equal(parseTradeMessage(trade(inTwoDays)).ok, false);
    assert.equal(parseTradeMessage(trade(new Date().toISOString())).ok, true);
  });
  it('dead-letters a price below 0.0001 and accepts 0.0001', () => {
    for (const price of [1e-300, 5e-324, 0.00009999]) {
      const r = parseTradeMessage(trade('2025-07-07T13:00:00Z', price), NOW);
      assert.deepEqual(r, { ok: false, reason: 'invalid trade: price: price must be >= 0.0001' });
    }
    assert.equal(parseTradeMessage(trade('2025-07-07T13:00:00Z', 0.0001), NOW).ok, true);
  });
});

describe('SymbolSchema', () => {
  it('accepts what tickers use', () => {
    for (const s of ['A', 'AAPL', 'BRK.B', 'BRK-B', 'BRK/B', '^GSPC', 'ES=F', '7203', 'rds.a']) {
      assert.equal(SymbolSchema.parse(s), s);
    }
    assert.equal(SymbolSchema.parse('  MSFT '), 'MSFT');
    assert.equal(SymbolSchema.parse('A'.repeat(20)), 'A'.repeat(20));
  });
  const rule =
    'symbol must be 1-20 characters: letters, digits and . - / = ^, starting with a letter, digit or ^';
  for (const bad of [
    '=HYPERLINK("x")',
    '+1',
    '-1',
    '@SUM',
    '=A1',
    'AA PL',
    'AAPL\u0000',
    'AB\u0007C',
    'AAPL\u202E',
    '\u202EAAPL',
    '<b>X</b>',
    'A&B',
    "A'B",
    'ÄPFEL',
    '.A',
  ]) {
    it(`dead-letters the symbol ${JSON.stringify(bad)} with the rule`, () => {
      const r = parseTradeMessage(
        JSON.stringify({ timestamp: '2025-07-07T14:00:00Z', symbol: bad, price: 1, volume: 1 }),
      );
      assert.deepEqual(r, { ok: false, reason: `invalid trade: symbol: ${rule}` });
    });
  }
  it('dead-letters a symbol longer than 20 characters, naming the rule', () => {
    const r = parseTradeMessage(
      JSON.stringify({
        timestamp: '2025-07-07T14:00:00Z',
        symbol: 'A'.repeat(21),
        price: 1,
        volume: 1,
      }),
    );
    assert.deepEqual(r, {
      ok: false,
      reason: `invalid trade: symbol: symbol is longer than 20 characters (${rule})`,
    });
  });
});
