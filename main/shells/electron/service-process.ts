import {
  MessageChannelMain,
  utilityProcess,
  type MessagePortMain,
  type UtilityProcess,
} from 'electron';
import { fileURLToPath } from 'node:url';
import { createClient, type Api, type Port } from '../../../contract/rpc.js';

/**
 * The core service in an Electron utilityProcess (main/service-host.ts's protocol: `init` once,
 * `connect` per port, `shutdown`), so an export, a SQLite read or a crash in the core never
 * freezes or kills a window. Restarts it, a bounded number of times, if it dies.
 */

/** dist/main/workers/service-worker.js (this file is dist/main/shells/electron/service-process.js). */
const SERVICE_ENTRY = fileURLToPath(new URL('../../workers/service-worker.js', import.meta.url));

const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;
/** The service's own bound: the producer flushes, the enrichment stores its batch (≤ 15 s). */
const SHUTDOWN_SERVICE_MS = 20_000;
/** Ours, after which the process is killed. */
const SHUTDOWN_KILL_MS = 25_000;

/** A MessagePortMain as a transport Port: strings only. */
export function portFromMain(raw: MessagePortMain): Port {
  let closed = false;
  const closeListeners: ((reason: string) => void)[] = [];
  const fireClose = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(reason);
  };
  raw.on('close', () => fireClose('the service closed the connection'));
  return {
    send(data) {
      if (!closed) raw.postMessage(data);
    },
    onMessage(listener) {
      raw.on('message', (e) => {
        if (typeof e.data === 'string') listener(e.data);
      });
      raw.start();
    },
    onClose(listener) {
      if (closed) listener('closed');
      else closeListeners.push(listener);
    },
    close() {
      fireClose('closed');
      raw.close();
    },
  };
}

export interface ServiceEvents {
  /** The service process ended without being asked to; `restarting` says whether it comes back. */
  onCrash(reason: string, restarting: boolean): void;
  /** A restarted service answers: views should reconnect. */
  onRestarted(): void;
}

export class ServiceProcess {
  private child: UtilityProcess | null = null;
  private spawned = false;
  private queue: { message: unknown; ports: MessagePortMain[] }[] = [];
  private trusted: Api | null = null;
  private crashes: number[] = [];
  private stopping = false;
  private lastFatal: string | null = null;

  constructor(private readonly events: ServiceEvents) {}

  /** The shell's own trusted connection (may call `access: 'shell'` commands like paths.grant). */
  api(): Api {
    if (!this.trusted) throw new Error('The service is not running; restart the app.');
    return this.trusted;
  }

  start(): void {
    this.spawned = false;
    this.queue = [];
    this.lastFatal = null;
    const child = utilityProcess.fork(SERVICE_ENTRY, [], {
      serviceName: 'Volatility Insight service',
      stdio: 'inherit',
    });
    this.child = child;
    child.once('spawn', () => {
      if (this.child !== child) return;
      this.spawned = true;
      for (const { message, ports } of this.queue.splice(0)) child.postMessage(message, ports);
    });
    child.on('message', (message: unknown) => this.onHostMessage(message));
    child.once('exit', (code) => this.onExit(child, code));

    this.post({ type: 'init', options: {} });
    const { port1, port2 } = new MessageChannelMain();
    this.post({ type: 'connect', trusted: true }, [port2]);
    this.trusted = createClient(portFromMain(port1));
  }

  /** A new untrusted connection for one view; returns the view's end, or null when stopped. */
  connectView(): MessagePortMain | null {
    if (!this.child || this.stopping) return null;
    const { port1, port2 } = new MessageChannelMain();
    this.post({ type: 'connect', trusted: false }, [port1]);
    return port2;
  }

  /** Asks the service to stop cleanly (bounded), then ends the process. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve();
      }, SHUTDOWN_KILL_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.post({ type: 'shutdown', timeoutMs: SHUTDOWN_SERVICE_MS });
    });
  }

  private post(message: unknown, ports: MessagePortMain[] = []): void {
    const child = this.child;
    if (!child) return;
    if (this.spawned) child.postMessage(message, ports);
    else this.queue.push({ message, ports });
  }

  private onHostMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as { type?: unknown; message?: unknown };
    if (m.type === 'fatal' && typeof m.message === 'string') this.lastFatal = m.message;
    if (m.type === 'ready' && this.crashes.length > 0) this.events.onRestarted();
  }

  private onExit(child: UtilityProcess, code: number): void {
    if (this.child !== child) return;
    this.child = null;
    this.trusted?.close();
    this.trusted = null;
    if (this.stopping) return;
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < RESTART_WINDOW_MS);
    this.crashes.push(now);
    const restarting = this.crashes.length <= MAX_RESTARTS;
    const why = this.lastFatal ?? `exit code ${code}`;
    const reason = restarting
      ? `The service stopped unexpectedly (${why}); restarting it.`
      : `The service stopped unexpectedly (${why}) ${this.crashes.length} times in a minute; quit and reopen the app, and report the problem if it happens again.`;
    this.events.onCrash(reason, restarting);
    if (restarting) setTimeout(() => this.start(), 500 * this.crashes.length);
  }
}
