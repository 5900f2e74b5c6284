import {
  describeRule,
  type AlertRule,
  type FiredAlert,
  type SeriesMetric,
} from '../../contract/charts.js';

/**
 * Volatility-spike alerts, evaluated for every enriched trade (pure state machine, no I/O).
 *
 * A rule's state per symbol: `armed`, `cooldownUntil` (trade time), and for z-score rules an
 * exponentially weighted mean and variance of the metric with time constant windowMs
 * (α = 1 − exp(−Δt / windowMs); the first value sets the mean, variance 0). For each value:
 *
 * - the score is the value itself (threshold rules) or z = (value − mean) / sqrt(var), computed
 *   against the history *before* this value (z-score rules; none until minSamples values and a
 *   positive variance);
 * - armed and score > above and ts ≥ cooldownUntil → fire, disarm, cooldownUntil = ts + cooldown;
 * - not armed and score < rearmBelow → armed again (hysteresis);
 * - then the history takes the value.
 *
 * Everything runs on the trades' own times, so replaying the same trades from the same stored
 * state fires the same alerts: with the state stored in the batch's transaction, a restart
 * after a crash neither repeats nor loses one.
 */

export interface RuleState {
  armed: boolean;
  cooldownUntil: number;
  mean: number;
  var: number;
  n: number;
  lastTs: number;
}

export function initialState(): RuleState {
  return { armed: true, cooldownUntil: 0, mean: 0, var: 0, n: 0, lastTs: 0 };
}

/** One value through a rule: the state after it, and the score it fired with (or null). */
export function step(
  rule: Pick<AlertRule, 'kind' | 'above' | 'rearmBelow' | 'cooldownMs' | 'windowMs' | 'minSamples'>,
  state: RuleState,
  ts: number,
  value: number,
): { state: RuleState; fired: number | null } {
  const next = { ...state };
  let score: number | null = value;
  if (rule.kind === 'zscore') {
    score =
      state.n >= (rule.minSamples ?? 2) && state.var > 0
        ? (value - state.mean) / Math.sqrt(state.var)
        : null;
    // The history takes the value (after it was scored against the history before it).
    if (state.n === 0) {
      next.mean = value;
      next.var = 0;
    } else {
      const dt = Math.max(0, ts - state.lastTs);
      const alpha = 1 - Math.exp(-dt / (rule.windowMs ?? 600_000));
      const diff = value - state.mean;
      const incr = alpha * diff;
      next.mean = state.mean + incr;
      next.var = (1 - alpha) * (state.var + diff * incr);
    }
    next.n = state.n + 1;
    next.lastTs = Math.max(state.lastTs, ts);
  }
  let fired: number | null = null;
  if (score !== null) {
    if (state.armed && score > rule.above && ts >= state.cooldownUntil) {
      fired = score;
      next.armed = false;
      next.cooldownUntil = ts + rule.cooldownMs;
    } else if (!state.armed && score < rule.rearmBelow) {
      next.armed = true;
    }
  }
  return { state: next, fired };
}

/** The columns of a row a rule can read. */
export type AlertInputRow = { [M in SeriesMetric]?: number | null } & {
  ts: number;
  symbol: string;
  price: number;
  late?: boolean;
  kafka_partition: number;
  kafka_offset: number;
};

/** A fired alert before SQLite gives it an id. */
export type NewAlert = Omit<FiredAlert, 'id'>;

export interface StateChange {
  ruleId: number;
  symbol: string;
  state: RuleState;
}

/**
 * Rules and their per-symbol states in memory. `evaluate` runs a batch's rows through every rule
 * that applies (rules for one symbol, or for all) and returns the alerts fired and the states it
 * changed, for the batch's transaction; states are loaded lazily from `load` (SQLite).
 */
export class AlertEvaluator {
  private rules: AlertRule[] = [];
  private readonly states = new Map<string, RuleState>();

  constructor(private readonly load: (ruleId: number, symbol: string) => RuleState | null) {}

  setRules(rules: readonly AlertRule[]): void {
    const ids = new Set(rules.map((r) => r.id));
    for (const key of this.states.keys()) {
      if (!ids.has(Number(key.slice(0, key.indexOf('|'))))) this.states.delete(key);
    }
    this.rules = [...rules];
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  /** Forgets every state (after a failed batch: SQLite's are the truth). */
  reset(): void {
    this.states.clear();
  }

  /** States held in memory (bounded by rules × symbols seen). */
  get stateCount(): number {
    return this.states.size;
  }

  evaluate(rows: readonly AlertInputRow[]): { alerts: NewAlert[]; changes: StateChange[] } {
    const alerts: NewAlert[] = [];
    if (this.rules.length === 0) return { alerts, changes: [] };
    const changed = new Map<string, StateChange>();
    for (const row of rows) {
      for (const rule of this.rules) {
        if (rule.symbol !== null && rule.symbol !== row.symbol) continue;
        const value = row[rule.metric];
        if (value === null || value === undefined || !Number.isFinite(value)) continue;
        const key = `${rule.id}|${row.symbol}`;
        const state = this.states.get(key) ?? this.load(rule.id, row.symbol) ?? initialState();
        const out = step(rule, state, row.ts, value);
        this.states.set(key, out.state);
        changed.set(key, { ruleId: rule.id, symbol: row.symbol, state: out.state });
        if (out.fired !== null) {
          alerts.push({
            ruleId: rule.id,
            rule: rule.description || describeRule(rule),
            symbol: row.symbol,
            metric: rule.metric,
            kind: rule.kind,
            value: out.fired,
            threshold: rule.above,
            metricValue: value,
            price: row.price,
            ts: row.ts,
            sourcePartition: row.kafka_partition,
            sourceOffset: row.kafka_offset,
          });
        }
      }
    }
    return { alerts, changes: [...changed.values()] };
  }
}
