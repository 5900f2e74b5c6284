import type { Kafka } from 'kafkajs';

/** Creates the topic if missing and waits until its partitions have leaders. */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      try {
        await admin.createTopics({
          topics: [{ topic, numPartitions: partitions, replicationFactor: -1 }],
          waitForLeaders: true,
        });
      } catch (err) {
        // Another process may have created it between list and create.
        if (!/already exists/i.test((err as Error).message)) throw err;
      }
    }
    await admin.fetchTopicMetadata({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}
