import { TOPICS, parseTradeTimestamp } from '../../../contract/trade.js';
import {
  EnrichOptionsSchema,
  ProduceOptionsSchema,
  type CommandInput,
} from '../../../contract/service.js';
import { UsageError, intFlag } from './command.js';

export { CONNECTION_FLAGS } from './session.js';

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

export type ProduceOptions = CommandInput<'producer.start'>;
export type EnrichOptions = CommandInput<'enricher.start'>;

/** The simulator's flags as `producer.start` options, checked by its schema (UsageError). */
export function produceOptionsFrom(values: Values): ProduceOptions {
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
  const options: ProduceOptions = {
    topic: str(values, 'topic') ?? TOPICS.trades,
    rate,
    count: intFlag(str(values, 'count'), 'count', 1),
    partitions: intFlag(str(values, 'partitions'), 'partitions', 1),
    symbols: symbols && symbols.length > 0 ? symbols : undefined,
    seed: intFlag(str(values, 'seed'), 'seed', 0),
    jumps: values.jumps === true,
    simulatedStart: simStart,
  };
  const parsed = ProduceOptionsSchema.safeParse(options);
  if (!parsed.success) throw new UsageError(firstIssue(parsed.error.issues));
  return parsed.data;
}

/** The enrichment's flags as `enricher.start` options (the database and weather are service options). */
export function enrichOptionsFrom(values: Values): EnrichOptions {
  const options: EnrichOptions = {
    sourceTopic: str(values, 'topic') ?? TOPICS.trades,
    enrichedTopic: str(values, 'enriched-topic') ?? TOPICS.enriched,
    deadLetterTopic: str(values, 'dlq-topic') ?? TOPICS.deadLetters,
    groupId: str(values, 'group'),
    untilIdleMs: intFlag(str(values, 'until-idle'), 'until-idle', 1),
    gracePeriodMs: intFlag(str(values, 'grace-ms'), 'grace-ms', 0),
  };
  const parsed = EnrichOptionsSchema.safeParse(options);
  if (!parsed.success) throw new UsageError(firstIssue(parsed.error.issues));
  return parsed.data;
}

function firstIssue(issues: { path: PropertyKey[]; message: string }[]): string {
  const i = issues[0];
  return i ? `${i.path.map(String).join('.')}: ${i.message}` : 'invalid arguments';
}
