import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import type { BrokerSettings, BrokerStatus } from '../contract/broker.js';
import { BrokerListSchema, BrokerSettingsSchema } from '../contract/broker.js';
import type { ErrorCode, ServiceErrorData } from '../contract/errors.js';
import type { EnricherStats, ProducerStats } from '../contract/pipeline.js';
import { ServiceError, type Api } from '../contract/rpc.js';
import {
  COMMANDS,
  isCommandName,
  type BrokerChoice,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type ExportJobResult,
  type JobInfo,
  type JobKind,
  type PipelineStatus,
  type ServiceEvent,
  type ServiceReply,
  type SettingsView,
  type StateSnapshot,
} from '../contract/service.js';
import { detectProviders } from './broker/detect.js';
import { DEFAULT_KAFKA_IMAGE } from './broker/docker.js';
import { BrokerError, type BrokerProvider } from './broker/provider.js';
import { createBrokerProvider } from './broker/registry.js';
import {
  BROKER_SETTINGS_KEY,
  SettingsFileError,
  loadBrokerSettings,
  loadSettingsSection,
  saveBrokerSettings,
  saveSettingsSection,
} from './broker/settings-store.js';
import { ChartReads } from './charts/chart-reads.js';
import { Emitter } from './emitter.js';
import { ExportError } from './export/errors.js';
import { runExport } from './export/export-job.js';
import { startReplay, type ReplayHandle } from './replay/replay-stage.js';
import { DeltaTableError } from './delta/log.js';
import { optimizeTable, vacuumTable } from './delta/maintenance.js';
import { ConcurrentWriterError } from './delta/table-writer.js';
import { startSinkStage } from './sink/sink-stage.js';
import { AdminError, createTopic, deleteTopic, listGroups, listTopics } from './kafka/admin.js';
import { BrowseError, readPage, readValue } from './kafka/browse.js';
import { ReaderError } from './kafka/partition-reader.js';
import { messagesTimeline } from './kafka/timeline.js';
import { produceOne, republishDeadLetters } from './kafka/produce-one.js';
import {
  readStoredDeadLetters,
  readStoredDeadLetterValue,
  republishStoredDeadLetters,
} from './store/dead-letter-query.js';
import { TailManager } from './kafka/tail.js';
import { FilterSyntaxError } from '../contract/messages.js';
import { CaFileError, type KafkaConnection } from './kafka/connection.js';
import { ProbeError, probeCluster } from './kafka/probe.js';
import { appDataDir, defaultDbPath, settingsPath } from './paths.js';
import { startStage, type StageHandle } from './pipeline-stage.js';
import { SavedViewsStore } from './store/saved-views-store.js';

export { ServiceError } from '../contract/rpc.js';

export interface ServiceOptions {
  env?: NodeJS.ProcessEnv;
  settingsFile?: string;
  /** The SQLite database the enrichment writes and exports read (default: VI_DB or VI_HOME's). */
  db?: string;
  /**
   * Bootstrap servers of a plain cluster (no SASL/TLS) that win over the saved broker for
   * every provider; default: KAFKA_BROKERS. A shell's choice, never a view's.
   */
  brokers?: string[];
  /** Broker settings for this service only (a command's flags): saved only by `broker.start` with save. */
  brokerSettings?: BrokerSettings;
  /** OpenWeatherMap: a key for this service (default: OPENWEATHER_API_KEY, then the saved key). */
  weatherApiKey?: string;
  /** OpenWeatherMap endpoint (default: OPENWEATHER_BASE_URL, then the public one). */
  weatherBaseUrl?: string;
  /** Where download exports are written (edge mode); absent: only granted files. */
  downloadDir?: string;
}

export interface CallContext {
  /** The shell itself, not a view: may call `access: 'shell'` commands. */
  trusted: boolean;
  signal: AbortSignal;
  /**
   * The connection (one view) the call came over: events scoped to it (a live tail's) go only
   * there, and what it started (tails) stops when it closes. Absent: a call from nowhere in
   * particular (tests), whose tails live until stopped.
   */
  connection?: { id: string; onClose(listener: () => void): void };
}

/** A service event and the one connection it is for (null: every view). */
export type EventListener = (event: ServiceEvent, connectionId?: string | null) => void;

type Handlers = {
  [N in CommandName]: (
    args: CommandArgs<N>,
    ctx: CallContext,
  ) => Promise<CommandResult<N>> | CommandResult<N>;
};

interface Job {
  info: JobInfo;
  cancel(): void;
  /** Pipeline stages: stop once what is already in the topic is stored (bounded). */
  finish?(): void;
  done: Promise<unknown>;
}

const WEATHER_SECTION = 'weather';
const WeatherSettingsSchema = z.object({ apiKey: z.string().min(1).optional() });
/** How long a pipeline start waits for the broker to answer before saying there is none. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * The one core service: every command of contract/service.ts as a handler, long work as jobs
 * with progress events and cancellation. The CLI, the Electron app and the edge server are thin
 * views over it: `dispatch` is the single entry their transports call with untrusted input.
 */
