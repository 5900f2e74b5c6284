import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Trade } from '../../../contract/trade.js';
import {
  BarBook,
  barParkinson,
  minuteStart,
  parkinsonVolatility,
} from '../../../main/enrich/bars.js';
import { randomStream } from './naive.js';

const M = 1_700_000_040_000; // 2023-11-14T22:14:00Z, a minute boundary
const sec = (s: number) => M + s * 1000;
const trade = (s: number, price: number, volume: number, symbol = 'AAA'): Trade => ({
  ts: sec(s),
  symbol,
  price,
  volume,
});

function close(a: number | null, b: number, tol = 1e-12): void {
  assert.notEqual(a, null);
  assert.ok(Math.abs((a as number) - b) <= tol * Math.max(1, Math.abs(b)), `${a} !≈ ${b}`);
}

describe('bar helpers', () => {
  it('minuteStart floors to the UTC minute', () => {
    assert.equal(M % 60_000, 0);
    assert.equal(minuteStart(M), M);
    assert.equal(minuteStart(M + 59_999), M);
    assert.equal(minuteStart(M + 60_000), M + 60_000);
  });

  it('per-bar Parkinson = |ln(H/L)| / sqrt(4 ln 2)', () => {
    // ln(102/99) = 0.02985296314968113; sqrt(4 ln 2) = 1.6651092223153954 → 0.01792853150387906
    close(barParkinson(102, 99), 0.01792853150387906);
    assert.equal(barParkinson(100, 100), 0);
  });

  it('parkinsonVolatility over bars = sqrt(mean(ln(H/L)²) / (4 ln 2))', () => {
    // ln(102/99)² = 8.9120e-4, ln(1) = 0, ln(1.05)² = 0.0023804…; mean / 2.772588722239781
    const a = Math.log(102 / 99) ** 2;
    const c = Math.log(1.05) ** 2;
    const expected = Math.sqrt((a + 0 + c) / 3 / (4 * Math.LN2));
    close(
      parkinsonVolatility([
        { high: 102, low: 99 },
        { high: 100, low: 100 },
        { high: 105, low: 100 },
      ]),
      expected,
    );
    // one bar: the same as the per-bar estimate
    close(parkinsonVolatility([{ high: 102, low: 99 }]), barParkinson(102, 99));
    assert.equal(parkinsonVolatility([]), null);
  });
});

describe('BarBook', () => {
  it('builds OHLCV, vwap and Parkinson for a minute', () => {
    const book = new BarBook();
    book.add(trade(10, 100, 10));
    book.add(trade(20, 102, 20));
    book.add(trade(30, 99, 30));
    const bar = book.add(trade(50, 101, 40));
    assert.deepEqual(
      { ...bar, vwap: 0, parkinson_vol: 0 },
      {
        symbol: 'AAA',
        minute_start: M,
        open: 100,
        high: 102,
        low: 99,
        close: 101,
        volume: 100,
        trade_count: 4,
        vwap: 0,
        parkinson_vol: 0,
        open_ts: sec(10),
        close_ts: sec(50),
      },
    );
    // vwap = (100×10 + 102×20 + 99×30 + 101×40)/100 = (1000 + 2040 + 2970 + 4040)/100 = 100.5
    close(bar.vwap, 100.5);
    close(bar.parkinson_vol, 0.01792853150387906);
  });

  it('a late trade with an earlier ts becomes the open; equal ts goes to the later arrival', () => {
    const book = new BarBook();
    book.add(trade(10, 100, 1));
    book.add(trade(20, 101, 1));
    let bar = book.add(trade(5, 98, 1));
    assert.equal(bar.open, 98);
    assert.equal(bar.open_ts, sec(5));
    assert.equal(bar.low, 98);
    assert.equal(bar.close, 101);
    bar = book.add(trade(20, 103, 1));
    assert.equal(bar.close, 103);
    bar = book.add(trade(5, 97, 1));
    assert.equal(bar.open, 98, 'equal ts: the earlier arrival stays the open');
  });

  it('zero volume: vwap is the mean price', () => {
    const book = new BarBook();
    book.add(trade(1, 100, 0));
    const bar = book.add(trade(2, 103, 0));
    assert.equal(bar.vwap, 101.5);
    assert.equal(bar.volume, 0);
  });

  it('takeDirty returns each changed bar once, then nothing', () => {
    const book = new BarBook();
    book.add(trade(1, 100, 1));
    book.add(trade(2, 101, 1));
    book.add(trade(61, 102, 1));
    book.add(trade(3, 99, 1, 'BBB'));
    const dirty = book.takeDirty();
    assert.deepEqual(
      dirty.map((b) => [b.symbol, b.minute_start, b.trade_count]),
      [
        ['AAA', M, 2],
        ['AAA', M + 60_000, 1],
        ['BBB', M, 1],
      ],
    );
    assert.deepEqual(book.takeDirty(), []);
    book.add(trade(62, 104, 1));
    assert.deepEqual(
      book.takeDirty().map((b) => [b.minute_start, b.high]),
      [[M + 60_000, 104]],
    );
  });

  it('returned bars are copies', () => {
    const book = new BarBook();
    const bar = book.add(trade(1, 100, 1));
    bar.high = 1e9;
    assert.equal(book.get('AAA', M)!.high, 100);
  });

  it('drops bars no trade within grace can reach, but still reports them dirty', () => {
    const book = new BarBook({ gracePeriodMs: 5000 });
    book.add(trade(30, 100, 1));
    book.add(trade(64, 101, 1)); // 4 s into the next minute: the first bar is still reachable
    assert.equal(book.current('AAA').length, 2);
    book.add(trade(65, 101, 1)); // 60 s ≤ 65 s − 5 s: the first minute is closed for good
    assert.deepEqual(
      book.current('AAA').map((b) => b.minute_start),
      [M + 60_000],
    );
    assert.equal(book.takeDirty().length, 2);
  });

  it('restore from stored bars, then continue = straight through', () => {
    const trades = randomStream({ n: 3000, seed: 21, lateProb: 0 });
    const straight = new BarBook();
    for (const t of trades) straight.add(t);
    const expected = straight.takeDirty();

    const k = 1700;
    const first = new BarBook();
    for (const t of trades.slice(0, k)) first.add(t);
    const stored = new Map(first.takeDirty().map((b) => [`${b.symbol}@${b.minute_start}`, b]));
    const second = new BarBook();
    second.restore([...stored.values()]);
    for (const t of trades.slice(k)) second.add(t);
    for (const b of second.takeDirty()) stored.set(`${b.symbol}@${b.minute_start}`, b);

    assert.equal(stored.size, expected.length);
    for (const e of expected) {
      const a = stored.get(`${e.symbol}@${e.minute_start}`)!;
      const { vwap, parkinson_vol, ...rest } = a;
      const { vwap: ev, parkinson_vol: ep, ...erest } = e;
      assert.deepEqual(rest, erest);
      close(vwap, ev);
      close(parkinson_vol, ep);
    }
  });

  it('restore accepts null vwap / parkinson_vol from SQLite', () => {
    const book = new BarBook();
    book.restore([
      {
        symbol: 'AAA',
        minute_start: M,
        open: 100,
        high: 102,
        low: 99,
        close: 101,
        volume: 0,
        trade_count: 2,
        vwap: null,
        parkinson_vol: null,
        open_ts: sec(1),
        close_ts: sec(2),
      },
    ]);
    const bar = book.get('AAA', M)!;
    assert.equal(bar.vwap, 101);
    close(bar.parkinson_vol, barParkinson(102, 99));
  });
});
