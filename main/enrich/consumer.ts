import { isUtf8 } from 'node:buffer';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { EnrichRequest, EnricherResult, EnricherStats } from '../../contract/pipeline.js';
import { parseTradeMessage, type DeadLetter, type EnrichedTrade } from '../../contract/trade.js';
import { createKafka } from '../kafka/connection.js';
import { ensureTopic } from '../kafka/topics.js';
import { sleep } from '../net-util.js';
import { RateMeter } from '../rate-meter.js';
import {
  SqliteStore,
  type DeadLetterRow,
  type EnrichedRow,
  type StoredBatch,
} from '../store/sqlite-store.js';
import type { Bar } from './bars.js';
import { AnalyticsEngine } from './analytics-engine.js';
import { ChartFeed, type ChartFeedOptions } from './chart-feed.js';
import type { FiredAlert } from '../../contract/charts.js';
import { TradeContext } from './context.js';
import { WeatherService } from './weather.js';
import {
  OffThreadPublisher,
  PublisherPool,
  PUBLISHER_CONFIG,
  type OutgoingMessage,
  type Publisher,
} from './publisher.js';

export interface EnricherOptions {
  request: EnrichRequest;
  signal?: AbortSignal;
  /** Stop once everything already in this consumer's partitions is stored (or after DRAIN_MS). */
  drain?: AbortSignal;
  onStats?: (stats: EnricherStats) => void;
  /** Live points and fired alerts for the views (charts, issue 9). */
  feed?: ChartFeedOptions;
}

const STATS_INTERVAL_MS = 500;
const LAG_INTERVAL_MS = 1000;
/** A fetch's longest wait for data in a batch run (--until-idle): its stop waits for it. */
const UNTIL_IDLE_FETCH_WAIT_MS = 100;
/** How often the lag is checked once --until-idle may be reached. */
const IDLE_CHECK_MS = 100;
/** Inside a batch, heartbeat at least this often (kafkajs sends one per heartbeatInterval). */
const HEARTBEAT_EVERY_MS = 1000;
/** A drain stops after this long even if the lag never reaches 0 (e.g. a producer still runs). */
const DRAIN_MS = 15_000;

/**
 * The enrichment consumer. For each batch: parse every message (bad ones become dead letters),
 * compute analytics and context, publish enriched records and dead letters, then store the rows,
 * the changed bars and the next offset in one SQLite transaction. SQLite's offsets are the truth:
 * on start and after every rebalance the consumer seeks to them, so each trade is stored exactly
 * once. The enriched and dead-letter topics are at-least-once (a crash between publishing and
 * storing republishes that batch); their records carry kafka_partition/kafka_offset for dedup.
 */
export async function runEnricher(options: EnricherOptions): Promise<EnricherResult> {
  const { request, signal } = options;
  const store = new SqliteStore(request.db);
  try {
    store.bindSourceTopic(request.sourceTopic);
    const groupId =
      request.groupId ?? `volatility-insight-enrich-${store.databaseId().slice(0, 8)}`;
    const enricher = new Enricher(request, store, groupId, options.onStats, options.feed);
    return await enricher.run(signal, options.drain);
  } finally {
    store.close();
  }
}

