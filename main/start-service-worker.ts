import { MessageChannel } from 'node:worker_threads';
import type { Port } from '../contract/rpc.js';
import type { HostReply, HostRequest, RawPort } from './service-host.js';
import { wrapNodePort } from './service-host.js';
import type { ServiceOptions } from './service.js';
import { createWorker } from './worker-launch.js';

export interface ServiceWorker {
  /** A new connection to the service: one per view; `trusted` only for the shell itself. */
  connect(trusted: boolean): Port;
  /** Called once if the worker ends on its own (a crash, an out-of-memory). */
  onExit(listener: (reason: string) => void): void;
  /** Stops the service (jobs end cleanly, within timeoutMs) and the worker. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** How long after the service's own shutdown bound the worker may take before it is terminated. */
const EXIT_GRACE_MS = 5000;
const DEFAULT_SHUTDOWN_MS = 30_000;

/**
 * Starts the core service in a worker thread (main/workers/service-worker) and resolves once it
 * is constructed. The caller's event loop (an HTTP server, a terminal) never runs the service.
 * `options` cross the thread boundary by structured clone: plain data only.
 */
export async function startServiceWorker(options: ServiceOptions): Promise<ServiceWorker> {
  const worker = createWorker('./workers/service-worker', import.meta.url);
  let exited: string | null = null;
  let shuttingDown = false;
  const exitListeners: ((reason: string) => void)[] = [];
  const exitedPromise = new Promise<void>((resolve) => {
    let error: string | null = null;
    worker.on('error', (err) => {
      error = err.message;
    });
    worker.on('exit', (code) => {
      exited = error ?? `the service worker exited with code ${code}`;
      resolve();
      if (!shuttingDown) for (const l of exitListeners) l(exited);
    });
  });

  const post = (request: HostRequest, transfer?: RawPort[]) =>
    worker.postMessage(request, transfer as never);

  await new Promise<void>((resolve, reject) => {
    const onMessage = (reply: HostReply) => {
      if (reply.type === 'ready') {
        worker.off('message', onMessage);
        resolve();
      } else if (reply.type === 'fatal') {
        worker.off('message', onMessage);
        reject(new Error(reply.message));
      }
    };
    worker.on('message', onMessage);
    void exitedPromise.then(() => reject(new Error(exited ?? 'the service worker exited')));
    post({ type: 'init', options });
  });

  return {
    connect(trusted) {
      const { port1, port2 } = new MessageChannel();
      const port = wrapNodePort(port1 as unknown as RawPort);
      if (exited !== null || shuttingDown) {
        port.close();
        return port;
      }
      worker.postMessage(
        { type: 'connect', trusted, port: port2 } satisfies HostRequest & {
          port: unknown;
        },
        [port2],
      );
      return port;
    },
    onExit(listener) {
      if (exited !== null && !shuttingDown) listener(exited);
      else exitListeners.push(listener);
    },
    async shutdown(timeoutMs = DEFAULT_SHUTDOWN_MS) {
      if (exited === null && !shuttingDown) {
        shuttingDown = true;
        post({ type: 'shutdown', timeoutMs });
      }
      shuttingDown = true;
      const timer = setTimeout(() => void worker.terminate(), timeoutMs + EXIT_GRACE_MS);
      timer.unref();
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
