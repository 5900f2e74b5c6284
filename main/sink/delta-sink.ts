import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parquetReadObjects } from 'hyparquet';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import {
  DeltaSinkRequestSchema,
  type DeltaSinkRequest,
  type DeltaSinkResult,
  type DeltaSinkStats,
} from '../../contract/sink.js';
import { EnrichedTradeSchema, type EnrichedTrade } from '../../contract/trade.js';
import type { RawRow } from '../export/query.js';
import { maybeCheckpoint } from '../delta/checkpoint.js';
import type { Action } from '../delta/log.js';
import type { PartitionBy } from '../delta/schema.js';
import { loadSnapshot } from '../delta/snapshot.js';
import {
  DataFileSet,
  checkWritable,
  commitActions,
  newMetaData,
  txnAction,
} from '../delta/table-writer.js';
import { uriToPath } from '../delta/schema.js';
import type { Snapshot } from '../delta/snapshot.js';
import { createKafka } from '../kafka/connection.js';
import { ensureTopic } from '../kafka/topics.js';
import { RateMeter } from '../rate-meter.js';
import { APP_PREFIX, IntervalSet, changedRangeTxns, sourceSetsFromTxns } from './source-offsets.js';

/**
 * Delta `txn` application ids, written in the same commit as the rows they cover, so the table
 * alone says where to resume and which source trades are already in it:
 *   `volatility-insight/<topic>/<q>`                         version = the next offset to read in
 *                                                             enriched partition q (resume point);
 *   `volatility-insight/<topic>/source-<p>/from-<start>`     version = end: source offsets
 *                                                             [start, end) of source partition p
 *                                                             are in the table (source-offsets.ts).
 * The enriched topic is at-least-once and not in source order (several enrichers in one group,
 * each with its own SQLite file, republish what the other already published after a rebalance;
 * retried sends land after later ones), so the set of source offsets is kept exactly: a record
 * is dropped iff its source offset is in the set, never because a later one was seen.
 */
export { APP_PREFIX };
export function positionAppId(topic: string, q: number): string {
  return `${APP_PREFIX}/${topic}/${q}`;
}
/** The watermark ids of the first version of this sink (`<q>/source-<p>`, next source offset). */
const LEGACY_SOURCE_ID = /\/\d+\/source-\d+$/;

export interface SinkOptions {
  request: DeltaSinkRequest;
  signal?: AbortSignal;
  onStats?: (stats: DeltaSinkStats) => void;
}

const STATS_EVERY_MS = 500;
const LAG_EVERY_MS = 2000;

/** The columns of a RawRow (SQL_COLUMNS order) from an enriched record. */
function toRow(t: EnrichedTrade, ts: number): RawRow {
  return [
    ts,
    t.symbol,
    t.price,
    t.volume,
    t.log_return,
    t.vol_1m,
    t.vol_5m,
    t.ewma_vol,
    t.vwap_5m,
    t.session,
    t.exchange,
    t.sector,
    t.weather_temp_c,
    t.weather_condition,
    t.kafka_partition,
    t.kafka_offset,
    t.vol_1m_ann,
    t.vol_5m_ann,
    t.ewma_vol_ann,
    t.late ? 1 : 0,
    t.company,
    t.weather_error,
  ];
}

/**
 * Consumes the enriched topic into one Delta table, exactly once per source trade (see
 * README "Delta Lake"): rows go to Parquet files, and a commit adds them together with the
 * txn versions that say how far each partition got; records below those versions are dropped.
 */
export class DeltaSink {
  private readonly req: ReturnType<typeof DeltaSinkRequestSchema.parse>;
  private readonly stats: DeltaSinkStats;
  private by: PartitionBy = 'date';
  private readVersion = -1;
  /** Committed positions (from the table), and the uncommitted ones ahead of them. */
  private readonly committed = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  /** Source offsets in the table per source partition, and with the open files' rows added. */
  private committedSources = new Map<number, IntervalSet>();
  private liveSources = new Map<number, IntervalSet>();
  /** A commit failed: the in-memory state is no longer the table's, so the sink stops. */
  private failed: Error | null = null;
  private files: DataFileSet | null = null;
  private firstPendingAt = 0;
  private readonly pendingSeek = new Set<number>();
  private assigned: number[] = [];
  private lastActivity = Date.now();
  private stopping = false;
  private readonly meter = new RateMeter();
  private lastStats = 0;
  private mirror: Promise<unknown> = Promise.resolve();

