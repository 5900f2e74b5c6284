import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { EnrichedTrade } from '../../contract/trade.js';
import type { Bar, StoredBar } from '../enrich/bars.js';
import type { SymbolSnapshot } from '../enrich/analytics-engine.js';
import { historyStartTs, type HistoryRow } from '../enrich/symbol-analytics.js';
import { openDatabase } from './open-database.js';
import { AlertTables } from './alerts-store.js';
import type { FiredAlert } from '../../contract/charts.js';
import type { NewAlert, StateChange } from '../enrich/alerts.js';
import { backfillRollup, RollupWriter, rollupReady } from './series-rollup.js';

/** Rows stored before migration 4 added to the rollup per batch until it has them all. */
export const ROLLUP_BACKFILL_ROWS_PER_BATCH = 5_000;

/** An enriched trade as stored: the contract's record with the timestamp as epoch ms. */
export type EnrichedRow = Omit<EnrichedTrade, 'timestamp'> & { ts: number };

export interface DeadLetterRow {
  partition: number;
  offset: number;
  reason: string;
  raw: Buffer | null;
  key: string | null;
  receivedAt: number;
}

interface RawHistoryRow extends Omit<HistoryRow, 'late'> {
  late: number;
}

export interface StoreTotals {
  trades: number;
  deadLetters: number;
  bars: number;
}

/** enriched_trades columns in insert order (all but the row id). */
export const TRADE_COLUMNS = [
  'ts',
  'symbol',
  'price',
  'volume',
  'log_return',
  'vol_1m',
  'vol_5m',
  'vol_1m_ann',
  'vol_5m_ann',
  'ewma_vol',
  'ewma_vol_ann',
  'vwap_5m',
  'late',
  'session',
  'exchange',
  'company',
  'sector',
  'weather_temp_c',
  'weather_condition',
  'weather_error',
  'kafka_partition',
  'kafka_offset',
] as const;

export const INSERT_TRADE_SQL = `INSERT INTO enriched_trades (${TRADE_COLUMNS.join(', ')})
  VALUES (${TRADE_COLUMNS.map(() => '?').join(', ')})`;

const BAR_COLUMNS = [
  'symbol',
  'minute_start',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'trade_count',
  'vwap',
  'parkinson_vol',
  'open_ts',
  'close_ts',
] as const;

const HISTORY_COLUMNS = 'ts, price, volume, log_return, ewma_vol, late';

/**
 * The queries that restore one symbol (AnalyticsEngine's loader): each an index range read on
 * (symbol, ts, kafka_partition, kafka_offset) or the bars' primary key, never a scan.
 */
export const RESTORE_SQL = {
  /** The symbol's newest stored trade time (its watermark). */
  newest: 'SELECT MAX(ts) AS ts FROM enriched_trades WHERE symbol = ?',
  /** The last row before the history start that took part in analytics (the predecessor). */
  before: `SELECT ${HISTORY_COLUMNS} FROM enriched_trades
    WHERE symbol = ? AND ts < ? AND (late = 0 OR log_return IS NOT NULL OR ewma_vol IS NOT NULL)
    ORDER BY ts DESC, kafka_partition DESC, kafka_offset DESC LIMIT 1`,
  /** The rows from the history start on, in event order. */
  since: `SELECT ${HISTORY_COLUMNS} FROM enriched_trades WHERE symbol = ? AND ts >= ?
    ORDER BY ts, kafka_partition, kafka_offset`,
  bars: 'SELECT * FROM bars WHERE symbol = ? AND minute_start >= ? ORDER BY minute_start',
} as const;

/**
 * The consumer's SQLite side. `writeBatch` stores a consumed batch — enriched trades, dead
 * letters, changed bars — and the next offsets in one transaction: a crash at any point leaves
 * either all of it or none, so a restart resumes exactly where the stored data ends.
 */
export class SqliteStore {
  readonly db: Database.Database;
  private readonly insertTrade: Database.Statement;
  private readonly insertDeadLetter: Database.Statement;
  private readonly upsertBar: Database.Statement;
  private readonly upsertOffset: Database.Statement;
  private readonly writeTx: (batch: StoredBatch) => FiredAlert[];
  /** Alert rules' states and fired alerts, written in the batch's transaction. */
  readonly alerts: AlertTables;
  private readonly restore: { [K in keyof typeof RESTORE_SQL]: Database.Statement };
  /** The series rollup (series-rollup.ts), written with each batch. */
  private readonly rollup: RollupWriter;
  private rollupBackfillPending: boolean;
  private readonly rollupEnabled: boolean;

