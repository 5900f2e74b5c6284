import { z } from 'zod';
import { CreateTopicRequestSchema, TopicNameSchema } from './admin.js';
import { BrokerProgressSchema, BrokerSettingsSchema } from './broker.js';
import { ExportProgressSchema, ExportRequestSchema, ExportResultSchema } from './export.js';
import {
  EnrichRequestSchema,
  EnricherStatsSchema,
  ProduceRequestSchema,
  ProducerStatsSchema,
} from './pipeline.js';

/**
 * Every command a view (CLI, Electron renderer, browser over the edge server) can send to the
 * core service. Adapters parse with this schema; the service routes on `command`.
 * Connections are not part of a command: the service takes them from the chosen broker.
 */
export const ProduceOptionsSchema = ProduceRequestSchema.omit({ connection: true });
export const EnrichOptionsSchema = EnrichRequestSchema.omit({ connection: true, db: true }).extend({
  db: z.string().min(1).optional(),
});

export const ServiceCommandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('broker.status') }),
  z.object({ command: z.literal('broker.start') }),
  z.object({ command: z.literal('broker.stop') }),
  z.object({
    command: z.literal('broker.logs'),
    lines: z.number().int().min(1).max(10_000).default(100),
  }),
  z.object({ command: z.literal('broker.reset'), confirm: z.literal(true) }),
  z.object({ command: z.literal('settings.get') }),
  z.object({ command: z.literal('settings.set'), broker: BrokerSettingsSchema }),
  z.object({ command: z.literal('topics.list'), includeInternal: z.boolean().default(false) }),
  z.object({ command: z.literal('topics.create'), topic: CreateTopicRequestSchema }),
  z.object({
    command: z.literal('topics.delete'),
    name: TopicNameSchema,
    confirm: z.literal(true),
  }),
  z.object({ command: z.literal('groups.list') }),
  z.object({ command: z.literal('producer.start'), options: ProduceOptionsSchema }),
  z.object({ command: z.literal('producer.stop') }),
  z.object({ command: z.literal('enricher.start'), options: EnrichOptionsSchema }),
  z.object({ command: z.literal('enricher.stop') }),
  z.object({ command: z.literal('pipeline.status') }),
  z.object({ command: z.literal('export.start'), request: ExportRequestSchema }),
  z.object({ command: z.literal('job.cancel'), jobId: z.string().min(1) }),
]);
export type ServiceCommand = z.input<typeof ServiceCommandSchema>;
export type ServiceCommandName = ServiceCommand['command'];

export const JobKindSchema = z.enum(['producer', 'enricher', 'export']);

/** Everything the service tells its views, in order, as it happens. */
export const ServiceEventSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('producer-stats'), stats: ProducerStatsSchema }),
  z.object({ event: z.literal('enricher-stats'), stats: EnricherStatsSchema }),
  z.object({ event: z.literal('broker-progress'), progress: BrokerProgressSchema }),
  z.object({
    event: z.literal('job-progress'),
    jobId: z.string(),
    kind: z.literal('export'),
    progress: ExportProgressSchema,
  }),
  z.object({
    event: z.literal('job-finished'),
    jobId: z.string(),
    kind: JobKindSchema,
    ok: z.boolean(),
    cancelled: z.boolean(),
    error: z.string().nullable(),
    result: z.union([ExportResultSchema, z.record(z.string(), z.unknown())]).nullable(),
  }),
]);
export type ServiceEvent = z.infer<typeof ServiceEventSchema>;

/** The answer to a command: its result, or a message that says what went wrong and what to do. */
export const ServiceReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.string(), code: z.string().nullable() }),
]);
export type ServiceReply = z.infer<typeof ServiceReplySchema>;