class Enricher {
  private readonly kafka;
  private readonly context: TradeContext;
  private engine!: AnalyticsEngine;
  /** Per partition, the next offset to compute: SQLite's after a rebuild, then past each batch. */
  private expectedNext = new Map<number, number>();
  private stateDirty = true;
  /** The last computed batch's completion (acknowledged, then stored): whether it was stored. */
  private completion: Promise<boolean> = Promise.resolve(true);
  /** A completion's failure, thrown from the next batch so that kafkajs backs off and retries. */
  private failure: unknown = null;
  private readonly stats: EnricherStats;
  private readonly meter = new RateMeter();
  private lastReport = 0;
  private lastActivity = Date.now();
  private joined = false;
  /** Partitions assigned by a rebalance whose seek to SQLite's offset is not issued yet. */
  private readonly pendingSeek = new Set<number>();
  /** This member's partitions of the source topic, from the last rebalance. */
  private assigned: number[] = [];
  /** Bumped by every rebalance: a seek loop of an older one gives up. */
  private generation = 0;
  /** Set once the stop begins: kafkajs must not restart the consumer behind our back. */
  private stopping = false;
  /** A condition the consumer cannot go on from (e.g. the topic was recreated). */
  private fatal: Error | null = null;
  private admin!: Admin;
  /** The enriched topic's partition count: records keep their source partition when below it. */
  private enrichedPartitions = 0;
  /** Offsets to mirror into Kafka's committed offsets, and the commit loop sending them. */
  private readonly mirrorWanted = new Map<number, number>();
  private mirroring: Promise<void> | null = null;
  private readonly feed: ChartFeed;

  constructor(
    private readonly request: EnrichRequest,
    private readonly store: SqliteStore,
    groupId: string,
    private readonly onStats?: (stats: EnricherStats) => void,
    feedOptions?: ChartFeedOptions,
  ) {
    this.kafka = createKafka(request.connection, 'volatility-insight-enricher');
    this.feed = new ChartFeed(store, this.kafka, {
      ...feedOptions,
      alertsTopic: request.alertsTopic,
    });
    this.context = new TradeContext(new WeatherService(request.weather));
    this.stats = {
      state: 'connecting',
      groupId,
      consumed: 0,
      enriched: 0,
      deadLetters: 0,
      late: 0,
      rate: 0,
      lag: null,
      rowsStored: store.totals().trades,
      lostToRetention: 0,
      lastError: null,
    };
  }

