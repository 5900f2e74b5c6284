// End-to-end latency at a steady rate (`npm run bench -- latency`): from a trade's production (its
// timestamp is the producer's wall clock when it is generated, just before the send) to
// (a) its row committed in SQLite — seen by a read-only connection polling every 2 ms, so the
//     figure includes up to 2 ms of polling delay — and
// (b) the live point reaching a view: the `series-points` event received by a WebSocket client
//     of the edge server (browser path: service worker → ws relay → socket). Live points are
//     coalesced by design (at most one flush per 250 ms: each symbol's low, high and newest
//     trade), so (b) includes that wait for the low/high points; the newest point is shown apart.
// Phases at 1,000 and 10,000 trades/s, through the core service (producer and enricher in their
// worker threads), as the app runs them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WebSocket } from 'ws';
import { createClient, type Port } from '../contract/rpc.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { freePorts } from '../main/net-util.js';
import { APP_ROOT } from '../main/paths.js';
import { startEdgeServer } from '../main/shells/edge/server.js';
import { machineLines } from './pipeline.js';

const RATES = (process.env.VI_BENCH_RATES ?? '1000,10000').split(',').map(Number);
const WARMUP_S = 5;
const MEASURE_S = Number(process.env.VI_BENCH_SECONDS ?? 30);

export function wsPort(ws: WebSocket): Port {
  return {
    send: (data) => ws.send(data),
    onMessage: (listener) => ws.on('message', (data) => listener(String(data))),
    onClose: (listener) => ws.on('close', (_code, reason) => listener(String(reason))),
    close: () => ws.close(),
  };
}

export async function openWebSocket(origin: string, url: string): Promise<WebSocket> {
  const signIn = await fetch(url, { redirect: 'manual' });
  const cookie = signIn.headers.getSetCookie()[0]?.split(';')[0];
  if (signIn.status !== 303 || !cookie) throw new Error(`sign-in failed: ${signIn.status}`);
  const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/api/ws`, {
    headers: { cookie, origin },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(ms: number[]): Percentiles {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLatencyBenchmark(): Promise<void> {
  const machine = machineLines();
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-latency-'));
  const [port, controllerPort] = await freePorts(2);
  const broker = new JvmBrokerProvider({ port, controllerPort, dataDir: join(dir, 'kafka') });
  await broker.start();
  const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: join(dir, 'home') };
  delete env.KAFKA_BROKERS;
  delete env.VI_DB;
  const dbFile = join(dir, 'latency.db');
  const edge = await startEdgeServer({
    serviceOptions: { env, brokers: broker.connection().brokers, db: dbFile },
  });
  const ws = await openWebSocket(edge.origin, edge.url);
  const view = createClient(wsPort(ws));
  const shell = createClient(edge.connect(true));
  const results: string[] = [];
  let measuring = false;
  const viewAll: number[] = [];
  const viewNewest: number[] = [];
  view.onEvent((e) => {
    if (!measuring || e.event !== 'series-points') return;
    const now = Date.now();
    const newest = new Map<string, number>();
    for (const p of e.points) {
      viewAll.push(now - p.ts);
      newest.set(p.symbol, Math.max(newest.get(p.symbol) ?? 0, p.ts));
    }
    for (const ts of newest.values()) viewNewest.push(now - ts);
  });
  try {
    await shell.call('enricher.start', {
      sourceTopic: 'bench_latency',
      enrichedTopic: 'bench_latency_enriched',
      deadLetterTopic: 'bench_latency_dlq',
    });
    for (const rate of RATES) {
      await shell.call('producer.start', { rate, topic: 'bench_latency', partitions: 3 });
      await sleep(WARMUP_S * 1000);
      const reader = new Database(dbFile, { readonly: true });
      const maxId = reader.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM enriched_trades');
      const newer = reader.prepare('SELECT id, ts FROM enriched_trades WHERE id > ? ORDER BY id');
      let last = (maxId.get() as { id: number }).id;
      const commit: number[] = [];
      viewAll.length = 0;
      viewNewest.length = 0;
      measuring = true;
      const end = Date.now() + MEASURE_S * 1000;
      while (Date.now() < end) {
        const rows = newer.all(last) as { id: number; ts: number }[];
        const now = Date.now();
        for (const r of rows) commit.push(now - r.ts);
        if (rows.length > 0) last = rows.at(-1)!.id;
        await sleep(2);
      }
      measuring = false;
      reader.close();
      await shell.call('producer.stop', {});
      const status = await shell.call('pipeline.status', {});
      if (commit.length === 0) {
        throw new Error(`no rows committed while measuring: ${JSON.stringify(status)}`);
      }
      const c = percentiles(commit);
      const a = percentiles(viewAll);
      const n = percentiles(viewNewest);
      const f = (x: number) => x.toFixed(0);
      results.push(
        `| ${rate.toLocaleString('en-US')} | produce → row committed | ${c.n.toLocaleString('en-US')} | ${f(c.p50)} | ${f(c.p99)} | ${f(c.max)} |`,
        `| ${rate.toLocaleString('en-US')} | produce → live point at a WebSocket view (all points) | ${a.n.toLocaleString('en-US')} | ${f(a.p50)} | ${f(a.p99)} | ${f(a.max)} |`,
        `| ${rate.toLocaleString('en-US')} | produce → live point at a WebSocket view (newest per symbol) | ${n.n.toLocaleString('en-US')} | ${f(n.p50)} | ${f(n.p99)} | ${f(n.max)} |`,
      );
      console.log(
        `rate ${rate}: commit ${JSON.stringify(c)} view ${JSON.stringify(a)} newest ${JSON.stringify(n)}; lag ${status.enricher?.stats?.lag}`,
      );
      await sleep(3000); // let the enricher drain before the next phase
    }
    await shell.call('pipeline.stop', {});
    const out = [
      `End-to-end latency, ${MEASURE_S} s per rate after ${WARMUP_S} s warm-up, ${new Date().toISOString()}`,
      ...machine,
      '',
      '| trades/s | path | samples | p50 (ms) | p99 (ms) | max (ms) |',
      '| ---: | --- | ---: | ---: | ---: | ---: |',
      ...results,
    ].join('\n');
    console.log(`\n${out}`);
    mkdirSync(join(APP_ROOT, 'bench', 'out'), { recursive: true });
    writeFileSync(join(APP_ROOT, 'bench', 'out', 'latency-results.md'), out + '\n');
  } finally {
    view.close();
    await edge.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
