import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MIGRATIONS } from '../../../main/store/migrations.js';
import { SqliteStore, type EnrichedRow } from '../../../main/store/sqlite-store.js';
import { tempDir } from '../../support/jvm-broker.js';

const dir = tempDir('vi-store-');
after(() => dir.cleanup());

function row(offset: number, ts: number, price = 100): EnrichedRow {
  return {
    ts,
    symbol: 'AAPL',
    price,
    volume: 10,
    log_return: null,
    vol_1m: null,
    vol_5m: null,
    vol_1m_ann: null,
    vol_5m_ann: null,
    ewma_vol: null,
    ewma_vol_ann: null,
    vwap_5m: price,
    late: false,
    session: 'regular',
    exchange: 'NASDAQ',
    company: 'Apple Inc.',
    sector: 'Information Technology',
    weather_temp_c: null,
    weather_condition: null,
    weather_error: 'weather disabled',
    kafka_partition: 0,
    kafka_offset: offset,
  };
}

describe('SqliteStore', () => {
  it('creates the schema at the current version, WAL', () => {
    const store = new SqliteStore(join(dir.path, 'schema.db'));
    assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    store.close();
  });

  it('stores a batch and its offsets together, or nothing of it', () => {
    const store = new SqliteStore(join(dir.path, 'atomic.db'));
    store.writeBatch({
      topic: 't',
      trades: [row(0, 1000), row(1, 2000)],
      deadLetters: [],
      bars: [],
      offsets: new Map([[0, 2]]),
    });
    assert.deepEqual([...store.storedOffsets('t')], [[0, 2]]);
    // Offset 1 again: the unique key fails the transaction; neither row 2 nor the offset lands.
    assert.throws(() =>
      store.writeBatch({
        topic: 't',
        trades: [row(2, 3000), row(1, 2000)],
        deadLetters: [
          { partition: 0, offset: 3, reason: 'x', raw: Buffer.from('x'), key: null, receivedAt: 0 },
        ],
        bars: [],
        offsets: new Map([[0, 4]]),
      }),
    );
    assert.deepEqual(store.totals(), { trades: 2, deadLetters: 0, bars: 0 });
    assert.deepEqual([...store.storedOffsets('t')], [[0, 2]]);
    store.close();
  });

  it('refuses a database that holds another topic', () => {
    const store = new SqliteStore(join(dir.path, 'topic.db'));
    store.bindSourceTopic('stock_prices');
    store.bindSourceTopic('stock_prices');
    assert.throws(() => store.bindSourceTopic('other'), /holds data from topic "stock_prices"/);
    assert.equal(store.databaseId(), store.databaseId());
    store.close();
  });

  it('gives the analytics history: rows since a time plus the last earlier accepted one', () => {
    const store = new SqliteStore(join(dir.path, 'history.db'));
    const tooLate = { ...row(3, 500, 99), late: true };
    store.writeBatch({
      topic: 't',
      trades: [row(0, 1000, 100), row(1, 2000, 101), row(2, 3000, 102), tooLate],
      deadLetters: [],
      bars: [],
      offsets: new Map([[0, 4]]),
    });
    const h = store.analyticsHistory('AAPL', 2500);
    assert.deepEqual(
      h.map((r) => [r.ts, r.price, r.late]),
      [
        [2000, 101, false],
        [3000, 102, false],
      ],
    );
    assert.equal(store.newestTs('AAPL'), 3000);
    assert.equal(store.newestTs('MSFT'), null);
    store.close();
  });
});