export class VolatilityService {
  private readonly events = new Emitter<{ event: ServiceEvent }>();
  private readonly scopedEvents = new Emitter<{ event: [ServiceEvent, string] }>();
  private readonly tails = new TailManager((event, connectionId) => {
    if (connectionId === null) this.emit(event);
    else this.scopedEvents.emit('event', [event, connectionId]);
  });
  private readonly tailConnections = new Set<string>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly settingsFile: string;
  private readonly db: string;
  private readonly options: ServiceOptions;
  private readonly jobs = new Map<string, Job>();
  private readonly grants = new Map<string, string>();
  /** Files granted for reading (replay): never usable as an export destination, nor the reverse. */
  private readonly replayGrants = new Map<string, string>();
  private replay: { id: string; handle: ReplayHandle } | null = null;
  private producer: { id: string; stats: ProducerStats | null } | null = null;
  private enricher: { id: string; stats: EnricherStats | null } | null = null;
  private sink: { id: string } | null = null;
  private lastBrokerStatus: BrokerStatus | null = null;
  private brokerJob: string | null = null;
  private readonly charts: ChartReads;
  private readonly views: SavedViewsStore;

  constructor(options: ServiceOptions = {}) {
    this.options = options;
    this.env = options.env ?? process.env;
    this.settingsFile = options.settingsFile ?? settingsPath(this.env);
    this.db = resolve(options.db ?? defaultDbPath(this.env));
    this.charts = new ChartReads(this.db);
    this.views = new SavedViewsStore(this.db);
  }

  /** Every event; a connection-scoped one (a live tail's) names its connection. */
  onEvent(listener: EventListener): () => void {
    const off = this.events.on('event', (event) => listener(event, null));
    const offScoped = this.scopedEvents.on('event', ([event, id]) => listener(event, id));
    return () => {
      off();
      offScoped();
    };
  }

  /** Parses an untrusted call, runs it, and answers with its result or the one error shape. */
  async dispatch(command: unknown, args: unknown, ctx: CallContext): Promise<ServiceReply> {
    if (typeof command !== 'string' || !isCommandName(command)) {
      return fail('invalid-command', `unknown command ${JSON.stringify(command).slice(0, 100)}`);
    }
    const spec = COMMANDS[command];
    if (spec.access === 'shell' && !ctx.trusted) {
      return fail('forbidden', `${command} is only for the app itself, not for a view`);
    }
    const parsed = spec.input.safeParse(args ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return fail('invalid-argument', `${command}: ${where}${issue?.message ?? 'invalid input'}`);
    }
    try {
      const handler = this.handlers[command] as (a: unknown, c: CallContext) => unknown;
      return { ok: true, result: await handler(parsed.data, ctx) };
    } catch (err) {
      return { ok: false, error: toServiceError(err) };
    }
  }

