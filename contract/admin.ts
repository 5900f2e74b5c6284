import { z } from 'zod';

/** Kafka's topic name rules: [a-zA-Z0-9._-], at most 249 characters, not '.' or '..'. */
export const TopicNameSchema = z
  .string()
  .min(1, 'a topic name must not be empty')
  .max(249, 'a topic name has at most 249 characters')
  .regex(/^[a-zA-Z0-9._-]+$/, 'a topic name may hold only letters, digits, ".", "_" and "-"')
  .refine((s) => s !== '.' && s !== '..', 'a topic name must not be "." or ".."');

export const PartitionWatermarksSchema = z.object({
  partition: z.number().int().min(0),
  /** Earliest offset still in the log. */
  low: z.number().int().min(0),
  /** Offset the next message will get (log end offset). */
  high: z.number().int().min(0),
  /** high - low: messages still in the partition (approximate on compacted topics). */
  messages: z.number().int().min(0),
});
export type PartitionWatermarks = z.infer<typeof PartitionWatermarksSchema>;

export const TopicInfoSchema = z.object({
  name: z.string(),
  internal: z.boolean(),
  partitionCount: z.number().int().min(0),
  replicationFactor: z.number().int().min(0),
  /** retention.ms; -1 means unlimited; null when the broker did not say. */
  retentionMs: z.number().int().nullable(),
  partitions: z.array(PartitionWatermarksSchema),
  messages: z.number().int().min(0),
});
export type TopicInfo = z.infer<typeof TopicInfoSchema>;

export const CreateTopicRequestSchema = z.object({
  name: TopicNameSchema,
  partitions: z.number().int().min(1).default(1),
  /** Absent: the broker's default.replication.factor. */
  replicationFactor: z.number().int().min(1).optional(),
  retentionMs: z.number().int().min(-1).optional(),
});
export type CreateTopicRequest = z.input<typeof CreateTopicRequestSchema>;

export const GroupMemberSchema = z.object({
  memberId: z.string(),
  clientId: z.string(),
  host: z.string(),
  assignments: z.array(z.object({ topic: z.string(), partitions: z.array(z.number().int()) })),
});
export type GroupMember = z.infer<typeof GroupMemberSchema>;

export const PartitionLagSchema = z.object({
  topic: z.string(),
  partition: z.number().int().min(0),
  /** null: the group has not committed an offset for this partition. */
  committed: z.number().int().nullable(),
  low: z.number().int().min(0),
  high: z.number().int().min(0),
  /** high - committed, or high - low without a committed offset. */
  lag: z.number().int().min(0),
  note: z.string().optional(),
});
export type PartitionLag = z.infer<typeof PartitionLagSchema>;

export const ConsumerGroupInfoSchema = z.object({
  groupId: z.string(),
  /** Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, ... as the broker says. */
  state: z.string(),
  protocolType: z.string(),
  members: z.array(GroupMemberSchema),
  partitions: z.array(PartitionLagSchema),
  totalLag: z.number().int().min(0),
});
export type ConsumerGroupInfo = z.infer<typeof ConsumerGroupInfoSchema>;
