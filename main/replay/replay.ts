import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInstant } from '../../contract/instant.js';
import type {
  BadRow,
  ReplayOptions,
  ReplayPhase,
  ReplayProgress,
  ReplayResult,
} from '../../contract/replay.js';
import type { TradeMessage } from '../../contract/trade.js';
import { RateMeter } from '../rate-meter.js';
import { ReplayInputError } from './columns.js';
import { Pacer, PauseGate, systemClock, type Clock } from './pacing.js';
import { RunBuilder, mergeRuns, reduceRuns, type TradeRow } from './sort.js';
import type { ReplaySource, SourceItem } from './source.js';

export interface ReplayLoopOptions {
  source: ReplaySource;
  options: ReplayOptions;
  /** Sends one batch and resolves once the broker confirmed it (the idempotent producer). */
  send(trades: TradeMessage[]): Promise<void>;
  fileName?: string;
  clock?: Clock;
  /** Wall clock in epoch ms, for --shift-to-now (default Date.now). */
  wallNow?: () => number;
  signal?: AbortSignal;
  gate?: PauseGate;
  /** Where the sort of an unsorted file writes its runs (default: the OS's temp folder). */
  tempDir?: string;
  /** Rows per sorted run (tests make it small to get many runs). */
  runRows?: number;
  onProgress?(progress: ReplayProgress): void;
  progressIntervalMs?: number;
  /** How long a stop waits for the batch in flight to be confirmed (default 30 s). */
  flushTimeoutMs?: number;
}

const MAX_BATCH = 2000;
const MAX_SLEEP_MS = 250;
const SLOW_SEND_MS = 2000;
const MAX_SAMPLES = 100;
const RECENT = 20;

/** What the first pass over the file found out. */
interface Plan {
  sorted: boolean;
  total: number;
  minTs: number;
  maxTs: number;
  /** The selected trades in timestamp order, one pass. */
  rows(): AsyncIterable<TradeRow[]>;
  cleanup(): void;
}

/**
 * Replays a file's trades: a first pass counts and checks them (bad rows reported, the order
 * checked), an unsorted file is sorted on disk (bounded memory), then the trades are sent in
 * timestamp order, paced by `options.speed` on `clock`, in batches with one batch in flight.
 */
