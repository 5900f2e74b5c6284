import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EnrichRequestSchema } from '../../../contract/pipeline.js';
import { runEnricher } from '../../../main/enrich/consumer.js';
import { runExport } from '../../../main/export/export-job.js';
import type { CliContext } from '../../../main/shells/cli/command.js';
import { replayCommand } from '../../../main/shells/cli/replay.js';
import { runProducer } from '../../../main/simulator/producer.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

let broker: TestBroker;
const dir = tempDir('vi-replay-rt-');
const SIM_START = Date.UTC(2025, 6, 7, 14, 0, 0); // a Monday, 10:00 New York
const N = 1500;

before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

function enrich(prefix: string, db: string) {
  return runEnricher({
    request: EnrichRequestSchema.parse({
      connection: broker.connection,
      db,
      sourceTopic: `${prefix}_trades`,
      enrichedTopic: `${prefix}_enriched`,
      deadLetterTopic: `${prefix}_dlq`,
      alertsTopic: `${prefix}_alerts`,
      untilIdleMs: 1000,
    }),
  });
}

const COMPARED = [
  'ts',
  'symbol',
  'price',
  'volume',
  'log_return',
  'vol_1m',
  'vol_5m',
  'vol_1m_ann',
  'vol_5m_ann',
  'ewma_vol',
  'ewma_vol_ann',
  'vwap_5m',
  'late',
  'session',
  'exchange',
  'company',
  'sector',
] as const;

function rows(db: string): Record<string, unknown>[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare(`SELECT ${COMPARED.join(', ')} FROM enriched_trades ORDER BY ts, symbol`)
      .all() as Record<string, unknown>[];
  } finally {
    conn.close();
  }
}

function bars(db: string): unknown[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT * FROM bars ORDER BY symbol, 1').all();
  } finally {
    conn.close();
  }
}

function cli() {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = Object.assign(new PassThrough(), { isTTY: false, columns: 100 });
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  stderr.on('data', (d: Buffer) => err.push(d.toString()));
  const ctx: CliContext = {
    stdout,
    stderr,
    env: { VI_HOME: join(dir.path, 'home') },
    signal: new AbortController().signal,
  };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
}

describe('replay round trip on a real broker', () => {
  it('export → replay (CLI) into a fresh topic → enrich into a fresh database: every value equal', async () => {
    const produced = await runProducer({
      connection: broker.connection,
      topic: 'orig_trades',
      rate: 'max',
      count: N,
      partitions: 3,
      simulator: { seed: 11, stepMs: 250, simulatedStart: SIM_START, jumps: undefined },
    });
    assert.equal(produced.produced, N);
    const original = join(dir.path, 'original.db');
    assert.equal((await enrich('orig', original)).enriched, N);

    for (const format of ['csv', 'parquet'] as const) {
      const file = join(dir.path, `export.${format}`);
      const exported = await runExport({ format, out: file, db: original });
      assert.equal(exported.rows, N);

      const c = cli();
      const code = await replayCommand.run(
        [
          '--file',
          file,
          '--speed',
          'max',
          '--topic',
          `re_${format}_trades`,
          '--brokers',
          broker.connection.brokers.join(','),
        ],
        c.ctx,
      );
      assert.equal(code, 0, c.err());
      assert.match(
        c.out(),
        new RegExp(
          `replayed ${N.toLocaleString('en-US')} trades from .*export\\.${format} \\(${format};`,
        ),
      );

      const replayed = join(dir.path, `replayed-${format}.db`);
      const enriched = await enrich(`re_${format}`, replayed);
      assert.equal(enriched.enriched, N);
      assert.equal(enriched.deadLetters, 0);
      const a = rows(original);
      const b = rows(replayed);
      assert.equal(b.length, a.length);
      for (let i = 0; i < a.length; i++) assert.deepEqual(b[i], a[i], `${format} row ${i}`);
      assert.deepEqual(bars(replayed), bars(original));
    }
  });
});
