import { z } from 'zod';
import {
  ConsumerGroupInfoSchema,
  CreateTopicRequestSchema,
  PartitionWatermarksSchema,
  TopicInfoSchema,
  TopicNameSchema,
} from './admin.js';
import {
  BrokerListSchema,
  BrokerProgressSchema,
  BrokerProviderNameSchema,
  BrokerSettingsSchema,
  BrokerStatusSchema,
  SaslSettingsSchema,
} from './broker.js';
import {
  RepublishStoredInputSchema,
  StoredDeadLetterRefSchema,
  StoredDeadLettersInputSchema,
  StoredDeadLettersPageSchema,
} from './dead-letters.js';
import { ServiceErrorSchema } from './errors.js';
import {
  EXPORT_RANGE_ERROR,
  ExportFormatSchema,
  ExportProgressSchema,
  ExportSelectionSchema,
  exportRangeIsOrdered,
} from './export.js';
import {
  FullValueSchema,
  MessageRefSchema,
  MessagesPageSchema,
  MessagesReadInputSchema,
  ProduceMessageSchema,
  ProducedSchema,
  RepublishInputSchema,
  RepublishResultSchema,
  TailEventSchema,
  TailIdSchema,
  TailStartSchema,
  TailStateSchema,
} from './messages.js';
import { MessagesTimelineInputSchema, MessagesTimelineSchema } from './timeline.js';
import {
  ImportReportSchema,
  SavedViewSchema,
  SavedViewsDocumentSchema,
  ViewsDeleteInputSchema,
  ViewsExportInputSchema,
  ViewsImportInputSchema,
  ViewsListInputSchema,
  ViewsRenameInputSchema,
  ViewsSaveInputSchema,
} from './saved-views.js';
import {
  REPLAY_RANGE_ERROR,
  ReplayOptionsSchema,
  ReplayProgressSchema,
  ReplayResultSchema,
  replayRangeIsOrdered,
} from './replay.js';
import {
  EnrichRequestSchema,
  EnricherResultSchema,
  EnricherStatsSchema,
  ProduceRequestSchema,
  ProducerResultSchema,
  ProducerStatsSchema,
} from './pipeline.js';
import {
  DeltaSinkOptionsSchema,
  DeltaSinkResultSchema,
  DeltaSinkStatsSchema,
  OptimizeResultSchema,
  VacuumResultSchema,
} from './sink.js';
import {
  AlertRuleInputSchema,
  AlertRuleSchema,
  AlertsHistoryQuerySchema,
  BarsQuerySchema,
  BarsResultSchema,
  FiredAlertSchema,
  LivePointSchema,
  SeriesQuerySchema,
  SeriesResultSchema,
} from './charts.js';

/**
 * Every command a view (CLI, Electron renderer, browser over the edge server) can send to the
 * core service, each with its input and its result schema. The service's handlers are a map
 * typed from COMMANDS, so a command without a handler, or a handler returning the wrong shape,
 * does not compile. Transports parse inputs with these schemas and clients parse results.
 *
 * `access: 'view'` commands are open to every view, including untrusted ones (a renderer, a
 * browser tab). `access: 'shell'` commands are for the process that owns the service (the CLI,
 * Electron's main process): they take file paths chosen by the person, e.g. from a save dialog.
 */

const Empty = z.object({}).strict();
const JobIdSchema = z.string().min(1).max(100);
export const JobRefSchema = z.object({ jobId: JobIdSchema });

export const JobKindSchema = z.enum([
  'broker-start',
  'broker-stop',
  'broker-reset',
  'producer',
  'enricher',
  'export',
  'replay',
  'delta-sink',
]);
export type JobKind = z.infer<typeof JobKindSchema>;

export const JobInfoSchema = z.object({
  id: JobIdSchema,
  kind: JobKindSchema,
  startedAt: z.number(),
  /** A line for a person: what the job is doing now. */
  step: z.string(),
});
export type JobInfo = z.infer<typeof JobInfoSchema>;

// ---- settings, as a view may see and change them -------------------------------------------

const PortSchema = z.number().int().min(1).max(65535);
const PemSchema = z
  .string()
  .max(256 * 1024, 'a CA file is at most 256 KiB')
  .refine((t) => t.includes('-----BEGIN CERTIFICATE-----'), 'not a PEM certificate');

/**
 * Broker settings a view may choose. No paths (data folder, compose file), no image: those are
 * the shell's. The password is write-only: absent keeps the saved one. Turning TLS checks off
 * must be acknowledged explicitly.
 */
