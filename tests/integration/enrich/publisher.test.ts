import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { OffThreadPublisher } from '../../../main/enrich/publisher.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { ensureTopic } from '../../../main/kafka/topics.js';
import { startTestBroker, type TestBroker } from '../../support/jvm-broker.js';

// The enrichment's producer runs on a thread of its own: records arrive intact (string and
// binary keys, chosen partitions), failures come back as errors with Kafka's words, and a thread
// that dies is replaced on the next send.

let broker: TestBroker;

before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
});

interface Read {
  partition: number;
  key: Buffer | null;
  value: string;
}

/** Every record of a topic, by partition and offset, without a consumer group. */
async function readAll(topic: string): Promise<Read[]> {
  const kafka = createKafka(broker.connection);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high), 0);
  const consumer = kafka.consumer({ groupId: `publisher-test-${topic}` });
  const out: Read[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.push({ partition, key: message.key, value: message.value?.toString('utf8') ?? '' });
      if (out.length >= total) done();
    },
  });
  await all;
  await consumer.disconnect();
  return out.sort((a, b) => a.partition - b.partition || a.value.localeCompare(b.value));
}

/** A topic of `partitions` partitions and a connected publisher. */
async function publisherFor(topic: string, partitions: number): Promise<OffThreadPublisher> {
  await ensureTopic(createKafka(broker.connection), topic, partitions);
  const publisher = new OffThreadPublisher(broker.connection);
  await publisher.connect();
  return publisher;
}

describe('OffThreadPublisher', () => {
  it('publishes string and binary keys to the chosen partitions, acknowledged', async () => {
    const topic = 'publisher-records';
    const publisher = await publisherFor(topic, 3);
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    await publisher.send(topic, [
      { key: 'AAPL', value: 'a', partition: 2 },
      { key: binary, value: 'b', partition: 0 },
      { key: null, value: 'c', partition: 1 },
    ]);
    await publisher.disconnect();
    const read = await readAll(topic);
    assert.deepEqual(
      read.map((r) => [r.partition, r.key === null ? null : r.key.toString('hex'), r.value]),
      [
        [0, 'fffe0080', 'b'],
        [1, null, 'c'],
        [2, Buffer.from('AAPL').toString('hex'), 'a'],
      ],
    );
    await assert.rejects(publisher.send(topic, [{ key: null, value: 'late' }]), /closed/);
  });

  it("rejects with Kafka's error for a record the broker refuses, and goes on", async () => {
    const topic = 'publisher-too-large';
    const publisher = await publisherFor(topic, 1);
    try {
      await assert.rejects(
        publisher.send(topic, [{ key: null, value: 'x'.repeat(2 * 1024 * 1024) }]),
        (err: Error) => {
          assert.match(err.message, /larger than the max message size/);
          assert.equal(err.name, 'KafkaJSProtocolError');
          return true;
        },
      );
      await publisher.send(topic, [{ key: null, value: 'after' }]);
      assert.deepEqual(
        (await readAll(topic)).map((r) => r.value),
        ['after'],
      );
    } finally {
      await publisher.disconnect();
    }
  });

  it('a thread that dies fails its sends, and the next send starts a new one', async () => {
    const topic = 'publisher-restart';
    const publisher = await publisherFor(topic, 1);
    try {
      const first = (publisher as unknown as { worker: Worker }).worker;
      const inFlight = publisher.send(topic, [{ key: null, value: 'maybe' }]);
      await first.terminate();
      // The send raced the termination: either acknowledged first or failed by it, never hung.
      await inFlight.catch((err: Error) => assert.match(err.message, /publishing thread stopped/));
      await publisher.send(topic, [{ key: null, value: 'after restart' }]);
      const second = (publisher as unknown as { worker: Worker }).worker;
      assert.notEqual(second, first);
      assert.ok((await readAll(topic)).some((r) => r.value === 'after restart'));
    } finally {
      await publisher.disconnect();
    }
  });
});