  private readonly handlers: Handlers = {
    'state.get': () => this.snapshot(),
    'jobs.list': () => this.jobList(),
    'job.cancel': ({ jobId }) => this.cancelJob(jobId),

    'settings.get': () => this.settingsView(),
    'settings.update': (args) => {
      if (args.weatherApiKey !== undefined) {
        const apiKey = args.weatherApiKey ?? undefined;
        saveSettingsSection(this.settingsFile, WEATHER_SECTION, apiKey ? { apiKey } : {});
      }
      return this.settingsView();
    },

    'settings.broker': () => this.brokerSettings(),

    'broker.detect': () => detectProviders(this.env),
    'broker.status': async (_args, ctx) => {
      const status = await this.statusProvider().status({ signal: ctx.signal });
      this.noteBrokerStatus(status);
      return status;
    },
    'broker.start': ({ choice, save }) => this.startBrokerJob('broker-start', choice, save),
    'broker.stop': () => this.startBrokerJob('broker-stop'),
    'broker.logs': async ({ lines }) => ({ text: await this.provider().logs(lines) }),
    'broker.reset': ({ confirm }) => {
      const provider = this.provider();
      if (!provider.resetData) {
        throw new ServiceError(
          'not-configured',
          `the ${provider.name} broker's data is managed where the cluster runs, not by this app`,
        );
      }
      if (confirm !== provider.name) {
        throw new ServiceError(
          'invalid-argument',
          `to delete the ${provider.name} broker's data, confirm with its name "${provider.name}"`,
        );
      }
      return this.startBrokerJob('broker-reset');
    },

    'topics.list': ({ includeInternal }) => listTopics(this.connection(), { includeInternal }),
    'topics.create': (topic) => createTopic(this.connection(), topic),
    'topics.delete': async ({ name, confirm }) => {
      if (confirm !== name) {
        throw new ServiceError(
          'invalid-argument',
          `to delete topic "${name}", confirm with its exact name`,
        );
      }
      await deleteTopic(this.connection(), name);
      return { deleted: name };
    },
    'groups.list': () => listGroups(this.connection()),

    'producer.start': async (options) => {
      if (this.producer) throw new ServiceError('conflict', 'the producer is already running');
      if (this.replay) {
        throw new ServiceError('conflict', 'a file is being replayed: stop the replay first');
      }
      const connection = await this.reachableConnection();
      // Another start may have won while this one waited for the broker.
      if (this.producer) throw new ServiceError('conflict', 'the producer is already running');
      return this.startPipelineJob('producer', { ...options, connection });
    },
    'producer.stop': () => this.stopStage('producer'),
    'enricher.start': async (options) => {
      if (this.enricher) {
        throw new ServiceError('conflict', 'the enrichment is already running');
      }
      const connection = await this.reachableConnection();
      if (this.enricher) {
        throw new ServiceError('conflict', 'the enrichment is already running');
      }
      return this.startPipelineJob('enricher', {
        ...options,
        connection,
        db: this.db,
        weather: this.weatherOptions(),
      });
    },
    'enricher.stop': ({ drain }) => this.stopStage('enricher', drain),
    'pipeline.status': () => this.pipelineStatus(),
    'pipeline.stop': () => this.stopPipeline(),

    'series.query': (request) => this.charts.series(request),
    'series.symbols': () => this.charts.symbols(),
    'bars.query': (request) => this.charts.bars(request),
    'alerts.list': () => this.charts.rules(),
    'alerts.add': ({ rule }) => this.charts.addRule(rule),
    'alerts.remove': ({ id }) => this.charts.removeRule(id),
    'alerts.history': (query) => this.charts.history(query),

    'export.start': (request) => this.startExport(request),

    'replay.start': (request) => this.startReplayJob(request),
    'replay.pause': ({ jobId }) => this.controlReplay(jobId, true),
    'replay.resume': ({ jobId }) => this.controlReplay(jobId, false),
    'sink.start': async (args) => {
      if (this.sink) throw new ServiceError('conflict', 'the Delta sink is already running');
      return this.startSink(args, await this.reachableConnection());
    },
    'sink.stop': () => {
      const job = this.sink ? this.jobs.get(this.sink.id) : undefined;
      job?.cancel();
      return { stopping: job !== undefined };
    },
    'sink.optimize': ({ table }) => optimizeTable(this.grantedTable(table)).then((r) => ({ ...r })),
    'sink.vacuum': ({ table, retentionHours }) =>
      vacuumTable(this.grantedTable(table), retentionHours),

    'messages.read': (args, ctx) => readPage(this.connection(), args, { signal: ctx.signal }),
    'messages.value': (ref) => readValue(this.connection(), ref),
    'messages.timeline': (args, ctx) =>
      messagesTimeline(this.connection(), args, { signal: ctx.signal }),
    'messages.produce': (args) => produceOne(this.connection(), args),
    'messages.tail.start': async (args, ctx) => {
      const conn = ctx.connection;
      if (conn && !this.tailConnections.has(conn.id)) {
        this.tailConnections.add(conn.id);
        conn.onClose(() => {
          this.tailConnections.delete(conn.id);
          void this.tails.stopOwnedBy(conn.id);
        });
      }
      const { tailId, partitions } = await this.tails.start(this.connection(), args, {
        connectionId: conn?.id ?? null,
      });
      return {
        tailId,
        partitions: partitions.map((w) => ({ ...w, messages: Math.max(0, w.high - w.low) })),
      };
    },
    'messages.tail.control': async ({ tailId, action }, ctx) => {
      const state = await this.tails.control(tailId, action, ctx.connection?.id ?? null);
      if (state === null) {
        throw new ServiceError('not-found', 'no such live tail for this view: it has stopped');
      }
      return { state };
    },
    'dead-letters.republish': (args) => republishDeadLetters(this.connection(), args),
    'dead-letters.stored': (args) => readStoredDeadLetters(this.db, args),
    'dead-letters.stored-value': ({ id }) => readStoredDeadLetterValue(this.db, id),
    'dead-letters.republish-stored': (args) =>
      republishStoredDeadLetters(this.db, this.connection(), args),

    'views.list': ({ topic }) => this.views.list(topic),
    'views.save': ({ view, replace }) => this.views.save(view, replace),
    'views.rename': ({ from, to }) => this.views.rename(from, to),
    'views.delete': ({ name }) => this.views.delete(name),
    'views.export': (query) => this.views.export(query),
    'views.import': ({ document, onConflict }) => this.views.import(document, onConflict),

    'paths.grant': ({ path, purpose }) => {
      if (purpose === 'replay') return this.grantReplayFile(path);
      if (!isAbsolute(path)) {
        throw new ServiceError(
          'invalid-argument',
          `an export file must be an absolute path: ${path}`,
        );
      }
      const grant = randomUUID();
      this.grants.set(grant, path);
      return { grant };
    },
  };

  // ---- settings and connection -------------------------------------------------------------

  /** The broker settings in force: this service's own, else the saved ones. */
  private brokerSettings(): BrokerSettings {
    return this.options.brokerSettings ?? loadBrokerSettings(this.settingsFile);
  }

  private provider(settings = this.brokerSettings()): BrokerProvider {
    return createBrokerProvider(settings, this.env);
  }

