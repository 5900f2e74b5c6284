import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ReplayInputError,
  TimestampReader,
  guessUnit,
  parseColumnMapping,
  resolveColumns,
  toTrade,
} from '../../../main/replay/columns.js';

const T = Date.UTC(2025, 6, 7, 14, 23, 45, 123); // 2025-07-07T14:23:45.123Z

describe('column mapping', () => {
  it("finds this app's export columns, the seed's and common vendor names", () => {
    assert.deepEqual(
      resolveColumns(['timestamp', 'symbol', 'price', 'volume', 'log_return']),
      [0, 1, 2, 3],
    );
    assert.deepEqual(resolveColumns(['Time', 'Ticker', 'Price', 'Size']), [0, 1, 2, 3]);
    assert.deepEqual(resolveColumns(['sym', 'qty', 'px', 'ts']), [3, 0, 2, 1]);
  });

  it('takes a mapping for other names and says which columns exist when one is missing', () => {
    const mapping = parseColumnMapping('timestamp=when,symbol=instr,price=trade px,volume=amt');
    assert.deepEqual(resolveColumns(['instr', 'when', 'amt', 'trade px'], mapping), [1, 0, 3, 2]);
    assert.throws(
      () => resolveColumns(['when', 'what']),
      (err: Error) =>
        err instanceof ReplayInputError && /no timestamp column.*"when", "what"/.test(err.message),
    );
    assert.throws(
      () => resolveColumns(['timestamp', 'symbol', 'a', 'volume'], { price: 'nope' }),
      /no column "nope" for the price/,
    );
    assert.throws(() => parseColumnMapping('colour=x'), /ROLE=COLUMN/);
  });
});

describe('timestamp forms', () => {
  it('reads ISO text with Z, an offset or no zone (UTC), truncating past the millisecond', () => {
    const r = new TimestampReader();
    assert.equal(r.read('2025-07-07T14:23:45.123Z'), T);
    assert.equal(r.read('2025-07-07T16:23:45.123+02:00'), T);
    assert.equal(r.read('2025-07-07T14:23:45.123456'), T);
    assert.equal(r.read('2025-07-07 14:23:45.1239'), T);
  });

  it('reads epoch seconds, milliseconds, microseconds and nanoseconds, as text or numbers', () => {
    assert.equal(new TimestampReader().read('1751898225.123'), T);
    assert.equal(new TimestampReader().read('1751898225'), T - 123);
    assert.equal(new TimestampReader().read(String(T)), T);
    assert.equal(new TimestampReader().read('1751898225123456'), T);
    // 19 digits: beyond 2^53, still exact to the millisecond from text
    assert.equal(new TimestampReader().read('1751898225123999999'), T);
    assert.equal(new TimestampReader().read(1751898225.123), T);
    assert.equal(new TimestampReader().read(T), T);
    assert.equal(new TimestampReader().read(1751898225123456), T);
    assert.equal(new TimestampReader().read(1751898225123456789n), T);
    assert.equal(new TimestampReader().read(new Date(T)), T);
    assert.deepEqual(
      ['s', 'ms', 'us', 'ns'],
      [1.7e9, 1.7e12, 1.7e15, 1.7e18].map((v) => guessUnit(v)),
    );
  });

  it('keeps the unit the first value chose (or the one given) for the whole file', () => {
    const r = new TimestampReader();
    r.read(String(T)); // ms
    assert.equal(r.read('1000'), 1000);
    assert.equal(new TimestampReader('s').read('1000'), 1_000_000);
    assert.equal(new TimestampReader('us').read('1000'), 1);
  });

  it('says why a value is not a timestamp', () => {
    const r = new TimestampReader();
    assert.match(String(r.read('yesterday')), /not an ISO-8601 date-time or epoch number/);
    assert.equal(r.read(''), 'timestamp: empty');
    assert.match(String(r.read('2025-02-30T00:00:00Z')), /not an ISO-8601/);
  });
});

describe('row checks (the seed rules)', () => {
  const ts = () => new TimestampReader();
  it('accepts a good row and trims the symbol', () => {
    assert.deepEqual(toTrade('2025-07-07T14:23:45.123Z', ' AAPL ', '245.12', '320', ts()), {
      ts: T,
      symbol: 'AAPL',
      price: 245.12,
      volume: 320,
    });
  });
  it('names what is wrong with a bad one', () => {
    const bad = (p: unknown[]) => toTrade(p[0], p[1], p[2], p[3], ts());
    assert.equal(
      bad(['1751898225', '=cmd', '1', '1']),
      `symbol: ${'symbol must be 1-20 characters: letters, digits and . - / = ^, starting with a letter, digit or ^'}`,
    );
    assert.equal(bad(['1751898225', 'AAPL', 'abc', '1']), 'price: not a number');
    assert.equal(bad(['1751898225', 'AAPL', '0.00001', '1']), 'price: must be >= 0.0001');
    assert.equal(bad(['1751898225', 'AAPL', '2e9', '1']), 'price: must be <= 1e9');
    assert.equal(bad(['1751898225', 'AAPL', '1', '1.5']), 'volume: must be a whole number');
    assert.equal(bad(['1751898225', 'AAPL', '1', '-1']), 'volume: must be >= 0');
    assert.equal(bad(['1751898225', 'AAPL', '1', '']), 'volume: not a number');
    assert.match(String(bad(['1969-12-31T23:59:59Z', 'AAPL', '1', '1'])), /before 1970/);
  });
});
