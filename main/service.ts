import { randomUUID } from 'node:crypto';
import type { BrokerSettings } from '../contract/broker.js';
import type { ExportRequest } from '../contract/export.js';
import type { EnricherStats, ProducerStats } from '../contract/pipeline.js';
import {
  EnrichOptionsSchema,
  ProduceOptionsSchema,
  ServiceCommandSchema,
  type ServiceEvent,
  type ServiceReply,
} from '../contract/service.js';
import type { z } from 'zod';
import { createBrokerProvider } from './broker/registry.js';
import { loadBrokerSettings, saveBrokerSettings } from './broker/settings-store.js';
import type { BrokerProvider } from './broker/provider.js';
import { Emitter } from './emitter.js';
import { runExport } from './export/export-job.js';
import { createTopic, deleteTopic, listGroups, listTopics } from './kafka/admin.js';
import type { KafkaConnection } from './kafka/connection.js';
import { defaultDbPath, settingsPath } from './paths.js';
import { startStage, type StageHandle } from './pipeline-stage.js';

export interface ServiceOptions {
  env?: NodeJS.ProcessEnv;
  settingsFile?: string;
  /** Overrides the chosen broker's address (the CLI's --brokers). */
  connection?: KafkaConnection;
}

interface Job {
  kind: 'producer' | 'enricher' | 'export';
  cancel(): void;
  /** Pipeline stages: stop once what is already in the topic is processed (bounded). */
  finish?(): void;
  done: Promise<unknown>;
}

/**
 * The one core service: every capability as a plain method, long work as jobs with progress
 * events and cancellation. The CLI, the Electron app and the edge server are thin views over it;
 * `dispatch` is the single entry their transports call with untrusted input.
 */
export class VolatilityService {
  readonly events = new Emitter<{ event: ServiceEvent }>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly settingsFile: string;
  private readonly connectionOverride: KafkaConnection | undefined;
  private readonly jobs = new Map<string, Job>();
  private producer: { id: string; stats: ProducerStats | null } | null = null;
  private enricher: { id: string; stats: EnricherStats | null } | null = null;

  constructor(options: ServiceOptions = {}) {
    this.env = options.env ?? process.env;
    this.settingsFile = options.settingsFile ?? settingsPath(this.env);
    this.connectionOverride = options.connection;
  }

