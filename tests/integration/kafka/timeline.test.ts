import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServiceError } from '../../../contract/rpc.js';
import type { MessagesTimeline } from '../../../contract/timeline.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { messagesTimeline } from '../../../main/kafka/timeline.js';
import { VolatilityService, createLocalApi } from '../../../main/service.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

/**
 * The message-volume timeline against a real broker: known records with explicit timestamps,
 * rising within each of 3 partitions at uneven rates (p0 every 7 s, p1 every second for 20
 * minutes then every 20 s, p2 every 97 s), from 5 minutes before T0 to 65 minutes after, none in
 * the minute [T0+30m, T0+31m). Every bucket has one right count.
 */

const T0 = Date.UTC(2026, 0, 5, 14, 0, 0);
const MIN = 60_000;
const TOPIC = 'timeline_known';
const BACKWARDS = 'timeline_backwards';

interface Known {
  partition: number;
  offset: number;
  ts: number;
}

function timestamps(partition: number): number[] {
  const out: number[] = [];
  const gap = (t: number) => t >= T0 + 30 * MIN && t < T0 + 31 * MIN;
  let t = T0 - 5 * MIN + partition * 1234;
  while (t < T0 + 65 * MIN) {
    if (!gap(t)) out.push(t);
    if (partition === 0) t += 7000;
    else if (partition === 1) t += t < T0 + 20 * MIN ? 1000 : 20_000;
    else t += 97_000;
  }
  return out;
}

const known: Known[] = [0, 1, 2].flatMap((partition) =>
  timestamps(partition).map((ts, offset) => ({ partition, offset, ts })),
);

const trueCount = (start: number, end: number, partition?: number) =>
  known.filter(
    (k) => k.ts >= start && k.ts < end && (partition === undefined || k.partition === partition),
  ).length;

/** The first record at or after ts in the merged order: timestamp, then partition, then offset. */
function trueFirstAt(ts: number): Known | undefined {
  return known
    .filter((k) => k.ts >= ts)
    .sort((a, b) => a.ts - b.ts || a.partition - b.partition || a.offset - b.offset)[0];
}

function assertExact(t: MessagesTimeline): void {
  for (const b of t.buckets) {
    assert.equal(b.count, trueCount(b.start, b.end), `bucket ${new Date(b.start).toISOString()}`);
    assert.deepEqual(
      b.byPartition,
      t.partitions.map((p) => trueCount(b.start, b.end, p.partition)),
    );
  }
}

let broker: TestBroker;
let service: VolatilityService;
let api: ReturnType<typeof createLocalApi>;
const dir = tempDir('vi-timeline-');

before(async () => {
  broker = await startTestBroker();
  const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: dir.path };
  delete env.KAFKA_BROKERS;
  service = new VolatilityService({ env, brokers: broker.connection.brokers });
  api = createLocalApi(service, { trusted: false });
  await api.call('topics.create', { name: TOPIC, partitions: 3 });
  await api.call('topics.create', { name: BACKWARDS, partitions: 3 });
  const producer = createKafka(broker.connection).producer();
  await producer.connect();
  for (const partition of [0, 1, 2]) {
    const mine = known.filter((k) => k.partition === partition);
    for (let i = 0; i < mine.length; i += 400) {
      await producer.send({
        topic: TOPIC,
        messages: mine.slice(i, i + 400).map((k) => ({
          partition,
          key: `p${partition}-${k.offset}`,
          value: JSON.stringify({ ts: k.ts }),
          timestamp: String(k.ts),
        })),
      });
    }
  }
  const send = (partition: number, seconds: number[]) =>
    producer.send({
      topic: BACKWARDS,
      messages: seconds.map((s) => ({ partition, value: 'x', timestamp: String(T0 + s * 1000) })),
    });
  await send(0, [0, 1, 2, 3, 4]);
  // p1: one step back inside a batch; p2: its last record older than one before it.
  await send(1, [0, 1, 2, -5, 3]);
  await send(2, [0, 1, 2, 3, 10]);
  await send(2, [5]);
  await producer.disconnect();
});

after(async () => {
  await service?.shutdown();
  api?.close();
  await broker?.cleanup();
  dir.cleanup();
});

