import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KNOWN_SYMBOLS, lookupSymbol } from '../../../main/enrich/reference-data.js';

describe('reference data', () => {
  it('has the required symbols on their real primary listing', () => {
    const expected: Record<string, string> = {
      AAPL: 'NASDAQ',
      TSLA: 'NASDAQ',
      GOOGL: 'NASDAQ',
      AMZN: 'NASDAQ',
      MSFT: 'NASDAQ',
      NVDA: 'NASDAQ',
      META: 'NASDAQ',
      NFLX: 'NASDAQ',
      JPM: 'NYSE',
      V: 'NYSE',
      ORCL: 'NYSE',
      PEP: 'NASDAQ',
    };
    for (const [symbol, exchange] of Object.entries(expected)) {
      assert.equal(lookupSymbol(symbol)?.exchange, exchange, symbol);
    }
  });

  it('has at least 30 symbols, each complete, with no duplicates', () => {
    assert.ok(KNOWN_SYMBOLS.length >= 30);
    assert.equal(new Set(KNOWN_SYMBOLS).size, KNOWN_SYMBOLS.length);
    for (const symbol of KNOWN_SYMBOLS) {
      const info = lookupSymbol(symbol);
      assert.ok(info, symbol);
      assert.equal(info.symbol, symbol);
      assert.ok(info.company && info.sector, symbol);
      assert.equal(info.city, 'New York');
      assert.equal(info.country, 'US');
    }
  });

  it('looks up case-insensitively and normalises share-class separators', () => {
    assert.equal(lookupSymbol('aapl')?.company, 'Apple Inc.');
    assert.equal(lookupSymbol(' Tsla ')?.symbol, 'TSLA');
    assert.equal(lookupSymbol('brk-b')?.symbol, 'BRK.B');
    assert.equal(lookupSymbol('BRK/B')?.symbol, 'BRK.B');
  });

  it('returns null for unknown symbols', () => {
    assert.equal(lookupSymbol('ZZZZ'), null);
    assert.equal(lookupSymbol(''), null);
    assert.equal(lookupSymbol('constructor'), null);
  });
});
