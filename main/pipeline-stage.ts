import { Worker } from 'node:worker_threads';
import {
  WorkerEventSchema,
  type EnrichRequest,
  type EnricherResult,
  type EnricherStats,
  type ProduceRequest,
  type ProducerStats,
  type WorkerCommand,
} from '../contract/pipeline.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(
  `./workers/pipeline-worker${FROM_SOURCE ? '.ts' : '.js'}`,
  import.meta.url,
);

/**
 * Run from TypeScript sources (CLI, tests), the worker registers tsx's loader first: on Node 20
 * a worker does not inherit loader hooks, and `--import tsx` in its execArgv is not honoured.
 */
function createWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(bootstrap, { eval: true });
}

export interface StageHandle<Result> {
  /** Asks the stage to stop cleanly (producer: flush; enricher: store the batch in progress). */
  stop(): void;
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
): StageHandle<ResultOf<K>> {
  const worker = createWorker();
  let result: ResultOf<K> | undefined;
  let failure: string | undefined;
  const done = new Promise<ResultOf<K>>((resolve, reject) => {
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
          result = event.result as ResultOf<K>;
          break;
        case 'error':
          failure = event.message;
          break;
      }
    });
    worker.on('error', (err) => {
      failure = err.message;
    });
    worker.on('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(failure ?? `${kind} worker exited with code ${code}`));
    });
  });
  worker.postMessage({ type: kind, request } as WorkerCommand);
  return {
    stop: () => worker.postMessage({ type: 'stop' } satisfies WorkerCommand),
    done,
  };
}
