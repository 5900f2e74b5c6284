// Resources: the SQLite file locked by another process, a full disk during enrichment, the
// broker unreachable at start. Each gives a clear error, corrupts nothing, and the enrichment
// recovers (every trade stored exactly once) when the cause goes away.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import { EnrichRequestSchema } from '../../../contract/pipeline.js';
import type { EnricherStats } from '../../../contract/pipeline.js';
import { runEnricher } from '../../../main/enrich/consumer.js';
import { freePorts, sleep } from '../../../main/net-util.js';
import { APP_ROOT } from '../../../main/paths.js';
import { runProducer } from '../../../main/simulator/producer.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

let broker: TestBroker;
const dir = tempDir('vi-resources-');
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

async function produce(topic: string, count: number, seed: number) {
  await runProducer({
    connection: broker.connection,
    topic,
    rate: 'max',
    count,
    partitions: 3,
    simulator: { seed, stepMs: 1000, simulatedStart: Date.UTC(2025, 6, 7, 14) + seed * 1e7 },
  });
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** An enricher running until stopped, with its latest stats. */
function startEnricher(prefix: string, db: string) {
  const stop = new AbortController();
  const seen: { stats: EnricherStats | null; errors: string[] } = { stats: null, errors: [] };
  const done = runEnricher({
    request: EnrichRequestSchema.parse({
      connection: broker.connection,
      db,
      sourceTopic: `${prefix}_trades`,
      enrichedTopic: `${prefix}_enriched`,
      deadLetterTopic: `${prefix}_dlq`,
    }),
    signal: stop.signal,
    onStats: (s) => {
      seen.stats = s;
      if (s.lastError) seen.errors.push(s.lastError);
    },
  });
  done.catch(() => undefined);
  return { seen, done, stop: () => stop.abort() };
}

function check(db: string, n: number) {
  const conn = new Database(db, { readonly: true });
  try {
    assert.equal(conn.pragma('integrity_check', { simple: true }), 'ok');
    const { total, uniq } = conn
      .prepare(
        "SELECT COUNT(*) AS total, COUNT(DISTINCT kafka_partition || ':' || kafka_offset) AS uniq FROM enriched_trades",
      )
      .get() as { total: number; uniq: number };
    assert.equal(total, n, 'every trade stored');
    assert.equal(uniq, n, 'none twice');
  } finally {
    conn.close();
  }
}

const stored = (e: ReturnType<typeof startEnricher>) => e.seen.stats?.rowsStored ?? 0;

it(
  'the database locked by another process: a clear error while it lasts, then everything stored once',
  { timeout: 180_000 },
  async () => {
    const db = join(dir.path, 'locked.db');
    await produce('locked_trades', 1000, 1);
    const e = startEnricher('locked', db);
    await waitFor('the first 1000 stored', () => stored(e) >= 1000, 60_000);
    // Another process holds a write lock on the file (BEGIN EXCLUSIVE) until told to let go.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(db)});
         d.exec('BEGIN EXCLUSIVE'); console.log('locked');
         process.stdin.on('data', () => { d.exec('COMMIT'); d.close(); process.exit(0); });`,
      ],
      { cwd: APP_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    await produce('locked_trades', 500, 2);
    await waitFor(
      'the lock to be reported',
      () => e.seen.errors.some((m) => /database .* is locked by another process/.test(m)),
      60_000,
    );
    assert.ok(stored(e) === 1000, 'nothing stored while locked');
    holder.stdin.write('go\n');
    await waitFor('the rest stored after the lock is released', () => stored(e) >= 1500, 90_000);
    await waitFor('the error cleared', () => e.seen.stats?.lastError === null, 30_000);
    e.stop();
    await e.done;
    check(db, 1500);
  },
);

it(
  'the disk fills during enrichment: a clear error, nothing corrupted, everything stored once when space is freed',
  { timeout: 240_000 },
  async (t) => {
    const mount = join(dir.path, 'small-disk');
    mkdirSync(mount);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]);
    if (mounted.status !== 0) {
      t.skip(`cannot mount a small tmpfs here (needs root): ${String(mounted.stderr).trim()}`);
      return;
    }
    try {
      const db = join(mount, 'full.db');
      await produce('full_trades', 200, 3);
      const e = startEnricher('full', db);
      await waitFor('the first 200 stored', () => stored(e) >= 200, 60_000);
      // ~5,000 more trades need several MiB of rows and index: more than the 1 MiB disk.
      await produce('full_trades', 5000, 4);
      await waitFor(
        'the full disk to be reported',
        () => e.seen.errors.some((m) => /disk holding .* is full/.test(m)),
        90_000,
      );
      const before = stored(e);
      assert.ok(before < 5200, 'it could not store everything');
      const grown = spawnSync('mount', ['-o', 'remount,size=64m', mount]);
      assert.equal(grown.status, 0, String(grown.stderr));
      await waitFor('everything stored once there is space', () => stored(e) >= 5200, 120_000);
      e.stop();
      await e.done;
      check(db, 5200);
    } finally {
      spawnSync('umount', ['-l', mount]);
    }
  },
);

it(
  'the broker unreachable at start: a clear error within a bound; started later, it works',
  { timeout: 180_000 },
  async () => {
    const [port] = await freePorts(1);
    const started = Date.now();
    const err = await runEnricher({
      request: EnrichRequestSchema.parse({
        connection: { brokers: [`127.0.0.1:${port}`] },
        db: join(dir.path, 'unreachable.db'),
        sourceTopic: 'unreachable_trades',
      }),
    }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    assert.ok(err, 'it fails rather than hanging');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}|connect|ECONNREFUSED`, 'i'));
    assert.ok(Date.now() - started < 120_000, `failed after ${Date.now() - started} ms`);
    // The cause goes away (a broker there): the same database works.
    await produce('unreachable_trades', 300, 5);
    const result = await runEnricher({
      request: EnrichRequestSchema.parse({
        connection: broker.connection,
        db: join(dir.path, 'unreachable.db'),
        sourceTopic: 'unreachable_trades',
        untilIdleMs: 1000,
      }),
    });
    assert.equal(result.rowsStored, 300);
    check(join(dir.path, 'unreachable.db'), 300);
  },
);
