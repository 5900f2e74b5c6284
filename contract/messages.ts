import { z } from 'zod';
import { PartitionWatermarksSchema, TopicNameSchema } from './admin.js';
import { TOPICS } from './trade.js';

/**
 * The topic browser's contract: reading any topic by offset or time (merged or per partition)
 * with a cursor both ways, filters applied in the core with a scan budget, a live tail delivered
 * coalesced to the view that asked, producing one message, and republishing dead letters.
 */

export const PAGE_SIZE_DEFAULT = 100;
export const PAGE_SIZE_MAX = 1000;
export const SCAN_BUDGET_DEFAULT = 100_000;
/** Bytes of a value shown in a record (the rest via messages.value). */
export const VALUE_CAP_DEFAULT = 16 * 1024;
/** The most messages.value returns of one value. */
export const FULL_VALUE_CAP = 4 * 1024 * 1024;
/** The header that names where a republished dead letter came from: topic/partition/offset. */
export const REPUBLISHED_FROM_HEADER = 'x-vi-republished-from';

const PartitionSchema = z.number().int().min(0).max(1_000_000);
const OffsetSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

// ---- filters ---------------------------------------------------------------------------------

export const FIELD_OPS = ['=', '!=', '>=', '<=', '>', '<', '~'] as const;
export const FieldOpSchema = z.enum(FIELD_OPS);
export type FieldOp = z.infer<typeof FieldOpSchema>;

/** A JSON field test: `symbol = AAPL`, `price > 300`, `trade.venue ~ NY` (dots for nesting). */
export const FieldTestSchema = z.object({
  field: z.string().min(1).max(200),
  op: FieldOpSchema,
  value: z.string().max(1000),
});
export type FieldTest = z.infer<typeof FieldTestSchema>;

/** Every part given must hold (AND). Applied in the core while scanning. */
export const MessageFilterSchema = z.object({
  key: z.object({ op: z.enum(['equals', 'contains']), value: z.string().max(1000) }).optional(),
  /** Text the value (as UTF-8 text) contains. */
  text: z.string().min(1).max(1000).optional(),
  fields: z.array(FieldTestSchema).max(20).default([]),
});
export type MessageFilter = z.input<typeof MessageFilterSchema>;

export class FilterSyntaxError extends Error {}

/**
 * A filter as one line of text, shared by the CLI's --filter and the screen's filter field:
 * clauses joined by `and` (or `&&`); each `FIELD OP VALUE` with OP one of = != > >= < <= ~
 * (~ is "contains"). FIELD `key` tests the message key (= or ~), `value` the value's text (~);
 * any other FIELD is a JSON field of the value. A clause without an operator is text the value
 * contains. VALUE may be quoted ("New York").
 */
export function parseFilterExpression(expression: string): z.output<typeof MessageFilterSchema> {
  const filter: z.output<typeof MessageFilterSchema> = { fields: [] };
  const clauses = expression
    .split(/\s+(?:and|AND)\s+|\s*&&\s*/)
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  for (const clause of clauses) {
    const m = /^([A-Za-z_$][\w$.-]*)\s*(!=|>=|<=|=|>|<|~)\s*(.*)$/.exec(clause);
    if (!m) {
      const text = unquote(clause);
      if (filter.text !== undefined) {
        throw new FilterSyntaxError(`only one text to search for: "${filter.text}" and "${text}"`);
      }
      filter.text = text;
      continue;
    }
    const field = m[1]!;
    const op = m[2] as FieldOp;
    const value = unquote(m[3]!.trim());
    if (value === '' && op !== '=' && op !== '!=') {
      throw new FilterSyntaxError(`"${clause}" has no value after ${op}`);
    }
    if (field === 'key') {
      if (op !== '=' && op !== '~') {
        throw new FilterSyntaxError('the key is tested with = (equals) or ~ (contains)');
      }
      filter.key = { op: op === '=' ? 'equals' : 'contains', value };
    } else if (field === 'value') {
      if (op !== '~') throw new FilterSyntaxError('the value text is tested with ~ (contains)');
      filter.text = value;
    } else {
      filter.fields.push({ field, op, value });
    }
  }
  return MessageFilterSchema.parse(filter);
}

function unquote(s: string): string {
  const m = /^"(.*)"$/.exec(s) ?? /^'(.*)'$/.exec(s);
  return m ? m[1]! : s;
}

