import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Consumer } from 'kafkajs';
import { TopicInfoSchema } from '../../../contract/admin.js';
import {
  AdminError,
  createTopic,
  deleteTopic,
  listGroups,
  listTopics,
} from '../../../main/kafka/admin.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { freePort } from '../../../main/net-util.js';
import { ensureTopic } from '../../../main/kafka/topics.js';
import { startTestBroker, type TestBroker } from '../../support/jvm-broker.js';

let broker: TestBroker;

before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker?.cleanup();
});

function isAdminError(code: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof AdminError, `expected an AdminError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

async function produce(topic: string, perPartition: Record<number, number>) {
  const producer = createKafka(broker.connection).producer();
  await producer.connect();
  for (const [partition, count] of Object.entries(perPartition)) {
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({
        partition: Number(partition),
        value: `m${i}`,
      })),
    });
  }
  await producer.disconnect();
}

describe('topic administration', () => {
  it('ensureTopic: eight processes racing to create one topic all get its partitions with leaders', async () => {
    // A producer and two enrichers start together in the pipeline: the losers of the create race
    // used to read metadata before the broker knew the topic and fail the whole stage.
    const clients = Array.from({ length: 8 }, () => createKafka(broker.connection));
    const counts = await Promise.all(clients.map((k) => ensureTopic(k, 'admin.raced', 3)));
    assert.deepEqual(counts, Array(8).fill(3));
    // An existing topic keeps its own count, whatever the caller asks for.
    assert.equal(await ensureTopic(clients[0]!, 'admin.raced', 12), 3);
  });

  it('creates a topic with partitions and retention', async () => {
    const topic = await createTopic(broker.connection, {
      name: 'admin.prices_v1',
      partitions: 3,
      retentionMs: 3_600_000,
    });
    TopicInfoSchema.parse(topic);
    assert.equal(topic.name, 'admin.prices_v1');
    assert.equal(topic.partitionCount, 3);
    assert.equal(topic.replicationFactor, 1);
    assert.equal(topic.retentionMs, 3_600_000);
    assert.equal(topic.messages, 0);
    assert.deepEqual(
      topic.partitions.map((p) => p.partition),
      [0, 1, 2],
    );
  });

  it('lists topics with watermarks and message counts', async () => {
    await produce('admin.prices_v1', { 0: 5, 1: 7, 2: 0 });
    const topics = await listTopics(broker.connection);
    const t = topics.find((x) => x.name === 'admin.prices_v1');
    assert.ok(t, 'topic listed');
    assert.equal(t.messages, 12);
    assert.deepEqual(
      t.partitions.map((p) => [p.partition, p.low, p.high, p.messages]),
      [
        [0, 0, 5, 5],
        [1, 0, 7, 7],
        [2, 0, 0, 0],
      ],
    );
    assert.ok(
      topics.every((x) => !x.name.startsWith('__')),
      'internal topics hidden',
    );
  });

  it('refuses a duplicate topic with a clear error', async () => {
    await assert.rejects(
      createTopic(broker.connection, { name: 'admin.prices_v1', partitions: 1 }),
      isAdminError('topic-exists', /topic "admin\.prices_v1" already exists/),
    );
  });

  it('validates topic names by Kafka rules before asking the broker', async () => {
    for (const name of ['..', '.', 'has space', 'slash/no', 'x'.repeat(250), '']) {
      await assert.rejects(
        createTopic(broker.connection, { name, partitions: 1 }),
        isAdminError('invalid-request', /cannot create topic/),
      );
    }
    const longest = await createTopic(broker.connection, { name: 'y'.repeat(249), partitions: 1 });
    assert.equal(longest.name.length, 249);
    await deleteTopic(broker.connection, longest.name);
  });

  it('deletes a topic, and says so when it does not exist', async () => {
    await createTopic(broker.connection, { name: 'admin-doomed', partitions: 2 });
    await deleteTopic(broker.connection, 'admin-doomed');
    const names = (await listTopics(broker.connection)).map((t) => t.name);
    assert.ok(!names.includes('admin-doomed'));
    await assert.rejects(
      deleteTopic(broker.connection, 'admin-doomed'),
      isAdminError('unknown-topic', /does not exist/),
    );
    await assert.rejects(
      deleteTopic(broker.connection, '__consumer_offsets'),
      isAdminError('invalid-request', /internal/),
    );
  });

  it('fails fast with "unreachable" on a closed port', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(
      listTopics({ brokers: [`127.0.0.1:${port}`] }),
      isAdminError('unreachable', /cannot reach Kafka at 127\.0\.0\.1:\d+/),
    );
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });
});

describe('consumer groups', () => {
  let consumer: Consumer | undefined;
  after(async () => {
    await consumer?.disconnect();
  });

  it('shows members and lag per partition for a group that consumed part of a topic', async () => {
    const topic = 'admin-lagged';
    await createTopic(broker.connection, { name: topic, partitions: 2 });
    await produce(topic, { 0: 10, 1: 6 });

    consumer = createKafka(broker.connection, 'lag-test-client').consumer({
      groupId: 'lag-test',
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const c = consumer;
    // Read partition 0 up to offset 3, commit offset 4 (the next to read), nothing for partition 1.
    const committed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no messages within 30 s')), 30_000);
      void c.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (partition === 0 && message.offset === '3') {
            await c.commitOffsets([{ topic, partition: 0, offset: '4' }]);
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await committed;

    const groups = await listGroups(broker.connection);
    const g = groups.find((x) => x.groupId === 'lag-test');
    assert.ok(g, 'group listed');
    assert.equal(g.state, 'Stable');
    assert.equal(g.members.length, 1);
    assert.equal(g.members[0]?.clientId, 'lag-test-client');
    assert.ok(g.members[0]?.host, 'member host');
    assert.deepEqual(g.members[0]?.assignments, [{ topic, partitions: [0, 1] }]);
    assert.deepEqual(
      g.partitions.map((p) => [p.topic, p.partition, p.committed, p.high, p.lag, p.note]),
      [
        [topic, 0, 4, 10, 6, undefined],
        [topic, 1, null, 6, 6, 'no committed offset'],
      ],
    );
    assert.equal(g.totalLag, 12);

    await consumer.disconnect();
    consumer = undefined;
    const afterLeave = (await listGroups(broker.connection)).find((x) => x.groupId === 'lag-test');
    assert.equal(afterLeave?.state, 'Empty');
    assert.equal(afterLeave?.members.length, 0);
    assert.equal(afterLeave?.totalLag, 12);
  });
});
