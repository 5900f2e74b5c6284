// The message-volume timeline on a 10,000,000-message topic (issue 12): Kafka's
// ProducerPerformance fills a 3-partition topic as fast as it can (100-byte records, timestamps
// are the send times), then the core service's `messages.timeline` is called exactly as a view
// calls it (a fresh group-less connection per call) for the last hour, the last day and the whole
// retained range, 60 buckets: the first (cold) call and the median of the following runs. Beside
// it, in the same run: one offsets-for-times lookup by kcat (`-Q`, all partitions, one process)
// and by Kafka's GetOffsetShell (`--time`, a JVM launch), and what a scan costs instead: Kafka's
// ConsumerPerformance reading the whole topic. Target: under 1 s. The counts are checked: the
// whole range adds up to the watermarks, and one edge's cumulative count equals GetOffsetShell's
// offsets at that instant. Results: stdout and bench/out/timeline-results.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagesTimeline, TimelineRange } from '../contract/timeline.js';
import { JvmBrokerProvider } from '../main/broker/jvm.js';
import { freePorts } from '../main/net-util.js';
import { VolatilityService, createLocalApi } from '../main/service.js';
import { kafkaTool, machineLines } from './pipeline.js';

const TOTAL = Number(process.env.VI_BENCH_MESSAGES ?? 10_000_000);
const TOPIC = 'bench_timeline';
const PARTITIONS = 3;
const RUNS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timedMs<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - started };
}

/** `topic:partition:offset` lines (GetOffsetShell) or kcat -Q's ` partition N ... offset M`. */
function sumOffsets(text: string): number {
  let sum = 0;
  for (const m of text.matchAll(/:(\d+):(\d+)\s*$/gm)) sum += Number(m[2]);
  return sum;
}