  /** Parses an untrusted command, runs it, and answers with its result or a readable error. */
  async dispatch(raw: unknown): Promise<ServiceReply> {
    const parsed = ServiceCommandSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        error: `invalid command: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'}`,
        code: 'invalid-command',
      };
    }
    try {
      return { ok: true, result: await this.run(parsed.data) };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return {
        ok: false,
        error: err instanceof Error ? err.message : String(err),
        code: typeof code === 'string' ? code : null,
      };
    }
  }

  private async run(c: z.infer<typeof ServiceCommandSchema>): Promise<unknown> {
    switch (c.command) {
      case 'broker.status':
        return this.broker().status();
      case 'broker.start':
        return this.broker().start({
          onProgress: (progress) => this.emit({ event: 'broker-progress', progress }),
        });
      case 'broker.stop':
        return this.broker().stop({
          onProgress: (progress) => this.emit({ event: 'broker-progress', progress }),
        });
      case 'broker.logs':
        return this.broker().logs(c.lines);
      case 'broker.reset': {
        const provider = this.broker();
        if (!provider.resetData)
          throw new Error(`the ${provider.name} provider has no data to reset`);
        await provider.resetData();
        return null;
      }
      case 'settings.get':
        return this.settings();
      case 'settings.set':
        return saveBrokerSettings(c.broker, this.settingsFile);
      case 'topics.list':
        return listTopics(this.connection(), { includeInternal: c.includeInternal });
      case 'topics.create':
        return createTopic(this.connection(), c.topic);
      case 'topics.delete':
        await deleteTopic(this.connection(), c.name);
        return null;
      case 'groups.list':
        return listGroups(this.connection());
      case 'producer.start':
        return this.startProducer(c.options);
      case 'producer.stop':
        return this.stopStage('producer');
      case 'enricher.start':
        return this.startEnricher(c.options);
      case 'enricher.stop':
        return this.stopStage('enricher');
      case 'pipeline.status':
        return this.pipelineStatus();
      case 'export.start':
        return { jobId: this.startExport(c.request) };
      case 'job.cancel':
        return this.cancelJob(c.jobId);
    }
  }

  settings(): BrokerSettings {
    return loadBrokerSettings(this.settingsFile);
  }

  broker(): BrokerProvider {
    return createBrokerProvider(this.settings(), this.env);
  }

  /** How clients reach the chosen broker; KAFKA_BROKERS overrides a local provider's address. */
  connection(): KafkaConnection {
    if (this.connectionOverride) return this.connectionOverride;
    const provider = this.broker();
    const fromEnv = this.env.KAFKA_BROKERS;
    if (provider.name !== 'external' && fromEnv) {
      return {
        brokers: fromEnv
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    }
    return provider.connection();
  }

  startProducer(options: z.input<typeof ProduceOptionsSchema>): { jobId: string } {
    if (this.producer) throw new Error('the producer is already running: stop it first');
    const request = { ...ProduceOptionsSchema.parse(options), connection: this.connection() };
    const id = randomUUID();
    const stage = startStage('produce', request, (stats) => {
      if (this.producer?.id === id) this.producer.stats = stats;
      this.emit({ event: 'producer-stats', stats });
    });
    this.producer = { id, stats: null };
    this.track(id, 'producer', stage, () => (this.producer = null));
    return { jobId: id };
  }

  startEnricher(options: z.input<typeof EnrichOptionsSchema>): { jobId: string } {
    if (this.enricher) throw new Error('the enrichment consumer is already running: stop it first');
    const parsed = EnrichOptionsSchema.parse(options);
    const request = {
      ...parsed,
      db: parsed.db ?? defaultDbPath(this.env),
      connection: this.connection(),
    };
    const id = randomUUID();
    const stage = startStage('enrich', request, (stats) => {
      if (this.enricher?.id === id) this.enricher.stats = stats;
      this.emit({ event: 'enricher-stats', stats });
    });
    this.enricher = { id, stats: null };
    this.track(id, 'enricher', stage, () => (this.enricher = null));
    return { jobId: id };
  }

  pipelineStatus(): { producer: ProducerStats | null; enricher: EnricherStats | null } {
    return { producer: this.producer?.stats ?? null, enricher: this.enricher?.stats ?? null };
  }

  startExport(request: ExportRequest): string {
    const id = randomUUID();
    const abort = new AbortController();
    const done = runExport(
      { ...request, db: request.db ?? defaultDbPath(this.env) },
      {
        signal: abort.signal,
        onProgress: (progress) =>
          this.emit({ event: 'job-progress', jobId: id, kind: 'export', progress }),
      },
    );
    this.jobs.set(id, { kind: 'export', cancel: () => abort.abort(), done });
    done.then(
      (result) => this.finish(id, 'export', { result }),
      (err: unknown) => this.finish(id, 'export', { error: err, cancelled: abort.signal.aborted }),
    );
    return id;
  }

  /**
   * Cancels (or, for pipeline stages, stops cleanly) a running job. A job that has already
   * ended is not an error: `cancelled: false` says there was nothing left to stop.
   */
  cancelJob(jobId: string): { cancelled: boolean } {
    const job = this.jobs.get(jobId);
    if (!job) return { cancelled: false };
    job.cancel();
    return { cancelled: true };
  }

  /**
   * Lets a job end by itself: the enricher stores what is already in its partitions, then stops
   * (bounded). Jobs without such an ending are cancelled. An ended job: `finishing: false`.
   */
  finishJob(jobId: string): { finishing: boolean } {
    const job = this.jobs.get(jobId);
    if (!job) return { finishing: false };
    (job.finish ?? job.cancel)();
    return { finishing: true };
  }

  /** Settles with the job's result, or rejects with its error. */
  waitFor(jobId: string): Promise<unknown> {
    const job = this.jobs.get(jobId);
    if (!job) return Promise.reject(new Error(`no running job ${jobId}`));
    return job.done;
  }

  /**
   * Stops every running job cleanly — the producer first, so the consumer can still store what
   * it flushed — for a shell that is quitting. Bounded: it never waits longer than timeoutMs.
   */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    const all = async () => {
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

  private stopStage(kind: 'producer' | 'enricher'): { stopping: boolean } {
    const running = kind === 'producer' ? this.producer : this.enricher;
    if (!running) return { stopping: false };
    this.jobs.get(running.id)?.cancel();
    return { stopping: true };
  }

  private track(
    id: string,
    kind: 'producer' | 'enricher',
    stage: StageHandle<unknown>,
    clear: () => void,
  ): void {
    let stopped = false;
    this.jobs.set(id, {
      kind,
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
    stage.done.then(
      (result) => {
        clear();
        this.finish(id, kind, { result: result as Record<string, unknown> });
      },
      (err: unknown) => {
        clear();
        this.finish(id, kind, { error: err, cancelled: stopped });
      },
    );
  }

  private finish(
    id: string,
    kind: Job['kind'],
    outcome: { result?: unknown; error?: unknown; cancelled?: boolean },
  ): void {
    this.jobs.delete(id);
    const failed = outcome.error !== undefined;
    this.emit({
      event: 'job-finished',
      jobId: id,
      kind,
      ok: !failed,
      cancelled: outcome.cancelled ?? false,
      error: failed
        ? outcome.error instanceof Error
          ? outcome.error.message
          : String(outcome.error)
        : null,
      result: failed ? null : ((outcome.result ?? null) as Record<string, unknown> | null),
    });
  }

  private emit(event: ServiceEvent): void {
    this.events.emit('event', event);
  }
}
