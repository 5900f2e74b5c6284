import type { Kafka, KafkaConfig } from 'kafkajs';
import { createKafka, type KafkaConnection } from './connection.js';
import { describeConnectionFailure } from './probe.js';

/**
 * Reading partitions without a consumer group. kafkajs's consumer always joins a group (and
 * commits), so the browser talks to the partitions' leaders itself: the client's cluster (the
 * same connection pool, metadata, SASL/TLS and retries kafkajs uses for its own consumer) gives
 * ListOffsets (watermarks, offsets-for-times) and Fetch requests for chosen partitions at chosen
 * offsets. No JoinGroup, no OffsetCommit: nothing is left behind on the cluster.
 *
 * kafkajs does not export its cluster; the client keeps a factory under a private symbol
 * ('private:Kafka:createCluster', kafkajs 2.x). Its absence is reported as a clear error.
 */

/** A record as kafkajs's Fetch decoder gives it. */
export interface RawRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | null | undefined>;
  isControlRecord?: boolean;
  batchContext?: { timestampType?: number; firstOffset?: string; lastOffsetDelta?: number };
}

interface FetchPartitionResponse {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStartOffset?: string;
  messages: RawRecord[];
}

interface KafkaBroker {
  fetch(request: {
    replicaId: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: {
      topic: string;
      partitions: { partition: number; fetchOffset: string; maxBytes: number }[];
    }[];
  }): Promise<{ responses: { topicName: string; partitions: FetchPartitionResponse[] }[] }>;
}

interface KafkaCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<KafkaBroker>;
  fetchTopicsOffset(
    topics: {
      topic: string;
      partitions: { partition: number }[];
      fromBeginning?: boolean;
      fromTimestamp?: number;
    }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

export type ReaderErrorCode =
  'unknown-topic' | 'unknown-partition' | 'unreachable' | 'auth-failed' | 'tls-failed' | 'failed';

export class ReaderError extends Error {
  constructor(
    readonly code: ReaderErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReaderError';
  }
}

export interface Watermark {
  partition: number;
  low: number;
  high: number;
}

export interface FetchedPartition {
  partition: number;
  records: RawRecord[];
  /** The offset after the last record or batch seen (control batches included). */
  next: number;
  high: number;
}

const READ_UNCOMMITTED = 0;

function clusterOf(kafka: Kafka, options: { metadataMaxAge?: number } = {}): KafkaCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof factory !== 'function') {
    throw new ReaderError(
      'failed',
      'this kafkajs version does not offer group-less reading (kafkajs 2.x is needed)',
    );
  }
  return (factory as (o: object) => KafkaCluster)({
    metadataMaxAge: options.metadataMaxAge ?? 60_000,
    allowAutoTopicCreation: false,
    isolationLevel: READ_UNCOMMITTED,
  });
}

function errorType(err: unknown): string {
  return (err as { type?: string }).type ?? '';
}

/** One topic's partitions, read by offset without a group. Connect, read, close. */
export class PartitionReader {
  private readonly cluster: KafkaCluster;
  private partitionIds: number[] = [];
  private closed = false;

  private constructor(
    private readonly connection: KafkaConnection,
    readonly topic: string,
    overrides: Partial<KafkaConfig>,
  ) {
    const kafka = createKafka(connection, 'volatility-insight-browser', {
      connectionTimeout: 3000,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      ...overrides,
    });
    this.cluster = clusterOf(kafka);
  }

  static async open(
    connection: KafkaConnection,
    topic: string,
    overrides: Partial<KafkaConfig> = {},
  ): Promise<PartitionReader> {
    const reader = new PartitionReader(connection, topic, overrides);
    try {
      await reader.cluster.connect();
    } catch (err) {
      await reader.cluster.disconnect().catch(() => undefined);
      const failure = describeConnectionFailure(connection, err);
      throw new ReaderError(failure.kind, failure.message);
    }
    try {
      await reader.cluster.addTargetTopic(topic);
      reader.partitionIds = reader.cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
    } catch (err) {
      await reader.close();
      if (/UNKNOWN_TOPIC|does not host this topic/i.test(errorType(err) + (err as Error).message)) {
        throw new ReaderError(
          'unknown-topic',
          `topic "${topic}" does not exist (see the topic list)`,
        );
      }
      throw new ReaderError('failed', `cannot read topic "${topic}": ${(err as Error).message}`);
    }
    if (reader.partitionIds.length === 0) {
      await reader.close();
      throw new ReaderError(
        'unknown-topic',
        `topic "${topic}" does not exist (see the topic list)`,
      );
    }
    return reader;
  }