/** The filter as the one line parseFilterExpression reads back. */
export function formatFilter(filter: MessageFilter): string {
  const q = (v: string) => (/^\S+$/.test(v) ? v : `"${v}"`);
  const parts: string[] = [];
  if (filter.key)
    parts.push(`key ${filter.key.op === 'equals' ? '=' : '~'} ${q(filter.key.value)}`);
  if (filter.text) parts.push(`value ~ ${q(filter.text)}`);
  for (const f of filter.fields ?? []) parts.push(`${f.field} ${f.op} ${q(f.value)}`);
  return parts.join(' and ');
}

// ---- reading ---------------------------------------------------------------------------------

export const StartSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('newest') }),
  z.object({ kind: z.literal('oldest') }),
  /** The same offset in every chosen partition (clamped to what each still holds). */
  z.object({ kind: z.literal('offset'), offset: OffsetSchema }),
  /** The first record at or after this instant (epoch ms), by Kafka's offsets-for-times. */
  z.object({ kind: z.literal('timestamp'), ts: z.number().int().min(0) }),
]);
export type Start = z.infer<typeof StartSchema>;

export const MessagesReadInputSchema = z.object({
  topic: TopicNameSchema,
  /** Absent: every partition, merged by timestamp (ties by partition, then offset). */
  partitions: z.array(PartitionSchema).min(1).max(10_000).optional(),
  from: StartSchema.default({ kind: 'newest' }),
  /** A page's `older` or `newer` cursor: wins over `from` (and the cursor names the topic). */
  cursor: z.string().min(1).max(1_000_000).optional(),
  limit: z.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  filter: MessageFilterSchema.optional(),
  /** Messages scanned at most for this page; the reply says when it stopped there. */
  scanBudget: z.number().int().min(1).max(10_000_000).default(SCAN_BUDGET_DEFAULT),
  /** Bytes of each value shown (the rest: messages.value). */
  maxValueBytes: z
    .number()
    .int()
    .min(64)
    .max(1024 * 1024)
    .default(VALUE_CAP_DEFAULT),
  /** JSON values pretty-printed (default); false keeps their text as it is (the CLI's lines). */
  pretty: z.boolean().default(true),
});
export type MessagesReadInput = z.input<typeof MessagesReadInputSchema>;

/** Bytes shown as text: JSON (pretty), UTF-8 text, or hex for anything else. */
export const DecodedSchema = z.object({
  encoding: z.enum(['json', 'text', 'binary']),
  /** json: pretty-printed; text: as is; binary: hex bytes. Cut at the byte cap. */
  text: z.string(),
  /** The whole value's size in bytes. */
  bytes: z.number().int().min(0),
  /** The text shows only part of the value. */
  truncated: z.boolean(),
});
export type Decoded = z.infer<typeof DecodedSchema>;

export const DeadLetterViewSchema = z.object({
  reason: z.string(),
  sourceTopic: z.string(),
  sourcePartition: z.number().int(),
  sourceOffset: z.number().int(),
  receivedAt: z.string(),
  key: z.string().nullable(),
  /** The original bytes, decoded like any value; null when the original value was null. */
  original: DecodedSchema.nullable(),
});
export type DeadLetterView = z.infer<typeof DeadLetterViewSchema>;

export const MessageRecordSchema = z.object({
  partition: z.number().int().min(0),
  offset: z.number().int().min(0),
  /** Epoch milliseconds. */
  timestamp: z.number().int(),
  timestampType: z.enum(['create', 'log-append']),
  key: DecodedSchema.nullable(),
  headers: z.array(z.object({ key: z.string(), value: DecodedSchema.nullable() })),
  /** Key, value and header bytes. */
  size: z.number().int().min(0),
  value: DecodedSchema.nullable(),
  /** Present when the value is a dead letter of this app (stock_prices_dlq). */
  deadLetter: DeadLetterViewSchema.optional(),
});
export type MessageRecord = z.infer<typeof MessageRecordSchema>;

