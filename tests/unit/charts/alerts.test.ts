import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertRuleSchema, parseAlertSpec, type AlertRule } from '../../../contract/charts.js';
import {
  AlertEvaluator,
  initialState,
  step,
  type AlertInputRow,
  type RuleState,
} from '../../../main/enrich/alerts.js';
import { Random } from '../../../main/simulator/random.js';

const threshold = {
  kind: 'threshold',
  above: 1,
  rearmBelow: 0.5,
  cooldownMs: 10,
  windowMs: null,
  minSamples: null,
} as const;

describe('alert rule steps (hand-checked)', () => {
  it('threshold: fires once above, re-arms only below the lower level, waits out the cooldown', () => {
    let s = initialState();
    const fired: number[] = [];
    for (const [ts, v] of [
      [0, 0.2], // below: nothing
      [1, 1.2], // fires; cooldown until 11
      [2, 1.5], // disarmed: nothing
      [3, 0.7], // still above the re-arm level 0.5: stays disarmed
      [4, 0.4], // re-armed
      [5, 1.1], // armed but in cooldown (5 < 11): nothing, stays armed
      [12, 1.3], // fires
    ] as const) {
      const out = step(threshold, s, ts, v);
      s = out.state;
      if (out.fired !== null) fired.push(ts);
    }
    assert.deepEqual(fired, [1, 12]);
    assert.equal(s.armed, false);
    assert.equal(s.cooldownUntil, 22);
  });

  it('z-score: scored against the history before the value; EW mean and variance', () => {
    // windowMs = 1000 / ln 2, so trades 1000 ms apart have α = 1 − e^(−ln 2) = 0.5.
    const rule = {
      kind: 'zscore',
      above: 3,
      rearmBelow: 1.5,
      cooldownMs: 0,
      windowMs: 1000 / Math.LN2,
      minSamples: 2,
    } as const;
    let s: RuleState = initialState();
    const scores: (number | null)[] = [];
    const fire: (number | null)[] = [];
    for (const [ts, v] of [
      [0, 1], // first value: mean 1, var 0, no score
      [1000, 3], // n = 1 < 2: no score; mean 2, var 0.5·(0 + 2·1) = 1
      [2000, 2], // z = 0; mean 2, var 0.5
      [3000, 6], // z = 4 / √0.5 = 5.657 > 3: fires; mean 4, var 0.5·(0.5 + 4·2) = 4.25
      [4000, 4], // z = 0 < 1.5: re-armed
    ] as const) {
      const before = s;
      const out = step(rule, s, ts, v);
      s = out.state;
      scores.push(
        before.n >= 2 && before.var > 0 ? (v - before.mean) / Math.sqrt(before.var) : null,
      );
      fire.push(out.fired);
    }
    assert.deepEqual(scores.slice(0, 3), [null, null, 0]);
    assert.ok(Math.abs(scores[3]! - 4 / Math.sqrt(0.5)) < 1e-12);
    assert.deepEqual(
      fire.map((f) => f !== null),
      [false, false, false, true, false],
    );
    assert.ok(Math.abs(fire[3]! - 5.656854249492381) < 1e-9);
    assert.ok(Math.abs(s.mean - 4) < 1e-12);
    assert.ok(Math.abs(s.var - 0.5 * 4.25) < 1e-12); // after the 4: var 0.5·(4.25 + 0) = 2.125
    assert.equal(s.armed, true);
  });
});

function rule(id: number, r: Partial<AlertRule>): AlertRule {
  return AlertRuleSchema.parse({
    id,
    kind: 'threshold',
    symbol: null,
    metric: 'vol_1m_ann',
    above: 0.8,
    rearmBelow: 0.6,
    cooldownMs: 60_000,
    windowMs: null,
    minSamples: null,
    createdAt: 0,
    description: `rule ${id}`,
    ...r,
  });
}

/**
 * A seeded stream: AAPL trades every 100 ms with vol_1m_ann ≈ 0.3 ± 0.05, a jump to ≈ 1.2 for
 * 50 trades at trade 1000 and again at trade 1700 (70 s later, past the 60 s cooldown), and a
 * short burst at 1300 that starts only 30 s after the first jump ended… inside its cooldown.
 */
