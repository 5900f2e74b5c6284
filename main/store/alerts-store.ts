import type Database from 'better-sqlite3';
import {
  AlertRuleInputSchema,
  defaultRearm,
  describeRule,
  type AlertRule,
  type AlertRuleInput,
  type FiredAlert,
  type SeriesMetric,
} from '../../contract/charts.js';
import type { NewAlert, RuleState, StateChange } from '../enrich/alerts.js';

/** Alert rules, rule states and fired alerts in SQLite (migration 3). */

interface RuleRow {
  id: number;
  kind: 'threshold' | 'zscore';
  symbol: string | null;
  metric: SeriesMetric;
  above: number;
  rearm_below: number;
  cooldown_ms: number;
  window_ms: number | null;
  min_samples: number | null;
  created_at: number;
}

function toRule(r: RuleRow): AlertRule {
  const rule = {
    id: r.id,
    kind: r.kind,
    symbol: r.symbol,
    metric: r.metric,
    above: r.above,
    rearmBelow: r.rearm_below,
    cooldownMs: r.cooldown_ms,
    windowMs: r.window_ms,
    minSamples: r.min_samples,
    createdAt: r.created_at,
  };
  return { ...rule, description: describeRule(rule) };
}

export function listRules(db: Database.Database): AlertRule[] {
  return (db.prepare('SELECT * FROM alert_rules ORDER BY id').all() as RuleRow[]).map(toRule);
}

