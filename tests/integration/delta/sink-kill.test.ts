import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { listCommitVersions } from '../../../main/delta/log.js';
import { rangeAppId } from '../../../main/sink/source-offsets.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';
import { close, RESTORED } from '../../support/reference-analytics.js';
import type { TradeRow } from '../export/support.js';
import { enrichedRuns, readWithDeltaRs, requireDeltaRs } from './support.js';

const APP_ROOT = new URL('../../../', import.meta.url).pathname;
const SRC = 'delta_kill_trades';
const ENR = 'delta_kill_enriched';
const DLQ = 'delta_kill_dlq';
const N = 16_000;
const children = new Set<ChildProcess>();

describe('Delta sink: exactly once through kills', { timeout: 420_000 }, () => {
  let broker: TestBroker;
  const dir = tempDir('vi-delta-sink-');
  before(async () => {
    requireDeltaRs();
    broker = await startTestBroker();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await broker?.cleanup();
    dir.cleanup();
  });

  const cli = (
    args: string[],
  ): { child: ChildProcess; exited: Promise<number | null>; out: () => string } => {
    const child = spawn(
      process.execPath,
      [join(APP_ROOT, 'bin', 'volatility-insight.mjs'), ...args],
      {
        env: { ...process.env, KAFKA_BROKERS: broker.brokers, VI_HOME: dir.path },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.add(child);
    child.on('exit', () => children.delete(child));
    let text = '';
    child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    return { child, exited, out: () => text };
  };
  const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 120_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const stored = (db: string) => {
    try {
      const conn = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return (conn.prepare('SELECT COUNT(*) AS n FROM enriched_trades').get() as { n: number }).n;
      } finally {
        conn.close();
      }
    } catch {
      return 0;
    }
  };

  // The first version of the sink (a watermark per source partition) lost a contiguous block
  // here (718 of 16,000: source partition 0, offsets 2880–3597): the enriched topic delivered
  // them after later offsets of the same partition (the enrichers hand partitions over, each
  // resuming from its own SQLite file). The sink now keeps the exact set of source offsets.
  it('the sink killed hard 5 times and an enricher killed once: each source trade once in the table; delta-rs shows the resume point', async () => {
    const table = join(dir.path, 'table');
    const dbA = join(dir.path, 'a.db');
    const dbB = join(dir.path, 'b.db');
    const enrich = (db: string) =>
      cli([
        'enrich',
        '--db',
        db,
        '--group',
        'delta-kill-enrichers',
        '--topic',
        SRC,
        '--enriched-topic',
        ENR,
        '--dlq-topic',
        DLQ,
        '--until-idle',
        '8000',
      ]);
    const sink = (extra: string[] = []) =>
      cli(['sink', 'delta', '--table', table, '--topic', ENR, '--roll-ms', '250', ...extra]);

    const producer = cli([
      'produce',
      '--count',
      String(N),
      '--rate',
      '250',
      '--seed',
      '5',
      '--partitions',
      '3',
      '--topic',
      SRC,
    ]);
    let a = enrich(dbA);
    const b = enrich(dbB);
    await until('the enrichers to store trades', () => stored(dbA) + stored(dbB) > 500);

    for (let kill = 1; kill <= 5; kill++) {
      const s = sink();
      const start = listCommitVersions(table).length;
      const startedAt = Date.now();
      // Killed once it has committed at least one batch in this run (between commits, or in one).
      await until(
        `sink run ${kill} to commit`,
        () =>
          listCommitVersions(table).length >= start + (start === 0 ? 2 : 1) ||
          s.child.exitCode !== null ||
          // Everything produced may already be in: then any moment is a fine moment to kill.
          (producer.child.exitCode !== null && Date.now() - startedAt > 15_000),
      );
      assert.equal(s.child.exitCode, null, `sink exited early: ${s.out()}`);
      await sleep(50 + kill * 40);
      s.child.kill('SIGKILL');
      await s.exited;
      if (kill === 2) {
        a.child.kill('SIGKILL'); // republishes its unstored batch (and more, after the rebalance)
        await a.exited;
        a = enrich(dbA);
      }
    }
    assert.equal(await producer.exited, 0, producer.out());
    assert.equal(await a.exited, 0, a.out());
    assert.equal(await b.exited, 0, b.out());

    const last = sink(['--until-idle', '3000']);
    assert.equal(await last.exited, 0, last.out());
    const resumeText = /resume at source offsets (.*)$/m.exec(last.out())?.[1] ?? '';
    const resume = Object.fromEntries(resumeText.split(' ').map((kv) => kv.split(':').map(Number)));

    // The truth: every offset of the source topic (the simulator's trades are all valid).
    const admin = createKafka(broker.connection).admin();
    await admin.connect();
    const watermarks = await admin.fetchTopicOffsets(SRC);
    await admin.disconnect();
    const highs = new Map(watermarks.map((w) => [w.partition, Number(w.high)]));
    assert.equal(
      [...highs.values()].reduce((s, h) => s + h, 0),
      N,
    );

    const appIds = [...highs.keys()].map((p) => rangeAppId(ENR, p, 0));
    const view = readWithDeltaRs(table, { appIds });
    const seen = new Map<string, TradeRow>();
    for (const row of view.rows) {
      const key = `${row.kafka_partition}:${row.kafka_offset}`;
      assert.equal(seen.has(key), false, `source trade ${key} is in the table twice`);
      seen.set(key, row);
    }
    for (const [p, high] of highs) {
      const missing: number[] = [];
      for (let o = 0; o < high; o++) if (!seen.has(`${p}:${o}`)) missing.push(o);
      if (missing.length > 0) {
        // What the enriched topic delivered, as runs of source offsets per enriched partition.
        const runs = await enrichedRuns(broker.connection, ENR, p);
        assert.deepEqual(
          missing.slice(0, 20),
          [],
          `partition ${p}: ${missing.length} trades missing; sink said: ${last.out()}\n` +
            `enriched topic, source partition ${p}, in delivery order: ${runs}`,
        );
      }
    }
    assert.equal(seen.size, N, 'each source trade once');
    for (const [p, high] of highs) {
      for (let o = 0; o < high; o++) assert.ok(seen.has(`${p}:${o}`), `trade ${p}:${o} missing`);
      // delta-rs's txn view is the sink's resume point: one range [0, high) per partition.
      assert.equal(view.txn[rangeAppId(ENR, p, 0)], high, `txn of source partition ${p}`);
      assert.equal(resume[p], high, `the sink's own resume point for ${p}`);
    }
    // Every value is what an enricher stored for that trade (each enricher has its own SQLite).
    // A trade published just before its enricher was killed is in the table as first computed,
    // while SQLite holds it computed again after the restart: the analytics a restart rebuilds
    // from stored values may differ in the last bits, so those compare to 1e-9, the rest exactly.
    const rowsOf = (db: string) => {
      const conn = new Database(db, { readonly: true });
      try {
        return conn.prepare('SELECT * FROM enriched_trades').all() as (TradeRow & {
          id?: number;
        })[];
      } finally {
        conn.close();
      }
    };
    const byKey = new Map<string, TradeRow[]>();
    for (const r of [...rowsOf(dbA), ...rowsOf(dbB)]) {
      const key = `${r.kafka_partition}:${r.kafka_offset}`;
      byKey.set(key, [...(byKey.get(key) ?? []), r]);
    }
    let compared = 0;
    for (const [key, row] of seen) {
      const candidates = byKey.get(key) ?? [];
      assert.ok(candidates.length > 0, `trade ${key} is in no enricher's database`);
      const { date: _d, ...plain } = row as TradeRow & { date?: string };
      const match = candidates.some((c) =>
        (Object.keys(plain) as (keyof TradeRow)[]).every(
          (k) =>
            Object.is(c[k], plain[k]) ||
            c[k] === plain[k] ||
            (RESTORED.has(k) && close(c[k] as number | null, plain[k] as number | null)),
        ),
      );
      assert.ok(
        match,
        `trade ${key}: ${JSON.stringify(plain)} matches no stored row ${JSON.stringify(candidates)}`,
      );
      compared++;
    }
    assert.equal(compared, N);
  });
});