  async run(signal?: AbortSignal, drain?: AbortSignal): Promise<EnricherResult> {
    const { request } = this;
    this.report(true);
    const producer: Publisher = new PublisherPool(
      Array.from({ length: PUBLISH_THREADS }, () => new OffThreadPublisher(request.connection)),
    );
    const consumer = this.kafka.consumer({
      groupId: this.stats.groupId,
      allowAutoTopicCreation: false,
      // A fetch returns as soon as there is data; with none it waits this long, and a stop waits
      // for that fetch (kafkajs's 5 s default made every stop, e.g. --until-idle, 5 s longer).
      // A batch run (--until-idle) stops once idle: there a shorter wait ends it sooner.
      maxWaitTimeInMs: request.untilIdleMs === undefined ? 500 : UNTIL_IDLE_FETCH_WAIT_MS,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      retry: {
        retries: 10,
        initialRetryTime: 300,
        maxRetryTime: 5_000,
        restartOnFailure: async () => !this.stopping,
      },
    });
    const admin = this.kafka.admin();
    this.admin = admin;
    let crashed: Error | null = null;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (this.stopping) return;
      this.joined = true;
      this.assigned = e.payload.memberAssignment[request.sourceTopic] ?? [];
      this.lastActivity = Date.now();
      this.stateDirty = true;
      for (const p of e.payload.memberAssignment[request.sourceTopic] ?? [])
        this.pendingSeek.add(p);
      void this.seekWithRetry(consumer, admin, e.payload.memberAssignment, signal);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (this.stopping) return;
      this.stats.lastError = e.payload.error.message;
      this.stateDirty = true;
      if (!e.payload.restart) crashed = e.payload.error;
      else this.stats.state = 'recovering';
      this.report(true);
    });

    let connecting: Promise<unknown> | null = null;
    try {
      // The clients connect (and the publishing threads start) while the topics are checked.
      connecting = Promise.all([producer.connect(), consumer.connect(), admin.connect()]);
      connecting.catch(() => undefined); // awaited below, after the topics
      const [sourcePartitions] = await Promise.all([
        ensureTopic(this.kafka, request.sourceTopic, 3),
        ensureTopic(this.kafka, request.deadLetterTopic, 1),
      ]);
      this.enrichedPartitions = await ensureTopic(
        this.kafka,
        request.enrichedTopic,
        sourcePartitions,
      );
      await connecting;
      await consumer.subscribe({ topic: request.sourceTopic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.handleBatch(payload, producer, consumer),
      });
      this.stats.state = 'running';
      this.report(true);

      let lastLag = 0;
      let drainUntil: number | null = null;
      drain?.addEventListener('abort', () => (lastLag = 0), { once: true });
      while (!signal?.aborted && crashed === null && this.fatal === null) {
        await sleep(100, signal).catch(() => undefined);
        if (drain?.aborted) {
          drainUntil ??= Date.now() + DRAIN_MS;
          if (Date.now() >= drainUntil) break;
        }
        if (Date.now() - lastLag >= (this.mayBeIdle() ? IDLE_CHECK_MS : LAG_INTERVAL_MS)) {
          lastLag = Date.now();
          // With the broker down, admin retries take many seconds: a stop must not wait for them.
          await untilAborted(this.updateLag(admin), signal).catch(() => {
            this.stats.lag = null;
          });
          if (this.isIdleLongEnough()) break;
          if (drain?.aborted && this.joined && this.stats.lag === 0) break;
        }
        this.report();
      }
      if (this.fatal !== null) throw this.fatal;
      if (crashed !== null) throw crashed;
      this.stats.state = 'stopping';
      this.report(true);
    } catch (err) {
      this.stats.state = 'failed';
      this.stats.lastError = (err as Error).message;
      this.report(true);
      throw err;
    } finally {
      this.stopping = true;
      // A client still connecting (the topics failed first) is not left to retry behind us.
      await connecting?.catch(() => undefined);
      // The batch in flight is stored (and its offset mirrored) before the group is left;
      // disconnect() waits for a batch in progress, which then does the same.
      await this.completion;
      await consumer.disconnect().catch(() => undefined);
      await this.completion;
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      this.feed.close();
    }
    this.stats.rowsStored = this.store.totals().trades;
    this.stats.state = 'stopped';
    this.report(true);
    return {
      consumed: this.stats.consumed,
      enriched: this.stats.enriched,
      deadLetters: this.stats.deadLetters,
      rowsStored: this.stats.rowsStored,
    };
  }

  /** No batch for --until-idle: the lag is then checked often, so the exit comes promptly. */
  private mayBeIdle(): boolean {
    const idleMs = this.request.untilIdleMs;
    return idleMs !== undefined && this.joined && Date.now() - this.lastActivity >= idleMs;
  }

  private isIdleLongEnough(): boolean {
    return this.stats.lag === 0 && this.mayBeIdle();
  }

  private async seekWithRetry(
    consumer: Consumer,
    admin: Admin,
    assignment: Record<string, number[]>,
    signal?: AbortSignal,
  ): Promise<void> {
    const generation = ++this.generation;
    // A batch in flight stores its offset first: the seek then starts from it.
    await this.completion;
    while (!signal?.aborted && !this.stopping && generation === this.generation) {
      try {
        await this.seekToStored(consumer, admin, assignment);
        return;
      } catch (err) {
        if (err instanceof TopicResetError) {
          this.fatal = err;
          return;
        }
        this.stats.lastError = `seek after rebalance failed, retrying: ${(err as Error).message}`;
        await sleep(1000, signal).catch(() => undefined);
      }
    }
  }

  /** Seeks each assigned partition to SQLite's next offset, or to the earliest message kept. */
  private async seekToStored(
    consumer: Consumer,
    admin: Admin,
    assignment: Record<string, number[]>,
  ): Promise<void> {
    const topic = this.request.sourceTopic;
    const partitions = assignment[topic] ?? [];
    if (partitions.length === 0) return;
    const stored = this.store.storedOffsets(topic);
    const offsets = await admin.fetchTopicOffsets(topic);
    for (const partition of partitions) {
      const watermarks = offsets.find((o) => o.partition === partition);
      const low = Number(watermarks?.low ?? 0);
      const high = Number(watermarks?.high ?? 0);
      const want = stored.get(partition);
      if (want !== undefined && want > high) {
        throw new TopicResetError(
          `topic ${topic} partition ${partition} ends at offset ${high}, but this database has stored up to ${want}: ` +
            'the topic was deleted and recreated (or truncated). Use a new database for the new topic, or recreate this one',
        );
      }
      if (want !== undefined && want < low) this.recordRetentionLoss(partition, want, low);
      const next = Math.max(want ?? low, low);
      consumer.seek({ topic, partition, offset: String(next) });
      this.pendingSeek.delete(partition);
    }
  }

  /**
   * Messages [from, to) of a partition were deleted by retention before they were stored: count
   * them once and store the new position, so no later rebalance counts them again.
   */
  private recordRetentionLoss(partition: number, from: number, to: number): void {
    this.stats.lostToRetention += to - from;
    this.stats.lastError =
      `partition ${partition}: ${to - from} messages were deleted by the topic's retention ` +
      'before they were stored; resuming at the earliest one kept';
    this.store.writeBatch({
      topic: this.request.sourceTopic,
      trades: [],
      deadLetters: [],
      bars: [],
      offsets: new Map([[partition, to]]),
    });
    this.expectedNext.set(partition, to);
  }

  /**
   * Resets analytics state and offsets to SQLite's: after a start, rebalance or failure. Lazy:
   * each symbol is restored from SQLite (indexed reads of that symbol only) the first time a
   * batch touches it, and symbols idle for longer than the 5-minute window plus grace are
   * evicted after a batch is stored, to be restored the same way on their next trade.
   */
  private rebuildState(): void {
    const gracePeriodMs = this.request.gracePeriodMs;
    this.engine = new AnalyticsEngine(
      { gracePeriodMs },
      { loader: (symbol) => this.store.symbolSnapshot(symbol, gracePeriodMs) },
    );
    this.expectedNext = this.store.storedOffsets(this.request.sourceTopic);
    this.feed.reset();
    // Batches computed before are settled (stored, or dropped after a failure): a new chain.
    this.completion = Promise.resolve(true);
    this.stateDirty = false;
  }

  private async handleBatch(
    payload: EachBatchPayload,
    producer: Publisher,
    consumer: Consumer,
  ): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const partition = batch.partition;
    // Fetched from Kafka's committed offset before our seek: the seek re-delivers from SQLite's.
    if (this.pendingSeek.has(partition)) return;
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      throw failure;
    }
    if (this.stateDirty) {
      await this.completion;
      this.rebuildState();
    }
    const next = this.expectedNext.get(partition) ?? -1;
    const rows: EnrichedRow[] = [];
    const deadLetters: PendingDeadLetter[] = [];
    // Enriched records go out in chunks while the rest of the batch is computed; the batch is
    // stored only after every chunk is acknowledged.
    const publishing = new PublishQueue(producer, this.request.enrichedTopic);
    const keepPartition = partition < this.enrichedPartitions;
    let lastOffset = -1;
    let late = 0;
    // Restoring symbols (or a long batch) can take a while: keep the group session alive.
    let lastBeat = performance.now();
    for (const message of batch.messages) {
      if (performance.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
        await heartbeat().catch(() => undefined);
        lastBeat = performance.now();
      }
      if (!isRunning() || isStale()) break;
      const offset = Number(message.offset);
      if (offset < next) continue; // already stored (re-delivered before a seek took effect)
      if (lastOffset < 0 && next >= 0 && offset > next) {
        await this.completion; // a retention loss is stored after what is in flight
        await this.checkGap(partition, next);
      }
      lastOffset = offset;
      const parsed = parseTradeMessage(message.value);
      if (!parsed.ok) {
        deadLetters.push({
          partition,
          offset,
          reason: parsed.reason,
          raw: message.value,
          key: message.key?.toString('utf8') ?? null,
          keyBytes: message.key ?? null,
          receivedAt: Date.now(),
        });
        continue;
      }
      const { trade } = parsed;
      const metrics = this.engine.process(trade);
      if (metrics.late) late++;
      const row: EnrichedRow = {
        ts: trade.ts,
        symbol: trade.symbol,
        price: trade.price,
        volume: trade.volume,
        ...metrics,
        ...this.context.enrich(trade),
        kafka_partition: partition,
        kafka_offset: offset,
      };
      rows.push(row);
      // Same partition as the source (a symbol's records stay in one partition, in order within
      // a chunk) when the enriched topic has it; else by key like any keyed record.
      publishing.add({
        key: row.symbol,
        value: JSON.stringify(toRecord(row)),
        ...(keepPartition ? { partition } : {}),
      });
    }
    if (lastOffset < 0) {
      await publishing.settle().catch(() => undefined);
      // Everything fetched is stored already (Kafka reset the fetch to an older offset): move
      // the fetch to SQLite's position instead of fetching the same batch again and again.
      if (next >= 0 && batch.messages.length > 0 && !isStale() && isRunning()) {
        consumer.seek({ topic: this.request.sourceTopic, partition, offset: String(next) });
      }
      return;
    }
    // Computed: the next batch of this partition starts here (SQLite catches up in complete()).
    this.expectedNext.set(partition, lastOffset + 1);
    const computed: ComputedBatch = {
      partition,
      lastOffset,
      rows,
      deadLetters,
      late,
      fired: this.feed.evaluate(rows),
      // Copies, taken now: the next batch's trades must not reach this batch's transaction.
      bars: this.engine.bars.takeDirty(),
      acknowledged: Promise.all([
        publishing.settle(),
        publish(
          producer,
          this.request.deadLetterTopic,
          deadLetters.map((d) => toDeadLetterMessage(d, this.request.sourceTopic)),
        ),
      ]),
    };
    computed.acknowledged.catch(() => undefined); // awaited in complete(), after the batch before
    // The fetch moves on: the next batch is fetched and computed while this one's records are
    // acknowledged and stored. SQLite's offsets stay the truth (a failure seeks back to them).
    const previous = this.completion;
    this.completion = this.complete(previous, computed, producer, consumer, isRunning);
    resolveOffset(String(lastOffset));
    void heartbeat().catch(() => undefined);
    // At most one batch waits for its acknowledgements while the next is computed.
    await (this.stopping || !isRunning() ? this.completion : previous);
  }

  /**
   * Stores a computed batch once the batch before it is stored and its own records are
   * acknowledged: its rows, dead letters, alerts, bars and next offset in one SQLite transaction.
   * Resolves whether it was stored; never rejects. After a failure nothing later is stored (the
   * stored offsets would skip the failed batch): the state is rebuilt from SQLite, every assigned
   * partition seeks back to SQLite's offset, and the next batch throws the error so kafkajs backs
   * off before retrying.
   */
  private async complete(
    previous: Promise<boolean>,
    batch: ComputedBatch,
    producer: Publisher,
    consumer: Consumer,
    isRunning: () => boolean,
  ): Promise<boolean> {
    const { partition, lastOffset, rows, deadLetters } = batch;
    if (!(await previous)) return false;
    let storedAlerts: FiredAlert[];
    try {
      await batch.acknowledged;
      await this.feed.publish(producer, batch.fired);
      storedAlerts = this.store.writeBatch({
        alerts: batch.fired,
        topic: this.request.sourceTopic,
        trades: rows,
        deadLetters,
        bars: batch.bars,
        offsets: new Map([[partition, lastOffset + 1]]),
      });
    } catch (err) {
      // The analytics state has moved past what is stored: rebuild it before the retry.
      this.stateDirty = true;
      this.stats.lastError = `batch not stored, will retry: ${describeStoreFailure(err, this.request.db)}`;
      this.failure ??= err;
      this.seekBackToStored(consumer);
      this.report(true);
      return false;
    }
    this.feed.stored(rows, storedAlerts);
    // Idle symbols (no trade for minutes, so nothing of theirs is in flight) can leave memory.
    this.engine.evictIdle();
    this.stats.consumed += rows.length + deadLetters.length;
    this.stats.enriched += rows.length;
    this.stats.deadLetters += deadLetters.length;
    this.stats.late += batch.late;
    this.stats.rowsStored += rows.length;
    this.stats.lastError = null;
    this.lastActivity = Date.now();
    // Kafka's committed offsets only mirror SQLite's (for lag tools); SQLite stays the truth, so
    // the next fetch does not wait for them, except while stopping (before the group is left).
    const mirrored = this.mirrorOffset(consumer, partition, lastOffset + 1);
    if (this.stopping || !isRunning()) await mirrored;
    this.report();
    return true;
  }

  /** After a batch failed to store: every assigned partition goes back to SQLite's offset. */
  private seekBackToStored(consumer: Consumer): void {
    for (const p of this.assigned) this.pendingSeek.add(p);
    void this.seekWithRetry(consumer, this.admin, { [this.request.sourceTopic]: this.assigned });
  }

  /**
   * Commits the mirrored offsets one request at a time, the newest per partition, so commits
   * never overtake each other; resolves when what was asked is committed (or failed).
   */
  private mirrorOffset(consumer: Consumer, partition: number, offset: number): Promise<void> {
    this.mirrorWanted.set(partition, offset);
    this.mirroring ??= (async () => {
      while (this.mirrorWanted.size > 0) {
        const offsets = [...this.mirrorWanted].map(([p, o]) => ({
          topic: this.request.sourceTopic,
          partition: p,
          offset: String(o),
        }));
        this.mirrorWanted.clear();
        await consumer.commitOffsets(offsets).catch(() => undefined);
      }
    })().finally(() => {
      this.mirroring = null;
    });
    return this.mirroring;
  }

  /**
   * A batch starts past SQLite's position. Offsets may skip (transaction markers); but if the
   * log now starts past our position, retention deleted what lay between.
   */
  private async checkGap(partition: number, next: number): Promise<void> {
    const offsets = await this.admin.fetchTopicOffsets(this.request.sourceTopic);
    const low = Number(offsets.find((o) => o.partition === partition)?.low ?? 0);
    if (low > next) this.recordRetentionLoss(partition, next, low);
  }

  /** This member's lag: for its assigned partitions, high watermark − SQLite's position. */
  private async updateLag(admin: Admin): Promise<void> {
    const offsets = await admin.fetchTopicOffsets(this.request.sourceTopic);
    const stored = this.store.storedOffsets(this.request.sourceTopic);
    const mine = new Set(this.assigned);
    let lag = 0;
    for (const o of offsets) {
      if (!mine.has(o.partition)) continue;
      const next = Math.max(stored.get(o.partition) ?? Number(o.low), Number(o.low));
      lag += Math.max(0, Number(o.high) - next);
    }
    this.stats.lag = lag;
    if (this.stats.state === 'running' || this.stats.state === 'idle') {
      this.stats.state = lag === 0 ? 'idle' : 'running';
    }
  }

  private report(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastReport < STATS_INTERVAL_MS) return;
    this.stats.rate = this.meter.update(this.stats.enriched, now);
    this.lastReport = now;
    this.onStats?.({ ...this.stats });
  }
}

