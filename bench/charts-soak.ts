// Charts soak (`npm run bench -- charts-soak`): 30 minutes at 1,000 trades/s with the Charts
// screen open in Chromium (edge mode), as a user would leave it: the server is the
// `volatility-insight serve` process (its core service in a worker thread), the stream is
// started from the Controls screen, then the Charts screen stays on its default live window.
// Every 30 s: the page's JS heap after a forced GC (CDP Runtime.getHeapUsage), its DOM node
// count, the serve process's resident memory, the frame times (requestAnimationFrame intervals)
// and long tasks since the last sample, and the enricher's lag and stored rows. The target
// (issue 9): heap and RSS at the end within 10% of their values at minute 5.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { createClient } from '../contract/rpc.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { freePorts } from '../main/net-util.js';
import { APP_ROOT } from '../main/paths.js';
import { openWebSocket, percentiles, wsPort } from './latency.js';
import { machineLines } from './pipeline.js';

const MINUTES = Number(process.env.VI_CHARTS_SOAK_MINUTES ?? 30);
const RATE = Number(process.env.VI_CHARTS_SOAK_RATE ?? 1000);
const SAMPLE_MS = 30_000;
const CHROMIUM = process.env.VI_CHROMIUM ?? '/usr/bin/chromium';

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

// Runs in the page: rAF intervals and long tasks, taken and reset by each sample.
const RECORDER = `(() => {
  const w = window;
  w.__viFrames = []; w.__viLong = [];
  let last = performance.now();
  const loop = (t) => { w.__viFrames.push(t - last); last = t; requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__viLong.push(e.duration);
  }).observe({ type: 'longtask' });
})()`;
const TAKE = `(() => {
  const w = window;
  const out = { frames: w.__viFrames, long: w.__viLong };
  w.__viFrames = []; w.__viLong = [];
  return out;
})()`;

async function heapMiB(cdp: CDPSession): Promise<{ heap: number; nodes: number }> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const { nodes } = await cdp.send('Memory.getDOMCounters');
  return { heap: usedSize / 1024 / 1024, nodes };
}

async function chartPoints(page: Page): Promise<number> {
  const captions = await page.locator('figure figcaption').allTextContents();
  return captions.reduce((s, c) => s + Number(/points: (\d+)/.exec(c)?.[1] ?? 0), 0);
}

interface Sample {
  s: number;
  heap: number;
  nodes: number;
  rss: number;
  broker: number;
  frames: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  over50: number;
  longTasks: number;
  longMs: number;
  lag: number | null;
  stored: number;
  points: number;
}