/** Adds a rule; an identical rule that already exists is returned instead of a second copy. */
export function addRule(db: Database.Database, input: AlertRuleInput): AlertRule {
  const r = AlertRuleInputSchema.parse(input);
  const above = r.kind === 'threshold' ? r.above : r.k;
  const rearm = r.rearmBelow ?? defaultRearm(r.kind, above);
  if (!(rearm <= above)) {
    throw new RangeError(`the re-arm level (${rearm}) must not be above the level (${above})`);
  }
  const windowMs = r.kind === 'zscore' ? r.windowMs : null;
  const minSamples = r.kind === 'zscore' ? r.minSamples : null;
  const existing = db
    .prepare(
      `SELECT * FROM alert_rules WHERE kind = ? AND symbol IS ? AND metric = ? AND above = ?
       AND rearm_below = ? AND cooldown_ms = ? AND window_ms IS ? AND min_samples IS ?`,
    )
    .get(r.kind, r.symbol, r.metric, above, rearm, r.cooldownMs, windowMs, minSamples) as
    RuleRow | undefined;
  if (existing) return toRule(existing);
  const info = db
    .prepare(
      `INSERT INTO alert_rules (kind, symbol, metric, above, rearm_below, cooldown_ms, window_ms, min_samples, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(r.kind, r.symbol, r.metric, above, rearm, r.cooldownMs, windowMs, minSamples, Date.now());
  return toRule(
    db.prepare('SELECT * FROM alert_rules WHERE id = ?').get(info.lastInsertRowid) as RuleRow,
  );
}

/** Removes a rule and its states (its fired alerts stay, with the rule's description). */
export function removeRule(db: Database.Database, id: number): boolean {
  return db.transaction(() => {
    db.prepare('DELETE FROM alert_rule_state WHERE rule_id = ?').run(id);
    return db.prepare('DELETE FROM alert_rules WHERE id = ?').run(id).changes > 0;
  })();
}

interface AlertRow {
  id: number;
  rule_id: number;
  rule: string;
  symbol: string;
  metric: SeriesMetric;
  kind: 'threshold' | 'zscore';
  value: number;
  threshold: number;
  metric_value: number;
  price: number;
  ts: number;
  source_partition: number;
  source_offset: number;
}

function toAlert(r: AlertRow): FiredAlert {
  return {
    id: r.id,
    ruleId: r.rule_id,
    rule: r.rule,
    symbol: r.symbol,
    metric: r.metric,
    kind: r.kind,
    value: r.value,
    threshold: r.threshold,
    metricValue: r.metric_value,
    price: r.price,
    ts: r.ts,
    sourcePartition: r.source_partition,
    sourceOffset: r.source_offset,
  };
}

/** Fired alerts, newest first. */
export function alertHistory(
  db: Database.Database,
  q: {
    symbol?: string | undefined;
    fromMs?: number | undefined;
    toMs?: number | undefined;
    limit: number;
  },
): FiredAlert[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.symbol !== undefined) {
    where.push('symbol = ?');
    params.push(q.symbol);
  }
  if (q.fromMs !== undefined) {
    where.push('ts >= ?');
    params.push(q.fromMs);
  }
  if (q.toMs !== undefined) {
    where.push('ts < ?');
    params.push(q.toMs);
  }
  const sql = `SELECT * FROM alerts${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`;
  return (db.prepare(sql).all(...params, q.limit) as AlertRow[]).map(toAlert);
}

/**
 * The enrichment's side: rule states read lazily, fired alerts and changed states written inside
 * the batch's transaction (writeBatch), so they are stored exactly once with their trades.
 */
export class AlertTables {
  private readonly selectState: Database.Statement;
  private readonly upsertState: Database.Statement;
  private readonly insertAlert: Database.Statement;
  private readonly alertById: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.selectState = db.prepare(
      'SELECT armed, cooldown_until, mean, var, n, last_ts FROM alert_rule_state WHERE rule_id = ? AND symbol = ?',
    );
    this.upsertState = db.prepare(
      `INSERT INTO alert_rule_state (rule_id, symbol, armed, cooldown_until, mean, var, n, last_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (rule_id, symbol) DO UPDATE SET armed = excluded.armed,
         cooldown_until = excluded.cooldown_until, mean = excluded.mean, var = excluded.var,
         n = excluded.n, last_ts = excluded.last_ts`,
    );
    // A rule removed meanwhile: its alert is not stored (the SELECT finds no rule).
    this.insertAlert = db.prepare(
      `INSERT OR IGNORE INTO alerts (rule_id, rule, symbol, metric, kind, value, threshold, metric_value, price, ts, source_partition, source_offset)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM alert_rules WHERE id = ?)`,
    );
    this.alertById = db.prepare('SELECT * FROM alerts WHERE id = ?');
  }

  rules(): AlertRule[] {
    return listRules(this.db);
  }

  state(ruleId: number, symbol: string): RuleState | null {
    const r = this.selectState.get(ruleId, symbol) as
      | {
          armed: number;
          cooldown_until: number;
          mean: number;
          var: number;
          n: number;
          last_ts: number;
        }
      | undefined;
    if (!r) return null;
    return {
      armed: r.armed === 1,
      cooldownUntil: r.cooldown_until,
      mean: r.mean,
      var: r.var,
      n: r.n,
      lastTs: r.last_ts,
    };
  }

  /** Inside the batch's transaction. Returns the alerts stored (with their ids). */
  write(alerts: readonly NewAlert[], changes: readonly StateChange[]): FiredAlert[] {
    const stored: FiredAlert[] = [];
    for (const c of changes) {
      const s = c.state;
      this.upsertState.run(
        c.ruleId,
        c.symbol,
        s.armed ? 1 : 0,
        s.cooldownUntil,
        s.mean,
        s.var,
        s.n,
        s.lastTs,
      );
    }
    for (const a of alerts) {
      const info = this.insertAlert.run(
        a.ruleId,
        a.rule,
        a.symbol,
        a.metric,
        a.kind,
        a.value,
        a.threshold,
        a.metricValue,
        a.price,
        a.ts,
        a.sourcePartition,
        a.sourceOffset,
        a.ruleId,
      );
      if (info.changes > 0)
        stored.push(toAlert(this.alertById.get(info.lastInsertRowid) as AlertRow));
    }
    return stored;
  }
}