/** A batch computed and published, waiting for its acknowledgements and its transaction. */
interface ComputedBatch {
  partition: number;
  lastOffset: number;
  rows: EnrichedRow[];
  deadLetters: PendingDeadLetter[];
  late: number;
  fired: NonNullable<StoredBatch['alerts']>;
  bars: Bar[];
  acknowledged: Promise<unknown>;
}

/** A failed publish or SQLite write, said so that the cause and what to do are clear. */
export function describeStoreFailure(err: unknown, db: string): string {
  const { code, message } = err as { code?: string; message?: string };
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return `the database ${db} is locked by another process or connection (${message}); the batch is retried until the lock is released`;
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return `the disk holding ${db} is full (${message}); free some disk space: the batch is retried, nothing stored is lost`;
  }
  return String(message ?? err);
}

class TopicResetError extends Error {
  override name = 'TopicResetError';
}

/** The promise's outcome, or a rejection as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The enriched topic's record for a row: its fields in the contract's order, ts as ISO text. */
export function toRecord(row: EnrichedRow): EnrichedTrade {
  // One literal of fixed shape (no rest/spread copies): this runs for every trade.
  return {
    timestamp: new Date(row.ts).toISOString(),
    symbol: row.symbol,
    price: row.price,
    volume: row.volume,
    log_return: row.log_return,
    vol_1m: row.vol_1m,
    vol_5m: row.vol_5m,
    vol_1m_ann: row.vol_1m_ann,
    vol_5m_ann: row.vol_5m_ann,
    ewma_vol: row.ewma_vol,
    ewma_vol_ann: row.ewma_vol_ann,
    vwap_5m: row.vwap_5m,
    late: row.late,
    session: row.session,
    exchange: row.exchange,
    company: row.company,
    sector: row.sector,
    weather_temp_c: row.weather_temp_c,
    weather_condition: row.weather_condition,
    weather_error: row.weather_error,
    kafka_partition: row.kafka_partition,
    kafka_offset: row.kafka_offset,
  };
}

