// Soak (`npm run bench -- soak`): 10 minutes at 2,000 trades/s through the core service behind
// the edge server, with a view attached (a WebSocket client subscribed to the service's events,
// live points included). Every 10 s: the resident memory of this process (edge server, service,
// producer and enricher worker threads) and of the broker JVM, the enricher's lag and the events
// the view received. Memory should be flat once the 5-minute windows are full.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../contract/rpc.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { freePorts } from '../main/net-util.js';
import { APP_ROOT } from '../main/paths.js';
import { startEdgeServer } from '../main/shells/edge/server.js';
import { openWebSocket, wsPort } from './latency.js';
import { machineLines } from './pipeline.js';

const MINUTES = Number(process.env.VI_SOAK_MINUTES ?? 10);
const RATE = Number(process.env.VI_SOAK_RATE ?? 2000);

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) / 1024;
}

function brokerPid(dataDir: string): number {
  const out = execFileSync('pgrep', ['-f', dataDir], { encoding: 'utf8' });
  return Number(out.trim().split('\n')[0]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoakBenchmark(): Promise<void> {
  const machine = machineLines();
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-soak-'));
  const [port, controllerPort] = await freePorts(2);
  const dataDir = join(dir, 'kafka');
  const broker = new JvmBrokerProvider({ port, controllerPort, dataDir });
  await broker.start();
  const javaPid = brokerPid(dataDir);
  const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: join(dir, 'home') };
  delete env.KAFKA_BROKERS;
  delete env.VI_DB;
  const edge = await startEdgeServer({
    serviceOptions: { env, brokers: broker.connection().brokers, db: join(dir, 'soak.db') },
  });
  const ws = await openWebSocket(edge.origin, edge.url);
  const view = createClient(wsPort(ws));
  const shell = createClient(edge.connect(true));
  let events = 0;
  let points = 0;
  view.onEvent((e) => {
    events++;
    if (e.event === 'series-points') points += e.points.length;
  });
  const samples: {
    s: number;
    rss: number;
    broker: number;
    lag: number | null;
    stored: number;
    events: number;
    points: number;
  }[] = [];
  try {
    await shell.call('enricher.start', {
      sourceTopic: 'soak_trades',
      enrichedTopic: 'soak_enriched',
      deadLetterTopic: 'soak_dlq',
    });
    await shell.call('producer.start', { rate: RATE, topic: 'soak_trades', partitions: 3 });
    const started = Date.now();
    while (Date.now() - started < MINUTES * 60_000) {
      await sleep(10_000);
      const status = await shell.call('pipeline.status', {});
      samples.push({
        s: Math.round((Date.now() - started) / 1000),
        rss: rssMiB(process.pid),
        broker: rssMiB(javaPid),
        lag: status.enricher?.stats?.lag ?? null,
        stored: status.enricher?.stats?.rowsStored ?? 0,
        events,
        points,
      });
      console.log(JSON.stringify(samples.at(-1)));
    }
    await shell.call('pipeline.stop', {});
    const at = (s: number) =>
      samples.reduce((a, b) => (Math.abs(b.s - s) < Math.abs(a.s - s) ? b : a));
    const marks = [at(60), at(300), samples.at(-1)!];
    const after5 = samples.filter((x) => x.s >= 300);
    const lags = samples.map((x) => x.lag ?? 0);
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const out = [
      `Soak: ${MINUTES} min at ${RATE.toLocaleString('en-US')} trades/s, edge server with a WebSocket view subscribed, ${new Date().toISOString()}`,
      ...machine,
      '',
      '| at | app process RSS (MiB) | broker JVM RSS (MiB) | enricher lag | rows stored | view events |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...marks.map(
        (m) =>
          `| ${Math.round(m.s / 60)} min | ${m.rss.toFixed(0)} | ${m.broker.toFixed(0)} | ${m.lag ?? '–'} | ${m.stored.toLocaleString('en-US')} | ${m.events.toLocaleString('en-US')} |`,
      ),
      '',
      `- app RSS after minute 5: min ${Math.min(...after5.map((x) => x.rss)).toFixed(0)}, max ${Math.max(...after5.map((x) => x.rss)).toFixed(0)} MiB; slope over minutes 5–${MINUTES}: ${(((after5.at(-1)!.rss - after5[0]!.rss) / Math.max(1, after5.at(-1)!.s - after5[0]!.s)) * 60).toFixed(1)} MiB/min`,
      `- lag (sampled every 10 s): max ${Math.max(...lags).toLocaleString('en-US')} trades`,
      `- stored ${(last.stored - first.stored).toLocaleString('en-US')} trades between the first and last sample (${((last.stored - first.stored) / (last.s - first.s)).toFixed(0)}/s); live points received by the view: ${last.points.toLocaleString('en-US')}`,
    ].join('\n');
    console.log(`\n${out}`);
    mkdirSync(join(APP_ROOT, 'bench', 'out'), { recursive: true });
    writeFileSync(join(APP_ROOT, 'bench', 'out', 'soak-results.md'), out + '\n');
    writeFileSync(join(APP_ROOT, 'bench', 'out', 'soak-samples.json'), JSON.stringify(samples));
  } finally {
    view.close();
    await edge.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
