import type { ErrorCode } from '../../contract/errors.js';
import type { ConnectionSchema } from '../../contract/pipeline.js';
import {
  ReplayWorkerEventSchema,
  type ReplayOptions,
  type ReplayProgress,
  type ReplayResult,
  type ReplayWorkerCommand,
} from '../../contract/replay.js';
import { ServiceError } from '../../contract/rpc.js';
import { createWorker } from '../worker-launch.js';
import type { z } from 'zod';

export interface ReplayHandle {
  pause(): void;
  resume(): void;
  /** Stops sending; what is in flight is confirmed (bounded), then `done` resolves. */
  stop(): void;
  done: Promise<ReplayResult>;
}

const EXIT_GRACE_MS = 5000;

/** Runs one replay in its own worker thread (main/workers/replay-worker.ts). */
export function startReplay(
  file: string,
  options: ReplayOptions,
  connection: z.infer<typeof ConnectionSchema>,
  onProgress: (progress: ReplayProgress) => void,
  tempDir?: string,
): ReplayHandle {
  const worker = createWorker('../workers/replay-worker', import.meta.url);
  let settled = false;
  let failure: string | undefined;
  const done = new Promise<ReplayResult>((resolve, reject) => {
    const settle = (outcome: { result: ReplayResult } | { code: ErrorCode; message: string }) => {
      if (settled) return;
      settled = true;
      if ('result' in outcome) resolve(outcome.result);
      else reject(new ServiceError(outcome.code, outcome.message));
      setTimeout(() => void worker.terminate(), EXIT_GRACE_MS).unref();
    };
    worker.on('message', (raw: unknown) => {
      const parsed = ReplayWorkerEventSchema.safeParse(raw);
      if (!parsed.success) {
        failure = `bad replay worker event: ${parsed.error.message}`;
        return;
      }
      const event = parsed.data;
      if (event.type === 'progress') onProgress(event.progress);
      else if (event.type === 'done') settle({ result: event.result });
      else settle({ code: event.code, message: event.message });
    });
    worker.on('error', (err) => {
      failure = err.message;
    });
    worker.on('exit', (code) => {
      settle({ code: 'internal', message: failure ?? `replay worker exited with code ${code}` });
    });
  });
  const send = (command: ReplayWorkerCommand) => {
    if (!settled) worker.postMessage(command);
  };
  send({ type: 'replay', file, options, connection, ...(tempDir ? { tempDir } : {}) });
  return {
    pause: () => send({ type: 'pause' }),
    resume: () => send({ type: 'resume' }),
    stop: () => send({ type: 'stop' }),
    done,
  };
}
