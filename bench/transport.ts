// Command round trip through each transport while enrichment runs at full speed: `pipeline.status`
// through (a) the edge server's WebSocket (browser → ws relay → worker port → service) and (b) a
// direct port on the service worker (what the desktop shell's MessagePort path amounts to), both
// to the one service, interleaved, first idle and then with the producer at rate 'max' and the
// enricher consuming. Target (issue 7): p99 under 50 ms.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createClient, type Api, type Port } from '../contract/rpc.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { freePorts } from '../main/net-util.js';
import { startEdgeServer } from '../main/shells/edge/server.js';

const CALLS = Number(process.env.VI_BENCH_CALLS ?? 2000);
/** How long the loaded phase measures, so the enricher's steady state dominates. */
const LOADED_SECONDS = Number(process.env.VI_BENCH_SECONDS ?? 20);

function wsPort(ws: WebSocket): Port {
  return {
    send: (data) => ws.send(data),
    onMessage: (listener) => ws.on('message', (data) => listener(String(data))),
    onClose: (listener) => ws.on('close', (_code, reason) => listener(String(reason))),
    close: () => ws.close(),
  };
}

async function openWebSocket(origin: string, url: string): Promise<WebSocket> {
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

interface Summary {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

function summarize(ms: number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1)!,
    mean: ms.reduce((a, b) => a + b, 0) / ms.length,
  };
}

/** Round trips on each api, alternating, one at a time: `calls` of each, or for `seconds`. */
async function measure(apis: Api[], calls: number, seconds = Infinity): Promise<number[][]> {
  const samples = apis.map(() => [] as number[]);
  const end = performance.now() + seconds * 1000;
  for (let i = 0; i < calls || (seconds !== Infinity && performance.now() < end); i++) {
    if (seconds !== Infinity && performance.now() >= end) break;
    for (const [k, api] of apis.entries()) {
      const started = performance.now();
      await api.call('pipeline.status', {});
      samples[k]!.push(performance.now() - started);
    }
  }
  return samples;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runTransportBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-transport-'));
  const [port, controllerPort] = await freePorts(2);
  const broker = new JvmBrokerProvider({ port, controllerPort, dataDir: join(dir, 'kafka') });
  await broker.start();
  const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: join(dir, 'home') };
  delete env.KAFKA_BROKERS;
  delete env.VI_DB;
  const edge = await startEdgeServer({
    serviceOptions: { env, brokers: broker.connection().brokers, db: join(dir, 'bench.db') },
  });
  const ws = await openWebSocket(edge.origin, edge.url);
  const viaWs = createClient(wsPort(ws));
  const viaPort = createClient(edge.connect(false));
  const shell = createClient(edge.connect(true));
  try {
    await measure([viaWs, viaPort], 200); // warm-up (JIT, zod)
    const idle = await measure([viaWs, viaPort], CALLS);

    await shell.call('producer.start', { rate: 'max', topic: 'bench_transport', partitions: 3 });
    await shell.call('enricher.start', {
      sourceTopic: 'bench_transport',
      enrichedTopic: 'bench_transport_enriched',
      deadLetterTopic: 'bench_transport_dlq',
    });
    await until(
      async () =>
        ((await shell.call('pipeline.status', {})).enricher?.stats?.enriched ?? 0) > 10_000,
      120_000,
      'the enrichment to store its first trades',
    );
    const before = await shell.call('pipeline.status', {});
    const started = performance.now();
    const loaded = await measure([viaWs, viaPort], 0, LOADED_SECONDS);
    const seconds = (performance.now() - started) / 1000;
    const afterStatus = await shell.call('pipeline.status', {});
    const produced =
      ((afterStatus.producer?.stats?.produced ?? 0) - (before.producer?.stats?.produced ?? 0)) /
      seconds;
    const enriched =
      ((afterStatus.enricher?.stats?.enriched ?? 0) - (before.enricher?.stats?.enriched ?? 0)) /
      seconds;
    await shell.call('pipeline.stop', {});

    const fmt = (n: number) => n.toFixed(2);
    const rows = [
      ['WebSocket (edge server)', 'idle', summarize(idle[0]!)],
      ['worker port (direct)', 'idle', summarize(idle[1]!)],
      ['WebSocket (edge server)', 'enrichment at full speed', summarize(loaded[0]!)],
      ['worker port (direct)', 'enrichment at full speed', summarize(loaded[1]!)],
    ] as const;
    const cpu = cpus();
    const lines = [
      `Command round trip (\`pipeline.status\`), interleaved, one at a time: ${CALLS} calls per transport idle, ${loaded[0]!.length} per transport over ${LOADED_SECONDS} s under load; ${new Date().toISOString().slice(0, 10)}, ${cpu.length} cores (${cpu[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}, load ${loadavg()[0]!.toFixed(2)} at the end.`,
      `During the loaded phase: ${Math.round(produced).toLocaleString('en-US')} trades/s produced, ${Math.round(enriched).toLocaleString('en-US')} trades/s enriched (local JVM broker, Kafka 4.1.2).`,
      '',
      '| transport | pipeline | p50 (ms) | p99 (ms) | max (ms) | mean (ms) |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
      ...rows.map(
        ([t, phase, s]) =>
          `| ${t} | ${phase} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${fmt(s.mean)} |`,
      ),
      '',
      `Target p99 < 50 ms: ${rows.every(([, , s]) => s.p99 < 50) ? 'met' : 'NOT met'}.`,
    ];
    console.log(`\n${lines.join('\n')}`);
    mkdirSync(join('bench', 'out'), { recursive: true });
    writeFileSync(join('bench', 'out', 'transport-results.md'), `${lines.join('\n')}\n`);
  } finally {
    viaWs.close();
    await edge.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
