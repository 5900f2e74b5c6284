import type Database from 'better-sqlite3';

/** Migration 4's per-metric columns, frozen here (a later metric needs a later migration). */
const ROLLUP_V4_COLUMNS = [
  'price',
  'vwap_5m',
  'log_return',
  'vol_1m',
  'vol_5m',
  'ewma_vol',
  'vol_1m_ann',
  'vol_5m_ann',
  'ewma_vol_ann',
]
  .map(
    (m) =>
      `    ${m}_n INTEGER NOT NULL DEFAULT 0, ${m}_min REAL, ${m}_min_ts INTEGER, ${m}_max REAL,` +
      ` ${m}_max_ts INTEGER, ${m}_last REAL, ${m}_last_ts INTEGER,`,
  )
  .join('\n');

/**
 * Versioned schema. Each entry runs once, in order, inside a transaction; `user_version`
 * records the last one applied. Never edit a shipped migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: enriched trades, bars, dead letters, consumer offsets.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE enriched_trades (
    id                INTEGER PRIMARY KEY,
    ts                INTEGER NOT NULL,      -- trade time, epoch milliseconds UTC
    symbol            TEXT    NOT NULL,
    price             REAL    NOT NULL,
    volume            INTEGER NOT NULL,
    log_return        REAL,
    vol_1m            REAL,
    vol_5m            REAL,
    vol_1m_ann        REAL,
    vol_5m_ann        REAL,
    ewma_vol          REAL,
    ewma_vol_ann      REAL,
    vwap_5m           REAL    NOT NULL,
    late              INTEGER NOT NULL DEFAULT 0,
    session           TEXT    NOT NULL,
    exchange          TEXT,
    company           TEXT,
    sector            TEXT,
    weather_temp_c    REAL,
    weather_condition TEXT,
    weather_error     TEXT,
    kafka_partition   INTEGER NOT NULL,
    kafka_offset      INTEGER NOT NULL,
    UNIQUE (kafka_partition, kafka_offset)
  ) STRICT;
  CREATE INDEX enriched_trades_symbol_ts ON enriched_trades (symbol, ts);
  CREATE INDEX enriched_trades_export_order ON enriched_trades (ts, symbol, kafka_offset);

  CREATE TABLE bars (
    symbol        TEXT    NOT NULL,
    minute_start  INTEGER NOT NULL,          -- epoch milliseconds UTC, start of the minute
    open          REAL    NOT NULL,
    high          REAL    NOT NULL,
    low           REAL    NOT NULL,
    close         REAL    NOT NULL,
    volume        INTEGER NOT NULL,
    trade_count   INTEGER NOT NULL,
    vwap          REAL,
    parkinson_vol REAL,                      -- per-bar Parkinson estimate, |ln(H/L)| / sqrt(4 ln 2)
    open_ts       INTEGER NOT NULL,
    close_ts      INTEGER NOT NULL,
    PRIMARY KEY (symbol, minute_start)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE dead_letters (
    id               INTEGER PRIMARY KEY,
    source_partition INTEGER NOT NULL,
    source_offset    INTEGER NOT NULL,
    reason           TEXT    NOT NULL,
    raw              BLOB,
    message_key      TEXT,
    received_at      INTEGER NOT NULL,
    UNIQUE (source_partition, source_offset)
  ) STRICT;

  CREATE TABLE consumer_offsets (
    topic       TEXT    NOT NULL,
    partition   INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,            -- the next offset to read (Kafka's committed-offset meaning)
    PRIMARY KEY (topic, partition)
  ) STRICT;
  `,
  // 2: a symbol's trades in restore order (ts, then partition and offset), so restoring one
  // symbol is an index range read with no sort; it replaces the (symbol, ts) index, its prefix.
  `
  CREATE INDEX enriched_trades_symbol_order
    ON enriched_trades (symbol, ts, kafka_partition, kafka_offset);
  DROP INDEX enriched_trades_symbol_ts;
  `,
  // 3: volatility-spike alerts (issue 9): rules, each rule's state per symbol (stored with the
  // batch that changed it), and fired alerts, once per (rule, source partition, offset).
  `
  CREATE TABLE alert_rules (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('threshold', 'zscore')),
    symbol      TEXT,                      -- null: every symbol
    metric      TEXT    NOT NULL,
    above       REAL    NOT NULL,          -- threshold, or k for zscore
    rearm_below REAL    NOT NULL,
    cooldown_ms INTEGER NOT NULL,
    window_ms   INTEGER,                   -- zscore: the history's time constant
    min_samples INTEGER,                   -- zscore: values seen before it may fire
    created_at  INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE alert_rule_state (
    rule_id        INTEGER NOT NULL,
    symbol         TEXT    NOT NULL,
    armed          INTEGER NOT NULL,
    cooldown_until INTEGER NOT NULL,       -- trade time (epoch ms) before which it may not fire
    mean           REAL    NOT NULL,
    var            REAL    NOT NULL,
    n              INTEGER NOT NULL,
    last_ts        INTEGER NOT NULL,
    PRIMARY KEY (rule_id, symbol)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    rule_id          INTEGER NOT NULL,
    rule             TEXT    NOT NULL,     -- the rule's description when it fired
    symbol           TEXT    NOT NULL,
    metric           TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    value            REAL    NOT NULL,
    threshold        REAL    NOT NULL,
    metric_value     REAL    NOT NULL,
    price            REAL    NOT NULL,
    ts               INTEGER NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset    INTEGER NOT NULL,
    UNIQUE (rule_id, source_partition, source_offset)
  ) STRICT;
  CREATE INDEX alerts_symbol_ts ON alerts (symbol, ts);
  CREATE INDEX alerts_ts ON alerts (ts);
  `,
  // 4: the series rollup (series-rollup.ts): per symbol, level (bucket width, ms) and bucket, per
  // metric: rows with a value, min and max with the time of their first occurrence, last value
  // and its time. Rows stored before this migration are added progressively (meta
  // 'rollup_backfill' = 'cursor:end' by row id; series.query reads raw rows until it is gone).
  `
  CREATE TABLE series_rollup (
    symbol       TEXT    NOT NULL,
    level_ms     INTEGER NOT NULL,
    bucket_start INTEGER NOT NULL,
${ROLLUP_V4_COLUMNS}
    PRIMARY KEY (symbol, level_ms, bucket_start)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO meta (key, value)
    SELECT 'rollup_backfill', '0:' || MAX(id) FROM enriched_trades HAVING MAX(id) IS NOT NULL;
  `,
  // 5: saved views of the topic browser (issue 12). Names are unique and case-sensitive (BINARY);
  // the contract trims and NFC-normalizes them. The rest of the view is JSON (spec), read back
  // through the contract's schema.
  `
  CREATE TABLE saved_views (
    name       TEXT PRIMARY KEY,
    topic      TEXT NOT NULL,
    spec       TEXT NOT NULL,             -- JSON: partitions, start, filter, columns, timeZone
    created_at TEXT NOT NULL,             -- ISO 8601, UTC
    updated_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX saved_views_topic ON saved_views (topic, name);
  `,
];

export function migrate(db: Database.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${from} is newer than this app understands (${MIGRATIONS.length}); ` +
        'upgrade Volatility Insight or use another database file',
    );
  }
  for (let v = from; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: MIGRATIONS.length };
}