  get partitions(): number[] {
    return [...this.partitionIds];
  }

  /** Checks chosen partitions exist; absent means all. */
  choose(partitions: number[] | undefined): number[] {
    if (!partitions) return this.partitions;
    const known = new Set(this.partitionIds);
    const missing = partitions.filter((p) => !known.has(p));
    if (missing.length > 0) {
      throw new ReaderError(
        'unknown-partition',
        `topic "${this.topic}" has partitions 0-${this.partitionIds.length - 1}; no partition ${missing.join(', ')}`,
      );
    }
    return [...new Set(partitions)].sort((a, b) => a - b);
  }

  async watermarks(partitions: number[]): Promise<Watermark[]> {
    const [low, high] = await Promise.all([
      this.offsets(partitions, { fromBeginning: true }),
      this.offsets(partitions, { fromBeginning: false }),
    ]);
    return partitions.map((partition) => ({
      partition,
      low: low.get(partition) ?? 0,
      high: high.get(partition) ?? 0,
    }));
  }

  /** Kafka's offsets-for-times: the first offset at or after ts; null where there is none. */
  async offsetsForTime(partitions: number[], ts: number): Promise<Map<number, number | null>> {
    const found = await this.offsets(partitions, { fromTimestamp: ts });
    return new Map(partitions.map((p) => [p, (found.get(p) ?? -1) < 0 ? null : found.get(p)!]));
  }

  private async offsets(
    partitions: number[],
    how: { fromBeginning?: boolean; fromTimestamp?: number },
  ): Promise<Map<number, number>> {
    const result = await this.cluster.fetchTopicsOffset([
      { topic: this.topic, partitions: partitions.map((partition) => ({ partition })), ...how },
    ]);
    const map = new Map<number, number>();
    for (const t of result) for (const p of t.partitions) map.set(p.partition, Number(p.offset));
    return map;
  }

  /**
   * One Fetch per leader for the given partitions at the given offsets. Records before the
   * requested offset (a batch starts earlier) and control records are dropped; `next` moves past
   * everything seen. `maxWaitTime` > 0 long-polls (the tail).
   */
  async fetch(
    positions: Map<number, number>,
    options: {
      maxBytesPerPartition: number;
      maxWaitTime?: number;
      /** Keep whole batches: records before the offset and control records too. */
      raw?: boolean;
    },
  ): Promise<Map<number, FetchedPartition>> {
    const out = new Map<number, FetchedPartition>();
    if (positions.size === 0) return out;
    const byLeader = this.cluster.findLeaderForPartitions(this.topic, [...positions.keys()]);
    await Promise.all(
      Object.entries(byLeader).map(async ([nodeId, partitions]) => {
        const broker = await this.cluster.findBroker({ nodeId });
        const response = await broker.fetch({
          replicaId: -1,
          isolationLevel: READ_UNCOMMITTED,
          maxWaitTime: options.maxWaitTime ?? 0,
          minBytes: options.maxWaitTime ? 1 : 0,
          maxBytes: Math.min(64 * 1024 * 1024, options.maxBytesPerPartition * partitions.length),
          topics: [
            {
              topic: this.topic,
              partitions: partitions.map((partition) => ({
                partition,
                fetchOffset: String(positions.get(partition)!),
                maxBytes: options.maxBytesPerPartition,
              })),
            },
          ],
        });
        for (const t of response.responses) {
          for (const p of t.partitions) {
            const from = positions.get(p.partition)!;
            let next = from;
            const records: RawRecord[] = [];
            for (const m of p.messages) {
              const offset = Number(m.offset);
              if (offset + 1 > next) next = offset + 1;
              const ctx = m.batchContext;
              if (ctx?.firstOffset !== undefined && ctx.lastOffsetDelta !== undefined) {
                const batchEnd = Number(ctx.firstOffset) + ctx.lastOffsetDelta + 1;
                if (batchEnd > next) next = batchEnd;
              }
              if (!options.raw && (offset < from || m.isControlRecord)) continue;
              records.push(m);
            }
            out.set(p.partition, {
              partition: p.partition,
              records,
              next,
              high: Number(p.highWatermark),
            });
          }
        }
      }),
    );
    return out;
  }

  /** After a leader error: the next requests go to the partitions' current leaders. */
  async refreshMetadata(): Promise<void> {
    await this.cluster.refreshMetadata();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.cluster.disconnect().catch(() => undefined);
  }
}

export function isOffsetOutOfRange(err: unknown): boolean {
  return errorType(err) === 'OFFSET_OUT_OF_RANGE';
}
