import { z } from 'zod';
import { PartitionWatermarksSchema, TopicNameSchema } from './admin.js';

/**
 * The topic browser's message-volume timeline: messages per time bucket, from Kafka's
 * offsets-for-times (one ListOffsets lookup per bucket edge, never a scan). A bucket's count in
 * a partition is offset(end) - offset(start), where offset(t) is the first offset whose
 * timestamp is at or after t.
 *
 * That is exact when timestamps never go backwards within a partition and every offset is a
 * record. It is approximate otherwise, and `approximate` says when the timeline saw a reason:
 * - 'timestamps-backwards': a record older than one before it (within the batches read at each
 *   partition's start and end), or a record newer than the partition's last one;
 * - 'transaction-markers': transactional batches or commit/abort markers, which take offsets;
 * - 'offset-gaps': offsets missing between records (compaction), so offsets overstate records.
 * It reads only those edge batches, so a backwards step hidden in the middle of a partition, with
 * timestamps still below the last record's, is not seen.
 */

export const TIMELINE_BUCKETS_DEFAULT = 60;
export const TIMELINE_BUCKETS_MAX = 500;
const HOUR_MS = 3_600_000;

const EpochMsSchema = z.number().int().min(0).max(8_640_000_000_000_000);

export const TimelineRangeSchema = z.discriminatedUnion('kind', [
  /**
   * The last `ms` milliseconds up to now (an hour: 3,600,000; a day: 86,400,000), as whole
   * buckets ending with the one that holds now (the oldest partial bucket left out).
   */
  z.object({
    kind: z.literal('last'),
    ms: z
      .number()
      .int()
      .min(1000)
      .max(3660 * 24 * HOUR_MS),
  }),
  /** From each partition's first record to its last: the whole retained range. */
  z.object({ kind: z.literal('all') }),
  /** [from, to) in epoch ms (a range selected on the timeline). */
  z
    .object({ kind: z.literal('between'), from: EpochMsSchema, to: EpochMsSchema })
    .refine((r) => r.from < r.to, { message: 'from must be before to', path: ['to'] }),
]);
export type TimelineRange = z.infer<typeof TimelineRangeSchema>;

export const MessagesTimelineInputSchema = z.object({
  topic: TopicNameSchema,
  /** Absent: every partition. */
  partitions: z.array(z.number().int().min(0).max(1_000_000)).min(1).max(10_000).optional(),
  range: TimelineRangeSchema.default({ kind: 'last', ms: HOUR_MS }),
  /**
   * At most this many buckets; widths are readable (1 s, 5 min, 1 h, ...), edges on multiples of
   * the width, and 'all' / 'between' are rounded outward to them.
   */
  buckets: z.number().int().min(1).max(TIMELINE_BUCKETS_MAX).default(TIMELINE_BUCKETS_DEFAULT),
});
export type MessagesTimelineInput = z.input<typeof MessagesTimelineInputSchema>;

export const TimelineBucketSchema = z.object({
  /** Epoch ms, inclusive. */
  start: z.number().int(),
  /** Epoch ms, exclusive. */
  end: z.number().int(),
  count: z.number().int().min(0),
  /** Counts per partition, in the order of the result's `partitions`. */
  byPartition: z.array(z.number().int().min(0)),
});
export type TimelineBucket = z.infer<typeof TimelineBucketSchema>;

export const ApproximateReasonSchema = z.enum([
  'timestamps-backwards',
  'transaction-markers',
  'offset-gaps',
]);
export type ApproximateReason = z.infer<typeof ApproximateReasonSchema>;

export const TimelinePartitionSchema = PartitionWatermarksSchema.extend({
  /** The timestamp of the partition's first and last record; null when it holds none. */
  firstTimestamp: z.number().int().nullable(),
  lastTimestamp: z.number().int().nullable(),
  /** Why this partition's counts may be approximate (empty: exact). */
  approximate: z.array(ApproximateReasonSchema),
});
export type TimelinePartition = z.infer<typeof TimelinePartitionSchema>;

export const MessagesTimelineSchema = z.object({
  topic: z.string(),
  /** The first bucket's start and the last bucket's end (the range rounded out to bucket edges). */
  from: z.number().int(),
  to: z.number().int(),
  /** Width of every bucket, ms. */
  bucketMs: z.number().int().min(1),
  /** Oldest first; empty when the range holds no time (an empty topic for 'all'). */
  buckets: z.array(TimelineBucketSchema),
  /** Messages in all buckets (for 'all': high - low summed over the partitions). */
  total: z.number().int().min(0),
  /** True when any partition has a reason in its `approximate` list. */
  approximate: z.boolean(),
  partitions: z.array(TimelinePartitionSchema),
  /** Round trips made: each one request per partition leader. */
  requests: z.object({
    offsetLookups: z.number().int().min(0),
    fetches: z.number().int().min(0),
  }),
  elapsedMs: z.number().min(0),
});
export type MessagesTimeline = z.infer<typeof MessagesTimelineSchema>;