/** Below the broker's default max.message.bytes (1 MiB), with room for the record overhead. */
const MAX_SEND_BYTES = 512 * 1024;
/** Larger bad messages are kept whole in SQLite; the DLQ record carries their first bytes. */
const MAX_DEAD_LETTER_BYTES = 256 * 1024;
/** A bad message's key is cut to this many bytes in its DLQ record (SQLite keeps it whole). */
export const MAX_DEAD_LETTER_KEY_BYTES = 1024;
/** A record's framing in a batch (lengths, offset and time deltas, headers count) is below this. */
const RECORD_OVERHEAD_BYTES = 64;

/** A dead letter on its way out: the row SQLite stores, plus the key's original bytes. */
export type PendingDeadLetter = DeadLetterRow & { keyBytes: Buffer | null };

/** A record's size on the wire, in bytes (UTF-8 for strings), with its framing. */
export function recordBytes(m: OutgoingMessage): number {
  return (
    Buffer.byteLength(m.value) +
    (m.key === null ? 0 : Buffer.byteLength(m.key)) +
    RECORD_OVERHEAD_BYTES
  );
}

/** Splits messages into chunks of at most maxBytes each (by recordBytes; one per chunk if larger). */
export function chunkBySize<T extends OutgoingMessage>(
  messages: readonly T[],
  maxBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = recordBytes(m);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Publishing threads. Encoding the enriched records (kafkajs) is the enrichment's bottleneck: with
 * one thread the enrichment waited ~4.5 s of 9 s for acknowledgements (200k trades, 2 cores);
 * with two, ~3.4 s of 8 s (BENCHMARKS.md, "Under load").
 */
const PUBLISH_THREADS = 2;

/** Chunks of one batch's records sent at once (the producer's maxInFlightRequests). */
const PUBLISH_IN_FLIGHT = PUBLISHER_CONFIG.maxInFlightRequests;

/**
 * Sends records in chunks that each stay under the broker's message size limit, up to
 * PUBLISH_IN_FLIGHT chunks at a time; resolves once every chunk is acknowledged (acks=all).
 */
async function publish(
  producer: Publisher,
  topic: string,
  messages: OutgoingMessage[],
): Promise<void> {
  const chunks = chunkBySize(messages, MAX_SEND_BYTES);
  let next = 0;
  const lane = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      await producer.send(topic, chunk);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PUBLISH_IN_FLIGHT, chunks.length) }, lane));
}