  /**
   * The broker whose status the views should see: the chosen one, unless an address override
   * sends every client elsewhere (`serve --brokers`, KAFKA_BROKERS) — then that plain cluster,
   * or the status bar would show a stopped built-in broker while the stream runs fine.
   */
  private statusProvider(): BrokerProvider {
    const provider = this.provider();
    const override = this.brokersOverride();
    if (!override || override.join(',') === provider.connection().brokers.join(',')) {
      return provider;
    }
    return createBrokerProvider(
      BrokerSettingsSchema.parse({ provider: 'external', external: { brokers: override } }),
      this.env,
    );
  }

  /** An address override: the shell's, else KAFKA_BROKERS; null when the broker's own counts. */
  private brokersOverride(): string[] | null {
    if (this.options.brokers) return this.options.brokers;
    const fromEnv = this.env.KAFKA_BROKERS?.trim();
    if (!fromEnv) return null;
    const list = fromEnv
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const parsed = BrokerListSchema.safeParse(list);
    if (!parsed.success) {
      throw new ServiceError(
        'settings-invalid',
        `KAFKA_BROKERS="${fromEnv}" is not a list of HOST:PORT: fix or unset it`,
      );
    }
    return parsed.data;
  }

  /**
   * How clients reach the broker: an address override names a plain cluster and wins for every
   * provider; otherwise the chosen provider's connection (SASL and TLS included).
   */
  connection(): KafkaConnection {
    const override = this.brokersOverride();
    if (override) return { brokers: override };
    return this.provider().connection();
  }

  /** The connection, once a broker answers on it; else a clear broker-unavailable error. */
  private async reachableConnection(): Promise<KafkaConnection> {
    const connection = this.connection();
    try {
      await probeCluster(connection, PROBE_TIMEOUT_MS);
    } catch (err) {
      const code: ErrorCode =
        err instanceof ProbeError && err.kind !== 'unreachable' ? err.kind : 'broker-unavailable';
      throw new ServiceError(
        code,
        `no Kafka broker answers at ${connection.brokers.join(',')} (${(err as Error).message}): start the broker first, or connect to another one`,
      );
    }
    return connection;
  }

  private settingsView(): SettingsView {
    const settings = this.brokerSettings();
    const external = settings.external;
    return {
      broker: {
        provider: settings.provider,
        providerSaved:
          this.options.brokerSettings !== undefined ||
          loadSettingsSection(this.settingsFile, BROKER_SETTINGS_KEY) !== null,
        jvm: { port: settings.jvm.port },
        docker: {
          port: settings.docker.port,
          image: settings.docker.image ?? this.env.KAFKA_IMAGE ?? DEFAULT_KAFKA_IMAGE,
        },
        external: external
          ? {
              brokers: external.brokers,
              sasl: external.sasl
                ? {
                    mechanism: external.sasl.mechanism,
                    username: external.sasl.username,
                    passwordSet: external.sasl.password.length > 0,
                  }
                : null,
              tls: external.tls
                ? {
                    enabled: external.tls.enabled,
                    customCa: external.tls.caFile !== undefined,
                    insecure: !external.tls.rejectUnauthorized,
                  }
                : null,
            }
          : null,
      },
      connection: this.safeConnectionList(),
      weather: { apiKeySet: this.weatherKey() !== undefined },
      database: this.db,
      downloads: this.options.downloadDir !== undefined,
    };
  }

  private safeConnectionList(): string[] {
    try {
      return this.connection().brokers;
    } catch {
      return [];
    }
  }

  private weatherKey(): string | undefined {
    if (this.options.weatherApiKey) return this.options.weatherApiKey;
    if (this.env.OPENWEATHER_API_KEY) return this.env.OPENWEATHER_API_KEY;
    const saved = WeatherSettingsSchema.safeParse(
      loadSettingsSection(this.settingsFile, WEATHER_SECTION) ?? {},
    );
    return saved.success ? saved.data.apiKey : undefined;
  }

  private weatherOptions(): { apiKey?: string; baseUrl?: string } {
    const apiKey = this.weatherKey();
    const baseUrl = this.options.weatherBaseUrl ?? this.env.OPENWEATHER_BASE_URL;
    return { ...(apiKey ? { apiKey } : {}), ...(baseUrl ? { baseUrl } : {}) };
  }

