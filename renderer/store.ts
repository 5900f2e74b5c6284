import { BrokerStatusSchema, type BrokerStatus } from '../contract/broker.js';
import type { ServiceErrorData } from '../contract/errors.js';
import type { ExportProgress } from '../contract/export.js';
import type { EnricherStats, ProducerStats } from '../contract/pipeline.js';
import type { ReplayProgress } from '../contract/replay.js';
import type {
  BrokerDetection,
  JobKind,
  PipelineStatus,
  ServiceEvent,
  SettingsView,
  StateSnapshot,
} from '../contract/service.js';
import type { ConnectionState } from './api-client.js';

/**
 * The app's state, one object: the snapshot from `state.get`, kept current by the service's
 * events. Views subscribe and update their own elements from it (render-on-event); a burst of
 * events renders once per animation frame.
 */

export interface RunningJob {
  id: string;
  kind: JobKind;
  startedAt: number;
  step: string;
  /** Progress lines (broker jobs), oldest first, at most 50. */
  lines: { step: string; elapsedMs: number }[];
}

export interface FinishedJob {
  id: string;
  kind: JobKind;
  ok: boolean;
  cancelled: boolean;
  error: ServiceErrorData | null;
  result: unknown;
  finishedAt: number;
}

export interface AppState {
  connection: ConnectionState;
  settings: SettingsView | null;
  detection: BrokerDetection | null;
  broker: BrokerStatus | null;
  producer: PipelineStatus['producer'];
  enricher: PipelineStatus['enricher'];
  /** Running jobs by id. */
  jobs: Map<string, RunningJob>;
  /** The last finished job of each kind (its error stays shown until the next one starts). */
  finished: Partial<Record<JobKind, FinishedJob>>;
  exportProgress: Map<string, ExportProgress>;
  /** The newest replay's latest progress, kept after it ends until the next one starts. */
  replay: { jobId: string; progress: ReplayProgress } | null;
  /** The latest counters, kept after a stop so the numbers do not vanish. */
  lastStats: { producer: ProducerStats | null; enricher: EnricherStats | null };
  /** Wall clock, ticked once a second (the status bar's time, elapsed times). */
  now: number;
}

export type Listener = (state: AppState) => void;

export class Store {
  readonly state: AppState = {
    connection: { state: 'connecting', attempt: 1 },
    settings: null,
    detection: null,
    broker: null,
    producer: null,
    enricher: null,
    jobs: new Map(),
    finished: {},
    exportProgress: new Map(),
    replay: null,
    lastStats: { producer: null, enricher: null },
    now: Date.now(),
  };
  private readonly listeners = new Set<Listener>();
  private scheduled = false;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  /** Changes the state, then renders (once per frame however many changes). */
  update(change: (state: AppState) => void): void {
    change(this.state);
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      for (const l of this.listeners) l(this.state);
    };
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') {
      requestAnimationFrame(flush);
    } else {
      setTimeout(flush, 0);
    }
  }

  /** The running job of a kind, if any. */
  running(kind: JobKind): RunningJob | null {
    for (const job of this.state.jobs.values()) if (job.kind === kind) return job;
    return null;
  }

  /** The running broker start, stop or reset, if any. */
  brokerJob(): RunningJob | null {
    return (
      this.running('broker-start') ?? this.running('broker-stop') ?? this.running('broker-reset')
    );
  }

  applySnapshot(snapshot: StateSnapshot): void {
    this.update((s) => {
      s.settings = snapshot.settings;
      s.broker = snapshot.broker;
      s.producer = snapshot.pipeline.producer;
      s.enricher = snapshot.pipeline.enricher;
      if (s.producer?.stats) s.lastStats.producer = s.producer.stats;
      if (s.enricher?.stats) s.lastStats.enricher = s.enricher.stats;
      const jobs = new Map<string, RunningJob>();
      for (const job of snapshot.jobs) {
        jobs.set(job.id, { ...job, lines: s.jobs.get(job.id)?.lines ?? [] });
      }
      s.jobs = jobs;
      for (const id of s.exportProgress.keys()) if (!jobs.has(id)) s.exportProgress.delete(id);
    });
  }

  applyEvent(event: ServiceEvent): void {
    if (event.event === 'messages-tail') return; // a live tail is the Topics screen's own
    this.update((s) => {
      switch (event.event) {
        case 'job-started': {
          s.jobs.set(event.job.id, { ...event.job, lines: [] });
          delete s.finished[event.job.kind];
          if (event.job.kind === 'producer') s.producer = { jobId: event.job.id, stats: null };
          if (event.job.kind === 'enricher') s.enricher = { jobId: event.job.id, stats: null };
          if (event.job.kind === 'replay') s.replay = null;
          break;
        }
        case 'producer-stats':
          s.producer = { jobId: event.jobId, stats: event.stats };
          s.lastStats.producer = event.stats;
          break;
        case 'enricher-stats':
          s.enricher = { jobId: event.jobId, stats: event.stats };
          s.lastStats.enricher = event.stats;
          break;
        case 'broker-progress': {
          const job = s.jobs.get(event.jobId);
          if (job) {
            job.step = event.progress.step;
            job.lines.push({ step: event.progress.step, elapsedMs: event.progress.elapsedMs });
            if (job.lines.length > 50) job.lines.splice(0, job.lines.length - 50);
          }
          break;
        }
        case 'export-progress':
          s.exportProgress.set(event.jobId, event.progress);
          break;
        case 'replay-progress':
          s.replay = { jobId: event.jobId, progress: event.progress };
          break;
        case 'broker-status':
          s.broker = event.status;
          break;
        case 'job-finished': {
          s.jobs.delete(event.jobId);
          s.finished[event.kind] = {
            id: event.jobId,
            kind: event.kind,
            ok: event.ok,
            cancelled: event.cancelled,
            error: event.error,
            result: event.result,
            finishedAt: Date.now(),
          };
          if (event.kind === 'producer' && s.producer?.jobId === event.jobId) s.producer = null;
          if (event.kind === 'enricher' && s.enricher?.jobId === event.jobId) s.enricher = null;
          if (event.kind.startsWith('broker-') && event.ok) {
            const status = BrokerStatusSchema.safeParse(event.result);
            if (status.success) s.broker = status.data;
          }
          break;
        }
      }
    });
  }
}
