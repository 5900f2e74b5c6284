import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { ensureTopic } from '../../../main/kafka/topics.js';

// A topic this client has just created can answer UNKNOWN_TOPIC_OR_PARTITION to metadata for a
// moment. kafkajs's createTopics({ waitForLeaders: true }) only waits out LEADER_NOT_AVAILABLE and
// throws on that answer: an enricher started beside a producer failed its start that way about
// one time in three (seen through the service on a fresh broker). The admin below answers the
// way the broker did, and does what kafkajs's own wait does with it.

class UnknownTopic extends Error {
  override name = 'KafkaJSProtocolError';
  retriable = true;
  type = 'UNKNOWN_TOPIC_OR_PARTITION';
  constructor() {
    super('This server does not host this topic-partition');
  }
}

function brokerAnswering(unknownFor: number) {
  const topics = new Set<string>();
  let metadataCalls = 0;
  const metadata = (topic: string) => {
    metadataCalls++;
    if (metadataCalls <= unknownFor || !topics.has(topic)) throw new UnknownTopic();
    return {
      topics: [{ name: topic, partitions: [0, 1, 2].map((p) => ({ partitionId: p, leader: 1 })) }],
    };
  };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => [...topics],
    createTopics: async (req: {
      topics: { topic: string }[];
      waitForLeaders?: boolean;
    }): Promise<boolean> => {
      for (const t of req.topics) topics.add(t.topic);
      if (req.waitForLeaders) for (const t of req.topics) metadata(t.topic); // throws like kafkajs
      return true;
    },
    fetchTopicMetadata: async ({ topics: wanted }: { topics: string[] }) => metadata(wanted[0]!),
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, calls: () => metadataCalls };
}

describe('ensureTopic', () => {
  it('waits out UNKNOWN_TOPIC_OR_PARTITION right after creating the topic', async () => {
    const broker = brokerAnswering(3);
    assert.equal(await ensureTopic(broker.kafka, 'stock_prices', 3), 3);
    assert.ok(broker.calls() > 3, 'metadata was asked again after the unknown-topic answers');
  });

  it('still fails plainly on an error that is not retriable', async () => {
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => [],
      createTopics: async () => {
        throw Object.assign(new Error('Topic authorization failed'), { retriable: false });
      },
    };
    await assert.rejects(
      ensureTopic({ admin: () => admin } as unknown as Kafka, 'stock_prices', 3),
      /Topic authorization failed/,
    );
  });
});