/**
 * One batch's enriched records, sent chunk by chunk as they are added (each chunk under
 * MAX_SEND_BYTES), so publishing overlaps the computing of the rest of the batch. settle()
 * resolves once every chunk is acknowledged, or rejects with the first failure.
 */
class PublishQueue {
  private chunk: OutgoingMessage[] = [];
  private bytes = 0;
  private readonly sends: Promise<unknown>[] = [];
  private failure: unknown = null;

  constructor(
    private readonly producer: Publisher,
    private readonly topic: string,
  ) {}

  add(message: OutgoingMessage): void {
    const size = recordBytes(message);
    if (this.chunk.length > 0 && this.bytes + size > MAX_SEND_BYTES) this.flush();
    this.chunk.push(message);
    this.bytes += size;
  }

  private flush(): void {
    const messages = this.chunk;
    this.chunk = [];
    this.bytes = 0;
    // Failures are kept, not left unhandled, until settle() reports them.
    this.sends.push(
      this.producer.send(this.topic, messages).catch((err: unknown) => {
        this.failure ??= err;
      }),
    );
  }

  async settle(): Promise<void> {
    if (this.chunk.length > 0) this.flush();
    await Promise.all(this.sends);
    if (this.failure !== null) throw this.failure;
  }
}

/**
 * A key cut to at most maxBytes: at a character boundary when the whole key is valid UTF-8 (then
 * `text` is set), else at the byte (then only `bytes`, for base64).
 */