export async function runChartsSoakBenchmark(): Promise<void> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium`);
  const machine = machineLines();
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-charts-soak-'));
  const [port, controllerPort, httpPort] = await freePorts(3);
  const broker = new JvmBrokerProvider({
    port: port!,
    controllerPort: controllerPort!,
    dataDir: join(dir, 'kafka'),
  });
  await broker.start();
  const brokerPid = Number(
    execFileSync('pgrep', ['-f', join(dir, 'kafka')], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
  const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: join(dir, 'home') };
  for (const k of ['KAFKA_BROKERS', 'VI_DB', 'VI_EDGE_TOKEN', 'OPENWEATHER_API_KEY']) delete env[k];
  mkdirSync(env.VI_HOME!, { recursive: true });
  const serve = spawn(
    process.execPath,
    [
      join(APP_ROOT, 'bin', 'volatility-insight.mjs'),
      'serve',
      '--port',
      String(httpPort),
      '--db',
      join(dir, 'soak.db'),
      '--brokers',
      broker.connection().brokers.join(','),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  serve.stdout.on('data', (d: Buffer) => (output += d.toString()));
  serve.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const samples: Sample[] = [];
  try {
    const url = await waitFor(
      'the serve URL',
      async () => /(http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(output)?.[1],
      (u) => u !== undefined,
      60_000,
    );
    const ws = await openWebSocket(new URL(url!).origin, url!);
    const status = createClient(wsPort(ws));
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 900 } })
    ).newPage();
    await page.goto(url!);
    await page.getByRole('heading', { name: 'Controls', level: 1, exact: true }).waitFor();
    const producerCard = page.getByRole('region', { name: 'Producer', exact: true });
    const enrichCard = page.getByRole('region', { name: 'Enrichment', exact: true });
    await producerCard.getByText('Options', { exact: true }).click();
    await producerCard
      .getByRole('spinbutton', { name: 'Trades per second', exact: true })
      .fill(String(RATE));
    await producerCard.getByRole('button', { name: 'Start producer', exact: true }).click();
    await enrichCard.getByRole('button', { name: 'Start enrichment', exact: true }).click();
    await enrichCard
      .getByRole('button', { name: 'Stop enrichment', exact: true })
      .waitFor({ timeout: 120_000 });
    await page.getByRole('link', { name: 'Charts', exact: true }).click();
    await page.getByRole('heading', { name: 'Charts', level: 1, exact: true }).waitFor();
    await waitFor(
      'points in the charts',
      () => chartPoints(page),
      (n) => n > 0,
      120_000,
    );
    const windowLabel = await page
      .getByRole('combobox', { name: 'Range', exact: true })
      .evaluate(
        (el) =>
          (el as unknown as { selectedOptions: { text: string }[] }).selectedOptions[0]?.text ??
          '?',
      );
    const cdp = await page.context().newCDPSession(page);
    await page.evaluate(RECORDER);

    const started = Date.now();
    while (Date.now() - started < MINUTES * 60_000) {
      await sleep(SAMPLE_MS);
      const { frames, long } = (await page.evaluate(TAKE)) as { frames: number[]; long: number[] };
      const f = percentiles(frames.length > 0 ? frames : [NaN]);
      const sorted = [...frames].sort((a, b) => a - b);
      const st = await status.call('pipeline.status', {});
      const mem = await heapMiB(cdp);
      samples.push({
        s: Math.round((Date.now() - started) / 1000),
        ...mem,
        rss: rssMiB(serve.pid!),
        broker: rssMiB(brokerPid),
        frames: frames.length,
        p50: f.p50,
        p95: sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? NaN,
        p99: f.p99,
        max: f.max,
        over50: frames.filter((x) => x > 50).length,
        longTasks: long.length,
        longMs: long.reduce((a, b) => a + b, 0),
        lag: st.enricher?.stats?.lag ?? null,
        stored: st.enricher?.stats?.rowsStored ?? 0,
        points: await chartPoints(page),
      });
      console.log(JSON.stringify(samples.at(-1)));
    }
    // What the screen looked like after all that time, for a person to look at.
    mkdirSync(join(APP_ROOT, 'bench', 'out'), { recursive: true });
    await page.screenshot({
      path: join(APP_ROOT, 'bench', 'out', 'charts-soak-end.png'),
      fullPage: true,
    });
    await status.call('pipeline.stop', {});
    ws.close();

    const at = (s: number) =>
      samples.reduce((a, b) => (Math.abs(b.s - s) < Math.abs(a.s - s) ? b : a));
    const m5 = at(300);
    const end = samples.at(-1)!;
    const after5 = samples.filter((x) => x.s > 300);
    const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
    // One sample moves with what is in flight at that GC (±1 MiB on a 9 MiB heap): the medians
    // of minutes 4–6 and of the last 2 minutes are the steadier comparison.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const window5 = samples.filter((x) => x.s >= 240 && x.s <= 360);
    const around5 = window5.length > 0 ? window5 : [m5]; // a run shorter than 6 minutes
    const last2 = samples.filter((x) => x.s >= end.s - 120);
    const heap5 = median(around5.map((x) => x.heap));
    const heapEnd = median(last2.map((x) => x.heap));
    const rss5 = median(around5.map((x) => x.rss));
    const rssEnd = median(last2.map((x) => x.rss));
    const frameCount = after5.reduce((s, x) => s + x.frames, 0);
    const marks = [1, 5, 10, 15, 20, 25, 30].filter((m) => m <= MINUTES).map((m) => at(m * 60));
    const out = [
      `Charts soak: ${MINUTES} min at ${RATE.toLocaleString('en-US')} trades/s, Charts screen open in Chromium (${windowLabel}), ${new Date().toISOString()}`,
      ...machine,
      `- Chromium ${browser.version()} headless (no GPU); the serve process holds the edge server and the core service (worker thread: producer, enricher, SQLite)`,
      '',
      '| at | page JS heap after GC (MiB) | DOM nodes | serve RSS (MiB) | broker RSS (MiB) | frames | frame p50 / p95 / p99 / max (ms) | frames > 50 ms | long tasks | lag | rows stored |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
      ...marks.map(
        (m) =>
          `| ${(m.s / 60).toFixed(1)} min | ${m.heap.toFixed(2)} | ${m.nodes} | ${m.rss.toFixed(0)} | ${m.broker.toFixed(0)} | ${m.frames} | ${m.p50.toFixed(1)} / ${m.p95.toFixed(1)} / ${m.p99.toFixed(1)} / ${m.max.toFixed(0)} | ${m.over50} | ${m.longTasks} (${m.longMs.toFixed(0)} ms) | ${m.lag ?? '–'} | ${m.stored.toLocaleString('en-US')} |`,
      ),
      '',
      `- page JS heap: ${m5.heap.toFixed(2)} MiB at minute 5, ${end.heap.toFixed(2)} MiB at the end (${pct(m5.heap, end.heap)}; target within ±10%); range after minute 5 ${Math.min(...after5.map((x) => x.heap)).toFixed(2)}–${Math.max(...after5.map((x) => x.heap)).toFixed(2)} MiB`,
      `- serve process RSS: ${m5.rss.toFixed(0)} MiB at minute 5, ${end.rss.toFixed(0)} MiB at the end (${pct(m5.rss, end.rss)}; target within ±10%); range after minute 5 ${Math.min(...after5.map((x) => x.rss)).toFixed(0)}–${Math.max(...after5.map((x) => x.rss)).toFixed(0)} MiB`,
      `- medians of minutes 4–6 vs the last 2 minutes: page JS heap ${heap5.toFixed(2)} → ${heapEnd.toFixed(2)} MiB (${pct(heap5, heapEnd)}), serve RSS ${rss5.toFixed(0)} → ${rssEnd.toFixed(0)} MiB (${pct(rss5, rssEnd)})`,
      `- frames after minute 5: ${frameCount.toLocaleString('en-US')} (${(frameCount / Math.max(1, end.s - m5.s)).toFixed(1)}/s); ${after5.reduce((s, x) => s + x.over50, 0)} longer than 50 ms; worst sample p99 ${Math.max(...after5.map((x) => x.p99)).toFixed(1)} ms; long tasks ${after5.reduce((s, x) => s + x.longTasks, 0)} totalling ${after5.reduce((s, x) => s + x.longMs, 0).toFixed(0)} ms`,
      `- enricher lag (sampled every 30 s): max ${Math.max(...samples.map((x) => x.lag ?? 0)).toLocaleString('en-US')} trades; stored ${(end.stored - samples[0]!.stored).toLocaleString('en-US')} trades in ${((end.s - samples[0]!.s) / 60).toFixed(1)} min`,
    ].join('\n');
    console.log(`\n${out}`);
    mkdirSync(join(APP_ROOT, 'bench', 'out'), { recursive: true });
    writeFileSync(join(APP_ROOT, 'bench', 'out', 'charts-soak-results.md'), out + '\n');
    writeFileSync(
      join(APP_ROOT, 'bench', 'out', 'charts-soak-samples.json'),
      JSON.stringify(samples),
    );
  } catch (err) {
    console.error(`serve output:\n${output}`);
    throw err;
  } finally {
    await browser.close().catch(() => undefined);
    serve.kill('SIGINT');
    await new Promise((r) => (serve.exitCode !== null ? r(null) : serve.once('exit', r)));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
