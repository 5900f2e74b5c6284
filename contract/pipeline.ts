import { z } from 'zod';
import { FiredAlertSchema, LivePointSchema } from './charts.js';
import { MAX_FUTURE_MS, SymbolSchema, TOPICS, parseTradeTimestamp } from './trade.js';

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected HOST:PORT');

export const ConnectionSchema = z.object({
  brokers: z.array(hostPort).min(1),
  sasl: z
    .object({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string(),
      password: z.string(),
    })
    .optional(),
  tls: z
    .object({
      enabled: z.boolean(),
      caFile: z.string().optional(),
      rejectUnauthorized: z.boolean(),
    })
    .optional(),
});

export const ProduceRequestSchema = z.object({
  connection: ConnectionSchema,
  topic: z.string().min(1).default(TOPICS.trades),
  rate: z.union([z.number().positive().max(1_000_000), z.literal('max')]).default(1),
  count: z.number().int().positive().optional(),
  partitions: z.number().int().min(1).max(1000).default(3),
  symbols: z.array(SymbolSchema).min(1).optional(),
  seed: z.number().int().optional(),
  jumps: z.boolean().default(false),
  /**
   * ISO start of a simulated clock: timestamps then advance by 1000/rate ms per trade. Not more
   * than 24 hours ahead of now: the enrichment dead-letters trades dated later (MAX_FUTURE_MS).
   */
  simulatedStart: z
    .string()
    .refine((t) => parseTradeTimestamp(t) !== null, 'must be an ISO-8601 date-time')
    .refine(
      (t) => (parseTradeTimestamp(t) ?? 0) <= Date.now() + MAX_FUTURE_MS,
      'must not be more than 24 hours ahead of now (the enrichment dead-letters trades dated later)',
    )
    .optional(),
});
export type ProduceRequest = z.infer<typeof ProduceRequestSchema>;

export const EnrichRequestSchema = z.object({
  connection: ConnectionSchema,
  db: z.string().min(1),
  sourceTopic: z.string().min(1).default(TOPICS.trades),
  enrichedTopic: z.string().min(1).default(TOPICS.enriched),
  deadLetterTopic: z.string().min(1).default(TOPICS.deadLetters),
  /** Fired volatility-spike alerts (issue 9). */
  alertsTopic: z.string().min(1).default('volatility_alerts'),
  groupId: z.string().min(1).optional(),
  untilIdleMs: z.number().int().positive().optional(),
  gracePeriodMs: z.number().int().min(0).default(5000),
  weather: z
    .object({
      apiKey: z.string().optional(),
      baseUrl: z.string().url().optional(),
      ttlMs: z.number().int().positive().optional(),
      timeoutMs: z.number().int().positive().optional(),
    })
    .default({}),
});
export type EnrichRequest = z.infer<typeof EnrichRequestSchema>;

export const ProducerStatsSchema = z.object({
  state: z.enum(['connecting', 'running', 'waiting-for-broker', 'stopping', 'stopped', 'failed']),
  produced: z.number(),
  rate: z.number(),
  lastError: z.string().nullable(),
});
export type ProducerStats = z.infer<typeof ProducerStatsSchema>;

export const EnricherStatsSchema = z.object({
  state: z.enum(['connecting', 'running', 'recovering', 'idle', 'stopping', 'stopped', 'failed']),
  groupId: z.string(),
  consumed: z.number(),
  enriched: z.number(),
  deadLetters: z.number(),
  late: z.number(),
  rate: z.number(),
  /** Messages of this consumer's partitions not yet stored (high watermark − stored offset). */
  lag: z.number().nullable(),
  rowsStored: z.number(),
  /** Messages the topic's retention deleted before they were stored (cannot be recovered). */
  lostToRetention: z.number(),
  lastError: z.string().nullable(),
});
export type EnricherStats = z.infer<typeof EnricherStatsSchema>;

export const ProducerResultSchema = z.object({ produced: z.number(), unconfirmed: z.number() });
export const EnricherResultSchema = z.object({
  consumed: z.number(),
  enriched: z.number(),
  deadLetters: z.number(),
  rowsStored: z.number(),
});
export type EnricherResult = z.infer<typeof EnricherResultSchema>;

/** What a pipeline worker thread posts to its parent. */
export const WorkerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('producer-stats'), stats: ProducerStatsSchema }),
  z.object({ type: z.literal('enricher-stats'), stats: EnricherStatsSchema }),
  z.object({ type: z.literal('producer-done'), result: ProducerResultSchema }),
  z.object({ type: z.literal('enricher-done'), result: EnricherResultSchema }),
  z.object({ type: z.literal('error'), message: z.string() }),
  /** The enrichment's newest points per symbol, coalesced (a few a second at most). */
  z.object({ type: z.literal('enricher-points'), points: z.array(LivePointSchema) }),
  /** Alerts stored with their batch. */
  z.object({ type: z.literal('alert-fired'), alerts: z.array(FiredAlertSchema) }),
]);
export type WorkerEvent = z.infer<typeof WorkerEventSchema>;

/** What the parent sends to a pipeline worker thread. */
export const WorkerCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('produce'), request: ProduceRequestSchema }),
  z.object({ type: z.literal('enrich'), request: EnrichRequestSchema }),
  /** drain: the consumer first stores everything already in its partitions (bounded). */
  z.object({ type: z.literal('stop'), drain: z.boolean().optional() }),
]);
export type WorkerCommand = z.infer<typeof WorkerCommandSchema>;
