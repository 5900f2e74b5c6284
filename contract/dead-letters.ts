import { z } from 'zod';
import { TopicNameSchema } from './admin.js';
import { DecodedSchema, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, VALUE_CAP_DEFAULT } from './messages.js';
import { TOPICS } from './trade.js';

/**
 * Dead letters as the enrichment stored them in SQLite (the `dead_letters` table): the whole
 * original value, where the DLQ topic's record holds at most 256 KiB of it. Read-only; a database
 * that does not exist yet is an empty page.
 */

const IdSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const StoredDeadLettersInputSchema = z.object({
  /** A page's `older` cursor: rows with a smaller id (newest first). */
  before: IdSchema.optional(),
  limit: z.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  /** Text the reason contains (case-insensitive). */
  reason: z.string().min(1).max(1000).optional(),
  /** Bytes of each value shown (the rest: dead-letters.stored-value). */
  maxValueBytes: z
    .number()
    .int()
    .min(64)
    .max(1024 * 1024)
    .default(VALUE_CAP_DEFAULT),
});
export type StoredDeadLettersInput = z.input<typeof StoredDeadLettersInputSchema>;

export const StoredDeadLetterSchema = z.object({
  id: z.number().int(),
  sourcePartition: z.number().int(),
  sourceOffset: z.number().int(),
  reason: z.string(),
  /** When the enrichment received it, epoch ms. */
  receivedAt: z.number().int(),
  key: z.string().nullable(),
  /** The whole original value's size in bytes. */
  bytes: z.number().int().min(0),
  /** The original value decoded like any value (cut at maxValueBytes); null for a null value. */
  value: DecodedSchema.nullable(),
});
export type StoredDeadLetter = z.infer<typeof StoredDeadLetterSchema>;

export const StoredDeadLettersPageSchema = z.object({
  /** Newest first (descending id). */
  rows: z.array(StoredDeadLetterSchema),
  /** Pass as `before` for the next (older) page; null when there are no older rows. */
  older: z.number().int().nullable(),
  /** False when the database does not exist yet. */
  exists: z.boolean(),
});
export type StoredDeadLettersPage = z.infer<typeof StoredDeadLettersPageSchema>;

export const StoredDeadLetterRefSchema = z.object({ id: IdSchema });

export const RepublishStoredInputSchema = z.object({
  /** The topic the dead letters came from (the enrichment's input). */
  topic: TopicNameSchema.default(TOPICS.trades),
  items: z
    .array(
      z.object({
        id: IdSchema,
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
export type RepublishStoredInput = z.input<typeof RepublishStoredInputSchema>;

/** The `x-vi-republished-from` value of a dead letter republished from the database. */
export function storedDeadLetterRef(id: number): string {
  return `sqlite:dead_letters/${id}`;
}
