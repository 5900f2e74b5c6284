import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import { AlertRuleSchema } from '../../../contract/charts.js';
import { AlertEvaluator, type AlertInputRow } from '../../../main/enrich/alerts.js';
import { sleep } from '../../../main/net-util.js';
import { APP_ROOT } from '../../../main/paths.js';
import { runProducer } from '../../../main/simulator/producer.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

/**
 * Alerts survive a kill -9 of the enricher: with a rule that fires often (every up-tick after a
 * down-tick, no cooldown), the CLI enricher (`enrich --alert …`) is killed hard mid-stream and
 * restarted; the alerts table then holds exactly the alerts a straight evaluation of the stored
 * trades, in their partitions' order, fires — none lost, none twice.
 */

let broker: TestBroker;
const dir = tempDir('vi-alerts-crash-');
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

const RULE = 'log_return>0,rearm=-0.0000001,cooldown=0ms';

it(
  'a hard-killed enricher, restarted, stores every alert exactly once',
  { timeout: 240_000 },
  async () => {
    const db = join(dir.path, 'alerts.db');
    const topic = 'alerts_kill_trades';
    const n = 20_000;
    await runProducer({
      connection: broker.connection,
      topic,
      rate: 'max',
      count: n,
      partitions: 3,
      simulator: { seed: 5, stepMs: 1000, simulatedStart: Date.UTC(2025, 6, 7, 14, 0, 0) },
    });
    const cli = (extra: string[]) =>
      spawn(
        process.execPath,
        [
          join(APP_ROOT, 'bin', 'volatility-insight.mjs'),
          'enrich',
          '--db',
          db,
          '--topic',
          topic,
          '--enriched-topic',
          'alerts_kill_enriched',
          '--dlq-topic',
          'alerts_kill_dlq',
          '--alert',
          RULE,
          ...extra,
        ],
        {
          env: { ...process.env, KAFKA_BROKERS: broker.brokers },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    const count = (table: string) => {
      try {
        const conn = new Database(db, { readonly: true, fileMustExist: true });
        try {
          return (conn.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
        } finally {
          conn.close();
        }
      } catch {
        return 0;
      }
    };
    const first = cli([]);
    const exited = new Promise((resolve) => first.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (count('enriched_trades') < 3000 && Date.now() < deadline) await sleep(20);
    first.kill('SIGKILL');
    await exited;
    const tradesAtKill = count('enriched_trades');
    const alertsAtKill = count('alerts');
    assert.ok(tradesAtKill > 0 && tradesAtKill < n, `killed mid-stream (${tradesAtKill} of ${n})`);
    assert.ok(alertsAtKill > 0, 'alerts were stored before the kill');

    const second = cli(['--until-idle', '1500']);
    let stderr = '';
    second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => second.on('exit', resolve));
    assert.equal(code, 0, stderr);

    const conn = new Database(db, { readonly: true });
    try {
      assert.equal(count('enriched_trades'), n);
      const rules = conn.prepare('SELECT * FROM alert_rules').all() as Record<string, unknown>[];
      assert.equal(rules.length, 1, 'the same --alert twice is one rule');
      const rule = AlertRuleSchema.parse({
        id: rules[0]!.id,
        kind: rules[0]!.kind,
        symbol: rules[0]!.symbol,
        metric: rules[0]!.metric,
        above: rules[0]!.above,
        rearmBelow: rules[0]!.rearm_below,
        cooldownMs: rules[0]!.cooldown_ms,
        windowMs: rules[0]!.window_ms,
        minSamples: rules[0]!.min_samples,
        createdAt: 0,
        description: 'r',
      });
      const rows = conn
        .prepare(
          'SELECT ts, symbol, price, log_return, kafka_partition, kafka_offset FROM enriched_trades ORDER BY kafka_partition, kafka_offset',
        )
        .all() as AlertInputRow[];
      const reference = new AlertEvaluator(() => null);
      reference.setRules([rule]);
      const expected = reference
        .evaluate(rows)
        .alerts.map((a) => `${a.sourcePartition}:${a.sourceOffset}`);
      const stored = (
        conn
          .prepare(
            'SELECT source_partition AS p, source_offset AS o FROM alerts ORDER BY source_partition, source_offset',
          )
          .all() as { p: number; o: number }[]
      ).map((a) => `${a.p}:${a.o}`);
      assert.ok(expected.length > alertsAtKill, `${expected.length} alerts expected in all`);
      assert.equal(new Set(stored).size, stored.length, 'no alert twice');
      assert.deepEqual(stored, expected, 'exactly the alerts of an uninterrupted run');
    } finally {
      conn.close();
    }
  },
);
