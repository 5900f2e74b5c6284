import type { Kafka } from 'kafkajs';
import { ALERTS_TOPIC, type FiredAlert, type LivePoint } from '../../contract/charts.js';
import { ensureTopic } from '../kafka/topics.js';
import type { EnrichedRow, SqliteStore, StoredBatch } from '../store/sqlite-store.js';
import { AlertEvaluator } from './alerts.js';
import { LivePoints } from './live-points.js';
import type { Publisher } from './publisher.js';

/** Rules are re-read from SQLite at most this often (rules added while the enrichment runs). */
const RULES_REFRESH_MS = 500;

export interface ChartFeedOptions {
  /** Newest points per symbol, coalesced (a few a second). */
  onPoints?: (points: LivePoint[]) => void;
  /** Alerts stored with their batch. */
  onAlerts?: (alerts: FiredAlert[]) => void;
  alertsTopic?: string;
}

/**
 * What the enrichment does for charts and alerts, kept out of the consumer's loop: evaluate a
 * batch's rows against the alert rules (the result goes into the batch's transaction), publish
 * fired alerts to `volatility_alerts`, then, once the batch is stored, tell the views.
 */
export class ChartFeed {
  private readonly evaluator: AlertEvaluator;
  private readonly live: LivePoints | null;
  private rulesReadAt = -Infinity;
  private topicReady = false;

  constructor(
    private readonly store: SqliteStore,
    private readonly kafka: Kafka,
    private readonly options: ChartFeedOptions = {},
  ) {
    this.evaluator = new AlertEvaluator((ruleId, symbol) => store.alerts.state(ruleId, symbol));
    this.live = options.onPoints ? new LivePoints(options.onPoints) : null;
  }

  /** After a batch is computed: the alerts it fires and the rule states it changes. */
  evaluate(rows: readonly EnrichedRow[]): NonNullable<StoredBatch['alerts']> {
    if (performance.now() - this.rulesReadAt >= RULES_REFRESH_MS) {
      this.evaluator.setRules(this.store.alerts.rules());
      this.rulesReadAt = performance.now();
    }
    return this.evaluator.evaluate(rows);
  }

  /**
   * Publishes fired alerts before the batch is stored (at-least-once, like the enriched topic:
   * records carry the source partition and offset to deduplicate on).
   */
  async publish(producer: Publisher, pending: NonNullable<StoredBatch['alerts']>): Promise<void> {
    if (pending.alerts.length === 0) return;
    const topic = this.options.alertsTopic ?? ALERTS_TOPIC;
    if (!this.topicReady) {
      await ensureTopic(this.kafka, topic, 1);
      this.topicReady = true;
    }
    await producer.send(
      topic,
      pending.alerts.map((a) => ({
        key: a.symbol,
        value: JSON.stringify({
          rule: a.rule,
          rule_id: a.ruleId,
          kind: a.kind,
          symbol: a.symbol,
          metric: a.metric,
          value: a.value,
          threshold: a.threshold,
          metric_value: a.metricValue,
          price: a.price,
          timestamp: new Date(a.ts).toISOString(),
          source_partition: a.sourcePartition,
          source_offset: a.sourceOffset,
        }),
      })),
    );
  }

  /** After the batch is stored: its alerts (as stored) and its newest points go to the views. */
  stored(rows: readonly EnrichedRow[], alerts: readonly FiredAlert[]): void {
    if (alerts.length > 0) this.options.onAlerts?.([...alerts]);
    this.live?.offer(rows);
  }

  /** The batch was not stored: rule states go back to SQLite's. */
  reset(): void {
    this.evaluator.reset();
  }

  close(): void {
    this.live?.close();
  }
}
