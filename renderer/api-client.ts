import { createClient, ServiceError, type Api, type Port } from '../contract/rpc.js';
import type { ServiceEvent } from '../contract/service.js';
import type { DesktopBridge } from './desktop-bridge.js';

/**
 * One Api for the views, whatever carries it: the desktop app's preload bridge, or a WebSocket
 * to the edge server (same origin; the server's cookie authenticates it). The views never know
 * which. A WebSocket that drops is reopened with backoff; `onConnection` tells the frame, which
 * shows a banner and resyncs with `state.get` when the link is back.
 */

export type ConnectionState =
  | { state: 'connecting'; attempt: number }
  | { state: 'open' }
  | { state: 'reconnecting'; attempt: number; retryInMs: number; reason: string }
  /** The desktop service went away: only a reload can bring it back. */
  | { state: 'closed'; reason: string };

export interface AppApi extends Api {
  onConnection(listener: (state: ConnectionState) => void): void;
  readonly carrier: 'desktop' | 'browser';
}

/**
 * The preload bridge as a source of Ports. The bridge takes one message listener for the
 * window's life, and after the service restarts the preload carries frames over a new channel
 * without a new listener: so each Port is a virtual one, and frames go to the newest.
 */
export function bridgePorts(bridge: DesktopBridge): () => Port {
  let current: { message: ((data: string) => void) | null; close: ((r: string) => void)[] } | null =
    null;
  bridge.onMessage((frame) => current?.message?.(frame));
  bridge.onClose((reason) => {
    const closing = current;
    current = null;
    for (const l of closing?.close ?? []) l(reason);
  });
  return () => {
    const me: NonNullable<typeof current> = { message: null, close: [] };
    current = me;
    return {
      send: (data) => bridge.send(data),
      onMessage: (listener) => {
        me.message = listener;
      },
      onClose: (listener) => {
        me.close.push(listener);
      },
      close: () => {
        if (current === me) current = null;
      },
    };
  };
}

/** An open WebSocket as a Port. */
export function webSocketPort(ws: WebSocket): Port {
  return {
    send: (data) => ws.send(data),
    onMessage: (listener) =>
      ws.addEventListener('message', (e: MessageEvent) => {
        if (typeof e.data === 'string') listener(e.data);
      }),
    onClose: (listener) =>
      ws.addEventListener('close', (e: CloseEvent) =>
        listener(e.reason || (e.wasClean ? 'closed' : `connection lost (code ${e.code})`)),
      ),
    close: () => ws.close(1000, 'closed by the page'),
  };
}

/** Opens a WebSocket; resolves once open, rejects if it closes first. */
function openWebSocket(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error('no answer from the server'));
    }, timeoutMs);
    ws.addEventListener('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.addEventListener('close', (e: CloseEvent) => {
      clearTimeout(timer);
      reject(new Error(e.reason || 'the server refused or is not running'));
    });
  });
}

/** 0.5 s, 1 s, 2 s, 4 s, 8 s, then 10 s, each with ±20 % jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * An Api whose carrier can be replaced: calls go to the current client, event listeners stay
 * registered across reconnects.
 */
class SwitchingApi implements AppApi {
  private client: Api | null = null;
  private readonly eventListeners = new Set<(event: ServiceEvent) => void>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private connection: ConnectionState = { state: 'connecting', attempt: 1 };
  private offClient: (() => void) | null = null;

  constructor(readonly carrier: 'desktop' | 'browser') {}

  /** Routes calls and events through this client; `open` = the link is known to work. */
  attach(client: Api, open = true): void {
    this.client = client;
    this.offClient = client.onEvent((event) => {
      for (const l of this.eventListeners) l(event);
    });
    if (open) this.setConnection({ state: 'open' });
  }

  detach(): void {
    this.offClient = null;
    this.client = null;
  }

  setConnection(state: ConnectionState): void {
    this.connection = state;
    for (const l of this.connectionListeners) l(state);
    if (state.state === 'closed') for (const l of this.closeListeners) l(state.reason);
  }

  call: Api['call'] = (command, args, options) => {
    if (!this.client) {
      return Promise.reject(
        new ServiceError('cancelled', 'Not connected to the service. Reconnecting…'),
      );
    }
    return this.client.call(command, args, options);
  };

  onEvent(listener: (event: ServiceEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.add(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): void {
    this.connectionListeners.add(listener);
    listener(this.connection);
  }

  close(): void {
    this.client?.close();
  }
}

/**
 * The Api over the desktop bridge. When the service goes away, the main process restarts it and
 * the preload reconnects underneath: a new client is attached at once (its frames wait in the
 * preload) and the link counts as open again when a call gets an answer.
 */
export function connectDesktop(bridge: DesktopBridge): AppApi {
  const api = new SwitchingApi('desktop');
  const nextPort = bridgePorts(bridge);
  let attempt = 0;
  const open = (first: boolean) => {
    const client = createClient(nextPort());
    client.onClose((reason) => {
      api.detach();
      attempt += 1;
      api.setConnection({ state: 'reconnecting', attempt, retryInMs: 0, reason });
      open(false);
    });
    api.attach(client, first);
    if (!first) {
      // answered once the restarted service is there
      client.call('jobs.list', {}).then(
        () => {
          attempt = 0;
          api.setConnection({ state: 'open' });
        },
        () => undefined,
      );
    }
  };
  open(true);
  return api;
}

/** The Api over a WebSocket to `/api/ws` on this page's origin, reopened whenever it drops. */
export function connectBrowser(location: Location = window.location): AppApi {
  const api = new SwitchingApi('browser');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
  let attempt = 0;

  const connect = async (): Promise<void> => {
    attempt += 1;
    let ws: WebSocket;
    try {
      ws = await openWebSocket(url, 10_000);
    } catch (err) {
      retry(err instanceof Error ? err.message : String(err));
      return;
    }
    attempt = 0;
    const client = createClient(webSocketPort(ws));
    client.onClose((reason) => {
      api.detach();
      attempt = 0;
      retry(reason);
    });
    api.attach(client);
  };

  const retry = (reason: string) => {
    const retryInMs = backoffMs(attempt + 1);
    api.setConnection({ state: 'reconnecting', attempt: attempt + 1, retryInMs, reason });
    setTimeout(() => void connect(), retryInMs);
  };

  void connect();
  return api;
}

/** The desktop bridge when the preload gave one, else the browser's WebSocket. */
export function connect(bridge: DesktopBridge | null): AppApi {
  return bridge ? connectDesktop(bridge) : connectBrowser();
}