  /** A view's broker choice laid over the settings in force; the password kept unless given. */
  private applyChoice(
    base: BrokerSettings,
    choice: z.output<(typeof COMMANDS)['broker.start']['input']>['choice'],
  ): BrokerSettings {
    if (!choice) return base;
    const next = structuredClone(base);
    next.provider = choice.provider;
    if (choice.port !== undefined) {
      if (choice.provider === 'jvm') next.jvm.port = choice.port;
      if (choice.provider === 'docker') next.docker.port = choice.port;
    }
    const ext = choice.external;
    if (ext) {
      const saved = base.external;
      let sasl: NonNullable<BrokerSettings['external']>['sasl'];
      if (ext.sasl) {
        const keep =
          saved?.sasl &&
          saved.sasl.username === ext.sasl.username &&
          saved.sasl.mechanism === ext.sasl.mechanism
            ? saved.sasl.password
            : undefined;
        const password = ext.sasl.password ?? keep;
        if (password === undefined) {
          throw new ServiceError(
            'invalid-argument',
            `the SASL password for "${ext.sasl.username}" is needed (none is saved for this login)`,
          );
        }
        sasl = { mechanism: ext.sasl.mechanism, username: ext.sasl.username, password };
      }
      let tls: NonNullable<BrokerSettings['external']>['tls'];
      if (ext.tls) {
        const caFile = ext.tls.caPem ? this.storeCa(ext.tls.caPem) : saved?.tls?.caFile;
        tls = {
          enabled: ext.tls.enabled,
          rejectUnauthorized: !ext.tls.insecure,
          ...(caFile ? { caFile } : {}),
        };
      }
      next.external = {
        brokers: ext.brokers,
        ...(sasl ? { sasl } : {}),
        ...(tls ? { tls } : {}),
      };
    }
    return next;
  }

