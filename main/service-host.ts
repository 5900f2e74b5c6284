import type { Port } from '../contract/rpc.js';
import type { ServiceOptions } from './service.js';
import { serveConnection, type Dispatcher } from './transport/server.js';

/**
 * Hosts one core service off the UI's thread — in a worker thread (edge mode) or in Electron's
 * utilityProcess (desktop) — and serves every view that connects to it over its own port.
 *
 * The protocol with the parent (the shell):
 * - `{ type: 'init', options }` once: the service's options (plain data; no functions).
 * - `{ type: 'connect', trusted }` with one transferred MessagePort per view: that port is
 *   served with `serveConnection`; `trusted` only for the shell's own port.
 * - `{ type: 'shutdown', timeoutMs? }`: stops the service (jobs end cleanly, bounded), then exits.
 *
 * The host answers `{ type: 'ready' }` once the service is constructed, `{ type: 'fatal',
 * message }` if it could not be, and `{ type: 'stopped' }` just before it exits after a shutdown.
 * The same logic runs over both carriers; each carrier has a tiny adapter below.
 */

export type HostRequest =
  | { type: 'init'; options: ServiceOptions }
  | { type: 'connect'; trusted: boolean }
  | { type: 'shutdown'; timeoutMs?: number };

export type HostReply =
  { type: 'ready' } | { type: 'fatal'; message: string } | { type: 'stopped'; error?: string };

/** What the host needs of the service. */
export interface HostedService extends Dispatcher {
  shutdown(timeoutMs?: number): Promise<void>;
}

/** A message port as both carriers have it: Node's MessagePort or Electron's MessagePortMain. */
export interface RawPort {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  close(): void;
  start?(): void;
}

/** The channel to the parent, whatever carries it. */
export interface Carrier {
  /** Every message from the parent, with the ports it carried. */
  onMessage(listener: (data: unknown, ports: Port[]) => void): void;
  post(reply: HostReply): void;
  /** Ends the host (the worker thread, or the utility process). */
  exit(code: number): void;
}

/** Wraps a message port as a transport Port: strings only; anything else is dropped. */
export function wrapMessagePort(raw: RawPort, unwrap: (value: unknown) => unknown): Port {
  let closed = false;
  const closeListeners: ((reason: string) => void)[] = [];
  const fireClose = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(reason);
  };
  raw.on('close', () => fireClose('the other side closed the port'));
  return {
    send(data) {
      if (!closed) raw.postMessage(data);
    },
    onMessage(listener) {
      raw.on('message', (value) => {
        const data = unwrap(value);
        if (typeof data === 'string') listener(data);
      });
      raw.start?.();
    },
    onClose(listener) {
      if (closed) listener('closed');
      else closeListeners.push(listener);
    },
    close() {
      // Close listeners run now: the other side's 'close' event is not ours to wait for.
      fireClose('closed');
      raw.close();
    },
  };
}

/** Node's MessagePort (worker_threads) delivers the posted value itself. */
export const wrapNodePort = (raw: RawPort): Port => wrapMessagePort(raw, (v) => v);

/** Electron's MessagePortMain delivers a MessageEvent-like `{ data }`. */
export const wrapElectronPort = (raw: RawPort): Port =>
  wrapMessagePort(raw, (e) => (e as { data?: unknown } | null)?.data);

function isRequest(data: unknown): data is HostRequest {
  return (
    typeof data === 'object' && data !== null && typeof (data as HostRequest).type === 'string'
  );
}

/** Runs the host over one carrier; `create` builds the service from the init options. */
export function runServiceHost(
  carrier: Carrier,
  create: (options: ServiceOptions) => HostedService,
): void {
  let service: HostedService | null = null;
  let stopping = false;
  const waiting: { port: Port; trusted: boolean }[] = [];

  carrier.onMessage((data, ports) => {
    if (!isRequest(data)) return;
    switch (data.type) {
      case 'init': {
        if (service) return;
        try {
          service = create(data.options);
        } catch (err) {
          carrier.post({
            type: 'fatal',
            message: err instanceof Error ? err.message : String(err),
          });
          carrier.exit(1);
          return;
        }
        for (const w of waiting.splice(0)) serveConnection(w.port, service, { trusted: w.trusted });
        carrier.post({ type: 'ready' });
        return;
      }
      case 'connect': {
        const trusted = data.trusted === true;
        for (const port of ports) {
          if (stopping) port.close();
          else if (service) serveConnection(port, service, { trusted });
          else waiting.push({ port, trusted });
        }
        return;
      }
      case 'shutdown': {
        if (stopping) return;
        stopping = true;
        const timeoutMs = typeof data.timeoutMs === 'number' ? data.timeoutMs : undefined;
        const done = service ? service.shutdown(timeoutMs) : Promise.resolve();
        void done.then(
          () => {
            carrier.post({ type: 'stopped' });
            carrier.exit(0);
          },
          (err: unknown) => {
            carrier.post({
              type: 'stopped',
              error: err instanceof Error ? err.message : String(err),
            });
            carrier.exit(1);
          },
        );
        return;
      }
    }
  });
}

/**
 * The worker_threads carrier: the parent posts `{ ...request, port }` with the port in the
 * transfer list (Node delivers transferred ports inside the value).
 */
export function nodeWorkerCarrier(parent: RawPort): Carrier {
  return {
    onMessage(listener) {
      parent.on('message', (value) => {
        if (typeof value !== 'object' || value === null) return;
        const { port, ...data } = value as { port?: RawPort };
        listener(data, port ? [wrapNodePort(port)] : []);
      });
    },
    post: (reply) => parent.postMessage(reply),
    // In a worker thread, process.exit ends the thread, not the process.
    exit: (code) => process.exit(code),
  };
}

/** Electron's `process.parentPort` in a utilityProcess: messages arrive as `{ data, ports }`. */
export interface ElectronParentPort {
  on(event: 'message', listener: (e: { data: unknown; ports: RawPort[] }) => void): unknown;
  postMessage(message: unknown): void;
}

export function electronUtilityCarrier(parent: ElectronParentPort): Carrier {
  return {
    onMessage(listener) {
      parent.on('message', (e) => listener(e.data, (e.ports ?? []).map(wrapElectronPort)));
    },
    post: (reply) => parent.postMessage(reply),
    exit: (code) => process.exit(code),
  };
}
