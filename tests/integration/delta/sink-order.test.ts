import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EnrichedTrade } from '../../../contract/trade.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { runDeltaSink } from '../../../main/sink/delta-sink.js';
import { rangeAppId } from '../../../main/sink/source-offsets.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';
import { readWithDeltaRs, requireDeltaRs } from './support.js';

const ENR = 'delta_order_enriched';
const run = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

function enriched(p: number, o: number): EnrichedTrade {
  return {
    timestamp: new Date(Date.UTC(2025, 6, 7, 13, 30) + o * 1000).toISOString(),
    symbol: 'AAPL',
    price: 200 + o / 100,
    volume: 100,
    log_return: null,
    vol_1m: null,
    vol_5m: null,
    vol_1m_ann: null,
    vol_5m_ann: null,
    ewma_vol: null,
    ewma_vol_ann: null,
    vwap_5m: 200,
    late: false,
    session: 'regular',
    exchange: 'NASDAQ',
    company: 'Apple Inc.',
    sector: 'Technology',
    weather_temp_c: 20,
    weather_condition: 'Clear',
    weather_error: null,
    kafka_partition: p,
    kafka_offset: o,
  };
}

/**
 * The kill test's failure made deterministic: the enriched topic is at-least-once and not in
 * source order (two enrichers with their own SQLite files hand a partition over; retried sends
 * land late). Source partition 0's trades arrive as 0..299, 600..899, then the late 300..599
 * and republished duplicates, across two sink runs. A watermark per source partition (the first
 * version of the sink) dropped 300..599; the exact set keeps each trade once.
 */
describe('Delta sink: source offsets out of order', { timeout: 240_000 }, () => {
  let broker: TestBroker;
  const dir = tempDir('vi-delta-order-');
  before(async () => {
    requireDeltaRs();
    broker = await startTestBroker();
  });
  after(async () => {
    await broker?.cleanup();
    dir.cleanup();
  });

  it('late and republished source offsets: each source trade once in the table, across restarts', async () => {
    const table = join(dir.path, 'table');
    const kafka = createKafka(broker.connection);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: ENR, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const send = async (p: number, offsets: number[]) => {
      await producer.send({
        topic: ENR,
        acks: -1,
        messages: offsets.map((o) => ({ value: JSON.stringify(enriched(p, o)) })),
      });
    };
    const sink = () =>
      runDeltaSink({
        request: {
          connection: broker.connection,
          table,
          topic: ENR,
          partitionBy: 'none',
          rollMs: 200,
          untilIdleMs: 1500,
        },
      });
    try {
      await send(0, run(0, 300));
      await send(0, run(600, 900)); // worker B's records: ahead of A's unpublished 300..599
      await send(1, run(0, 50)); // another source partition through the same enriched one
      const first = await sink();
      assert.equal(first.appended, 650);
      assert.equal(first.resume['0'], 300, 'resume: the end of the first range, not past the gap');
      await send(0, run(300, 600)); // A's late records
      await send(0, [...run(0, 100), ...run(650, 700), ...run(550, 620)]); // republished
      await send(1, run(40, 60));
      const second = await sink();
      assert.equal(second.appended, 300 + 10);
      assert.equal(second.duplicates, 100 + 50 + 70 + 10);
      assert.deepEqual(second.resume, { '0': 900, '1': 60 });
    } finally {
      await producer.disconnect();
    }

    const ids = [rangeAppId(ENR, 0, 0), rangeAppId(ENR, 0, 600), rangeAppId(ENR, 1, 0)];
    const view = readWithDeltaRs(table, { appIds: ids });
    const seen = new Map<string, number>();
    for (const r of view.rows) {
      const key = `${r.kafka_partition}:${r.kafka_offset}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const twice = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(twice, [], 'source trades in the table twice');
    const missing = [
      ...run(0, 900).map((o) => `0:${o}`),
      ...run(0, 60).map((o) => `1:${o}`),
    ].filter((k) => !seen.has(k));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} source trades missing`);
    assert.equal(view.rows.length, 960);
    // delta-rs's view of the txn actions: [0, 900) of p0 (from-600 is a stale subset), [0, 60) of p1.
    assert.deepEqual(view.txn, {
      [rangeAppId(ENR, 0, 0)]: 900,
      [rangeAppId(ENR, 0, 600)]: 900,
      [rangeAppId(ENR, 1, 0)]: 60,
    });
  });
});