  /** A CA certificate from a view, kept in the app's data folder under its hash. */
  private storeCa(pem: string): string {
    const dir = join(appDataDir(this.env), 'ca');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${createHash('sha256').update(pem).digest('hex').slice(0, 16)}.pem`);
    writeFileSync(file, pem, { mode: 0o600 });
    return file;
  }

  // ---- jobs --------------------------------------------------------------------------------

  private snapshot(): StateSnapshot {
    return {
      settings: this.settingsView(),
      broker: this.lastBrokerStatus,
      pipeline: this.pipelineStatus(),
      jobs: this.jobList(),
    };
  }

  private jobList(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j.info }));
  }

  private pipelineStatus(): PipelineStatus {
    return {
      producer: this.producer ? { jobId: this.producer.id, stats: this.producer.stats } : null,
      enricher: this.enricher ? { jobId: this.enricher.id, stats: this.enricher.stats } : null,
    };
  }

  private addJob(kind: JobKind, step: string, job: Omit<Job, 'info'>): string {
    const id = randomUUID();
    const info: JobInfo = { id, kind, startedAt: Date.now(), step };
    this.jobs.set(id, { ...job, info });
    this.emit({ event: 'job-started', job: { ...info } });
    return id;
  }

  /**
   * Starts, stops or resets the broker as a job. Starting with a choice saves it once the broker
   * answers (with save): a broker that does not start never becomes the saved default.
   */
  private startBrokerJob(
    kind: 'broker-start' | 'broker-stop' | 'broker-reset',
    choice?: BrokerChoice,
    save = false,
  ): { jobId: string } {
    if (this.brokerJob !== null) {
      throw new ServiceError(
        'conflict',
        'the broker is already starting or stopping: wait for it, or cancel it',
      );
    }
    const base = this.brokerSettings();
    const settings = kind === 'broker-start' ? this.applyChoice(base, choice as never) : base;
    const provider = this.provider(settings);
    const override = this.brokersOverride();
    if (
      kind === 'broker-start' &&
      override &&
      override.join(',') !== provider.connection().brokers.join(',')
    ) {
      throw new ServiceError(
        'conflict',
        `clients are set to connect to ${override.join(',')}, but the ${provider.name} broker would run at ${provider.connection().brokers.join(',')}: connect to that broker instead, or start that one yourself`,
      );
    }
    const abort = new AbortController();
    let id = '';
    const onProgress = (
      progress: Parameters<
        NonNullable<Parameters<BrokerProvider['start']>[0]>['onProgress'] & object
      >[0],
    ) => {
      const job = this.jobs.get(id);
      if (job) job.info.step = progress.step;
      this.emit({ event: 'broker-progress', jobId: id, progress });
    };
    const work = async (): Promise<BrokerStatus> => {
      const call = { signal: abort.signal, onProgress };
      if (kind === 'broker-stop') return provider.stop(call);
      if (kind === 'broker-reset') {
        await provider.resetData!(call);
        return provider.status({ signal: abort.signal });
      }
      const status = await provider.start(call);
      if (save) saveBrokerSettings(settings, this.settingsFile);
      return status;
    };
    const step = {
      'broker-start': 'starting',
      'broker-stop': 'stopping',
      'broker-reset': 'deleting data',
    }[kind];
    const done = Promise.resolve().then(work);
    id = this.addJob(kind, `${provider.name} broker: ${step}`, {
      cancel: () => abort.abort(),
      done,
    });
    this.brokerJob = id;
    done.then(
      (status) => {
        this.brokerJob = null;
        this.noteBrokerStatus(status);
        this.finish(id, { result: status });
      },
      (err: unknown) => {
        this.brokerJob = null;
        this.finish(id, { error: err, cancelled: abort.signal.aborted });
      },
    );
    return { jobId: id };
  }

  private noteBrokerStatus(status: BrokerStatus): void {
    this.lastBrokerStatus = status;
    this.emit({ event: 'broker-status', status });
  }

  private startPipelineJob(
    kind: 'producer',
    request: Parameters<typeof startStage<'produce'>>[1],
  ): { jobId: string };
  private startPipelineJob(
    kind: 'enricher',
    request: Parameters<typeof startStage<'enrich'>>[1],
  ): { jobId: string };
  private startPipelineJob(
    kind: 'producer' | 'enricher',
    request:
      Parameters<typeof startStage<'produce'>>[1] | Parameters<typeof startStage<'enrich'>>[1],
  ): { jobId: string } {
    let id = '';
    const stage: StageHandle<unknown> =
      kind === 'producer'
        ? startStage('produce', request as Parameters<typeof startStage<'produce'>>[1], (stats) => {
            if (this.producer?.id === id) this.producer.stats = stats;
            this.emit({ event: 'producer-stats', jobId: id, stats });
          })
        : startStage(
            'enrich',
            request as Parameters<typeof startStage<'enrich'>>[1],
            (stats) => {
              if (this.enricher?.id === id) this.enricher.stats = stats;
              this.emit({ event: 'enricher-stats', jobId: id, stats });
            },
            (feed) =>
              this.emit(
                feed.type === 'enricher-points'
                  ? { event: 'series-points', points: feed.points }
                  : { event: 'alert-fired', alerts: feed.alerts },
              ),
          );
    let stopped = false;
    id = this.addJob(kind, kind === 'producer' ? 'producing trades' : 'enriching trades', {
      cancel: () => {
        stopped = true;
        stage.stop();
      },
      finish: () => {
        stopped = true;
        stage.stop({ drain: true });
      },
      done: stage.done,
    });
    const clear = () => {
      if (kind === 'producer' && this.producer?.id === id) this.producer = null;
      if (kind === 'enricher' && this.enricher?.id === id) this.enricher = null;
    };
    if (kind === 'producer') this.producer = { id, stats: null };
    else this.enricher = { id, stats: null };
    stage.done.then(
      (result) => {
        clear();
        this.finish(id, { result });
      },
      (err: unknown) => {
        clear();
        this.finish(id, { error: err, cancelled: stopped });
      },
    );
    return { jobId: id };
  }

  private stopStage(kind: 'producer' | 'enricher', drain = false): { stopping: boolean } {
    const running = kind === 'producer' ? this.producer : this.enricher;
    if (!running) return { stopping: false };
    const job = this.jobs.get(running.id);
    if (drain && job?.finish) job.finish();
    else job?.cancel();
    return { stopping: true };
  }

  /**
   * Stops the pipeline without leaving trades behind: the producer flushes and stops first,
   * then the enrichment stores what the producer sent (bounded) and stops.
   */
  private stopPipeline(): { stopping: boolean } {
    const producer = this.producer ? this.jobs.get(this.producer.id) : undefined;
    const enricher = this.enricher ? this.jobs.get(this.enricher.id) : undefined;
    if (!producer && !enricher) return { stopping: false };
    producer?.cancel();
    if (enricher) {
      void (producer?.done ?? Promise.resolve())
        .catch(() => undefined)
        .finally(() => (enricher.finish ?? enricher.cancel)());
    }
    return { stopping: true };
  }

  // ---- replay ------------------------------------------------------------------------------

  private grantReplayFile(path: string): { grant: string } {
    if (!isAbsolute(path)) {
      throw new ServiceError('invalid-argument', `a replay file must be an absolute path: ${path}`);
    }
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      throw new ServiceError('not-found', `${path} does not exist: choose a CSV or Parquet file`);
    }
    if (!stat.isFile()) {
      throw new ServiceError(
        'invalid-argument',
        `${path} is not a file: choose a CSV or Parquet file`,
      );
    }
    const grant = randomUUID();
    this.replayGrants.set(grant, path);
    return { grant };
  }

  private async startReplayJob(request: CommandArgs<'replay.start'>): Promise<{ jobId: string }> {
    const { source, ...options } = request;
    const file = this.replayGrants.get(source.grant);
    if (file === undefined) {
      throw new ServiceError(
        'forbidden',
        'this replay file was not chosen in the app: choose the file again',
      );
    }
    const busy = () => {
      if (this.replay) throw new ServiceError('conflict', 'a replay is already running');
      if (this.producer) {
        throw new ServiceError(
          'conflict',
          'the simulator is producing: stop it before replaying a file',
        );
      }
    };
    busy();
    const connection = await this.reachableConnection();
    busy(); // another start may have won while this one waited for the broker
    let id = '';
    const handle = startReplay(file, options, connection, (progress) => {
      const job = this.jobs.get(id);
      if (job) {
        job.info.step =
          progress.phase === 'replaying' || progress.phase === 'paused'
            ? `${progress.phase}: ${progress.rowsSent} of ${progress.rowsTotal ?? '?'} trades`
            : progress.phase;
      }
      this.emit({ event: 'replay-progress', jobId: id, progress });
    });
    id = this.addJob('replay', `replaying ${basename(file)}`, {
      cancel: () => handle.stop(),
      done: handle.done,
    });
    this.replay = { id, handle };
    handle.done.then(
      (result) => {
        if (this.replay?.id === id) this.replay = null;
        this.finish(id, { result, cancelled: result.stopped });
      },
      (err: unknown) => {
        if (this.replay?.id === id) this.replay = null;
        this.finish(id, {
          error: err,
          cancelled: err instanceof ServiceError && err.code === 'cancelled',
        });
      },
    );
    return { jobId: id };
  }

  private controlReplay(jobId: string, pause: boolean): { paused: boolean } {
    if (this.replay?.id !== jobId) {
      throw new ServiceError('not-found', 'no such replay is running');
    }
    if (pause) this.replay.handle.pause();
    else this.replay.handle.resume();
    return { paused: pause };
  }

  private startExport(request: CommandArgs<'export.start'>): { jobId: string } {
    const { destination, ...selection } = request;
    let out: string;
    let path: string | null = null;
    let downloadId: string | null = null;
    if (destination.kind === 'grant') {
      const granted = this.grants.get(destination.grant);
      if (granted === undefined) {
        throw new ServiceError(
          'forbidden',
          'this export destination was not chosen in the app: choose the file again',
        );
      }
      out = granted;
      path = granted;
    } else {
      if (selection.format === 'delta') {
        throw new ServiceError(
          'invalid-argument',
          'a Delta table is a folder, not a download: choose a folder to export it to',
        );
      }
      if (this.options.downloadDir === undefined) {
        throw new ServiceError(
          'invalid-argument',
          'downloads are only offered by the edge server: choose a file instead',
        );
      }
      downloadId = randomUUID();
      out = join(this.options.downloadDir, downloadId);
    }
    if (sameFile(out, this.db)) {
      throw new ServiceError(
        'invalid-argument',
        'the export would overwrite the database itself: choose another file',
      );
    }
    const abort = new AbortController();
    let id = '';
    const done = runExport(
      { ...selection, out, db: this.db },
      {
        signal: abort.signal,
        onProgress: (progress) => {
          const job = this.jobs.get(id);
          if (job)
            job.info.step = `${progress.phase}: ${progress.rowsDone} of ${progress.rowsTotal} rows`;
          this.emit({ event: 'export-progress', jobId: id, progress });
        },
      },
    ).then((r): ExportJobResult => ({
      format: r.format,
      rows: r.rows,
      bytes: r.bytes,
      elapsedMs: r.elapsedMs,
      rowsPerSec: r.rowsPerSec,
      empty: r.empty,
      fileName: path ? basename(path) : `volatility-insight-export.${r.format}`,
      path,
      downloadId,
    }));
    id = this.addJob('export', 'counting rows', { cancel: () => abort.abort(), done });
    done.then(
      (result) => this.finish(id, { result }),
      (err: unknown) => this.finish(id, { error: err, cancelled: abort.signal.aborted }),
    );
    return { jobId: id };
  }

  /** A Delta table folder the shell granted ('delta-table'); views never name paths. */
  private grantedTable(grant: string): string {
    const path = this.grants.get(grant);
    if (path === undefined) {
      throw new ServiceError(
        'forbidden',
        'this Delta table folder was not chosen in the shell: choose the folder again',
      );
    }
    return path;
  }

  /** The Delta sink as a job (one at a time): progress as `sink-stats`, stop commits first. */
  private startSink(
    args: CommandArgs<'sink.start'>,
    connection: Awaited<ReturnType<VolatilityService['reachableConnection']>>,
  ): { jobId: string } {
    if (this.sink !== null) {
      throw new ServiceError('conflict', 'the Delta sink is already running: stop it first');
    }
    const { table: grant, ...options } = args;
    const table = this.grantedTable(grant);
    let id = '';
    const stage = startSinkStage({ ...options, table, connection }, (stats) => {
      const job = this.jobs.get(id);
      if (job)
        job.info.step = `delta sink: ${stats.state}, version ${stats.version}, ${stats.appended} rows`;
      this.emit({ event: 'sink-stats', jobId: id, stats });
    });
    let stopped = false;
    id = this.addJob('delta-sink', 'delta sink: starting', {
      cancel: () => {
        stopped = true;
        stage.stop();
      },
      done: stage.done,
    });
    this.sink = { id };
    stage.done.then(
      (result) => {
        if (this.sink?.id === id) this.sink = null;
        this.finish(id, { result });
      },
      (err: unknown) => {
        if (this.sink?.id === id) this.sink = null;
        this.finish(id, { error: err, cancelled: stopped });
      },
    );
    return { jobId: id };
  }

  /**
   * Cancels (or, for pipeline stages, stops cleanly) a running job. A job that has already
   * ended is not an error: `cancelled: false` says there was nothing left to stop.
   */
  private cancelJob(jobId: string): { cancelled: boolean } {
    const job = this.jobs.get(jobId);
    if (!job) return { cancelled: false };
    job.cancel();
    return { cancelled: true };
  }

  /**
   * Stops every running job cleanly — the producer first, so the enrichment can still store
   * what it flushed — for a shell that is quitting. Bounded: never longer than timeoutMs.
   */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    const all = async () => {
      await this.tails.stopAll();
      const producer = this.producer ? this.jobs.get(this.producer.id) : undefined;
      producer?.cancel();
      await producer?.done.catch(() => undefined);
      for (const job of this.jobs.values()) job.cancel();
      await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private finish(
    id: string,
    outcome: { result?: unknown; error?: unknown; cancelled?: boolean },
  ): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    const failed = outcome.error !== undefined;
    this.emit({
      event: 'job-finished',
      jobId: id,
      kind: job.info.kind,
      ok: !failed,
      cancelled: outcome.cancelled ?? false,
      error: failed ? toServiceError(outcome.error) : null,
      result: failed ? null : ((outcome.result ?? null) as never),
    });
  }

  private emit(event: ServiceEvent): void {
    this.events.emit('event', event);
  }
}

function fail(code: ErrorCode, message: string): ServiceReply {
  return { ok: false, error: { code, message } };
}

function sameFile(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      try {
        return join(realpathSync(dirname(p)), basename(p));
      } catch {
        return resolve(p);
      }
    }
  };
  const target = real(a);
  const db = real(b);
  return (
    target === db || target === `${db}-wal` || target === `${db}-shm` || target === `${db}-journal`
  );
}

const ADMIN_CODES: Record<string, ErrorCode> = {
  'invalid-request': 'invalid-argument',
  'topic-exists': 'topic-exists',
  'unknown-topic': 'unknown-topic',
  timeout: 'unreachable',
  failed: 'internal',
  'auth-failed': 'auth-failed',
  'tls-failed': 'tls-failed',
  unreachable: 'unreachable',
};

const EXPORT_CODES: Record<string, ErrorCode> = {
  'invalid-request': 'invalid-argument',
  'db-not-found': 'db-not-found',
  'db-error': 'db-error',
  unwritable: 'unwritable',
  'disk-full': 'disk-full',
  cancelled: 'cancelled',
  io: 'io',
};

/** Any failure as the one error shape; unknown errors keep their message under 'internal'. */
export function toServiceError(err: unknown): ServiceErrorData {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ServiceError) return withDetail(err.code, message, err.detail);
  if (err instanceof BrokerError) {
    return withDetail(err.code === 'failed' ? 'broker-failed' : err.code, message, err.detail);
  }
  if (err instanceof AdminError) return { code: ADMIN_CODES[err.code] ?? 'internal', message };
  if (err instanceof ExportError) return { code: EXPORT_CODES[err.code] ?? 'io', message };
  if (err instanceof ProbeError) return { code: err.kind, message };
  if (err instanceof SettingsFileError) return { code: 'settings-invalid', message };
  if (err instanceof CaFileError) return { code: 'tls-failed', message };
  if (err instanceof BrowseError) return { code: err.code, message };
  if (err instanceof FilterSyntaxError) return { code: 'invalid-argument', message };
  if (err instanceof DeltaTableError) return { code: 'invalid-argument', message };
  if (err instanceof ConcurrentWriterError) return { code: 'conflict', message };
  if (err instanceof ReaderError) {
    const code =
      err.code === 'failed'
        ? 'internal'
        : err.code === 'unknown-partition'
          ? 'invalid-argument'
          : err.code;
    return { code, message };
  }
  if (err instanceof z.ZodError) {
    const issue = err.issues[0];
    return {
      code: 'invalid-argument',
      message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? message}`,
    };
  }
  return { code: 'internal', message };
}

