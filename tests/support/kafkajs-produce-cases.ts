// Produce requests encoded by a kafkajs copy, as SHA-256 digests: the unit test compares the
// installed (patched, patches/kafkajs+2.2.4.patch) kafkajs against digests taken from kafkajs
// 2.2.4 as published. To take them again from an unpatched copy:
//   node --import tsx tests/support/kafkajs-produce-cases.ts <dir of an unpatched kafkajs 2.2.4>
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

interface CaseMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  partition?: number;
  timestamp?: number;
  headers?: Record<string, string | Buffer | (string | Buffer)[]>;
}

interface Encoded {
  buffer: Buffer;
}
type Partitioner = (args: {
  topic: string;
  partitionMetadata: unknown[];
  message: CaseMessage;
}) => number;
type Group = (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: CaseMessage[];
  partitioner: Partitioner;
}) => Record<string, CaseMessage[]>;
type TopicData = { topic: string; partitions: { partition: number; firstSequence?: number }[] }[];

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'TSLA', 'NVDA'];

/** The cases: seed-style trades by key, enriched-size records by partition, and odd ones. */
function cases(): Record<string, { messages: CaseMessage[]; compression?: number }> {
  const trades = Array.from({ length: 2000 }, (_, i) => ({
    key: SYMBOLS[i % SYMBOLS.length]!,
    value: JSON.stringify({
      timestamp: new Date(1_700_000_000_000 + i * 7).toISOString(),
      symbol: SYMBOLS[i % SYMBOLS.length],
      price: 100 + i / 8,
      volume: 100 + (i % 900),
    }),
    timestamp: 1_700_000_000_000 + i * 7,
  }));
  const enriched = Array.from({ length: 500 }, (_, i) => ({
    key: SYMBOLS[i % SYMBOLS.length]!,
    value: JSON.stringify({ n: i, pad: 'x'.repeat(560 + (i % 97)) }),
    partition: i % 3,
    timestamp: 1_700_000_000_000,
  }));
  const odd: CaseMessage[] = [
    { key: null, value: 'no key', partition: 0, timestamp: 1_000_000_000_000 },
    {
      key: Buffer.from([0xff, 0xfe, 0x00, 0xc3]),
      value: Buffer.from([1, 2, 3]),
      partition: 1,
      timestamp: 5,
    },
    { key: 'Ünïcødé ☃ 🚀', value: null, partition: 2, timestamp: 999_999_999_999 },
    {
      key: 'headers',
      value: 'with headers',
      partition: 0,
      timestamp: 100_000_000_000,
      headers: { a: 'x', b: Buffer.from([0, 255]), c: ['1', '2'] },
    },
    { key: 'big', value: 'v'.repeat(70_000), partition: 1, timestamp: 2 },
    { key: 'k'.repeat(20_000), value: '', partition: 2, timestamp: 1_003_000_000_000 },
  ];
  for (let i = 0; i < 300; i++) {
    odd.push({ key: `s${i}`, value: `{"i":${i}}`, timestamp: 1_000_000_000_000 + i * 1_000_003 });
  }
  return {
    trades: { messages: trades },
    enriched: { messages: enriched },
    odd: { messages: odd },
    'odd-gzip': { messages: odd, compression: 1 },
  };
}

/** SHA-256 (hex) and length of each case's produce request, encoded by the kafkajs in dir. */
export async function produceCaseDigests(dir: string): Promise<Record<string, string>> {
  const load = createRequire(join(resolve(dir), 'package.json'));
  const produce = load('./src/protocol/requests/produce/v3/request.js') as (args: object) => {
    encode: () => Promise<Encoded>;
  };
  const group = load('./src/producer/groupMessagesPerPartition.js') as Group;
  const createTopicData = load('./src/producer/createTopicData.js') as (
    args: object[],
  ) => TopicData;
  const createPartitioner = load(
    './src/producer/partitioners/default/index.js',
  ) as () => Partitioner;
  const Long = load('./src/utils/long.js') as { fromNumber: (n: number) => unknown };
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1 }));
  const digests: Record<string, string> = {};
  for (const [name, { messages, compression }] of Object.entries(cases())) {
    const messagesPerPartition = group({
      topic: 'cases',
      partitionMetadata,
      messages,
      partitioner: createPartitioner(),
    });
    const topicData = createTopicData([
      {
        topic: 'cases',
        partitions: Object.keys(messagesPerPartition).map(Number),
        messagesPerPartition,
      },
    ]);
    for (const { partitions } of topicData) {
      for (const entry of partitions) entry.firstSequence = 17 * (entry.partition + 1);
    }
    const request = produce({
      acks: -1,
      timeout: 30_000,
      producerId: Long.fromNumber(4242),
      producerEpoch: 3,
      compression: compression ?? 0,
      topicData,
    });
    const { buffer } = await request.encode();
    digests[name] = `${buffer.length}:${createHash('sha256').update(buffer).digest('hex')}`;
  }
  return digests;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: kafkajs-produce-cases.ts <kafkajs dir>');
  console.log(JSON.stringify(await produceCaseDigests(dir), null, 2));
}