describe('messages.timeline', () => {
  it('counts every bucket of an hour exactly, the empty minute included, by a few lookups', async () => {
    const t = await api.call('messages.timeline', {
      topic: TOPIC,
      range: { kind: 'between', from: T0, to: T0 + 60 * MIN },
    });
    assert.equal(t.from, T0);
    assert.equal(t.to, T0 + 60 * MIN);
    assert.equal(t.bucketMs, MIN);
    assert.equal(t.buckets.length, 60);
    assertExact(t);
    assert.equal(t.buckets[30]!.count, 0);
    assert.ok(t.buckets[29]!.count > 0 && t.buckets[31]!.count > 0);
    assert.equal(t.total, trueCount(T0, T0 + 60 * MIN));
    assert.equal(t.approximate, false);
    assert.deepEqual(
      t.partitions.map((p) => p.approximate),
      [[], [], []],
    );
    // Watermarks, 61 edges and one check per partition; edge batches only, no scan.
    assert.equal(t.requests.offsetLookups, 2 + 61 + 3);
    assert.equal(t.requests.fetches, 2 * 3, 'the first and last batch of each partition');
    assert.deepEqual(await api.call('groups.list', {}), []);
  });

  it("'all' covers every record: totals equal the watermarks", async () => {
    const t = await api.call('messages.timeline', {
      topic: TOPIC,
      range: { kind: 'all' },
      buckets: 100,
    });
    assert.ok(t.buckets.length <= 100);
    assertExact(t);
    assert.equal(t.total, known.length);
    assert.equal(
      t.total,
      t.partitions.reduce((sum, p) => sum + p.high - p.low, 0),
    );
    const tss = known.map((k) => k.ts);
    assert.ok(t.from <= Math.min(...tss) && t.to > Math.max(...tss));
    for (const p of t.partitions) {
      const mine = timestamps(p.partition);
      assert.equal(p.firstTimestamp, mine[0]);
      assert.equal(p.lastTimestamp, mine.at(-1));
      assert.equal(p.high, mine.length);
    }
  });

  it("'last' an hour up to now, and chosen partitions only", async () => {
    const now = T0 + 45 * MIN + 30_000;
    const t = await messagesTimeline(
      broker.connection,
      { topic: TOPIC, partitions: [2, 0], range: { kind: 'last', ms: 60 * MIN }, buckets: 60 },
      { now: () => now },
    );
    assert.deepEqual(
      t.partitions.map((p) => p.partition),
      [0, 2],
    );
    // 60 whole minutes, the newest holding now.
    assert.equal(t.buckets.length, 60);
    assert.equal(t.to, T0 + 46 * MIN);
    assert.equal(t.from, T0 - 14 * MIN);
    for (const b of t.buckets) {
      assert.deepEqual(b.byPartition, [trueCount(b.start, b.end, 0), trueCount(b.start, b.end, 2)]);
    }
  });

  it('a selection opens the list at the first record of the range', async () => {
    const t = await api.call('messages.timeline', {
      topic: TOPIC,
      range: { kind: 'between', from: T0, to: T0 + 60 * MIN },
    });
    for (const i of [0, 7, 20, 29, 30, 31, 59]) {
      const bucket = t.buckets[i]!;
      const page = await api.call('messages.read', {
        topic: TOPIC,
        from: { kind: 'timestamp', ts: bucket.start },
        limit: 3,
      });
      const want = trueFirstAt(bucket.start)!;
      const got = page.records[0]!;
      assert.equal(page.direction, 'newer');
      assert.deepEqual(
        { partition: got.partition, offset: got.offset, ts: got.timestamp },
        want,
        `bucket ${i}`,
      );
    }
  });

  it('says approximate where timestamps go backwards within a partition', async () => {
    const t = await api.call('messages.timeline', { topic: BACKWARDS, range: { kind: 'all' } });
    assert.equal(t.approximate, true);
    assert.deepEqual(
      t.partitions.map((p) => p.approximate),
      [[], ['timestamps-backwards'], ['timestamps-backwards']],
    );
    assert.equal(t.total, 16);
  });

  it('refuses an unknown topic as messages.read does, and an unknown partition', async () => {
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => (e instanceof ServiceError ? { code: e.code, message: e.message } : e),
      );
    const read = await failure(api.call('messages.read', { topic: 'no_such_topic' }));
    const timeline = await failure(api.call('messages.timeline', { topic: 'no_such_topic' }));
    assert.deepEqual(timeline, read);
    assert.deepEqual(timeline, {
      code: 'unknown-topic',
      message: 'topic "no_such_topic" does not exist (see the topic list)',
    });
    const partition = await failure(
      api.call('messages.timeline', { topic: TOPIC, partitions: [7] }),
    );
    assert.equal((partition as { code: string }).code, 'invalid-argument');
  });
});