  constructor(file: string, options: { rollup?: boolean } = {}) {
    this.db = openDatabase(file);
    // rollup: false only measures the rollup's write cost (bench/series.ts): that database's
    // rollup is then incomplete and must not be read.
    this.rollupEnabled = options.rollup ?? true;
    this.insertTrade = this.db.prepare(INSERT_TRADE_SQL);
    this.insertDeadLetter = this.db.prepare(
      `INSERT INTO dead_letters (source_partition, source_offset, reason, raw, message_key, received_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.upsertBar = this.db.prepare(
      `INSERT OR REPLACE INTO bars (${BAR_COLUMNS.join(', ')})
       VALUES (${BAR_COLUMNS.map(() => '?').join(', ')})`,
    );
    this.upsertOffset = this.db.prepare(
      `INSERT INTO consumer_offsets (topic, partition, next_offset) VALUES (?, ?, ?)
       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
    );
    this.restore = {
      newest: this.db.prepare(RESTORE_SQL.newest),
      before: this.db.prepare(RESTORE_SQL.before),
      since: this.db.prepare(RESTORE_SQL.since),
      bars: this.db.prepare(RESTORE_SQL.bars),
    };
    this.alerts = new AlertTables(this.db);
    this.rollup = new RollupWriter(this.db);
    this.rollupBackfillPending = !rollupReady(this.db);
    this.writeTx = this.db.transaction((batch: StoredBatch) => {
      this.rollup.clear();
      for (const r of batch.trades) {
        this.insertTrade.run(
          r.ts,
          r.symbol,
          r.price,
          r.volume,
          r.log_return,
          r.vol_1m,
          r.vol_5m,
          r.vol_1m_ann,
          r.vol_5m_ann,
          r.ewma_vol,
          r.ewma_vol_ann,
          r.vwap_5m,
          r.late ? 1 : 0,
          r.session,
          r.exchange,
          r.company,
          r.sector,
          r.weather_temp_c,
          r.weather_condition,
          r.weather_error,
          r.kafka_partition,
          r.kafka_offset,
        );
        if (this.rollupEnabled) this.rollup.add(r);
      }
      this.rollup.flush();
      if (this.rollupBackfillPending && this.rollupEnabled) {
        // Bounded: a database from before migration 4 catches up a chunk per batch.
        this.rollupBackfillPending = !backfillRollup(
          this.db,
          this.rollup,
          ROLLUP_BACKFILL_ROWS_PER_BATCH,
        );
      }
      for (const d of batch.deadLetters) {
        this.insertDeadLetter.run(d.partition, d.offset, d.reason, d.raw, d.key, d.receivedAt);
      }
      for (const b of batch.bars) {
        this.upsertBar.run(...BAR_COLUMNS.map((c) => b[c]));
      }
      for (const [partition, next] of batch.offsets) {
        this.upsertOffset.run(batch.topic, partition, next);
      }
      return batch.alerts ? this.alerts.write(batch.alerts.alerts, batch.alerts.changes) : [];
    });
  }

  /** Binds this database to one source topic: offsets of another topic would be meaningless. */
  bindSourceTopic(topic: string): void {
    const current = this.getMeta('source_topic');
    if (current === null) this.setMeta('source_topic', topic);
    else if (current !== topic) {
      throw new Error(
        `this database holds data from topic "${current}", not "${topic}": use another database file for another topic`,
      );
    }
  }

  /** A stable id for this database (names its default consumer group). */
  databaseId(): string {
    let id = this.getMeta('database_id');
    if (id === null) {
      id = randomUUID();
      this.setMeta('database_id', id);
    }
    return id;
  }

  getMeta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  /** The next offset to read, per partition, as stored with the data. */
  storedOffsets(topic: string): Map<number, number> {
    const rows = this.db
      .prepare('SELECT partition, next_offset FROM consumer_offsets WHERE topic = ?')
      .all(topic) as { partition: number; next_offset: number }[];
    return new Map(rows.map((r) => [r.partition, r.next_offset]));
  }

  /** Stores the batch in one transaction; returns the alerts it stored (with their ids). */
  writeBatch(batch: StoredBatch): FiredAlert[] {
    try {
      return this.writeTx(batch);
    } catch (err) {
      this.rollupBackfillPending = !rollupReady(this.db);
      throw err;
    }
  }

  /** The symbol's newest stored trade time; null when none is stored. */
  newestTs(symbol: string): number | null {
    const row = this.restore.newest.get(symbol) as { ts: number | null } | undefined;
    return row?.ts ?? null;
  }

  /**
   * What the analytics need to resume a symbol: its stored trades with ts ≥ fromTs, preceded by
   * the last earlier trade that took part in analytics; in event order.
   */
  analyticsHistory(symbol: string, fromTs: number): HistoryRow[] {
    const before = this.restore.before.all(symbol, fromTs) as RawHistoryRow[];
    const rows = this.restore.since.all(symbol, fromTs) as RawHistoryRow[];
    return [...before, ...rows].map((r) => ({
      ts: r.ts,
      price: r.price,
      volume: r.volume,
      log_return: r.log_return,
      ewma_vol: r.ewma_vol,
      late: r.late === 1,
    }));
  }

  bars(symbol: string, fromMinute: number): StoredBar[] {
    return this.restore.bars.all(symbol, fromMinute) as StoredBar[];
  }

  /**
   * Everything AnalyticsEngine needs to restore one symbol (its loader): the history from 5 min
   * + grace before its newest stored trade (see historyStartTs) and the bars a trade can still
   * change. Null for a symbol with nothing stored. Index range reads only (RESTORE_SQL).
   */
  symbolSnapshot(symbol: string, gracePeriodMs: number): SymbolSnapshot | null {
    const newest = this.newestTs(symbol);
    if (newest === null) return null;
    const from = historyStartTs(newest, gracePeriodMs);
    return {
      history: this.analyticsHistory(symbol, from),
      bars: this.bars(symbol, from - 60_000),
    };
  }

  totals(): StoreTotals {
    const count = (table: string) =>
      (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      trades: count('enriched_trades'),
      deadLetters: count('dead_letters'),
      bars: count('bars'),
    };
  }

  close(): void {
    this.db.close();
  }
}

export interface StoredBatch {
  topic: string;
  trades: EnrichedRow[];
  deadLetters: DeadLetterRow[];
  bars: Bar[];
  offsets: Map<number, number>;
  /** Alerts the batch fired and the rule states it changed (see enrich/alerts.ts). */
  alerts?: { alerts: NewAlert[]; changes: StateChange[] };
}
