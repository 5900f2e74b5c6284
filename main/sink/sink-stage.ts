import {
  DeltaSinkRequestSchema,
  SinkWorkerEventSchema,
  type DeltaSinkRequest,
  type DeltaSinkResult,
  type DeltaSinkStats,
  type SinkWorkerCommand,
} from '../../contract/sink.js';
import { createWorker } from '../worker-launch.js';

const EXIT_GRACE_MS = 5000;

export interface SinkHandle {
  stop(): void;
  done: Promise<DeltaSinkResult>;
}

/** Runs the Delta sink in its own worker thread (see main/workers/sink-worker.ts). */
export function startSinkStage(
  request: DeltaSinkRequest,
  onStats: (stats: DeltaSinkStats) => void,
): SinkHandle {
  const worker = createWorker('../workers/sink-worker', import.meta.url);
  let failure: string | undefined;
  let settled = false;
  const done = new Promise<DeltaSinkResult>((resolve, reject) => {
    const settle = (outcome: { result: DeltaSinkResult } | { error: string }) => {
      if (settled) return;
      settled = true;
      if ('result' in outcome) resolve(outcome.result);
      else reject(new Error(outcome.error));
      setTimeout(() => void worker.terminate(), EXIT_GRACE_MS).unref();
    };
    worker.on('message', (raw: unknown) => {
      const parsed = SinkWorkerEventSchema.safeParse(raw);
      if (!parsed.success) {
        failure = `bad sink event: ${parsed.error.message}`;
        return;
      }
      const event = parsed.data;
      if (event.type === 'sink-stats') onStats(event.stats);
      else if (event.type === 'sink-done') settle({ result: event.result });
      else settle({ error: event.message });
    });
    worker.on('error', (err) => {
      failure = err.message;
    });
    worker.on('exit', (code) =>
      settle({ error: failure ?? `sink worker exited with code ${code}` }),
    );
  });
  worker.postMessage({
    type: 'start',
    request: DeltaSinkRequestSchema.parse(request),
  } satisfies SinkWorkerCommand);
  return {
    stop: () => worker.postMessage({ type: 'stop' } satisfies SinkWorkerCommand),
    done,
  };
}
