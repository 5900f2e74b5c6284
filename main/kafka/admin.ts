import { AssignerProtocol, type Admin, type ConfigResourceTypes, type Kafka } from 'kafkajs';
import { z } from 'zod';
import {
  ConsumerGroupInfoSchema,
  CreateTopicRequestSchema,
  TopicInfoSchema,
  type ConsumerGroupInfo,
  type CreateTopicRequest,
  type GroupMember,
  type PartitionLag,
  type TopicInfo,
} from '../../contract/admin.js';
import { sleep } from '../net-util.js';
import { createKafka, type KafkaConnection } from './connection.js';
import { describeConnectionFailure, withDeadline, type ProbeFailure } from './probe.js';

export type AdminErrorCode =
  ProbeFailure | 'invalid-request' | 'topic-exists' | 'unknown-topic' | 'timeout' | 'failed';

/** A topic/group administration failure; the message says what happened and what to do. */
export class AdminError extends Error {
  constructor(
    readonly code: AdminErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface AdminCallOptions {
  /** Upper bound for the whole call, connecting included. Default 30 s. */
  timeoutMs?: number;
}

export interface ListTopicsOptions extends AdminCallOptions {
  /** Also list internal topics (__consumer_offsets, __transaction_state, ...). */
  includeInternal?: boolean;
}

/** Kafka's own topics start with "__" (e.g. __consumer_offsets). */
export function isInternalTopic(name: string): boolean {
  return name.startsWith('__');
}

const DEFAULT_TIMEOUT_MS = 30_000;

// ConfigResourceTypes.TOPIC: Node's ESM import of kafkajs (CommonJS) does not see that export.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** Connects an admin client (few retries), runs `work`, disconnects; all within timeoutMs. */
async function withAdmin<T>(
  conn: KafkaConnection,
  what: string,
  options: AdminCallOptions,
  work: (admin: Admin) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let kafka: Kafka;
  try {
    kafka = createKafka(conn, 'volatility-insight-admin', {
      connectionTimeout: 3000,
      authenticationTimeout: 3000,
      requestTimeout: Math.min(timeoutMs, 30_000),
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    });
  } catch (err) {
    const failure = describeConnectionFailure(conn, err);
    throw new AdminError(failure.kind, failure.message);
  }
  const admin = kafka.admin();
  try {
    return await withDeadline(
      (async () => {
        try {
          await admin.connect();
        } catch (err) {
          const failure = describeConnectionFailure(conn, err);
          throw new AdminError(failure.kind, failure.message);
        }
        return work(admin);
      })(),
      timeoutMs,
      () =>
        new AdminError(
          'timeout',
          `${what} did not finish within ${Math.round(timeoutMs / 1000)} s at ${conn.brokers.join(',')}: check that the cluster is healthy`,
        ),
    );
  } catch (err) {
    if (err instanceof AdminError) throw err;
    throw new AdminError('failed', `${what} failed: ${kafkaErrorMessage(err)}`);
  } finally {
    await withDeadline(admin.disconnect(), 2000, () => new Error('disconnect timed out')).catch(
      () => undefined,
    );
  }
}

/** kafkajs aggregate errors hide the per-topic reasons in `errors`. */
function kafkaErrorMessage(err: unknown): string {
  const e = err as { message?: string; errors?: { message?: string }[] };
  const inner = (e.errors ?? []).map((x) => x.message).filter((m): m is string => !!m);
  return inner.length > 0 ? inner.join('; ') : (e.message ?? String(err));
}

const offsetNumber = z
  .string()
  .regex(/^-?\d+$/)
  .transform((s) => Number(s));

const TopicOffsetsSchema = z.array(
  z.object({ partition: z.number().int(), low: offsetNumber, high: offsetNumber }),
);

const TopicMetadataSchema = z.object({
  topics: z.array(
    z.object({
      name: z.string(),
      partitions: z.array(
        z.object({ partitionId: z.number().int(), replicas: z.array(z.number()) }),
      ),
    }),
  ),
});

const DescribeConfigsSchema = z.object({
  resources: z.array(
    z.object({
      resourceName: z.string(),
      configEntries: z.array(
        z.object({ configName: z.string(), configValue: z.string().nullable() }),
      ),
    }),
  ),
});

/**
 * Right after a topic is created (or a broker started), its leader may not be known everywhere
 * yet: retriable errors such as NOT_LEADER_OR_FOLLOWER are retried here for a few seconds,
 * beyond the client's own few retries. The caller's deadline still bounds the whole call.
 */
export async function retryingLeaderErrors<T>(
  work: () => Promise<T>,
  beforeRetry?: () => Promise<void>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      // kafkajs wraps the last retriable error once its own retries run out.
      const e = err as { retriable?: unknown; cause?: { retriable?: unknown } };
      const retriable = e.retriable === true || e.cause?.retriable === true;
      if (!retriable || attempt >= 15) throw err;
      await sleep(Math.min(200 * attempt, 1000));
      await beforeRetry?.().catch(() => undefined);
    }
  }
}

