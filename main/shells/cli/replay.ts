import { resolve } from 'node:path';
import type { ReplayProgress, ReplayResult } from '../../../contract/replay.js';
import { ServiceError } from '../../../contract/rpc.js';
import { ReplayStartSchema, type ReplayStart } from '../../../contract/service.js';
import { DEFAULT_HINTS, failureText, type CliHints } from './admin-support.js';
import { intFlag, parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import { CONNECTION_FLAGS, runJob, serviceOptionsFrom, withApi } from './session.js';

const USAGE = `volatility-insight replay --file FILE [--speed N|max] [--symbols A,B] [--from ISO] [--to ISO] [--shift-to-now] [--loop] [--topic T] [--columns ROLE=COL,…] [--time-unit auto|s|ms|us|ns] [--strict] [--partitions N] [--brokers HOST:PORT]

  --file          a CSV file (RFC 4180, with a header), a Parquet file, or JSON lines of the
                  seed's messages; this app's exports replay as they are
  --speed         the recorded pace times N (1 = real time, the default; 60 = a minute a second),
                  or max for as fast as the broker takes them
  --symbols       only these symbols, comma-separated
  --from, --to    only trades in [from, to): 2025-07-07 or 2025-07-07T13:30:00Z (no zone = UTC)
  --shift-to-now  shift every timestamp so the first trade is now (default: as recorded)
  --loop          start again at the end; each pass continues the clock after the last
  --topic         the topic (default stock_prices); created with --partitions (default 3)
  --columns       which column is which, for names not found on their own:
                  timestamp=when,symbol=instrument,price=px,volume=qty
                  (found on their own: timestamp/time/ts, symbol/ticker, price/px, volume/size/qty)
  --time-unit     numeric timestamps count s, ms, us or ns (default: from the first value's size)
  --strict        stop at the first bad row (default: count and report bad rows, go on)
Unsorted files are sorted first, on disk, in bounded memory. On a terminal, p pauses and
resumes; Ctrl-C stops (what was sent stays sent).`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  file: { type: 'string', short: 'f' },
  speed: { type: 'string' },
  symbols: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'shift-to-now': { type: 'boolean' },
  loop: { type: 'boolean' },
  topic: { type: 'string' },
  partitions: { type: 'string' },
  columns: { type: 'string' },
  'time-unit': { type: 'string' },
  strict: { type: 'boolean' },
} as const;

export interface ReplayArgs {
  file: string;
  request: Omit<ReplayStart, 'source'>;
  brokers: string | undefined;
}

