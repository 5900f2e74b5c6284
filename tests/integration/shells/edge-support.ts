import { request } from 'node:http';
import { WebSocket } from 'ws';
import { ServerFrameSchema, type Port, type ServerFrame } from '../../../contract/rpc.js';
import type { ServiceOptions } from '../../../main/service.js';
import { tempDir } from '../../support/jvm-broker.js';

/** Service options for tests without a broker: a private VI_HOME, no KAFKA_BROKERS or keys. */
export function isolatedServiceOptions(prefix = 'vi-edge-test-'): {
  options: ServiceOptions;
  cleanup(): void;
} {
  const home = tempDir(prefix);
  const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: home.path };
  delete env.KAFKA_BROKERS;
  delete env.VI_DB;
  delete env.VI_EDGE_TOKEN;
  delete env.OPENWEATHER_API_KEY;
  return { options: { env }, cleanup: home.cleanup };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP GET: the path is sent as written and any Host header can be set. */
export function rawGet(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Signs in with the token and returns the cookie pair to send back. */
export async function signIn(server: { url: string; origin: string }): Promise<string> {
  const res = await rawGet(
    server.origin,
    new URL(server.url).pathname + new URL(server.url).search,
  );
  const setCookie = res.headers['set-cookie'];
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (res.status !== 303 || !first) throw new Error(`sign-in failed: ${res.status} ${res.body}`);
  return first.split(';')[0]!;
}

/** The outcome of a WebSocket upgrade: open (with the socket) or refused (status and body). */
export type UpgradeOutcome =
  { open: true; ws: WebSocket } | { open: false; status: number; body: string };

export function tryWebSocket(
  origin: string,
  headers: Record<string, string>,
  path = '/api/ws',
): Promise<UpgradeOutcome> {
  const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${path}`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ open: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          open: false,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    ws.once('error', reject);
  });
}

/** A ws client socket as a transport Port. */
export function wsPort(ws: WebSocket): Port {
  return {
    send: (data) => ws.send(data),
    onMessage: (listener) => ws.on('message', (data) => listener(String(data))),
    onClose: (listener) => ws.on('close', (_code, reason) => listener(String(reason))),
    close: () => ws.close(),
  };
}

/**
 * Raw calls over a port: sends call frames and resolves with each reply frame, so the tests see
 * the exact wire shape (createClient would turn errors into exceptions).
 */
export function rawCaller(port: Port): {
  call(command: string, args: unknown): Promise<Extract<ServerFrame, { t: 'reply' }>>;
  sendRaw(data: string): void;
  nextError(): Promise<Extract<ServerFrame, { t: 'error' }>>;
} {
  let nextId = 1;
  const waiting = new Map<number, (frame: Extract<ServerFrame, { t: 'reply' }>) => void>();
  const errorWaiters: ((frame: Extract<ServerFrame, { t: 'error' }>) => void)[] = [];
  port.onMessage((data) => {
    const frame = ServerFrameSchema.parse(JSON.parse(data));
    if (frame.t === 'reply') {
      waiting.get(frame.id)?.(frame);
      waiting.delete(frame.id);
    } else if (frame.t === 'error') {
      errorWaiters.shift()?.(frame);
    }
  });
  return {
    call(command, args) {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        port.send(JSON.stringify({ t: 'call', id, command, args }));
      });
    },
    sendRaw: (data) => port.send(data),
    nextError: () => new Promise((resolve) => errorWaiters.push(resolve)),
  };
}
