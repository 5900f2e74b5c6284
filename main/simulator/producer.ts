import type { Producer } from 'kafkajs';
import type { TradeMessage } from '../../contract/trade.js';
import { createKafka, type KafkaConnection } from '../kafka/connection.js';
import { ensureTopic } from '../kafka/topics.js';
import { createTradeProducer, tradeRecords } from '../kafka/trade-producer.js';
import { sleep } from '../net-util.js';
import { RateMeter } from '../rate-meter.js';
import { TradeSimulator, type SimulatorOptions } from './trade-simulator.js';

export interface ProducerOptions {
  connection: KafkaConnection;
  topic: string;
  /** Messages per second, or 'max' for as fast as the broker takes them. */
  rate: number | 'max';
  /** Stop after this many messages; default: until stopped. */
  count?: number;
  partitions: number;
  simulator: Omit<SimulatorOptions, 'stepMs'> & { stepMs?: number };
  /** How long a stop waits for unconfirmed messages before giving up (and saying so). */
  flushTimeoutMs?: number;
  signal?: AbortSignal;
  onStats?: (stats: ProducerStats) => void;
}

export interface ProducerStats {
  state: 'connecting' | 'running' | 'waiting-for-broker' | 'stopping' | 'stopped' | 'failed';
  produced: number;
  /** Messages per second over the last reporting interval. */
  rate: number;
  lastError: string | null;
}

export interface ProducerResult {
  produced: number;
  /** Messages handed to the client but not confirmed when the stop gave up. */
  unconfirmed: number;
}

const MAX_BATCH = 2000;
const STATS_INTERVAL_MS = 500;
/** A send slower than this means the broker is down or struggling: say so. */
const SLOW_SEND_MS = 2000;

/**
 * The trade simulator's producer loop: idempotent producer (acks=all, retries forever), keyed by
 * symbol so each symbol stays ordered in its partition, rate-limited or flat out.
 */
export async function runProducer(options: ProducerOptions): Promise<ProducerResult> {
  const { signal } = options;
  const rate = options.rate;
  const stepMs = options.simulator.stepMs ?? (rate === 'max' ? 1 : 1000 / rate);
  const simulator = new TradeSimulator({ ...options.simulator, stepMs });
  const stats: ProducerStats = { state: 'connecting', produced: 0, rate: 0, lastError: null };
  const meter = new RateMeter();
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!force && now - lastReport < STATS_INTERVAL_MS) return;
    stats.rate = meter.update(stats.produced, now);
    lastReport = now;
    options.onStats?.({ ...stats });
  };
  report(true);

  const kafka = createKafka(options.connection, 'volatility-insight-simulator');
  await ensureTopic(kafka, options.topic, options.partitions);
  const producer = createTradeProducer(kafka);
  await producer.connect();
  stats.state = 'running';
  report(true);

  const started = performance.now();
  let unconfirmed = 0;
  try {
    while (!signal?.aborted && (options.count === undefined || stats.produced < options.count)) {
      const remaining = options.count === undefined ? MAX_BATCH : options.count - stats.produced;
      let n: number;
      if (rate === 'max') {
        n = Math.min(MAX_BATCH, remaining);
      } else {
        const due = Math.floor(((performance.now() - started) / 1000) * rate) + 1 - stats.produced;
        if (due <= 0) {
          const nextAt = started + ((stats.produced + 0) * 1000) / rate;
          await sleep(Math.max(1, Math.min(250, nextAt - performance.now())), signal).catch(
            () => undefined,
          );
          report();
          continue;
        }
        n = Math.min(due, MAX_BATCH, remaining);
      }
      const now = Date.now();
      const trades: TradeMessage[] = [];
      for (let i = 0; i < n; i++) trades.push(simulator.next(now));
      const sent = await sendWithWatch(
        producer,
        options.topic,
        trades,
        stats,
        report,
        signal,
        options,
      );
      if (!sent) {
        unconfirmed = trades.length;
        break;
      }
      stats.produced += n;
      report();
    }
    stats.state = 'stopping';
    report(true);
  } catch (err) {
    stats.state = 'failed';
    stats.lastError = (err as Error).message;
    report(true);
    throw err;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  stats.state = 'stopped';
  report(true);
  return { produced: stats.produced, unconfirmed };
}

/**
 * Sends one batch. The idempotent producer retries on its own for as long as it takes; while it
 * does, the stats say the broker is not answering. After a stop request, waits at most
 * flushTimeoutMs for the confirmation, then gives up and returns false.
 */
async function sendWithWatch(
  producer: Producer,
  topic: string,
  trades: TradeMessage[],
  stats: ProducerStats,
  report: (force?: boolean) => void,
  signal: AbortSignal | undefined,
  options: ProducerOptions,
): Promise<boolean> {
  const sending = producer.send({
    topic,
    acks: -1,
    messages: tradeRecords(trades),
  });
  let settled = false;
  const done = sending.then(
    () => {
      settled = true;
    },
    (err: unknown) => {
      settled = true;
      throw err;
    },
  );
  const sendStarted = Date.now();
  let stopRequestedAt: number | null = null;
  while (!settled) {
    await Promise.race([done.catch(() => undefined), sleep(200)]);
    if (settled) break;
    if (Date.now() - sendStarted > SLOW_SEND_MS && stats.state !== 'waiting-for-broker') {
      stats.state = 'waiting-for-broker';
      stats.lastError = `the broker has not confirmed a batch for ${Math.round((Date.now() - sendStarted) / 1000)} s; retrying`;
      report(true);
    }
    if (signal?.aborted) {
      stopRequestedAt ??= Date.now();
      if (Date.now() - stopRequestedAt > (options.flushTimeoutMs ?? 30_000)) return false;
    }
  }
  await done;
  if (stats.state === 'waiting-for-broker') {
    stats.state = 'running';
    stats.lastError = null;
  }
  return true;
}
