import { ProduceRequestSchema, EnrichRequestSchema } from '../../../contract/pipeline.js';
import type { EnrichRequest, ProduceRequest } from '../../../contract/pipeline.js';
import { TOPICS, parseTradeTimestamp } from '../../../contract/trade.js';
import type { KafkaConnection } from '../../kafka/connection.js';
import { resolveKafkaConnection } from './admin-support.js';
import { defaultDbPath } from '../../paths.js';
import { UsageError, intFlag } from './command.js';

export const CONNECTION_FLAGS = {
  brokers: { type: 'string' },
} as const;

export const PRODUCE_FLAGS = {
  rate: { type: 'string' },
  count: { type: 'string' },
  symbols: { type: 'string' },
  seed: { type: 'string' },
  partitions: { type: 'string' },
  topic: { type: 'string' },
  jumps: { type: 'boolean' },
  'sim-start': { type: 'string' },
} as const;

export const ENRICH_FLAGS = {
  db: { type: 'string' },
  'until-idle': { type: 'string' },
  group: { type: 'string' },
  'grace-ms': { type: 'string' },
  'weather-key': { type: 'string' },
  'weather-url': { type: 'string' },
  topic: { type: 'string' },
  'enriched-topic': { type: 'string' },
  'dlq-topic': { type: 'string' },
} as const;

type Values = Record<string, string | boolean | undefined>;
const str = (v: Values, k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);

/** --brokers, else KAFKA_BROKERS, else the saved broker settings (with their SASL/TLS). */
export function connectionFrom(values: Values, env: NodeJS.ProcessEnv): KafkaConnection {
  return resolveKafkaConnection(str(values, 'brokers'), env);
}

export function produceRequestFrom(values: Values, connection: KafkaConnection): ProduceRequest {
  const rateText = str(values, 'rate') ?? '1';
  const rate = rateText === 'max' ? 'max' : Number(rateText);
  if (rate !== 'max' && !(Number.isFinite(rate) && rate > 0)) {
    throw new UsageError('--rate must be a positive number of messages per second, or "max"');
  }
  const simStart = str(values, 'sim-start');
  if (simStart !== undefined && parseTradeTimestamp(simStart) === null) {
    throw new UsageError('--sim-start must be an ISO-8601 date-time, e.g. 2025-07-07T13:30:00Z');
  }
  const symbols = str(values, 'symbols')
    ?.split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const parsed = ProduceRequestSchema.safeParse({
    connection,
    topic: str(values, 'topic') ?? TOPICS.trades,
    rate,
    count: intFlag(str(values, 'count'), 'count', 1),
    partitions: intFlag(str(values, 'partitions'), 'partitions', 1),
    symbols: symbols && symbols.length > 0 ? symbols : undefined,
    seed: intFlag(str(values, 'seed'), 'seed', 0),
    jumps: values.jumps === true,
    simulatedStart: simStart,
  });
  if (!parsed.success) throw new UsageError(firstIssue(parsed.error.issues));
  return parsed.data;
}

export function enrichRequestFrom(
  values: Values,
  connection: KafkaConnection,
  env: NodeJS.ProcessEnv,
): EnrichRequest {
  const weatherKey = str(values, 'weather-key') ?? env.OPENWEATHER_API_KEY;
  const weatherUrl = str(values, 'weather-url') ?? env.OPENWEATHER_BASE_URL;
  const parsed = EnrichRequestSchema.safeParse({
    connection,
    db: str(values, 'db') ?? defaultDbPath(env),
    sourceTopic: str(values, 'topic') ?? TOPICS.trades,
    enrichedTopic: str(values, 'enriched-topic') ?? TOPICS.enriched,
    deadLetterTopic: str(values, 'dlq-topic') ?? TOPICS.deadLetters,
    groupId: str(values, 'group'),
    untilIdleMs: intFlag(str(values, 'until-idle'), 'until-idle', 1),
    gracePeriodMs: intFlag(str(values, 'grace-ms'), 'grace-ms', 0),
    weather: {
      ...(weatherKey ? { apiKey: weatherKey } : {}),
      ...(weatherUrl ? { baseUrl: weatherUrl } : {}),
    },
  });
  if (!parsed.success) throw new UsageError(firstIssue(parsed.error.issues));
  return parsed.data;
}

function firstIssue(issues: { path: PropertyKey[]; message: string }[]): string {
  const i = issues[0];
  return i ? `${i.path.map(String).join('.')}: ${i.message}` : 'invalid arguments';
}