export async function runTimelineBenchmark(): Promise<void> {
  const machine = machineLines();
  const dataDir = mkdtempSync(join(tmpdir(), 'vi-bench-timeline-'));
  const home = mkdtempSync(join(tmpdir(), 'vi-bench-timeline-home-'));
  const [port, controllerPort] = await freePorts(2);
  const broker = new JvmBrokerProvider({
    port: port!,
    controllerPort: controllerPort!,
    dataDir,
    heap: '1g',
  });
  await broker.start({ timeoutMs: 120_000 });
  const bootstrap = broker.connection().brokers.join(',');
  try {
    await kafkaTool(broker, 'org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      TOPIC,
      '--partitions',
      String(PARTITIONS),
      '--replication-factor',
      '1',
    ]);
    const load = await timedMs(() =>
      kafkaTool(broker, 'org.apache.kafka.tools.ProducerPerformance', [
        '--topic',
        TOPIC,
        '--num-records',
        String(TOTAL),
        '--record-size',
        '100',
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${bootstrap}`,
        'acks=1',
        'linger.ms=10',
        'batch.size=262144',
      ]),
    );

    const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: home };
    delete env.KAFKA_BROKERS;
    const service = new VolatilityService({ env, brokers: broker.connection().brokers });
    const api = createLocalApi(service, { trusted: false });
    const ranges: [string, TimelineRange][] = [
      ['last hour', { kind: 'last', ms: 3_600_000 }],
      ['last day', { kind: 'last', ms: 86_400_000 }],
      ['all (whole retained range)', { kind: 'all' }],
    ];
    const results: { label: string; cold: number; runs: number[]; lookups: number }[] = [];
    let whole: MessagesTimeline | null = null;
    for (const [label, range] of ranges) {
      const runs: number[] = [];
      let cold = 0;
      let lookups = 0;
      for (let r = 0; r <= RUNS; r++) {
        const { result, ms } = await timedMs(() =>
          api.call('messages.timeline', { topic: TOPIC, range, buckets: 60 }),
        );
        if (r === 0) cold = ms;
        else runs.push(ms);
        lookups = result.requests.offsetLookups + result.requests.fetches;
        if (range.kind === 'all') whole = result;
      }
      results.push({ label, cold, runs, lookups });
    }
    await service.shutdown();
    api.close();

    // The counts add up: all of the topic, and the cumulative count at one edge.
    if (!whole || whole.total !== TOTAL) throw new Error(`'all' counted ${whole?.total}`);
    const unseen = whole.partitions.filter(
      (p) => p.firstTimestamp === null || p.lastTimestamp === null,
    );
    if (unseen.length > 0)
      throw new Error(`no first or last record read in ${unseen.length} partitions`);
    const mid = whole.buckets[Math.floor(whole.buckets.length / 2)]!;
    const before = whole.buckets.filter((b) => b.end <= mid.start).reduce((s, b) => s + b.count, 0);

    const shell: number[] = [];
    let shellSum = 0;
    for (let r = 0; r < 3; r++) {
      const { result, ms } = await timedMs(() =>
        kafkaTool(broker, 'org.apache.kafka.tools.GetOffsetShell', [
          '--bootstrap-server',
          bootstrap,
          '--topic',
          TOPIC,
          '--time',
          String(mid.start),
        ]),
      );
      shell.push(ms);
      shellSum = sumOffsets(result);
    }
    if (shellSum !== before) {
      throw new Error(
        `GetOffsetShell says ${shellSum} before ${mid.start}; the timeline ${before}`,
      );
    }

    let kcatLine =
      '| one lookup, 3 partitions | kcat not installed (`apt-get install -y kcat`) | | |';
    let kcatMedian: number | null = null;
    if (spawnSync('kcat', ['-V']).status === 0) {
      const kcat: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const args = ['-Q', '-b', bootstrap];
        for (let p = 0; p < PARTITIONS; p++) args.push('-t', `${TOPIC}:${p}:${mid.start}`);
        const started = performance.now();
        const out = spawnSync('kcat', args, { encoding: 'utf8' });
        kcat.push(performance.now() - started);
        if (out.status !== 0) throw new Error(`kcat -Q failed: ${out.stderr}`);
      }
      kcatMedian = median(kcat);
      kcatLine = `| one offsets-for-times lookup, 3 partitions (process launch to exit) | kcat \`-Q -t topic:p:ts\` ×3 | ${kcat.map((x) => x.toFixed(0)).join(', ')} ms | median ${kcatMedian.toFixed(0)} ms |`;
    }

    const scan = await timedMs(() =>
      kafkaTool(broker, 'org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server',
        bootstrap,
        '--topic',
        TOPIC,
        '--messages',
        String(TOTAL),
        '--timeout',
        '120000',
      ]),
    );

    const allMedian = median(results.at(-1)!.runs);
    const fmtMs = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    const lines = [
      `Timeline on ${TOTAL.toLocaleString('en-US')} messages (${PARTITIONS} partitions, 100-byte records by ProducerPerformance in ${(load.ms / 1000).toFixed(1)} s), ${new Date().toISOString().slice(0, 10)}:`,
      '',
      ...machine,
      '',
      '| what | tool | runs | result |',
      '| --- | --- | --- | ---: |',
      ...results.map(
        (r) =>
          `| ${r.label}, 60 buckets (${r.lookups} round trips) | messages.timeline | cold ${r.cold.toFixed(0)} ms; then ${fmtMs(r.runs)} ms | median ${median(r.runs).toFixed(0)} ms |`,
      ),
      kcatLine,
      `| one offsets-for-times lookup, 3 partitions (JVM launch to exit) | GetOffsetShell \`--time\` | ${fmtMs(shell)} ms | median ${median(shell).toFixed(0)} ms |`,
      `| the scan a timeline avoids: read all ${TOTAL.toLocaleString('en-US')} | ConsumerPerformance (JVM launch to exit) | ${(scan.ms / 1000).toFixed(1)} s | ${(scan.ms / allMedian).toFixed(0)}× the 'all' timeline |`,
      '',
      `Checked: 'all' counted ${whole.total.toLocaleString('en-US')} = the watermarks; ${before.toLocaleString('en-US')} messages before ${new Date(mid.start).toISOString()} by the timeline = GetOffsetShell's offsets at that instant. approximate: ${whole.approximate}.`,
      `Ratios: the 'all' timeline (${whole.buckets.length} buckets) = ${(allMedian / median(shell)).toFixed(2)}× one GetOffsetShell lookup${kcatMedian === null ? '' : `, ${(allMedian / kcatMedian).toFixed(1)}× one kcat lookup`}.`,
    ];
    console.log(lines.join('\n'));
    mkdirSync(join('bench', 'out'), { recursive: true });
    writeFileSync(join('bench', 'out', 'timeline-results.md'), `${lines.join('\n')}\n`);
  } finally {
    await broker.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runTimelineBenchmark();