async function watermarks(admin: Admin, topic: string) {
  const offsets = TopicOffsetsSchema.parse(
    await retryingLeaderErrors(() => admin.fetchTopicOffsets(topic)),
  );
  return offsets
    .map(({ partition, low, high }) => ({
      partition,
      low,
      high,
      messages: Math.max(0, high - low),
    }))
    .sort((a, b) => a.partition - b.partition);
}

async function describeTopics(admin: Admin, names: string[]): Promise<TopicInfo[]> {
  if (names.length === 0) return [];
  const metadata = TopicMetadataSchema.parse(
    await retryingLeaderErrors(() => admin.fetchTopicMetadata({ topics: names })),
  );
  const configs = DescribeConfigsSchema.parse(
    await admin.describeConfigs({
      resources: names.map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configNames: ['retention.ms'],
      })),
      includeSynonyms: false,
    }),
  );
  const retention = new Map<string, number | null>();
  for (const r of configs.resources) {
    const value = r.configEntries.find((c) => c.configName === 'retention.ms')?.configValue;
    retention.set(r.resourceName, value != null && /^-?\d+$/.test(value) ? Number(value) : null);
  }
  const topics = await Promise.all(
    metadata.topics.map(async (t) => {
      const partitions = await watermarks(admin, t.name);
      return TopicInfoSchema.parse({
        name: t.name,
        internal: isInternalTopic(t.name),
        partitionCount: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        retentionMs: retention.get(t.name) ?? null,
        partitions,
        messages: partitions.reduce((sum, p) => sum + p.messages, 0),
      });
    }),
  );
  return topics.sort((a, b) => a.name.localeCompare(b.name));
}

/** Topics with partition count, replication factor, retention and per-partition watermarks. */
export async function listTopics(
  conn: KafkaConnection,
  options: ListTopicsOptions = {},
): Promise<TopicInfo[]> {
  return withAdmin(conn, 'listing topics', options, async (admin) => {
    const names = z.array(z.string()).parse(await admin.listTopics());
    return describeTopics(
      admin,
      names.filter((n) => options.includeInternal || !isInternalTopic(n)),
    );
  });
}