export const MessagesPageSchema = z.object({
  topic: z.string(),
  /** Oldest first (merged order); a view shows them newest first if it likes. */
  records: z.array(MessageRecordSchema),
  /** Where the page was read in: 'older' = backwards from newest or an older cursor. */
  direction: z.enum(['older', 'newer']),
  /** Read the page before this one; null when every partition is read back to its start. */
  older: z.string().nullable(),
  /** Read what comes after this page (always: new messages may arrive). */
  newer: z.string(),
  /** False when every partition was read up to its end. */
  hasNewer: z.boolean(),
  scanned: z.number().int().min(0),
  matched: z.number().int().min(0),
  /** Stopped at the scan budget before the page was full: go on with the same direction's cursor. */
  budgetExhausted: z.boolean(),
  partitions: z.array(PartitionWatermarksSchema),
  elapsedMs: z.number().min(0),
});
export type MessagesPage = z.infer<typeof MessagesPageSchema>;

export const MessageRefSchema = z.object({
  topic: TopicNameSchema,
  partition: PartitionSchema,
  offset: OffsetSchema,
});

export const FullValueSchema = z.object({
  /** The value's bytes (up to FULL_VALUE_CAP) as base64; null for a null value. */
  base64: z.string().nullable(),
  bytes: z.number().int().min(0),
  truncated: z.boolean(),
});
export type FullValue = z.infer<typeof FullValueSchema>;

// ---- producing -------------------------------------------------------------------------------

const HeaderInputSchema = z.object({
  key: z.string().min(1).max(1000),
  value: z.string().max(100_000),
});

export const ProduceMessageSchema = z.object({
  topic: TopicNameSchema,
  key: z.string().max(100_000).nullable().default(null),
  /** Text (UTF-8), or base64 bytes with valueEncoding 'base64'; null: a tombstone. */
  value: z
    .string()
    .max(4 * 1024 * 1024)
    .nullable(),
  valueEncoding: z.enum(['text', 'base64']).default('text'),
  headers: z.array(HeaderInputSchema).max(100).default([]),
  /** Absent: the producer's partitioner (by key). */
  partition: PartitionSchema.optional(),
});
export type ProduceMessage = z.input<typeof ProduceMessageSchema>;

export const ProducedSchema = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.number().int(),
});

// ---- tail ------------------------------------------------------------------------------------

export const TailStartSchema = z.object({
  topic: TopicNameSchema,
  partitions: z.array(PartitionSchema).min(1).max(10_000).optional(),
  filter: MessageFilterSchema.optional(),
  maxValueBytes: z
    .number()
    .int()
    .min(64)
    .max(1024 * 1024)
    .default(VALUE_CAP_DEFAULT),
  /** JSON values pretty-printed (default); false keeps their text as it is (the CLI's lines). */
  pretty: z.boolean().default(true),
});
export const TailIdSchema = z.string().min(1).max(100);
export const TailStateSchema = z.enum(['live', 'paused', 'stopped']);
export type TailState = z.infer<typeof TailStateSchema>;

/** Most records one tail event carries; the rest are only counted. */
export const TAIL_RECORDS_PER_EVENT = 200;

export const TailEventSchema = z.object({
  event: z.literal('messages-tail'),
  tailId: TailIdSchema,
  state: TailStateSchema,
  /** The newest records since the last event (oldest first), at most TAIL_RECORDS_PER_EVENT. */
  records: z.array(MessageRecordSchema),
  /** Messages that arrived since the last event (matching the filter), shown or not. */
  arrived: z.number().int().min(0),
  /** While paused: messages that arrived since the pause (not yet read). */
  pending: z.number().int().min(0),
  /** Why the tail stopped, when it failed. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type TailEvent = z.infer<typeof TailEventSchema>;

// ---- dead letters ----------------------------------------------------------------------------

export const RepublishInputSchema = z.object({
  /** The dead-letter topic the items are in. */
  topic: TopicNameSchema.default(TOPICS.deadLetters),
  items: z
    .array(
      z.object({
        partition: PartitionSchema,
        offset: OffsetSchema,
        /** An edited value (text) to send instead of the original bytes. */
        value: z
          .string()
          .max(4 * 1024 * 1024)
          .optional(),
      }),
    )
    .min(1)
    .max(1000),
});
export type RepublishInput = z.input<typeof RepublishInputSchema>;

export const RepublishResultSchema = z.object({
  republished: z.array(
    z.object({
      /** `topic/partition/offset` of the dead letter, as the header says. */
      from: z.string(),
      topic: z.string(),
      partition: z.number().int(),
      offset: z.number().int(),
      edited: z.boolean(),
    }),
  ),
});
export type RepublishResult = z.infer<typeof RepublishResultSchema>;
