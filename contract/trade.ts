import { z } from 'zod';
import { parseInstant } from './instant.js';

/** Topic names kept from the seed project (stock_prices) and the ones this product adds. */
export const TOPICS = {
  trades: 'stock_prices',
  enriched: 'stock_prices_enriched',
  deadLetters: 'stock_prices_dlq',
} as const;

/** A trade's timestamp as epoch ms (ISO-8601; no zone = UTC); null if it is not an instant. */
export function parseTradeTimestamp(text: string): number | null {
  return parseInstant(text);
}

/**
 * What a symbol may look like: what tickers use, and nothing that a spreadsheet, a terminal or a
 * web view would read as something else. The first character is a letter, a digit or `^` (index
 * symbols such as ^GSPC); after it letters, digits and `. - / = ^` (share classes BRK.B, BRK-B,
 * BRK/B; Yahoo-style ES=F); at most 20 characters in all. So no control characters, spaces,
 * right-to-left marks, markup (`<`, `&`, quotes) or formula leaders (`=`, `+`, `-`, `@` first).
 */
export const SYMBOL_PATTERN = /^[A-Za-z0-9^][A-Za-z0-9.\-/=^]{0,19}$/;
export const SYMBOL_RULE =
  'symbol must be 1-20 characters: letters, digits and . - / = ^, starting with a letter, digit or ^';

/** A ticker symbol (surrounding whitespace is trimmed). The one rule for trades and the CLI. */
export const SymbolSchema = z
  .string()
  .trim()
  .min(1, 'symbol is empty')
  .max(20, `symbol is longer than 20 characters (${SYMBOL_RULE})`)
  .regex(SYMBOL_PATTERN, SYMBOL_RULE);

/**
 * The lowest price accepted. US equities may be quoted in $0.0001 steps below $1 (Reg NMS rule
 * 612), so no real trade prints lower; and with prices in [1e-4, 1e9] every log return is within
 * ±ln(1e13) ≈ ±30, so returns, their squares, window sums and the EWMA stay finite (a price of
 * 1e-300 followed by a normal one would store an infinite or absurd return and EWMA for good).
 */
export const MIN_PRICE = 0.0001;
export const MAX_PRICE = 1e9;
/**
 * How far a trade's timestamp may be ahead of the wall clock when it is processed: 24 hours.
 * That covers clock skew and local times sent without a zone (read as UTC; at most +14:00 off);
 * a trade dated later would become its symbol's watermark and make every later trade "too late".
 */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
/** The earliest timestamp accepted: 1970-01-01T00:00:00Z. The past is not bounded tighter, so
 * historical replays work. */
export const MIN_TRADE_TS = 0;

/** The seed's message: `{"timestamp", "symbol", "price", "volume"}`. Unknown fields are allowed. */
export const TradeMessageSchema = z.object({
  timestamp: z.string(),
  symbol: SymbolSchema,
  price: z
    .number()
    .finite()
    .min(MIN_PRICE, `price must be >= ${MIN_PRICE}`)
    .max(MAX_PRICE, 'price must be <= 1e9'),
  // Bounds keep every sum in the analytics finite (Σ p·v over a window of millions of trades).
  volume: z
    .number()
    .int('volume must be a whole number')
    .min(0, 'volume must be >= 0')
    .max(1e12, 'volume must be <= 1e12'),
});
export type TradeMessage = z.infer<typeof TradeMessageSchema>;

/** A trade after parsing: the timestamp is an instant in epoch milliseconds. */
export interface Trade {
  ts: number;
  symbol: string;
  price: number;
  volume: number;
}

export type TradeParseResult = { ok: true; trade: Trade } | { ok: false; reason: string };

/**
 * Parses one Kafka message value; never throws. The reason names what is wrong, for the DLQ.
 * `now` (epoch ms) is the wall clock the timestamp is checked against (see MAX_FUTURE_MS).
 */
export function parseTradeMessage(
  value: Uint8Array | string | null,
  now: number = Date.now(),
): TradeParseResult {
  if (value === null) return { ok: false, reason: 'empty message (null value)' };
  const text = typeof value === 'string' ? value : new TextDecoder('utf-8').decode(value);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = TradeMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') + ': ' : '';
    return { ok: false, reason: `invalid trade: ${where}${issue?.message ?? 'schema mismatch'}` };
  }
  const ts = parseTradeTimestamp(parsed.data.timestamp);
  if (ts === null) {
    return {
      ok: false,
      reason: `invalid trade: timestamp: not an ISO-8601 date-time (${parsed.data.timestamp.slice(0, 40)})`,
    };
  }
  if (ts < MIN_TRADE_TS) {
    return {
      ok: false,
      reason: `invalid trade: timestamp: before 1970-01-01T00:00:00Z (${new Date(ts).toISOString()})`,
    };
  }
  if (ts > now + MAX_FUTURE_MS) {
    return {
      ok: false,
      reason:
        `invalid trade: timestamp: more than 24 hours ahead of the clock ` +
        `(${new Date(ts).toISOString()}; now ${new Date(now).toISOString()})`,
    };
  }
  return {
    ok: true,
    trade: { ts, symbol: parsed.data.symbol, price: parsed.data.price, volume: parsed.data.volume },
  };
}

export const MarketSessionSchema = z.enum(['pre-market', 'regular', 'after-hours', 'closed']);
export type MarketSession = z.infer<typeof MarketSessionSchema>;

const nullableNumber = z.number().nullable();

/**
 * An enriched trade, as written to `stock_prices_enriched` and to SQLite. Field names are the
 * column names everywhere (topic JSON, SQLite, CSV and Parquet exports).
 */
export const EnrichedTradeSchema = z.object({
  timestamp: z.string(),
  symbol: z.string(),
  price: z.number(),
  volume: z.number().int(),
  log_return: nullableNumber,
  vol_1m: nullableNumber,
  vol_5m: nullableNumber,
  vol_1m_ann: nullableNumber,
  vol_5m_ann: nullableNumber,
  ewma_vol: nullableNumber,
  ewma_vol_ann: nullableNumber,
  vwap_5m: z.number(),
  late: z.boolean(),
  session: MarketSessionSchema,
  exchange: z.string().nullable(),
  company: z.string().nullable(),
  sector: z.string().nullable(),
  weather_temp_c: nullableNumber,
  weather_condition: z.string().nullable(),
  weather_error: z.string().nullable(),
  kafka_partition: z.number().int(),
  kafka_offset: z.number().int(),
});
export type EnrichedTrade = z.infer<typeof EnrichedTradeSchema>;

/** What goes to `stock_prices_dlq`: the original bytes (base64) and where they came from. */
export const DeadLetterSchema = z.object({
  source_topic: z.string(),
  source_partition: z.number().int(),
  source_offset: z.number().int(),
  reason: z.string(),
  value_base64: z.string().nullable(),
  /** The message key as text when it is valid UTF-8 (cut to 1 KiB at a character boundary). */
  key: z.string().nullable(),
  /** The key's bytes (the first 1 KiB) as base64 when it is not valid UTF-8; else null. */
  key_base64: z.string().nullable().default(null),
  received_at: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;