export const BrokerChoiceSchema = z
  .object({
    provider: BrokerProviderNameSchema,
    /** The local broker's port (jvm, docker). */
    port: PortSchema.optional(),
    external: z
      .object({
        brokers: BrokerListSchema,
        sasl: z
          .object({
            mechanism: SaslSettingsSchema.shape.mechanism,
            username: z.string().min(1).max(1024),
            password: z.string().min(1).max(4096).optional(),
          })
          .nullable()
          .default(null),
        tls: z
          .object({
            enabled: z.boolean(),
            /** A CA certificate to trust (PEM text); absent keeps the saved one or the system CAs. */
            caPem: PemSchema.optional(),
            /** No certificate check: anyone on the path can pose as the cluster. */
            insecure: z.boolean().default(false),
            acknowledgeInsecure: z.boolean().default(false),
          })
          .refine((t) => !t.insecure || t.acknowledgeInsecure, {
            message:
              'turning certificate checks off must be acknowledged: anyone on the network path could pose as the cluster and read the password',
            path: ['acknowledgeInsecure'],
          })
          .nullable()
          .default(null),
      })
      .optional(),
  })
  .refine((c) => c.provider !== 'external' || c.external !== undefined, {
    message: 'an external cluster needs its bootstrap servers',
    path: ['external'],
  });
export type BrokerChoice = z.input<typeof BrokerChoiceSchema>;

/** The settings as a view sees them: secrets replaced by whether they are set. */
export const SettingsViewSchema = z.object({
  broker: z.object({
    provider: BrokerProviderNameSchema,
    /** False while nobody chose a provider: a view may then suggest broker.detect's. */
    providerSaved: z.boolean(),
    jvm: z.object({ port: PortSchema }),
    docker: z.object({ port: PortSchema, image: z.string() }),
    external: z
      .object({
        brokers: z.array(z.string()),
        sasl: z
          .object({
            mechanism: SaslSettingsSchema.shape.mechanism,
            username: z.string(),
            passwordSet: z.boolean(),
          })
          .nullable(),
        tls: z
          .object({ enabled: z.boolean(), customCa: z.boolean(), insecure: z.boolean() })
          .nullable(),
      })
      .nullable(),
  }),
  /** Where clients connect now (an address override, e.g. KAFKA_BROKERS, wins). */
  connection: z.array(z.string()),
  weather: z.object({ apiKeySet: z.boolean() }),
  /** The SQLite database the enrichment writes and exports read. */
  database: z.string(),
  /** Whether exports can be downloaded (edge mode) rather than saved to a chosen file. */
  downloads: z.boolean(),
});
export type SettingsView = z.infer<typeof SettingsViewSchema>;

export const SettingsUpdateSchema = z
  .object({
    /** A new OpenWeatherMap key; null removes it. Write-only: never read back. */
    weatherApiKey: z.string().min(1).max(256).nullable().optional(),
  })
  .strict();

export const BrokerDetectionSchema = z.object({
  docker: z.object({ available: z.boolean(), detail: z.string() }),
  jvm: z.object({ available: z.boolean(), detail: z.string() }),
  /** Docker where the engine answers (the design card's "manages Docker Kafka"), else jvm. */
  recommended: BrokerProviderNameSchema,
});
export type BrokerDetection = z.infer<typeof BrokerDetectionSchema>;

// ---- pipeline -----------------------------------------------------------------------------

/** The simulator's options: the connection comes from the chosen broker. */
export const ProduceOptionsSchema = ProduceRequestSchema.omit({ connection: true });

/** The enrichment's options a view may set: no database path, no weather endpoint. */
export const EnrichOptionsSchema = EnrichRequestSchema.omit({
  connection: true,
  db: true,
  weather: true,
});

export const PipelineStatusSchema = z.object({
  producer: z.object({ jobId: JobIdSchema, stats: ProducerStatsSchema.nullable() }).nullable(),
  enricher: z.object({ jobId: JobIdSchema, stats: EnricherStatsSchema.nullable() }).nullable(),
});
export type PipelineStatus = z.infer<typeof PipelineStatusSchema>;

const StoppingSchema = z.object({ stopping: z.boolean() });

// ---- export --------------------------------------------------------------------------------

/**
 * Where an export goes: a file the person chose in the shell (granted by `paths.grant`, so a
 * view never names a path), or a download the edge server serves once and deletes.
 */
export const ExportDestinationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('grant'), grant: z.string().min(1).max(100) }),
  z.object({ kind: z.literal('download') }),
]);

