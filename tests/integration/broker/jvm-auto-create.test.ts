// A seed-style producer sends to a topic nobody created: both local providers create it (with 3
// partitions) instead of leaving the producer retrying for a minute.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { createKafka } from '../../../main/kafka/connection.js';
import { APP_ROOT } from '../../../main/paths.js';
import { startTestBroker, type TestBroker } from '../../support/jvm-broker.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker?.cleanup();
});

it('the JVM broker creates a topic a producer sends to without creating it (as Docker does)', async () => {
  const kafka = createKafka(broker.connection, 'seed-style-producer');
  const producer = kafka.producer();
  await producer.connect();
  try {
    const sent = producer.send({
      topic: 'stock_prices',
      messages: [{ key: 'AAPL', value: '{"symbol":"AAPL","price":1}' }],
    });
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the send did not finish in 45 s')), 45_000);
    });
    try {
      await Promise.race([sent, bound]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await producer.disconnect();
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: ['stock_prices'] });
    assert.equal(meta.topics[0]?.partitions.length, 3);
  } finally {
    await admin.disconnect();
  }
});

it('docker-compose.yml configures the Docker broker the same way', () => {
  const compose = readFileSync(join(APP_ROOT, 'docker-compose.yml'), 'utf8');
  assert.match(compose, /^\s+KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true'$/m);
  assert.match(compose, /^\s+KAFKA_NUM_PARTITIONS: 3$/m);
});
