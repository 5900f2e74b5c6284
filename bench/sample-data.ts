import type Database from 'better-sqlite3';
import { INSERT_TRADE_SQL } from '../main/store/sqlite-store.js';
import { Random } from '../main/simulator/random.js';

/** Seeded uniform numbers in [0, 1): the simulator's PRNG, so runs are reproducible. */
function rng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

const SYMBOLS = [
  { symbol: 'AAPL', company: 'Apple Inc.', sector: 'Technology', price: 210, partition: 0 },
  {
    symbol: 'MSFT',
    company: 'Microsoft Corporation',
    sector: 'Technology',
    price: 495,
    partition: 1,
  },
  {
    symbol: 'GOOGL',
    company: 'Alphabet Inc.',
    sector: 'Communication Services',
    price: 178,
    partition: 2,
  },
  {
    symbol: 'AMZN',
    company: 'Amazon.com, Inc.',
    sector: 'Consumer Cyclical',
    price: 223,
    partition: 0,
  },
  { symbol: 'TSLA', company: 'Tesla, Inc.', sector: 'Consumer Cyclical', price: 315, partition: 1 },
  { symbol: 'NVDA', company: 'NVIDIA Corporation', sector: 'Technology', price: 158, partition: 2 },
];
const CONDITIONS = ['Clear', 'Clouds', 'Rain', 'Drizzle', 'Mist', 'Thunderstorm'];
const ANNUALISE = Math.sqrt(252 * 6.5 * 60 * 60); // per-second vol to annual, as the enricher does

/** Rows go in through the consumer's own insert statement. */
export const INSERT_ENRICHED_SQL = INSERT_TRADE_SQL;

/**
 * Inserts `count` realistic enriched trades: six symbols, random-walk prices, volatilities with
 * full-precision doubles, ~20% of rows without weather (half of those with an error text).
 */
export function insertSampleTrades(db: Database.Database, count: number, seed = 42): void {
  const rand = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const insert = db.prepare(INSERT_ENRICHED_SQL);
  const state = SYMBOLS.map((s) => ({
    ...s,
    last: s.price,
    n: 0,
    vwapNum: 0,
    vwapDen: 0,
    ewma: 0,
  }));
  const offsets = [0, 0, 0];
  let ts = Date.UTC(2025, 6, 7, 13, 30, 0, 0);
  const batch = 50_000;
  for (let done = 0; done < count; done += batch) {
    db.transaction(() => {
      for (let i = done; i < Math.min(count, done + batch); i++) {
        ts += Math.floor(rand() * 40);
        const s = state[Math.floor(rand() * state.length)]!;
        const price = Math.round(s.last * Math.exp(normal() * 0.0004) * 100) / 100;
        const logReturn = s.n === 0 ? null : Math.log(price / s.last);
        s.last = price;
        s.n++;
        const volume = 1 + Math.floor(rand() * rand() * 5000);
        s.vwapNum += price * volume;
        s.vwapDen += volume;
        const vol1m = s.n < 3 ? null : 0.0002 + rand() * 0.0004;
        const vol5m = s.n < 10 ? null : 0.0003 + rand() * 0.0002;
        s.ewma =
          logReturn === null ? s.ewma : Math.sqrt(0.94 * s.ewma ** 2 + 0.06 * logReturn ** 2);
        const hasWeather = rand() >= 0.2;
        const offset = offsets[s.partition]!;
        offsets[s.partition] = offset + 1;
        insert.run(
          ts,
          s.symbol,
          price,
          volume,
          logReturn,
          vol1m,
          vol5m,
          vol1m === null ? null : vol1m * ANNUALISE,
          vol5m === null ? null : vol5m * ANNUALISE,
          logReturn === null ? null : s.ewma,
          logReturn === null ? null : s.ewma * ANNUALISE,
          s.vwapNum / s.vwapDen,
          rand() < 0.01 ? 1 : 0,
          'regular',
          'NASDAQ',
          s.company,
          s.sector,
          hasWeather ? Math.round((18 + normal() * 6) * 100) / 100 : null,
          hasWeather ? CONDITIONS[Math.floor(rand() * CONDITIONS.length)]! : null,
          !hasWeather && rand() < 0.5 ? 'weather service timeout after 2000 ms' : null,
          s.partition,
          offset,
        );
      }
    })();
  }
}