/** Creates a topic and returns it as listTopics would; AdminError 'topic-exists' if it exists. */
export async function createTopic(
  conn: KafkaConnection,
  request: CreateTopicRequest,
  options: AdminCallOptions = {},
): Promise<TopicInfo> {
  const parsed = CreateTopicRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'request';
    throw new AdminError(
      'invalid-request',
      `cannot create topic "${request.name}": ${field}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const { name, partitions, replicationFactor, retentionMs } = parsed.data;
  return withAdmin(conn, `creating topic "${name}"`, options, async (admin) => {
    const created = await admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: partitions,
          replicationFactor: replicationFactor ?? -1,
          configEntries:
            retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(retentionMs) }],
        },
      ],
      waitForLeaders: true,
      timeout: 10_000,
    });
    if (!created) {
      throw new AdminError(
        'topic-exists',
        `topic "${name}" already exists: choose another name, or delete it first (topics delete ${name})`,
      );
    }
    const [info] = await describeTopics(admin, [name]);
    if (!info)
      throw new AdminError('failed', `topic "${name}" was created but cannot be described`);
    return info;
  });
}

/** Deletes a topic (the caller has confirmed) and waits until the cluster no longer lists it. */
export async function deleteTopic(
  conn: KafkaConnection,
  name: string,
  options: AdminCallOptions = {},
): Promise<void> {
  if (isInternalTopic(name)) {
    throw new AdminError(
      'invalid-request',
      `"${name}" is an internal Kafka topic; it is not deleted`,
    );
  }
  await withAdmin(conn, `deleting topic "${name}"`, options, async (admin) => {
    const names = z.array(z.string()).parse(await admin.listTopics());
    if (!names.includes(name)) {
      throw new AdminError('unknown-topic', `topic "${name}" does not exist (see: topics list)`);
    }
    await admin.deleteTopics({ topics: [name], timeout: 10_000 });
    for (let i = 0; i < 50; i++) {
      const left = z.array(z.string()).parse(await admin.listTopics());
      if (!left.includes(name)) return;
      await sleep(100);
    }
  });
}

const GroupListSchema = z.object({
  groups: z.array(z.object({ groupId: z.string(), protocolType: z.string() })),
});

const GroupDescriptionsSchema = z.object({
  groups: z.array(
    z.object({
      groupId: z.string(),
      state: z.string(),
      protocolType: z.string(),
      members: z.array(
        z.object({
          memberId: z.string(),
          clientId: z.string(),
          clientHost: z.string(),
          memberAssignment: z.instanceof(Buffer),
        }),
      ),
    }),
  ),
});

const MemberAssignmentSchema = z
  .object({ assignment: z.record(z.string(), z.array(z.number().int())) })
  .nullable();

const GroupOffsetsSchema = z.array(
  z.object({
    topic: z.string(),
    partitions: z.array(z.object({ partition: z.number().int(), offset: offsetNumber })),
  }),
);

function decodeAssignment(buffer: Buffer): GroupMember['assignments'] {
  if (buffer.length === 0) return [];
  const decoded = MemberAssignmentSchema.parse(AssignerProtocol.MemberAssignment.decode(buffer));
  return Object.entries(decoded?.assignment ?? {})
    .map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }))
    .sort((a, b) => a.topic.localeCompare(b.topic));
}

/**
 * Consumer groups with state, members (client id, host, assigned partitions) and lag per
 * partition: committed offset vs high watermark. A partition without a committed offset shows
 * lag = high - low (everything still in the log is unread).
 */
export async function listGroups(
  conn: KafkaConnection,
  options: AdminCallOptions = {},
): Promise<ConsumerGroupInfo[]> {
  return withAdmin(conn, 'listing consumer groups', options, async (admin) => {
    const { groups } = GroupListSchema.parse(await admin.listGroups());
    if (groups.length === 0) return [];
    const described = GroupDescriptionsSchema.parse(
      await admin.describeGroups(groups.map((g) => g.groupId)),
    );
    const allTopics = z
      .array(z.string())
      .parse(await admin.listTopics())
      .filter((n) => !isInternalTopic(n));
    const marks = new Map<string, Awaited<ReturnType<typeof watermarks>>>();
    const topicMarks = async (topic: string) => {
      let m = marks.get(topic);
      if (!m) {
        m = await watermarks(admin, topic);
        marks.set(topic, m);
      }
      return m;
    };

    const result: ConsumerGroupInfo[] = [];
    for (const g of described.groups) {
      const members: GroupMember[] = g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        assignments: decodeAssignment(m.memberAssignment),
      }));
      // Asking for every topic (rather than "all committed") works on every OffsetFetch version;
      // partitions without a commit come back as -1.
      const offsets =
        allTopics.length === 0
          ? []
          : GroupOffsetsSchema.parse(
              await admin.fetchOffsets({ groupId: g.groupId, topics: allTopics }),
            );
      const assigned = new Set(members.flatMap((m) => m.assignments.map((a) => a.topic)));
      const partitions: PartitionLag[] = [];
      for (const t of offsets) {
        const committedAny = t.partitions.some((p) => p.offset >= 0);
        if (!committedAny && !assigned.has(t.topic)) continue;
        const committed = new Map(t.partitions.map((p) => [p.partition, p.offset]));
        for (const w of await topicMarks(t.topic)) {
          const offset = committed.get(w.partition) ?? -1;
          partitions.push(
            offset >= 0
              ? {
                  topic: t.topic,
                  partition: w.partition,
                  committed: offset,
                  low: w.low,
                  high: w.high,
                  lag: Math.max(0, w.high - offset),
                }
              : {
                  topic: t.topic,
                  partition: w.partition,
                  committed: null,
                  low: w.low,
                  high: w.high,
                  lag: w.messages,
                  note: 'no committed offset',
                },
          );
        }
      }
      partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      result.push(
        ConsumerGroupInfoSchema.parse({
          groupId: g.groupId,
          state: g.state,
          protocolType: g.protocolType,
          members,
          partitions,
          totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
        }),
      );
    }
    return result.sort((a, b) => a.groupId.localeCompare(b.groupId));
  });
}
