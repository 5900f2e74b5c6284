// An independent, deliberately naive O(n)-per-trade implementation of the spec, used as the
// reference in the enrich tests. It keeps every accepted trade of a symbol in event-time order
// and recomputes everything from scratch; it shares no code with main/enrich.
import type { Trade } from '../../../contract/trade.js';
import type { TradeMetrics } from '../../../main/enrich/symbol-analytics.js';
import { Random } from '../../../main/simulator/random.js';

const Y = 252 * 6.5 * 3600;

interface Kept {
  ts: number;
  price: number;
  volume: number;
  variance: number | null;
}

export interface NaiveConfig {
  gracePeriodMs: number;
  ewmaLambda: number;
}

function std(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
}

function ann(vol: number | null, dbar: number | null): number | null {
  return vol === null || dbar === null || dbar === 0 ? null : vol * Math.sqrt(Y / dbar);
}

export function naiveMetrics(
  trades: readonly Trade[],
  config: NaiveConfig = { gracePeriodMs: 5000, ewmaLambda: 0.94 },
  /** Windows are only computed from this trade index on (earlier entries get vol fields null). */
  from = 0,
): TradeMetrics[] {
  let index = -1;
  const lists = new Map<string, Kept[]>();
  const marks = new Map<string, number>();
  const out: TradeMetrics[] = [];
  for (const t of trades) {
    index++;
    const list = lists.get(t.symbol) ?? [];
    lists.set(t.symbol, list);
    const wm = marks.get(t.symbol);
    if (wm !== undefined && wm - t.ts > config.gracePeriodMs) {
      out.push({
        log_return: null,
        vol_1m: null,
        vol_5m: null,
        vol_1m_ann: null,
        vol_5m_ann: null,
        ewma_vol: null,
        ewma_vol_ann: null,
        vwap_5m: t.price,
        late: true,
      });
      continue;
    }
    const late = wm !== undefined && t.ts < wm;
    marks.set(t.symbol, Math.max(wm ?? -Infinity, t.ts));
    let pos = list.length;
    while (pos > 0 && list[pos - 1]!.ts > t.ts) pos--;
    const pred = list[pos - 1];
    const r = pred ? Math.log(t.price / pred.price) : null;
    const variance =
      r === null
        ? null
        : pred!.variance === null
          ? r * r
          : config.ewmaLambda * pred!.variance + (1 - config.ewmaLambda) * r * r;
    list.splice(pos, 0, { ts: t.ts, price: t.price, volume: t.volume, variance });

    const win = (spanMs: number) => {
      let from = pos;
      while (from > 0 && list[from - 1]!.ts > t.ts - spanMs) from--;
      const rets: number[] = [];
      let firstRet = -1;
      let pv = 0;
      let v = 0;
      let p = 0;
      for (let j = from; j <= pos; j++) {
        const e = list[j]!;
        if (j > 0) {
          rets.push(Math.log(e.price / list[j - 1]!.price));
          if (firstRet < 0) firstRet = j;
        }
        pv += e.price * e.volume;
        v += e.volume;
        p += e.price;
      }
      const dbar = firstRet < 0 ? null : (t.ts - list[firstRet - 1]!.ts) / 1000 / rets.length;
      return { vol: std(rets), dbar, vwap: v > 0 ? pv / v : p / (pos - from + 1) };
    };
    const skip = { vol: null, dbar: null, vwap: t.price };
    const w1 = index < from ? skip : win(60_000);
    const w5 = index < from ? skip : win(300_000);
    const ewma = variance === null ? null : Math.sqrt(variance);
    out.push({
      log_return: r,
      vol_1m: w1.vol,
      vol_5m: w5.vol,
      vol_1m_ann: ann(w1.vol, w1.dbar),
      vol_5m_ann: ann(w5.vol, w5.dbar),
      ewma_vol: ewma,
      ewma_vol_ann: ann(ewma, w5.dbar),
      vwap_5m: w5.vwap,
      late,
    });
  }
  return out;
}

/** Seeded uniform numbers in [0, 1): the simulator's PRNG, so runs are reproducible. */
export function rng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

export interface StreamOptions {
  n: number;
  seed: number;
  symbols?: readonly string[];
  /** Probability that a trade is out of order (its ts up to 8 s behind the clock). */
  lateProb?: number;
  /** How far behind the clock an out-of-order trade may be (default 8 000 ms). */
  lateMaxMs?: number;
}

/**
 * A random multi-symbol stream: bursts with equal timestamps, small and long gaps (so windows
 * fill and drain), zero volumes, out-of-order trades (some beyond a 5 s grace). An out-of-order
 * trade is never earlier than its symbol's first trade.
 */
export function randomStream(opts: StreamOptions): Trade[] {
  const rand = rng(opts.seed);
  const symbols = opts.symbols ?? ['AAA', 'BBB', 'ZERO'];
  const price = new Map(symbols.map((s) => [s, 50 + rand() * 100]));
  const first = new Map<string, number>();
  let clock = 1_700_000_000_000;
  const out: Trade[] = [];
  for (let i = 0; i < opts.n; i++) {
    const u = rand();
    if (u < 0.01) clock += 70_000 + Math.floor(rand() * 300_000);
    else if (u > 0.2) clock += Math.floor(rand() * 400);
    const symbol = symbols[Math.floor(rand() * symbols.length)]!;
    const p = price.get(symbol)! * Math.exp((rand() - 0.5) * 2e-3);
    price.set(symbol, p);
    let ts = clock;
    const f = first.get(symbol);
    if (f !== undefined && rand() < (opts.lateProb ?? 0.05)) {
      ts = Math.max(f, clock - Math.floor(rand() * (opts.lateMaxMs ?? 8_000)));
    }
    if (f === undefined) first.set(symbol, ts);
    const volume = symbol === 'ZERO' ? 0 : rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 500);
    out.push({ ts, symbol, price: p, volume });
  }
  return out;
}

export function relClose(a: number | null, b: number | null, tol: number): boolean {
  if (a === null || b === null) return a === b;
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));
}

const FIELDS = [
  'log_return',
  'vol_1m',
  'vol_5m',
  'vol_1m_ann',
  'vol_5m_ann',
  'ewma_vol',
  'ewma_vol_ann',
  'vwap_5m',
] as const;

/** The first mismatch between two metric lists as a message, or null when they agree. */
export function firstMismatch(
  actual: readonly TradeMetrics[],
  expected: readonly TradeMetrics[],
  tol: number,
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} vs ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a.late !== e.late) return `#${i} late ${a.late} vs ${e.late}`;
    for (const f of FIELDS) {
      if (!relClose(a[f], e[f], tol)) return `#${i} ${f} ${a[f]} vs ${e[f]}`;
    }
  }
  return null;
}