export const ExportStartSchema = ExportSelectionSchema.extend({
  destination: ExportDestinationSchema,
}).refine(exportRangeIsOrdered, EXPORT_RANGE_ERROR);
export type ExportStart = z.input<typeof ExportStartSchema>;

export const ExportJobResultSchema = z.object({
  format: ExportFormatSchema,
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  elapsedMs: z.number().nonnegative(),
  rowsPerSec: z.number().nonnegative(),
  empty: z.boolean(),
  /** The file's name (no folder). */
  fileName: z.string(),
  /** The chosen file (grant destinations): the person picked it, so it is theirs to see. */
  path: z.string().nullable(),
  /** Download destinations: GET /api/downloads/<id> on the edge server, served once. */
  downloadId: z.string().nullable(),
});
export type ExportJobResult = z.infer<typeof ExportJobResultSchema>;

// ---- replay (contract/replay.ts) ----------------------------------------------------------

/**
 * A replay's file: one the person chose in the shell (a CLI argument, an open dialog) or
 * uploaded to the edge server, as a grant — a view never names a path.
 */
export const ReplayStartSchema = ReplayOptionsSchema.extend({
  source: z.object({ kind: z.literal('grant'), grant: z.string().min(1).max(100) }),
}).refine(replayRangeIsOrdered, REPLAY_RANGE_ERROR);
export type ReplayStart = z.input<typeof ReplayStartSchema>;

// ---- the state a view needs when it connects ----------------------------------------------

export const StateSnapshotSchema = z.object({
  settings: SettingsViewSchema,
  broker: BrokerStatusSchema.nullable(),
  pipeline: PipelineStatusSchema,
  jobs: z.array(JobInfoSchema),
});
export type StateSnapshot = z.infer<typeof StateSnapshotSchema>;

// ---- the command map ---------------------------------------------------------------------

/** A command's schemas. Inputs are strict: a key the command does not know is an error. */
function command<I extends z.ZodObject, R extends z.ZodType>(
  input: I,
  result: R,
  access: 'view' | 'shell' = 'view',
) {
  return { input: input.strict() as I, result, access } as const;
}