export function cutKey(
  key: Buffer,
  maxBytes: number,
): { bytes: Buffer; text: string | null; truncated: boolean } {
  const utf8 = isUtf8(key);
  let end = Math.min(key.length, maxBytes);
  // Back off over continuation bytes (10xxxxxx) so a multi-byte character is not split.
  if (utf8) while (end > 0 && end < key.length && (key[end]! & 0xc0) === 0x80) end--;
  const bytes = key.subarray(0, end);
  return { bytes, text: utf8 ? bytes.toString('utf8') : null, truncated: end < key.length };
}

/**
 * The DLQ message for a bad message. Its size is bounded whatever came in: the value is cut to
 * MAX_DEAD_LETTER_BYTES (base64) and the key to MAX_DEAD_LETTER_KEY_BYTES, as text when it is
 * valid UTF-8 and as base64 (`key_base64`) when it is not; the reason says what was cut. The whole
 * message is in SQLite's dead_letters table. The Kafka key is the cut key's bytes.
 */
export function toDeadLetterMessage(d: PendingDeadLetter, sourceTopic: string): OutgoingMessage {
  const key = d.keyBytes === null ? null : cutKey(d.keyBytes, MAX_DEAD_LETTER_KEY_BYTES);
  const cuts: string[] = [];
  if (d.raw !== null && d.raw.length > MAX_DEAD_LETTER_BYTES) {
    cuts.push(`value truncated to ${MAX_DEAD_LETTER_BYTES} of ${d.raw.length} bytes`);
  }
  if (key?.truncated) {
    cuts.push(`key truncated to ${key.bytes.length} of ${d.keyBytes!.length} bytes`);
  }
  const record: DeadLetter = {
    source_topic: sourceTopic,
    source_partition: d.partition,
    source_offset: d.offset,
    reason:
      cuts.length > 0
        ? `${d.reason} (${cuts.join('; ')}; the whole message is in SQLite)`
        : d.reason,
    value_base64: d.raw ? d.raw.subarray(0, MAX_DEAD_LETTER_BYTES).toString('base64') : null,
    key: key?.text ?? null,
    key_base64: key && key.text === null ? key.bytes.toString('base64') : null,
    received_at: new Date(d.receivedAt).toISOString(),
  };
  return { key: key?.bytes ?? null, value: JSON.stringify(record) };
}