/** Parses the flags (throws UsageError for bad arguments). */
export function parseReplayArgs(argv: string[]): ReplayArgs {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (positionals.length > 0) {
    throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
  }
  if (!values.file) throw new UsageError('--file FILE is required');
  let speed: number | 'max' = 1;
  if (values.speed !== undefined) {
    if (values.speed === 'max') speed = 'max';
    else {
      speed = Number(values.speed);
      if (!Number.isFinite(speed) || speed <= 0) {
        throw new UsageError(`--speed must be a number > 0 or max, not "${values.speed}"`);
      }
    }
  }
  const symbols = values.symbols
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (values.symbols !== undefined && symbols?.length === 0) {
    throw new UsageError('--symbols needs at least one symbol, e.g. --symbols AAPL,MSFT');
  }
  const columns: Record<string, string> = {};
  for (const part of (values.columns ?? '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const role = eq === -1 ? '' : part.slice(0, eq).trim().toLowerCase();
    const column = eq === -1 ? '' : part.slice(eq + 1).trim();
    if (!['timestamp', 'symbol', 'price', 'volume'].includes(role) || column === '') {
      throw new UsageError(
        `--columns "${part}": expected ROLE=COLUMN, ROLE one of timestamp, symbol, price, volume`,
      );
    }
    if (columns[role] !== undefined) throw new UsageError(`--columns names ${role} twice`);
    columns[role] = column;
  }
  const request = {
    speed,
    ...(symbols ? { symbols } : {}),
    ...(values.from !== undefined ? { from: values.from } : {}),
    ...(values.to !== undefined ? { to: values.to } : {}),
    shiftToNow: values['shift-to-now'] ?? false,
    loop: values.loop ?? false,
    ...(values.topic !== undefined ? { topic: values.topic } : {}),
    ...(values.partitions !== undefined
      ? { partitions: intFlag(values.partitions, 'partitions', 1) }
      : {}),
    columns,
    ...(values['time-unit'] !== undefined ? { timeUnit: values['time-unit'] } : {}),
    strict: values.strict ?? false,
  } as Omit<ReplayStart, 'source'>;
  const checked = ReplayStartSchema.safeParse({
    ...request,
    source: { kind: 'grant', grant: 'check' },
  });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    if (issue?.code === 'custom' && issue.path.join('.') === 'to') {
      throw new UsageError('--from must be before --to (--from is inclusive, --to exclusive)');
    }
    const key = issue?.path[0] !== undefined ? String(issue.path[0]) : '';
    const flag = key ? `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}: ` : '';
    throw new UsageError(`${flag}${issue?.message ?? 'invalid replay'}`);
  }
  return { file: resolve(values.file), request, brokers: values.brokers };
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** One progress line: rows sent of total, the replayed clock, rate, time left, bad rows. */
export function replayProgressText(p: ReplayProgress, barWidth: number): string {
  if (p.phase === 'scanning' || p.phase === 'sorting') {
    const what =
      p.phase === 'scanning' ? 'checking the file' : 'sorting the file (not in time order)';
    return `${what}…${p.badRows > 0 ? `  ${count(p.badRows)} bad rows` : ''}`;
  }
  const total = p.rowsTotal ?? 0;
  const frac = total > 0 ? Math.min(1, p.rowsSent / total) : 1;
  const parts = [
    p.phase === 'paused' ? 'PAUSED' : p.phase === 'waiting-for-broker' ? 'WAITING FOR BROKER' : '',
    `${(frac * 100).toFixed(0).padStart(3)}%`,
    `${count(p.rowsSent)}/${count(total)} trades${p.pass > 1 ? ` (pass ${p.pass})` : ''}`,
    p.replayedAt ? `at ${p.replayedAt}` : '',
    p.rowsPerSec > 0 ? `${count(Math.round(p.rowsPerSec))}/s` : '',
    p.etaMs !== null ? `${duration(p.etaMs)} left` : '',
    p.badRows > 0 ? `${count(p.badRows)} bad rows` : '',
  ].filter((x) => x);
  const text = parts.join('  ');
  if (barWidth <= 0) return text;
  const filled = Math.round(frac * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${text}`;
}

const SHOWN_BAD_ROWS = 20;

function printer(ctx: CliContext) {
  const tty = ctx.stdout.isTTY === true;
  let lastPlain = 0;
  let drawn = false;
  let printedBad = 0;
  let seenBad = 0;
  const clear = () => {
    if (drawn) ctx.stdout.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    update(p: ReplayProgress) {
      // Bad rows as they are found (the first SHOWN_BAD_ROWS; the result counts them all).
      if (p.badRows > seenBad) {
        const fresh = p.recentBadRows.slice(-(p.badRows - seenBad));
        seenBad = p.badRows;
        for (const b of fresh) {
          if (printedBad >= SHOWN_BAD_ROWS) break;
          clear();
          ctx.stderr.write(`replay: bad row, ${b.unit} ${b.where}: ${b.reason}\n`);
          printedBad++;
        }
      }
      if (tty) {
        const width = ctx.stdout.columns ?? 100;
        const bar = Math.max(10, Math.min(30, width - 100));
        ctx.stdout.write('\r\x1b[2K' + replayProgressText(p, bar).slice(0, width - 1));
        drawn = true;
      } else if (Date.now() - lastPlain >= 5000 && p.rowsSentAll > 0) {
        lastPlain = Date.now();
        ctx.stdout.write(`replay: ${replayProgressText(p, 0)}\n`);
      }
    },
    end: clear,
  };
}

/** p toggles pause on a terminal; the raw mode's Ctrl-C still stops. */
function pauseKeys(ctx: CliContext, toggle: () => void, stop: () => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY || ctx.stdout !== process.stdout) return () => undefined;
  stdin.setRawMode(true);
  stdin.resume();
  const onData = (data: Buffer) => {
    const key = data.toString('utf8');
    if (key === 'p' || key === ' ') toggle();
    else if (key === '\u0003' || key === 'q') stop();
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

const REPLAY_HINTS: CliHints = {
  ...DEFAULT_HINTS,
  'invalid-argument': 'fix the file or its rows, or name its columns with --columns',
};

function summary(r: ReplayResult, file: string): string {
  const secs = (r.elapsedMs / 1000).toFixed(1);
  const lines = [
    `${r.stopped ? 'stopped: ' : ''}replayed ${count(r.rowsSent)} trades from ${file} ` +
      `(${r.format}${r.sorted ? '' : ', sorted first'}${r.passes > 1 ? `, ${r.passes} passes` : ''}; ` +
      `${secs}s, ${count(Math.round(r.rowsPerSec))} trades/s)` +
      (r.firstAt ? `; recorded ${r.firstAt} … ${r.lastAt}` : ''),
  ];
  if (r.badRows > 0)
    lines.push(
      `${count(r.badRows)} bad rows skipped (listed above; the first ${r.badRowSamples.length} are in the job's result)`,
    );
  if (r.unconfirmed > 0)
    lines.push(`${count(r.unconfirmed)} trades were not confirmed by the broker before the stop`);
  return lines.join('\n') + '\n';
}

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'Replay recorded trades from a CSV or Parquet file into the topic, with timing',
  usage: USAGE,
  async run(argv, ctx) {
    const { file, request, brokers } = parseReplayArgs(argv);
    const progress = printer(ctx);
    let jobId: string | null = null;
    let paused = false;
    let release: () => void = () => undefined;
    try {
      const result = await withApi(ctx, serviceOptionsFrom({ brokers }), async (api) => {
        // The file named on the command line is the person's choice: granted, then replayed.
        const { grant } = await api.call('paths.grant', { path: file, purpose: 'replay' });
        const local = new AbortController();
        const signal = AbortSignal.any([ctx.signal, local.signal]);
        release = pauseKeys(
          ctx,
          () => {
            if (jobId === null) return;
            paused = !paused;
            void api
              .call(paused ? 'replay.pause' : 'replay.resume', { jobId })
              .catch(() => undefined);
          },
          () => local.abort(),
        );
        return runJob(
          api,
          'replay',
          async () => {
            const ref = await api.call('replay.start', {
              ...request,
              source: { kind: 'grant', grant },
            });
            jobId = ref.jobId;
            return ref;
          },
          {
            signal,
            onEvent: (e) => {
              if (e.event === 'replay-progress') progress.update(e.progress);
            },
          },
        );
      });
      release();
      progress.end();
      ctx.stdout.write(summary(result, file));
      return result.stopped ? 130 : 0;
    } catch (err) {
      release();
      progress.end();
      if (err instanceof ServiceError) {
        ctx.stderr.write(`replay: ${failureText(err, REPLAY_HINTS)}`);
        return err.code === 'cancelled' ? 130 : 1;
      }
      throw err;
    }
  },
};
