import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  RunningMoments,
  TRADING_SECONDS_PER_YEAR,
  annualise,
  logReturn,
  meanIntervalSeconds,
  sampleStd,
} from '../../../main/enrich/volatility.js';
import { DEFAULT_EWMA_LAMBDA, ewmaVariance, ewmaVolSeries } from '../../../main/enrich/ewma.js';
import { RunningVwap, vwapOf } from '../../../main/enrich/vwap.js';
import { rng } from './naive.js';

function close(a: number | null, b: number, tol = 1e-12): void {
  assert.notEqual(a, null);
  assert.ok(Math.abs((a as number) - b) <= tol * Math.max(1, Math.abs(b)), `${a} !≈ ${b}`);
}

describe('volatility helpers', () => {
  it('Y = 252 × 6.5 × 3600 = 5 896 800 s', () => {
    assert.equal(TRADING_SECONDS_PER_YEAR, 5_896_800);
  });

  it('sampleStd divides by n − 1', () => {
    // {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, Σ(x − 5)² = 9+1+1+1+0+0+4+16 = 32 → sqrt(32/7)
    close(sampleStd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
    assert.equal(sampleStd([1]), null);
    assert.equal(sampleStd([]), null);
  });

  it('logReturn', () => {
    close(logReturn(110, 100), Math.log(1.1));
  });

  it('meanIntervalSeconds and annualise', () => {
    // 3 returns between trades at 0 s and 30 s → 10 s each
    assert.equal(meanIntervalSeconds(30_000, 0, 3), 10);
    assert.equal(meanIntervalSeconds(30_000, 0, 0), null);
    // 0.01 × sqrt(5 896 800 / 10) = 0.01 × 767.9062442772555
    close(annualise(0.01, 10), 7.679062442772555);
    assert.equal(annualise(null, 10), null);
    assert.equal(annualise(0.01, 0), null);
    assert.equal(annualise(0.01, null), null);
  });
});

describe('RunningMoments', () => {
  it('matches sampleStd through adds and removes', () => {
    const m = new RunningMoments();
    m.add(0.01);
    assert.equal(m.variance(), null);
    m.add(-0.02);
    m.add(0.03);
    close(m.std(), sampleStd([0.01, -0.02, 0.03])!);
    m.remove(0.01);
    close(m.std(), sampleStd([-0.02, 0.03])!);
  });

  it('stays accurate when large values leave and tiny ones remain (with the stale reset)', () => {
    const rand = rng(3);
    const window: number[] = [];
    const m = new RunningMoments();
    const push = (x: number) => {
      window.push(x);
      m.add(x);
    };
    for (let i = 0; i < 10_000; i++) push((rand() - 0.5) * 10);
    for (let i = 0; i < 10_000; i++) {
      push(1e-4 + (rand() - 0.5) * 1e-7);
      m.remove(window.shift()!);
      if (m.stale) m.reset(window);
    }
    const exact = sampleStd(window)!;
    assert.ok(Math.abs(m.std()! - exact) <= 1e-9 * exact, `${m.std()} vs ${exact}`);
  });

  it('clamps a tiny negative variance to 0', () => {
    const m = new RunningMoments();
    // shift = 0.078; three equal values y leave s2 − s1²/3 = −4.3e-19 after rounding
    const y = 0.1 + 6 * 1e-3;
    m.add(0.078);
    m.add(y);
    m.add(y);
    m.add(y);
    m.remove(0.078);
    assert.equal(m.variance(), 0);
    m.reset([0.1, 0.1, 0.1]);
    assert.equal(m.variance(), 0);
  });
});

describe('EWMA', () => {
  it('σ²_1 = r², then λσ² + (1 − λ)r²', () => {
    assert.equal(DEFAULT_EWMA_LAMBDA, 0.94);
    assert.equal(ewmaVariance(null, 0.02, 0.94), 0.0004);
    // 0.94 × 0.0004 + 0.06 × 0.0001 = 0.000376 + 0.000006 = 0.000382
    close(ewmaVariance(0.0004, 0.01, 0.94), 0.000382);
    const s = ewmaVolSeries([0.02, 0.01]);
    close(s[0]!, 0.02);
    close(s[1]!, Math.sqrt(0.000382));
  });
});

describe('VWAP', () => {
  it('Σpv/Σv, mean price when Σv = 0', () => {
    // (10×1 + 20×3)/4 = 70/4 = 17.5
    assert.equal(
      vwapOf([
        { price: 10, volume: 1 },
        { price: 20, volume: 3 },
      ]),
      17.5,
    );
    assert.equal(
      vwapOf([
        { price: 10, volume: 0 },
        { price: 20, volume: 0 },
      ]),
      15,
    );
  });

  it('RunningVwap tracks adds, removes and the zero-volume fallback', () => {
    const v = new RunningVwap();
    v.add(10, 1);
    v.add(20, 3);
    assert.equal(v.value(), 17.5);
    v.remove(10, 1);
    assert.equal(v.value(), 20);
    v.remove(20, 3);
    v.add(7, 0);
    v.add(9, 0);
    assert.equal(v.value(), 8);
    assert.equal(v.count, 2);
  });
});