function stream(): AlertInputRow[] {
  const random = new Random(7);
  const rows: AlertInputRow[] = [];
  for (let i = 0; i < 2500; i++) {
    const jump = (i >= 1000 && i < 1050) || (i >= 1300 && i < 1310) || (i >= 1700 && i < 1750);
    const v = (jump ? 1.2 : 0.3) + (random.next() - 0.5) * 0.1;
    rows.push({
      ts: 1_000_000 + i * 100,
      symbol: i % 2 === 0 ? 'AAPL' : 'MSFT',
      price: 100 + i,
      vol_1m_ann: i % 2 === 0 ? v : 0.3,
      vol_1m: v / 100,
      kafka_partition: 0,
      kafka_offset: i,
    });
  }
  return rows;
}

describe('AlertEvaluator over a seeded stream with known jumps', () => {
  it('fires exactly the expected alerts, once each, and re-arms as specified', () => {
    const ev = new AlertEvaluator(() => null);
    ev.setRules([rule(1, { symbol: 'AAPL' })]);
    const rows = stream();
    const { alerts } = ev.evaluate(rows);
    // AAPL is every even trade: the first even trade of each jump; the burst at 1300 is inside
    // the cooldown of the alert at 1000 (1300 − 1000 = 30 s < 60 s).
    assert.deepEqual(
      alerts.map((a) => a.sourceOffset),
      [1000, 1700],
    );
    assert.ok(alerts.every((a) => a.symbol === 'AAPL' && a.value > 0.8 && a.threshold === 0.8));
  });

  it('an all-symbols rule keeps a state per symbol; MSFT never fires', () => {
    const ev = new AlertEvaluator(() => null);
    ev.setRules([rule(2, {})]);
    const { alerts, changes } = ev.evaluate(stream());
    assert.deepEqual(
      alerts.map((a) => a.sourceOffset),
      [1000, 1700],
    );
    assert.deepEqual(changes.map((c) => c.symbol).sort(), ['AAPL', 'MSFT']);
  });

  it('split at any point with the states stored between, it fires the same alerts as one run', () => {
    const rows = stream();
    const whole = new AlertEvaluator(() => null);
    whole.setRules([
      rule(1, {}),
      rule(3, {
        kind: 'zscore',
        metric: 'vol_1m',
        above: 4,
        rearmBelow: 1,
        windowMs: 60_000,
        minSamples: 30,
      }),
    ]);
    const expected = whole.evaluate(rows).alerts;
    assert.ok(
      expected.some((a) => a.ruleId === 3),
      'the z-score rule fires on the jump too',
    );
    for (const cut of [1, 999, 1001, 1024, 1701, 2000]) {
      const stored = new Map<string, RuleState>();
      const first = new AlertEvaluator(() => null);
      first.setRules([
        rule(1, {}),
        rule(3, {
          kind: 'zscore',
          metric: 'vol_1m',
          above: 4,
          rearmBelow: 1,
          windowMs: 60_000,
          minSamples: 30,
        }),
      ]);
      const a = first.evaluate(rows.slice(0, cut));
      for (const c of a.changes) stored.set(`${c.ruleId}|${c.symbol}`, c.state);
      const second = new AlertEvaluator((id, sym) => stored.get(`${id}|${sym}`) ?? null);
      second.setRules([
        rule(1, {}),
        rule(3, {
          kind: 'zscore',
          metric: 'vol_1m',
          above: 4,
          rearmBelow: 1,
          windowMs: 60_000,
          minSamples: 30,
        }),
      ]);
      const b = second.evaluate(rows.slice(cut));
      assert.deepEqual([...a.alerts, ...b.alerts], expected, `cut at ${cut}`);
    }
  });
});

describe('rules written as text (--alert)', () => {
  it('parses thresholds and z-scores with options', () => {
    assert.deepEqual(parseAlertSpec('vol_1m_ann>0.8'), {
      kind: 'threshold',
      metric: 'vol_1m_ann',
      above: 0.8,
      symbol: null,
      cooldownMs: 60_000,
    });
    assert.deepEqual(parseAlertSpec('z(vol_1m)>3,symbol=tsla,cooldown=2m,window=5m,rearm=1'), {
      kind: 'zscore',
      metric: 'vol_1m',
      k: 3,
      symbol: 'TSLA',
      cooldownMs: 120_000,
      windowMs: 300_000,
      rearmBelow: 1,
      minSamples: 30,
    });
  });
  it('refuses what it does not understand, saying what to write', () => {
    assert.throws(() => parseAlertSpec('vol_2m>1'), /unknown metric "vol_2m"/);
    assert.throws(() => parseAlertSpec('vol_1m<1'), /METRIC>X/);
    assert.throws(() => parseAlertSpec('vol_1m>1,foo=2'), /unknown rule option/);
  });
});
