import { z } from 'zod';
import { SymbolSchema } from './trade.js';

/**
 * Charts and volatility-spike alerts (issue 9): the series and bars queries, the live points the
 * enrichment publishes (coalesced per symbol), alert rules and fired alerts.
 */

/** The topic fired alerts are produced to (JSON). */
export const ALERTS_TOPIC = 'volatility_alerts';

/** Per-trade metrics a series can show (columns of enriched_trades). */
export const SERIES_METRICS = [
  'price',
  'vwap_5m',
  'log_return',
  'vol_1m',
  'vol_5m',
  'ewma_vol',
  'vol_1m_ann',
  'vol_5m_ann',
  'ewma_vol_ann',
] as const;
export const SeriesMetricSchema = z.enum(SERIES_METRICS);
export type SeriesMetric = z.infer<typeof SeriesMetricSchema>;

const Ms = z.number().int().min(0).max(8.64e15);

/**
 * A time range: explicit [fromMs, toMs), or the last `lastMs` before the newest stored trade of
 * the symbols asked for (a live window follows the trades' own clock, which may be simulated).
 */
export const SeriesRangeSchema = z.union([
  z
    .object({ fromMs: Ms, toMs: Ms })
    .strict()
    .refine((r) => r.fromMs < r.toMs, { message: 'fromMs must be before toMs', path: ['toMs'] }),
  z
    .object({
      lastMs: z
        .number()
        .int()
        .min(1000)
        .max(366 * 86_400_000),
    })
    .strict(),
]);
export type SeriesRange = z.infer<typeof SeriesRangeSchema>;

export const SeriesQuerySchema = z.object({
  symbols: z.array(SymbolSchema).min(1).max(20),
  range: SeriesRangeSchema,
  metrics: z.array(SeriesMetricSchema).min(1).max(SERIES_METRICS.length),
  /** At most this many points per series (downsampled beyond it, keeping each bucket's extremes). */
  maxPoints: z.number().int().min(10).max(20_000).default(1000),
});

/** One series, columnar: t[i] (epoch ms) and v[i]. */
export const SeriesSchema = z.object({
  symbol: z.string(),
  metric: SeriesMetricSchema,
  t: z.array(z.number()),
  v: z.array(z.number()),
  /** Rows with a value in the range (before downsampling). */
  rows: z.number().int().nonnegative(),
  downsampled: z.boolean(),
});
export type Series = z.infer<typeof SeriesSchema>;

export const SeriesResultSchema = z.object({
  /** The range actually read, [fromMs, toMs); null when nothing is stored for these symbols. */
  fromMs: z.number().nullable(),
  toMs: z.number().nullable(),
  series: z.array(SeriesSchema),
  elapsedMs: z.number(),
});
export type SeriesResult = z.infer<typeof SeriesResultSchema>;

export const BarsQuerySchema = z.object({
  symbol: SymbolSchema,
  range: SeriesRangeSchema,
  /** More one-minute bars than this are merged into wider bars (a whole number of minutes). */
  maxBars: z.number().int().min(10).max(20_000).default(1000),
});

export const ChartBarSchema = z.object({
  start: z.number(),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
  trades: z.number(),
  vwap: z.number().nullable(),
  /** Parkinson: sqrt(mean over the minutes of ln(H/L)²) / (4 ln 2)), per one-minute bar. */
  parkinson: z.number().nullable(),
});
export type ChartBar = z.infer<typeof ChartBarSchema>;

export const BarsResultSchema = z.object({
  symbol: z.string(),
  fromMs: z.number().nullable(),
  toMs: z.number().nullable(),
  /** 60,000 for one-minute bars; a multiple of it when merged. */
  intervalMs: z.number(),
  bars: z.array(ChartBarSchema),
});
export type BarsResult = z.infer<typeof BarsResultSchema>;

/** A symbol's newest enriched values, as the enrichment publishes them (coalesced). */
export const LivePointSchema = z.object({
  symbol: z.string(),
  ts: z.number(),
  price: z.number(),
  vwap_5m: z.number(),
  log_return: z.number().nullable(),
  vol_1m: z.number().nullable(),
  vol_5m: z.number().nullable(),
  ewma_vol: z.number().nullable(),
  vol_1m_ann: z.number().nullable(),
  vol_5m_ann: z.number().nullable(),
  ewma_vol_ann: z.number().nullable(),
});
export type LivePoint = z.infer<typeof LivePointSchema>;

// ---- alerts --------------------------------------------------------------------------------

const Cooldown = z.number().int().min(0).max(86_400_000);

/**
 * A rule: for one symbol or all (`symbol: null`), a metric above a threshold, or the z-score of
 * a metric against its own exponentially weighted history (time constant `windowMs`) above k.
 * Fires once, then is re-armed only once the value (or z) falls below `rearmBelow`, and not
 * again within `cooldownMs` of trade time.
 */
export const AlertRuleInputSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('threshold'),
      symbol: SymbolSchema.nullable().default(null),
      metric: SeriesMetricSchema,
      above: z.number().finite(),
      /** Default: 90% of `above` (or above − 10% of |above|). */
      rearmBelow: z.number().finite().optional(),
      cooldownMs: Cooldown.default(60_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('zscore'),
      symbol: SymbolSchema.nullable().default(null),
      metric: SeriesMetricSchema.default('vol_1m'),
      k: z.number().positive().max(1000),
      /** Default: k / 2. */
      rearmBelow: z.number().finite().optional(),
      windowMs: z.number().int().min(1000).max(86_400_000).default(600_000),
      /** Values the history must have seen before the rule can fire. */
      minSamples: z.number().int().min(2).max(1_000_000).default(30),
      cooldownMs: Cooldown.default(60_000),
    })
    .strict(),
]);
export type AlertRuleInput = z.input<typeof AlertRuleInputSchema>;