export async function runReplayLoop(o: ReplayLoopOptions): Promise<ReplayResult> {
  const clock = o.clock ?? systemClock;
  const gate = o.gate ?? new PauseGate();
  const { options, signal, source } = o;
  const started = clock.now();
  const meter = new RateMeter();
  const progressEvery = o.progressIntervalMs ?? 250;

  let phase: ReplayPhase = 'scanning';
  let badRows = 0;
  const samples: BadRow[] = [];
  let recent: BadRow[] = [];
  let rowsSent = 0;
  let rowsSentAll = 0;
  let pass = 1;
  let total: number | null = null;
  let sorted: boolean | null = null;
  let lastSentTs: number | null = null;
  let lastError: string | null = null;
  let passEndTs = 0;
  const pacer = new Pacer(clock, options.speed);
  let lastReport = -Infinity;

  const report = (force = false) => {
    const now = clock.now();
    if (!force && now - lastReport < progressEvery) return;
    lastReport = now;
    const rate = meter.update(rowsSentAll, now);
    let etaMs: number | null = null;
    if (phase === 'replaying' && total !== null) {
      if (options.speed !== 'max' && lastSentTs !== null) etaMs = pacer.wallUntil(passEndTs);
      else if (rate > 0) etaMs = ((total - rowsSent) / rate) * 1000;
    }
    o.onProgress?.({
      phase: gate.paused && phase === 'replaying' ? 'paused' : phase,
      rowsSent,
      rowsTotal: total,
      rowsSentAll,
      pass,
      badRows,
      recentBadRows: recent,
      replayedAt: lastSentTs === null ? null : new Date(lastSentTs).toISOString(),
      rowsPerSec: rate,
      etaMs,
      elapsedMs: now - started,
      sorted,
      lastError,
    });
  };

  const onBad = (item: { where: number; reason: string }) => {
    const bad: BadRow = { where: item.where, unit: source.unit, reason: item.reason };
    if (options.strict) {
      throw new ReplayInputError(
        `${source.unit} ${item.where}: ${item.reason} (strict: stopped at the first bad row; nothing was sent)`,
      );
    }
    badRows++;
    if (samples.length < MAX_SAMPLES) samples.push(bad);
    recent = [...recent.slice(-(RECENT - 1)), bad];
  };

  report(true);
  const resetBad = () => {
    badRows = 0;
    samples.length = 0;
    recent = [];
  };
  const plan = await makePlan(
    o,
    onBad,
    resetBad,
    () => report(),
    (p) => {
      phase = p;
      report(true);
    },
  );
  const result = (stopped: boolean, unconfirmed: number): ReplayResult => {
    const elapsedMs = clock.now() - started;
    return {
      rowsSent: rowsSentAll,
      rowsTotal: plan.total,
      passes: pass,
      badRows,
      badRowSamples: samples,
      sorted: plan.sorted,
      unconfirmed,
      elapsedMs,
      rowsPerSec: elapsedMs > 0 ? (rowsSentAll / elapsedMs) * 1000 : 0,
      firstAt: plan.total > 0 ? new Date(plan.minTs).toISOString() : null,
      lastAt: plan.total > 0 ? new Date(plan.maxTs).toISOString() : null,
      format: source.format,
      fileName: o.fileName ?? '',
      stopped,
    };
  };
  try {
    total = plan.total;
    sorted = plan.sorted;
    phase = 'replaying';
    report(true);
    if (plan.total === 0) return result(false, 0);

    let offset = options.shiftToNow ? (o.wallNow ?? Date.now)() - plan.minTs : 0;
    // Each further pass starts one mean gap after the previous one's last trade.
    const span = plan.maxTs - plan.minTs;
    const gap = Math.max(1, plan.total > 1 ? Math.round(span / (plan.total - 1)) : 1000);

    let inFlight: { promise: Promise<void>; rows: number; lastTs: number } | null = null;
    let failure: unknown = null;
    const inFlightRows = (): number => (inFlight as { rows: number } | null)?.rows ?? 0;
    const settle = async (): Promise<boolean> => {
      if (!inFlight) return true;
      const current = inFlight;
      let done = false;
      void current.promise.then(
        () => (done = true),
        (err: unknown) => {
          done = true;
          failure ??= err;
        },
      );
      // The broker's confirmation is watched in real time (it is I/O, not the replay's clock).
      const sentAt = Date.now();
      let stopAt: number | null = null;
      while (!done) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          current.promise.catch(() => undefined),
          new Promise((r) => (timer = setTimeout(r, 200))),
        ]);
        clearTimeout(timer);
        if (done) break;
        if (Date.now() - sentAt > SLOW_SEND_MS && phase !== 'waiting-for-broker') {
          phase = 'waiting-for-broker';
          lastError = `the broker has not confirmed a batch for ${Math.round((Date.now() - sentAt) / 1000)} s; retrying`;
          report(true);
        }
        if (signal?.aborted) {
          stopAt ??= Date.now();
          if (Date.now() - stopAt > (o.flushTimeoutMs ?? 30_000)) return false;
        }
      }
      if (failure !== null) throw failure;
      if (phase === 'waiting-for-broker') {
        phase = 'replaying';
        lastError = null;
      }
      inFlight = null;
      rowsSent += current.rows;
      rowsSentAll += current.rows;
      lastSentTs = current.lastTs;
      report();
      return true;
    };
    let batch: TradeMessage[] = [];
    let batchLastTs = 0;
    const flush = async (): Promise<boolean> => {
      if (!(await settle())) return false;
      if (batch.length === 0) return true;
      const trades = batch;
      batch = [];
      inFlight = { promise: o.send(trades), rows: trades.length, lastTs: batchLastTs };
      // Surfaces a failure at the next settle; never unhandled.
      inFlight.promise.catch(() => undefined);
      return true;
    };

    for (;;) {
      passEndTs = plan.maxTs + offset;
      rowsSent = 0;
      for await (const rows of plan.rows()) {
        for (const row of rows) {
          if (signal?.aborted) break;
          if (gate.paused) {
            if (!(await flush()) || !(await settle())) return result(true, inFlightRows());
            pacer.pause();
            report(true);
            await gate.wait(signal);
            pacer.resume();
            report(true);
          }
          const ts = row.ts + offset;
          let wait = pacer.delay(ts);
          if (wait > 0) {
            if (!(await flush())) return result(true, inFlightRows());
            while (wait > 0 && !signal?.aborted && !gate.paused) {
              await clock.sleep(Math.min(wait, MAX_SLEEP_MS), signal).catch(() => undefined);
              report();
              wait = pacer.delay(ts);
            }
            if (signal?.aborted) break;
            if (gate.paused) {
              pacer.pause();
              report(true);
              await gate.wait(signal);
              pacer.resume();
              report(true);
              if (signal?.aborted) break;
              // Due again after the pause (the anchor moved by its length).
              for (let w = pacer.delay(ts); w > 0 && !signal?.aborted; w = pacer.delay(ts)) {
                await clock.sleep(Math.min(w, MAX_SLEEP_MS), signal).catch(() => undefined);
              }
              if (signal?.aborted) break;
            }
          }
          batch.push({
            timestamp: new Date(ts).toISOString(),
            symbol: row.symbol,
            price: row.price,
            volume: row.volume,
          });
          batchLastTs = ts;
          if (batch.length >= MAX_BATCH && !(await flush())) {
            return result(true, inFlightRows());
          }
        }
        if (signal?.aborted) break;
        report();
      }
      if (signal?.aborted) {
        // A stop sends nothing more; what is in flight is confirmed (bounded).
        batch = [];
        const ok = await settle();
        return result(true, ok ? 0 : inFlightRows());
      }
      if (!(await flush()) || !(await settle())) return result(true, inFlightRows());
      if (!options.loop) break;
      if (signal?.aborted) return result(true, 0);
      pass++;
      offset += span + gap;
      report(true);
    }
    phase = 'finishing';
    report(true);
    return result(false, 0);
  } finally {
    plan.cleanup();
  }
}