function withDetail(
  code: ErrorCode,
  message: string,
  detail: string | undefined,
): ServiceErrorData {
  return detail && detail.trim() ? { code, message, detail } : { code, message };
}

/**
 * The service as an `Api` in the same process (the CLI, tests): the same calls, results and
 * events as over a transport, without one. `trusted` is the CLI's: it may grant file paths.
 */
export function createLocalApi(service: VolatilityService, options: { trusted: boolean }): Api {
  const closeListeners = new Set<(reason: string) => void>();
  const offs = new Set<() => void>();
  const connectionHooks = new Set<() => void>();
  const connection = { id: randomUUID(), onClose: (l: () => void) => void connectionHooks.add(l) };
  let closed = false;
  return {
    async call(command, args, callOptions) {
      if (closed) throw new ServiceError('cancelled', 'the service connection is closed');
      const reply = await service.dispatch(command, args, {
        trusted: options.trusted,
        signal: callOptions?.signal ?? new AbortController().signal,
        connection,
      });
      if (!reply.ok) {
        throw new ServiceError(reply.error.code, reply.error.message, reply.error.detail);
      }
      return COMMANDS[command].result.parse(reply.result) as never;
    },
    onEvent(listener) {
      const off = service.onEvent((event, id) => {
        if (id == null || id === connection.id) listener(event);
      });
      offs.add(off);
      return () => {
        offs.delete(off);
        off();
      };
    },
    onClose(listener) {
      closeListeners.add(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const hook of connectionHooks) hook();
      for (const off of offs) off();
      for (const l of closeListeners) l('closed');
    },
  };
}