export const AlertRuleSchema = z.object({
  id: z.number().int(),
  kind: z.enum(['threshold', 'zscore']),
  symbol: z.string().nullable(),
  metric: SeriesMetricSchema,
  /** threshold: the value; zscore: k. */
  above: z.number(),
  rearmBelow: z.number(),
  cooldownMs: z.number(),
  windowMs: z.number().nullable(),
  minSamples: z.number().nullable(),
  createdAt: z.number(),
  /** A line for a person, e.g. "AAPL vol_1m_ann > 0.8". */
  description: z.string(),
});
export type AlertRule = z.infer<typeof AlertRuleSchema>;

export const FiredAlertSchema = z.object({
  id: z.number().int(),
  ruleId: z.number().int(),
  rule: z.string(),
  symbol: z.string(),
  metric: SeriesMetricSchema,
  kind: z.enum(['threshold', 'zscore']),
  /** The metric's value (threshold) or the z-score (zscore) that crossed. */
  value: z.number(),
  threshold: z.number(),
  /** The metric's value at the trade (equals value for threshold rules). */
  metricValue: z.number(),
  price: z.number(),
  /** The trade's own time, epoch ms. */
  ts: z.number(),
  sourcePartition: z.number().int(),
  sourceOffset: z.number().int(),
});
export type FiredAlert = z.infer<typeof FiredAlertSchema>;

export const AlertsHistoryQuerySchema = z.object({
  symbol: SymbolSchema.optional(),
  fromMs: Ms.optional(),
  toMs: Ms.optional(),
  limit: z.number().int().min(1).max(10_000).default(200),
});

/** Describes a rule in one line: "AAPL vol_1m_ann > 0.8 (re-arm < 0.72, cooldown 60 s)". */
export function describeRule(r: {
  kind: 'threshold' | 'zscore';
  symbol: string | null;
  metric: SeriesMetric;
  above: number;
  rearmBelow: number;
  cooldownMs: number;
  windowMs?: number | null;
}): string {
  const who = r.symbol ?? 'all symbols';
  const what =
    r.kind === 'threshold'
      ? `${r.metric} > ${r.above}`
      : `z(${r.metric}, ${Math.round((r.windowMs ?? 0) / 1000)} s) > ${r.above}`;
  return `${who}: ${what} (re-arm < ${r.rearmBelow}, cooldown ${Math.round(r.cooldownMs / 1000)} s)`;
}

/** The re-arm level a rule gets when none is given. */
export function defaultRearm(kind: 'threshold' | 'zscore', above: number): number {
  if (kind === 'zscore') return above / 2;
  return above - Math.abs(above) * 0.1;
}

function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Math.round(n * unit);
}

/**
 * A rule written as text (the CLI's `--alert`): `METRIC>X` or `z(METRIC)>K`, then options
 * separated by commas: `symbol=AAPL`, `rearm=Y`, `cooldown=60s`, `window=10m`, `min=30`.
 * Examples: `vol_1m_ann>0.8`, `z(vol_1m)>3,symbol=TSLA,cooldown=2m`.
 */
export function parseAlertSpec(spec: string): AlertRuleInput {
  const [head = '', ...opts] = spec.split(',').map((s) => s.trim());
  const z = /^z\((\w+)\)\s*>\s*(-?[\d.eE+-]+)$/.exec(head);
  const t = /^(\w+)\s*>\s*(-?[\d.eE+-]+)$/.exec(head);
  const m = z ?? t;
  if (!m) {
    throw new Error(
      `"${spec}" is not a rule: write METRIC>X (e.g. vol_1m_ann>0.8) or z(METRIC)>K (e.g. z(vol_1m)>3)`,
    );
  }
  const metric = SeriesMetricSchema.safeParse(m[1]);
  if (!metric.success) {
    throw new Error(`unknown metric "${m[1]}": one of ${SERIES_METRICS.join(', ')}`);
  }
  const level = Number(m[2]);
  if (!Number.isFinite(level)) throw new Error(`"${m[2]}" is not a number`);
  const rule: Record<string, unknown> = z
    ? { kind: 'zscore', metric: metric.data, k: level }
    : { kind: 'threshold', metric: metric.data, above: level };
  for (const opt of opts) {
    const [key, value = ''] = opt.split('=').map((s) => s.trim());
    if (key === 'symbol') rule.symbol = value.toUpperCase();
    else if (key === 'rearm') rule.rearmBelow = Number(value);
    else if (key === 'min' && z) rule.minSamples = Number(value);
    else if (key === 'cooldown' || (key === 'window' && z)) {
      const ms = parseDuration(value);
      if (ms === null)
        throw new Error(`${key}=${value}: write a duration such as 90s, 2m or 500ms`);
      rule[key === 'cooldown' ? 'cooldownMs' : 'windowMs'] = ms;
    } else {
      throw new Error(
        `unknown rule option "${opt}": symbol=, rearm=, cooldown=${z ? ', window=, min=' : ''}`,
      );
    }
  }
  const parsed = AlertRuleInputSchema.safeParse(rule);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`"${spec}": ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}