  constructor(
    request: DeltaSinkRequest,
    private readonly onStats?: (stats: DeltaSinkStats) => void,
  ) {
    this.req = DeltaSinkRequestSchema.parse(request);
    this.stats = {
      state: 'connecting',
      groupId: this.req.groupId ?? '',
      consumed: 0,
      appended: 0,
      duplicates: 0,
      invalid: 0,
      commits: 0,
      version: -1,
      lag: null,
      rate: 0,
      lastError: null,
    };
  }

  private report(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastStats < STATS_EVERY_MS) return;
    this.lastStats = now;
    this.stats.rate = this.meter.update(this.stats.appended, now);
    this.onStats?.({ ...this.stats });
  }

  private position(id: string): number | undefined {
    return this.pending.get(id) ?? this.committed.get(id);
  }

  /** Opens (or creates) the table and reads the positions its txn actions hold. */
  private async openTable(): Promise<string> {
    const table = this.req.table;
    const snapshot = await loadSnapshot(table);
    if (snapshot) {
      this.by = checkWritable(snapshot, table, this.req.partitionBy);
      this.readVersion = snapshot.version;
      for (const [id, t] of snapshot.txns) {
        if (id === positionAppId(this.req.topic, Number(id.slice(id.lastIndexOf('/') + 1))))
          this.committed.set(id, t.version);
      }
      this.committedSources = sourceSetsFromTxns(this.req.topic, snapshot.txns.values());
      const legacy = [...snapshot.txns.keys()].some(
        (id) => this.ownsAppId(id) && LEGACY_SOURCE_ID.test(id),
      );
      this.liveSources = cloneSets(this.committedSources);
      // A table from the first version of this sink (watermarks, which could skip trades that
      // came out of order), with no ranges yet: its data files are the truth of which source
      // trades are in it. The next commit writes them all as ranges (none is in the log yet).
      if (legacy && this.committedSources.size === 0) {
        this.liveSources = await sourceSetsFromData(table, snapshot);
      }
      this.stats.version = snapshot.version;
      return snapshot.metaData.id;
    }
    this.by = this.req.partitionBy;
    const meta = newMetaData(this.by);
    this.readVersion = commitActions(table, -1, {
      actions: [],
      operation: 'CREATE TABLE',
      operationParameters: { partitionBy: JSON.stringify(meta.partitionColumns) },
      newTable: meta,
    });
    this.stats.version = this.readVersion;
    // Another writer may have created it at the same moment: read what is there.
    const created = await loadSnapshot(table);
    return created?.metaData.id ?? meta.id;
  }

  private ownsAppId = (id: string) => id.startsWith(`${APP_PREFIX}/${this.req.topic}/`);

  /**
   * Commits the open files and the positions they cover in one Delta commit (nothing when no
   * position moved). Synchronous up to the commit, so no batch interleaves with it.
   */
  private commitPending(consumer: Consumer | null): void {
    if (this.pending.size === 0) return;
    const files = this.files;
    const adds = files ? files.finishFiles() : [];
    const rows = files?.rowCount ?? 0;
    const actions: Action[] = adds.map((add) => ({ add }));
    for (const [id, v] of this.pending) actions.push(txnAction(id, v));
    actions.push(...changedRangeTxns(this.req.topic, this.liveSources, this.committedSources));
    let version: number;
    try {
      version = commitActions(this.req.table, this.readVersion, {
        actions,
        operation: 'STREAMING UPDATE',
        operationParameters: { outputMode: 'Append', queryId: this.stats.groupId },
        ownAppIds: this.ownsAppId,
        isBlindAppend: true,
      });
    } catch (err) {
      files?.abort();
      this.files = null;
      // The positions and source offsets read are no longer backed by files: stop rather than
      // commit them later without their rows (a restart reads the table again).
      this.failed = err as Error;
      throw err;
    }
    files?.forget();
    this.files = null;
    this.readVersion = version;
    for (const [id, v] of this.pending) this.committed.set(id, v);
    this.pending.clear();
    this.committedSources = cloneSets(this.liveSources);
    this.stats.appended += rows;
    this.stats.commits++;
    this.stats.version = version;
    this.report(true);
    // After the commit: a checkpoint every 10 versions, and Kafka's committed offsets mirroring
    // the table's positions so lag tools show the truth (the table stays the truth).
    const offsets = this.assigned
      .map((q) => ({ q, next: this.committed.get(positionAppId(this.req.topic, q)) }))
      .filter((o): o is { q: number; next: number } => o.next !== undefined)
      .map((o) => ({ topic: this.req.topic, partition: o.q, offset: String(o.next) }));
    const table = this.req.table;
    this.mirror = this.mirror
      .then(() => maybeCheckpoint(table, version))
      .catch((err: unknown) => {
        this.stats.lastError = `checkpoint failed (the table is fine): ${(err as Error).message}`;
      })
      .then(() => (consumer && offsets.length > 0 ? consumer.commitOffsets(offsets) : undefined))
      .catch(() => undefined);
  }

  private shouldRoll(now: number): boolean {
    if (this.pending.size === 0) return false;
    const files = this.files;
    if (files && files.approxBytes >= this.req.rollBytes) return true;
    if (files && this.req.rollRows !== undefined && files.rowCount >= this.req.rollRows)
      return true;
    return now - this.firstPendingAt >= this.req.rollMs;
  }

  private handleBatch(payload: EachBatchPayload, consumer: Consumer): void {
    const { batch } = payload;
    const q = batch.partition;
    if (this.pendingSeek.has(q) || this.failed) return;
    const topic = this.req.topic;
    const posId = positionAppId(topic, q);
    const now = Date.now();
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) break;
      const offset = Number(message.offset);
      const next = this.position(posId) ?? 0;
      payload.resolveOffset(message.offset);
      if (offset < next) continue; // already committed (a fetch from before our seek)
      this.stats.consumed++;
      this.lastActivity = now;
      if (this.pending.size === 0) this.firstPendingAt = now;
      this.pending.set(posId, offset + 1);
      let trade: EnrichedTrade | null = null;
      try {
        const parsed = EnrichedTradeSchema.safeParse(
          JSON.parse(message.value?.toString('utf8') ?? ''),
        );
        trade = parsed.success ? parsed.data : null;
      } catch {
        trade = null;
      }
      const ts = trade ? Date.parse(trade.timestamp) : NaN;
      if (!trade || !Number.isFinite(ts)) {
        this.stats.invalid++;
        continue;
      }
      let seen = this.liveSources.get(trade.kafka_partition);
      if (!seen) this.liveSources.set(trade.kafka_partition, (seen = new IntervalSet()));
      if (trade.kafka_offset < 0 || seen.has(trade.kafka_offset)) {
        this.stats.duplicates++;
        continue;
      }
      seen.add(trade.kafka_offset);
      this.files ??= new DataFileSet(this.req.table, this.by);
      this.files.push(toRow(trade, ts));
    }
    if (this.shouldRoll(Date.now())) this.commitPending(consumer);
    this.report();
  }

  private async seekToTable(consumer: Consumer, admin: Admin, partitions: number[]): Promise<void> {
    const offsets = await admin.fetchTopicOffsets(this.req.topic);
    for (const q of partitions) {
      const w = offsets.find((o) => o.partition === q);
      const low = Number(w?.low ?? 0);
      const high = Number(w?.high ?? 0);
      const want = this.position(positionAppId(this.req.topic, q));
      if (want !== undefined && want > high) {
        throw new Error(
          `topic ${this.req.topic} partition ${q} ends at offset ${high}, but the table holds records up to ${want}: ` +
            'the topic was deleted and recreated; use a new table folder for the new topic',
        );
      }
      consumer.seek({
        topic: this.req.topic,
        partition: q,
        offset: String(Math.max(want ?? low, low)),
      });
      this.pendingSeek.delete(q);
    }
  }

  private async updateLag(admin: Admin): Promise<void> {
    const offsets = await admin.fetchTopicOffsets(this.req.topic);
    // Over every partition of the topic, not only this member's: one sink per table, and a
    // member that joined beside a killed one's expiring session may hold no partition yet.
    let lag = 0;
    for (const w of offsets) {
      const next = this.committed.get(positionAppId(this.req.topic, w.partition));
      lag += Math.max(0, Number(w.high) - Math.max(next ?? 0, Number(w.low)));
    }
    this.stats.lag = lag;
  }

  async run(signal?: AbortSignal): Promise<DeltaSinkResult> {
    const tableId = await this.openTable();
    this.stats.groupId = this.req.groupId ?? `volatility-insight-delta-sink-${tableId.slice(0, 8)}`;
    this.report(true);
    const kafka = createKafka(this.req.connection, 'volatility-insight-delta-sink');
    await ensureTopic(kafka, this.req.topic, 3);
    const consumer = kafka.consumer({
      groupId: this.stats.groupId,
      allowAutoTopicCreation: false,
      // A sink killed hard holds its partitions until its session expires: keep that short.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retry: {
        retries: 10,
        initialRetryTime: 300,
        maxRetryTime: 5_000,
        restartOnFailure: async () => !this.stopping,
      },
    });
    const admin = kafka.admin();
    let crashed: Error | null = null;
    let fatal: Error | null = null;
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (this.stopping) return;
      joined = true;
      this.assigned = e.payload.memberAssignment[this.req.topic] ?? [];
      for (const q of this.assigned) this.pendingSeek.add(q);
      this.seekToTable(consumer, admin, this.assigned).catch((err: unknown) => {
        fatal = err as Error;
      });
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (this.stopping) return;
      this.stats.lastError = e.payload.error.message;
      if (!e.payload.restart) crashed = e.payload.error;
    });
    try {
      await Promise.all([consumer.connect(), admin.connect()]);
      await consumer.subscribe({ topic: this.req.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        // Offsets are resolved message by message: a batch cut short (a rebalance, a stop) or
        // skipped until the seek to the table's position is fetched again, never jumped over.
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload) => this.handleBatch(payload, consumer),
      });
      this.stats.state = 'running';
      this.report(true);
      let lastLag = 0;
      while (!signal?.aborted && crashed === null && fatal === null && this.failed === null) {
        await sleep(100, undefined, { signal }).catch(() => undefined);
        const now = Date.now();
        if (this.shouldRoll(now)) this.commitPending(consumer);
        if (now - lastLag >= LAG_EVERY_MS) {
          lastLag = now;
          await this.updateLag(admin).catch(() => {
            this.stats.lag = null;
          });
          const idle = this.req.untilIdleMs;
          if (idle !== undefined && joined && this.pendingSeek.size === 0) {
            // Drained: everything read is committed or about to be.
            if (this.pending.size > 0 && now - this.lastActivity >= Math.min(idle, 500)) {
              this.commitPending(consumer);
              await this.updateLag(admin).catch(() => undefined);
            }
            if (this.stats.lag === 0 && this.pending.size === 0 && now - this.lastActivity >= idle)
              break;
          }
          this.stats.state = this.stats.lag === 0 ? 'idle' : 'running';
        }
        this.report();
      }
      if (this.failed !== null) throw this.failed;
      if (fatal !== null) throw fatal;
      if (crashed !== null) throw crashed;
      this.stats.state = 'stopping';
      this.report(true);
      this.stopping = true;
      // Stop fetching, then commit what was read: a clean stop leaves nothing behind.
      await consumer.stop().catch(() => undefined);
      this.commitPending(consumer);
      await this.mirror;
    } catch (err) {
      this.stats.state = 'failed';
      this.stats.lastError = (err as Error).message;
      this.report(true);
      this.files?.abort();
      throw err;
    } finally {
      this.stopping = true;
      await consumer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    this.stats.state = 'stopped';
    this.report(true);
    // Per source partition: the end of the first range (every trade from the lowest one stored
    // up to it is in the table); a range after a gap is not a resume point.
    const resume: Record<string, number> = {};
    for (const [p, set] of this.committedSources) {
      if (set.firstEnd !== undefined) resume[String(p)] = set.firstEnd;
    }
    return {
      consumed: this.stats.consumed,
      appended: this.stats.appended,
      duplicates: this.stats.duplicates,
      commits: this.stats.commits,
      version: this.stats.version,
      resume,
    };
  }
}

export function runDeltaSink(options: SinkOptions): Promise<DeltaSinkResult> {
  return new DeltaSink(options.request, options.onStats).run(options.signal);
}

function cloneSets(sets: ReadonlyMap<number, IntervalSet>): Map<number, IntervalSet> {
  return new Map([...sets].map(([p, set]) => [p, set.clone()]));
}

/** The source offsets per source partition of every row in the table's live data files. */
async function sourceSetsFromData(
  table: string,
  snapshot: Snapshot,
): Promise<Map<number, IntervalSet>> {
  const sets = new Map<number, IntervalSet>();
  for (const path of snapshot.files.keys()) {
    const bytes = readFileSync(join(table, ...uriToPath(path).split('/')));
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const rows = (await parquetReadObjects({
      file,
      columns: ['kafka_partition', 'kafka_offset'],
    })) as { kafka_partition: number | bigint; kafka_offset: number | bigint }[];
    for (const r of rows) {
      const p = Number(r.kafka_partition);
      let set = sets.get(p);
      if (!set) sets.set(p, (set = new IntervalSet()));
      set.add(Number(r.kafka_offset));
    }
  }
  return sets;
}