export const COMMANDS = {
  'state.get': command(Empty, StateSnapshotSchema),
  'jobs.list': command(Empty, z.array(JobInfoSchema)),
  'job.cancel': command(z.object({ jobId: JobIdSchema }), z.object({ cancelled: z.boolean() })),

  'settings.get': command(Empty, SettingsViewSchema),
  'settings.update': command(SettingsUpdateSchema, SettingsViewSchema),
  /**
   * The broker settings in force, password included: for the shell that lays its own one-off
   * settings (the CLI's flags) over them. Never a view's: views get `settings.get`.
   */
  'settings.broker': command(Empty, BrokerSettingsSchema, 'shell'),

  'broker.detect': command(Empty, BrokerDetectionSchema),
  'broker.status': command(Empty, BrokerStatusSchema),
  /**
   * Starts the broker (a job; an already running broker finishes it at once). With `choice`,
   * that provider is started, and saved as the default once it answers (`save`, default true).
   */
  'broker.start': command(
    z.object({ choice: BrokerChoiceSchema.optional(), save: z.boolean().default(true) }),
    JobRefSchema,
  ),
  'broker.stop': command(Empty, JobRefSchema),
  'broker.logs': command(
    z.object({ lines: z.number().int().min(1).max(10_000).default(200) }),
    z.object({ text: z.string() }),
  ),
  /** Deletes the local broker's data; `confirm` must be the provider's name, as typed by a person. */
  'broker.reset': command(z.object({ confirm: z.string().max(100) }), JobRefSchema),

  'topics.list': command(
    z.object({ includeInternal: z.boolean().default(false) }),
    z.array(TopicInfoSchema),
  ),
  'topics.create': command(CreateTopicRequestSchema, TopicInfoSchema),
  /** `confirm` must repeat the topic's name, as typed by a person. */
  'topics.delete': command(
    z.object({ name: TopicNameSchema, confirm: z.string().max(300) }),
    z.object({ deleted: z.string() }),
  ),
  'groups.list': command(Empty, z.array(ConsumerGroupInfoSchema)),

  'producer.start': command(ProduceOptionsSchema, JobRefSchema),
  'producer.stop': command(Empty, StoppingSchema),
  'enricher.start': command(EnrichOptionsSchema, JobRefSchema),
  /** drain: first store what is already in the topic (bounded). */
  'enricher.stop': command(z.object({ drain: z.boolean().default(false) }), StoppingSchema),
  'pipeline.status': command(Empty, PipelineStatusSchema),
  /** Stops the producer (it flushes), then the enrichment once it stored what was produced. */
  'pipeline.stop': command(Empty, StoppingSchema),

  // ---- charts and alerts (contract/charts.ts) --------------------------------------------
  /** Stored series, at most maxPoints per series (downsampled keeping each bucket's extremes). */
  'series.query': command(SeriesQuerySchema, SeriesResultSchema),
  /** Symbols with stored trades. */
  'series.symbols': command(Empty, z.array(z.string())),
  /** One-minute OHLCV bars with VWAP and Parkinson (merged into wider bars past maxBars). */
  'bars.query': command(BarsQuerySchema, BarsResultSchema),
  'alerts.list': command(Empty, z.array(AlertRuleSchema)),
  'alerts.add': command(z.object({ rule: AlertRuleInputSchema }), AlertRuleSchema),
  'alerts.remove': command(z.object({ id: z.number().int() }), z.object({ removed: z.boolean() })),
  /** Fired alerts, newest first. */
  'alerts.history': command(AlertsHistoryQuerySchema, z.array(FiredAlertSchema)),

  'export.start': command(ExportStartSchema, JobRefSchema),

  /** Replays a granted file's trades into a topic (a job: progress, pause, resume, cancel). */
  'replay.start': command(ReplayStartSchema, JobRefSchema),
  'replay.pause': command(JobRefSchema, z.object({ paused: z.boolean() })),
  'replay.resume': command(JobRefSchema, z.object({ paused: z.boolean() })),

  // ---- Delta Lake (contract/sink.ts): the table folder is a shell's grant ('delta-table')
  /** The exactly-once sink from the enriched topic into a Delta table, as a job. */
  'sink.start': command(
    DeltaSinkOptionsSchema.extend({ table: z.string().min(1).max(100) }),
    JobRefSchema,
  ),
  /** Stops the sink; it commits what it has read first. */
  'sink.stop': command(Empty, StoppingSchema),
  /** Compacts small files (remove + add, dataChange false); the rows stay the same. */
  'sink.optimize': command(z.object({ table: z.string().min(1).max(100) }), OptimizeResultSchema),
  /** Deletes files the table no longer references, past the retention. */
  'sink.vacuum': command(
    z.object({
      table: z.string().min(1).max(100),
      retentionHours: z.number().min(0).max(100_000).default(168),
    }),
    VacuumResultSchema,
  ),

  // ---- topic browser (contract/messages.ts): reads create no consumer group, commit nothing
  /** A page of a topic from newest, oldest, an offset, a time or a page's cursor. */
  'messages.read': command(MessagesReadInputSchema, MessagesPageSchema),
  /** The whole value of one record (up to 4 MiB), base64. */
  'messages.value': command(MessageRefSchema, FullValueSchema),
  /** Messages per time bucket by offsets-for-times (contract/timeline.ts): no scan, no group. */
  'messages.timeline': command(MessagesTimelineInputSchema, MessagesTimelineSchema),
  'messages.produce': command(ProduceMessageSchema, ProducedSchema),
  /** A live tail for the calling view only: `messages-tail` events, stopped when it closes. */
  'messages.tail.start': command(
    TailStartSchema,
    z.object({ tailId: TailIdSchema, partitions: z.array(PartitionWatermarksSchema) }),
  ),
  'messages.tail.control': command(
    z.object({ tailId: TailIdSchema, action: z.enum(['pause', 'resume', 'stop']) }),
    z.object({ state: TailStateSchema }),
  ),
  /** Dead letters back to their source topic (as they were or edited), with a header naming them. */
  'dead-letters.republish': command(RepublishInputSchema, RepublishResultSchema),
  /** Dead letters the enrichment stored in SQLite (the whole original value), newest first. */
  'dead-letters.stored': command(StoredDeadLettersInputSchema, StoredDeadLettersPageSchema),
  /** The whole value of one stored dead letter (up to 4 MiB), base64. */
  'dead-letters.stored-value': command(StoredDeadLetterRefSchema, FullValueSchema),
  /** Stored dead letters back to their source topic (whole value or edited), header sqlite:dead_letters/ID. */
  'dead-letters.republish-stored': command(RepublishStoredInputSchema, RepublishResultSchema),

  // ---- saved views (contract/saved-views.ts): in the app's database, shared as JSON documents
  /** Views of one topic, or of all (by topic), sorted by name. */
  'views.list': command(ViewsListInputSchema, z.array(SavedViewSchema)),
  /** Saves a view; an existing name is refused (view-exists) unless `replace`. */
  'views.save': command(ViewsSaveInputSchema, SavedViewSchema),
  'views.rename': command(ViewsRenameInputSchema, SavedViewSchema),
  'views.delete': command(ViewsDeleteInputSchema, z.object({ deleted: z.string() })),
  /** The portable document of the named views, or all (of a topic). */
  'views.export': command(ViewsExportInputSchema, SavedViewsDocumentSchema),
  /** Imports a document's valid views; invalid ones, and name conflicts, are in the report. */
  'views.import': command(ViewsImportInputSchema, ImportReportSchema),

  /** A file the person chose (a save dialog, a CLI argument), as a grant a view can name. */
  'paths.grant': command(
    z.object({
      path: z.string().min(1).max(4096),
      purpose: z.enum(['export', 'delta-table', 'replay']),
    }),
    z.object({ grant: z.string() }),
    'shell',
  ),
} as const;

