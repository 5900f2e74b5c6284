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

/** The seed's message: `{"timestamp", "symbol", "price", "volume"}`. Unknown fields are allowed. */
export const TradeMessageSchema = z.object({
  timestamp: z.string(),
  symbol: z
    .string()
    .trim()
    .min(1, 'symbol is empty')
    .max(32, 'symbol is longer than 32 characters'),
  // Bounds keep every sum in the analytics finite (Σ p·v over a window of millions of trades).
  price: z.number().finite().positive('price must be > 0').max(1e9, 'price must be <= 1e9'),
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

/** Parses one Kafka message value; never throws. The reason names what is wrong, for the DLQ. */
export function parseTradeMessage(value: Uint8Array | string | null): TradeParseResult {
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
  key: z.string().nullable(),
  received_at: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;