function filterOf(options: ReplayOptions): (item: TradeRow) => boolean {
  const symbols = options.symbols ? new Set(options.symbols) : null;
  const from = options.from ? parseInstant(options.from, { allowDateOnly: true }) : null;
  const to = options.to ? parseInstant(options.to, { allowDateOnly: true }) : null;
  return (r) =>
    (symbols === null || symbols.has(r.symbol)) &&
    (from === null || r.ts >= from) &&
    (to === null || r.ts < to);
}

function goodRows(items: SourceItem[], keep: (r: TradeRow) => boolean): TradeRow[] {
  const out: TradeRow[] = [];
  for (const it of items) if (it.reason === undefined && keep(it)) out.push(it);
  return out;
}

/**
 * The first pass: counts the selected trades, reports bad rows, and checks the order. A file
 * found out of order is read once more into sorted runs on disk (bad rows then reported from
 * that pass).
 */
async function makePlan(
  o: ReplayLoopOptions,
  onBad: (item: { where: number; reason: string }) => void,
  resetBad: () => void,
  tick: () => void,
  setPhase: (phase: ReplayPhase) => void,
): Promise<Plan> {
  const { source, signal } = o;
  const keep = filterOf(o.options);
  const cancelled = () => new ReplayInputError('replay cancelled');
  let total = 0;
  let minTs = Infinity;
  let maxTs = -Infinity;
  let prev = -Infinity;
  let inOrder = true;
  for await (const items of source.items(signal)) {
    for (const it of items) {
      if (it.reason !== undefined) {
        onBad(it);
        continue;
      }
      if (!keep(it)) continue;
      if (it.ts < prev) {
        inOrder = false;
        break;
      }
      prev = it.ts;
      total++;
      if (it.ts < minTs) minTs = it.ts;
      if (it.ts > maxTs) maxTs = it.ts;
    }
    if (!inOrder) break;
    tick();
  }
  if (signal?.aborted) throw cancelled();
  if (inOrder) {
    return {
      sorted: true,
      total,
      minTs,
      maxTs,
      rows: () => sortedRows(source, keep, signal),
      cleanup: () => undefined,
    };
  }

  // Out of order: sort into runs on disk. The bad rows are counted again by this pass.
  resetBad();
  setPhase('sorting');
  const dir = mkdtempSync(join(o.tempDir ?? tmpdir(), 'vi-replay-sort-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const builder = new RunBuilder(dir, o.runRows);
    total = 0;
    minTs = Infinity;
    maxTs = -Infinity;
    for await (const items of source.items(signal)) {
      for (const it of items) {
        if (it.reason !== undefined) {
          onBad(it);
          continue;
        }
        if (!keep(it)) continue;
        builder.push(it);
        total++;
        if (it.ts < minTs) minTs = it.ts;
        if (it.ts > maxTs) maxTs = it.ts;
      }
      tick();
    }
    if (signal?.aborted) throw cancelled();
    const runs = reduceRuns(builder.finish(), dir);
    return {
      sorted: false,
      total,
      minTs,
      maxTs,
      rows: () => mergedRows(runs),
      cleanup,
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

async function* sortedRows(
  source: ReplaySource,
  keep: (r: TradeRow) => boolean,
  signal?: AbortSignal,
): AsyncGenerator<TradeRow[]> {
  for await (const items of source.items(signal)) {
    const rows = goodRows(items, keep);
    if (rows.length > 0) yield rows;
  }
}

async function* mergedRows(runs: string[]): AsyncGenerator<TradeRow[]> {
  for (const batch of mergeRuns(runs)) yield batch;
}
