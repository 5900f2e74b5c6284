import {
  WorkerEventSchema,
  type EnrichRequest,
  type EnricherResult,
  type EnricherStats,
  type ProduceRequest,
  type ProducerStats,
  type WorkerCommand,
  type WorkerEvent,
} from '../contract/pipeline.js';
import { createWorker } from './worker-launch.js';

/** How long a worker may linger after reporting its outcome before it is terminated. */
const EXIT_GRACE_MS = 5000;

export interface StageHandle<Result> {
  /**
   * Asks the stage to stop cleanly (producer: flush; enricher: store the batch in progress).
   * With drain, the enricher first stores what is already in its partitions (bounded).
   */
  stop(options?: { drain?: boolean }): void;
  /** Settles when the worker has finished. */
  done: Promise<Result>;
}

type StageKind = 'produce' | 'enrich';
type StatsOf<K extends StageKind> = K extends 'produce' ? ProducerStats : EnricherStats;
type ResultOf<K extends StageKind> = K extends 'produce'
  ? { produced: number; unconfirmed: number }
  : EnricherResult;

/** Runs one pipeline stage in its own worker thread; events cross the thread boundary parsed. */
export function startStage<K extends StageKind>(
  kind: K,
  request: K extends 'produce' ? ProduceRequest : EnrichRequest,
  onStats: (stats: StatsOf<K>) => void,
  /** The enrichment's live points and fired alerts (charts). */
  onFeed?: (event: Extract<WorkerEvent, { type: 'enricher-points' | 'alert-fired' }>) => void,
): StageHandle<ResultOf<K>> {
  const worker = createWorker('./workers/pipeline-worker', import.meta.url);
  let failure: string | undefined;
  let settled = false;
  const done = new Promise<ResultOf<K>>((resolve, reject) => {
    // The stage's outcome arrives as a message; a worker that then fails to exit (a client
    // handle left open) is terminated, so a job always ends.
    const settle = (outcome: { result: ResultOf<K> } | { error: string }) => {
      if (settled) return;
      settled = true;
      if ('result' in outcome) resolve(outcome.result);
      else reject(new Error(outcome.error));
      setTimeout(() => void worker.terminate(), EXIT_GRACE_MS).unref();
    };
    worker.on('message', (raw: unknown) => {
      const parsed = WorkerEventSchema.safeParse(raw);
      if (!parsed.success) {
        failure = `bad worker event: ${parsed.error.message}`;
        return;
      }
      const event = parsed.data;
      switch (event.type) {
        case 'producer-stats':
        case 'enricher-stats':
          onStats(event.stats as StatsOf<K>);
          break;
        case 'producer-done':
        case 'enricher-done':
          settle({ result: event.result as ResultOf<K> });
          break;
        case 'error':
          settle({ error: event.message });
          break;
        case 'enricher-points':
        case 'alert-fired':
          onFeed?.(event);
          break;
      }
    });
    worker.on('error', (err) => {
      failure = err.message;
    });
    worker.on('exit', (code) => {
      settle({ error: failure ?? `${kind} worker exited with code ${code}` });
    });
  });
  worker.postMessage({ type: kind, request } as WorkerCommand);
  return {
    stop: (options) =>
      worker.postMessage({ type: 'stop', drain: options?.drain } satisfies WorkerCommand),
    done,
  };
}