export type Commands = typeof COMMANDS;
export type CommandName = keyof Commands;
export type ViewCommandName = {
  [N in CommandName]: Commands[N]['access'] extends 'view' ? N : never;
}[CommandName];
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>;
export type CommandArgs<N extends CommandName> = z.output<Commands[N]['input']>;
export type CommandResult<N extends CommandName> = z.output<Commands[N]['result']>;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

// ---- events ------------------------------------------------------------------------------

/** The result a finished job carries, by kind. */
export const JOB_RESULT_SCHEMAS = {
  'broker-start': BrokerStatusSchema,
  'broker-stop': BrokerStatusSchema,
  'broker-reset': BrokerStatusSchema,
  producer: ProducerResultSchema,
  enricher: EnricherResultSchema,
  export: ExportJobResultSchema,
  replay: ReplayResultSchema,
  'delta-sink': DeltaSinkResultSchema,
} as const satisfies Record<JobKind, z.ZodType>;
export type JobResult<K extends JobKind> = z.output<(typeof JOB_RESULT_SCHEMAS)[K]>;

/**
 * Everything the service tells its views, as it happens. Stats and progress are already
 * coalesced (a few a second at most), never one event per trade.
 */
export const ServiceEventSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('job-started'), job: JobInfoSchema }),
  z.object({ event: z.literal('producer-stats'), jobId: JobIdSchema, stats: ProducerStatsSchema }),
  z.object({ event: z.literal('enricher-stats'), jobId: JobIdSchema, stats: EnricherStatsSchema }),
  z.object({
    event: z.literal('broker-progress'),
    jobId: JobIdSchema,
    progress: BrokerProgressSchema,
  }),
  z.object({
    event: z.literal('export-progress'),
    jobId: JobIdSchema,
    progress: ExportProgressSchema,
  }),
  z.object({
    event: z.literal('replay-progress'),
    jobId: JobIdSchema,
    progress: ReplayProgressSchema,
  }),
  z.object({ event: z.literal('broker-status'), status: BrokerStatusSchema }),
  z.object({ event: z.literal('sink-stats'), jobId: JobIdSchema, stats: DeltaSinkStatsSchema }),
  /** The enrichment's newest points per symbol, coalesced (a few events a second at most). */
  z.object({ event: z.literal('series-points'), points: z.array(LivePointSchema) }),
  /** Alerts the enrichment fired and stored. */
  z.object({ event: z.literal('alert-fired'), alerts: z.array(FiredAlertSchema) }),
  /** A live tail's records, only to the view that started it. */
  TailEventSchema,
  z.object({
    event: z.literal('job-finished'),
    jobId: JobIdSchema,
    kind: JobKindSchema,
    ok: z.boolean(),
    cancelled: z.boolean(),
    error: ServiceErrorSchema.nullable(),
    result: z
      .union([
        BrokerStatusSchema,
        ProducerResultSchema,
        EnricherResultSchema,
        ExportJobResultSchema,
        ReplayResultSchema,
        DeltaSinkResultSchema,
      ])
      .nullable(),
  }),
]);
export type ServiceEvent = z.infer<typeof ServiceEventSchema>;
export type JobFinishedEvent = Extract<ServiceEvent, { event: 'job-finished' }>;

/** The answer to a command: its result, or the one error shape. */
export const ServiceReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: ServiceErrorSchema }),
]);
export type ServiceReply = z.infer<typeof ServiceReplySchema>;
