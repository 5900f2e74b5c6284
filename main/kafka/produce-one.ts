import type { z } from 'zod';
import {
  REPUBLISHED_FROM_HEADER,
  type ProduceMessageSchema,
  type RepublishInputSchema,
  type RepublishResult,
} from '../../contract/messages.js';
import { DeadLetterSchema } from '../../contract/trade.js';
import { BrowseError } from './browse.js';
import { createKafka, type KafkaConnection } from './connection.js';
import { utf8Text } from './decode.js';
import { PartitionReader, ReaderError } from './partition-reader.js';
import { describeConnectionFailure } from './probe.js';

type ProduceArgs = z.output<typeof ProduceMessageSchema>;
type RepublishArgs = z.output<typeof RepublishInputSchema>;

export interface OutMessage {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  partition?: number;
}

/** Sends messages with one short-lived producer (acks all); returns where each landed. */
export async function sendMessages(
  connection: KafkaConnection,
  messages: OutMessage[],
): Promise<{ topic: string; partition: number; offset: number }[]> {
  const kafka = createKafka(connection, 'volatility-insight-browser', {
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect();
  } catch (err) {
    const failure = describeConnectionFailure(connection, err);
    throw new ReaderError(failure.kind, failure.message);
  }
  try {
    const out: { topic: string; partition: number; offset: number }[] = [];
    // One at a time: each reply names its own partition and offset.
    for (const m of messages) {
      const [meta] = await producer.send({
        topic: m.topic,
        acks: -1,
        messages: [
          {
            key: m.key,
            value: m.value,
            headers: m.headers,
            ...(m.partition !== undefined ? { partition: m.partition } : {}),
          },
        ],
      });
      out.push({
        topic: m.topic,
        partition: meta?.partition ?? m.partition ?? 0,
        offset: Number(meta?.baseOffset ?? meta?.offset ?? -1),
      });
    }
    return out;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Produces one message (key, value, headers, optional partition). */
export async function produceOne(
  connection: KafkaConnection,
  args: ProduceArgs,
): Promise<{ topic: string; partition: number; offset: number }> {
  const reader = await PartitionReader.open(connection, args.topic); // unknown topic / partition: a clear error
  try {
    if (args.partition !== undefined) reader.choose([args.partition]);
  } finally {
    await reader.close();
  }
  const value =
    args.value === null
      ? null
      : Buffer.from(args.value, args.valueEncoding === 'base64' ? 'base64' : 'utf8');
  const headers: Record<string, Buffer> = {};
  for (const h of args.headers) headers[h.key] = Buffer.from(h.value, 'utf8');
  const [where] = await sendMessages(connection, [
    {
      topic: args.topic,
      key: args.key === null ? null : Buffer.from(args.key, 'utf8'),
      value,
      headers,
      ...(args.partition !== undefined ? { partition: args.partition } : {}),
    },
  ]);
  return where!;
}

/**
 * Republishes dead letters to the topic they came from: the original key and bytes (or an edited
 * value), with a header naming the dead letter (`x-vi-republished-from: topic/partition/offset`).
 * Every item is read and checked first; nothing is sent unless all of them are dead letters.
 */
export async function republishDeadLetters(
  connection: KafkaConnection,
  args: RepublishArgs,
): Promise<RepublishResult> {
  const reader = await PartitionReader.open(connection, args.topic);
  const outgoing: (OutMessage & { from: string; edited: boolean })[] = [];
  try {
    const partitions = reader.choose([...new Set(args.items.map((i) => i.partition))]);
    const marks = new Map((await reader.watermarks(partitions)).map((w) => [w.partition, w]));
    for (const item of args.items) {
      const from = `${args.topic}/${item.partition}/${item.offset}`;
      const w = marks.get(item.partition)!;
      if (item.offset < w.low || item.offset >= w.high) {
        throw new BrowseError(
          'not-found',
          `no dead letter at ${from}: the partition holds offsets ${w.low} to ${w.high - 1}`,
        );
      }
      const fetched = await reader.fetch(new Map([[item.partition, item.offset]]), {
        maxBytesPerPartition: 8 * 1024 * 1024,
      });
      const raw = fetched
        .get(item.partition)
        ?.records.find((r) => Number(r.offset) === item.offset);
      const text = raw?.value ? utf8Text(raw.value) : null;
      let parsed: ReturnType<typeof DeadLetterSchema.safeParse> | null = null;
      try {
        parsed = text === null ? null : DeadLetterSchema.safeParse(JSON.parse(text));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) {
        throw new BrowseError(
          'not-found',
          `the message at ${from} is not a dead letter of this app`,
        );
      }
      const d = parsed.data;
      const key =
        d.key !== null
          ? Buffer.from(d.key, 'utf8')
          : d.key_base64 !== null
            ? Buffer.from(d.key_base64, 'base64')
            : null;
      const edited = item.value !== undefined;
      outgoing.push({
        topic: d.source_topic,
        key,
        value: edited
          ? Buffer.from(item.value!, 'utf8')
          : d.value_base64 === null
            ? null
            : Buffer.from(d.value_base64, 'base64'),
        headers: { [REPUBLISHED_FROM_HEADER]: Buffer.from(from) },
        from,
        edited,
      });
    }
  } finally {
    await reader.close();
  }
  const sent = await sendMessages(connection, outgoing);
  return {
    republished: sent.map((s, i) => ({
      ...s,
      from: outgoing[i]!.from,
      edited: outgoing[i]!.edited,
    })),
  };
}
