import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MIGRATIONS } from '../../../main/store/migrations.js';
import { RESTORE_SQL, SqliteStore } from '../../../main/store/sqlite-store.js';
import { tempDir } from '../../support/jvm-broker.js';

const dir = tempDir('vi-plan-');
after(() => dir.cleanup());

function plan(db: Database.Database, sql: string, args: unknown[]): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map(
    (r) => r.detail,
  );
}

describe('restoring one symbol', () => {
  it('reads index ranges only: no scan, no sort', () => {
    const store = new SqliteStore(join(dir.path, 'plan.db'));
    const plans = {
      newest: plan(store.db, RESTORE_SQL.newest, ['AAPL']),
      before: plan(store.db, RESTORE_SQL.before, ['AAPL', 1]),
      since: plan(store.db, RESTORE_SQL.since, ['AAPL', 1]),
      bars: plan(store.db, RESTORE_SQL.bars, ['AAPL', 1]),
    };
    store.close();
    assert.deepEqual(plans, {
      newest: [
        'SEARCH enriched_trades USING COVERING INDEX enriched_trades_symbol_order (symbol=?)',
      ],
      before: [
        'SEARCH enriched_trades USING INDEX enriched_trades_symbol_order (symbol=? AND ts<?)',
      ],
      since: [
        'SEARCH enriched_trades USING INDEX enriched_trades_symbol_order (symbol=? AND ts>?)',
      ],
      bars: ['SEARCH bars USING PRIMARY KEY (symbol=? AND minute_start>?)'],
    });
  });

  it('migration 2 upgrades a version-1 database: the ordered index replaces (symbol, ts)', () => {
    const file = join(dir.path, 'v1.db');
    const v1 = new Database(file);
    v1.exec(MIGRATIONS[0]!);
    v1.pragma('user_version = 1');
    v1.prepare(
      `INSERT INTO enriched_trades (ts, symbol, price, volume, vwap_5m, session, kafka_partition, kafka_offset)
       VALUES (1000, 'AAPL', 100, 1, 100, 'regular', 0, 0), (2000, 'AAPL', 101, 1, 100.5, 'regular', 0, 1)`,
    ).run();
    v1.close();
    const store = new SqliteStore(file);
    assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    const indexes = (
      store.db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'enriched_trades' AND sql IS NOT NULL ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
    assert.deepEqual(indexes, ['enriched_trades_export_order', 'enriched_trades_symbol_order']);
    assert.equal(store.newestTs('AAPL'), 2000);
    const snapshot = store.symbolSnapshot('AAPL', 5_000);
    assert.deepEqual(
      snapshot?.history.map((r) => [r.ts, r.price]),
      [
        [1000, 100],
        [2000, 101],
      ],
    );
    assert.equal(store.symbolSnapshot('MSFT', 5_000), null);
    store.close();
  });
});
