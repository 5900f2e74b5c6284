import { mkdtemp, rm } from 'node:fs/promises';
import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { MAX_FRAME_BYTES, createClient, type Api, type Port } from '../../../contract/rpc.js';
import type { ServiceOptions } from '../../service.js';
import { startServiceWorker, type ServiceWorker } from '../../start-service-worker.js';
import { createEdgeHandler, type EdgeHandler } from './handler.js';
import { isLoopback, isWildcard, newToken, urlHost } from './security.js';

/**
 * Edge mode on Node: node:http carries the web-standard handler (handler.ts), `ws` carries
 * WebSocket upgrades at /api/ws (Node 20 has no server-side standard WebSocket). The service
 * runs in its own worker thread; each WebSocket is relayed to its own port on that worker as
 * text, unparsed, so this event loop only moves bytes.
 */

export interface EdgeServerOptions {
  /** Default 127.0.0.1. Anything beyond loopback returns a warning to print. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default: VI_EDGE_TOKEN (of serviceOptions.env, else the process), else a random one. */
  token?: string;
  /** The core service's options; `downloadDir` is the server's own. */
  serviceOptions?: Omit<ServiceOptions, 'downloadDir'>;
  /** The built renderer (default: dist/renderer of the package). */
  rendererDir?: string;
  /**
   * The largest file POST /api/uploads takes, in bytes. Default: VI_EDGE_MAX_UPLOAD_BYTES (of
   * serviceOptions.env, else the process), else 2 GiB.
   */
  maxUploadBytes?: number;
}

export interface EdgeServer {
  /** The address to open, with ?token=. */
  url: string;
  /** http://host:port */
  origin: string;
  token: string;
  port: number;
  /** The server's temporary folder for download exports (deleted by close). */
  downloadDir: string;
  /** The server's temporary folder for uploaded replay files (each deleted when its replay ends; all by close). */
  uploadDir: string;
  /** Set when bound beyond loopback: a sentence for the person to read. */
  warning: string | null;
  /**
   * A direct connection to the service, for the shell itself (trusted: e.g. the CLI's status
   * line or its own commands); views come in over the WebSocket.
   */
  connect(trusted: boolean): Port;
  /** Called once if the service stops on its own (its worker crashed). */
  onServiceExit(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

/**
 * The built renderer, dist/renderer: from the sources (main/shells/edge/) three folders up then
 * dist/renderer; from the build (dist/main/shells/edge/) three folders up is dist/ itself.
 */
const DEFAULT_RENDERER_DIR = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? '../../../dist/renderer/' : '../../../renderer/',
    import.meta.url,
  ),
);

/** What a slow browser may leave unread on its WebSocket, in bytes, before it is dropped. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const TOKEN_FORMAT = /^[A-Za-z0-9._~-]{16,512}$/;
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

function maxUploadBytes(given: number | undefined, env: NodeJS.ProcessEnv): number {
  const raw = given ?? (env.VI_EDGE_MAX_UPLOAD_BYTES ? Number(env.VI_EDGE_MAX_UPLOAD_BYTES) : null);
  if (raw === null) return DEFAULT_MAX_UPLOAD_BYTES;
  if (!Number.isSafeInteger(raw) || raw < 1) {
    throw new Error('the upload cap (VI_EDGE_MAX_UPLOAD_BYTES) must be a whole number of bytes');
  }
  return raw;
}

export async function startEdgeServer(options: EdgeServerOptions = {}): Promise<EdgeServer> {
  const host = options.host ?? '127.0.0.1';
  const env = options.serviceOptions?.env ?? process.env;
  const token = options.token ?? env.VI_EDGE_TOKEN ?? newToken();
  if (!TOKEN_FORMAT.test(token)) {
    throw new Error(
      'the edge token (VI_EDGE_TOKEN) must be 16 to 512 letters, digits, dots, underscores, tildes or hyphens',
    );
  }
  const uploadCap = maxUploadBytes(options.maxUploadBytes, env);
  const rendererDir = options.rendererDir ?? DEFAULT_RENDERER_DIR;
  const downloadDir = await mkdtemp(join(tmpdir(), 'vi-edge-downloads-'));
  const uploadDir = await mkdtemp(join(tmpdir(), 'vi-edge-uploads-'));
  const removeTempDirs = async () => {
    await rm(downloadDir, { recursive: true, force: true });
    await rm(uploadDir, { recursive: true, force: true });
  };
  let worker: ServiceWorker;
  try {
    worker = await startServiceWorker({ ...options.serviceOptions, downloadDir });
  } catch (err) {
    await removeTempDirs();
    throw err;
  }
  const uploads = trackUploads(() => createClient(worker.connect(true)));

  let handler: EdgeHandler | null = null;
  let base = 'http://127.0.0.1';
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });

  const server = createServer((req, res) => {
    if (!handler) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Starting.\n');
      return;
    }
    const request = toRequest(req, base);
    handler.handle(request).then(
      (response) => writeResponse(response, res),
      () => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('The server failed on this request; see its terminal.\n');
      },
    );
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!handler) {
      socket.destroy();
      return;
    }
    const refusal = handler.checkUpgrade(toRequest(req, base));
    if (refusal) {
      void refuseUpgrade(socket, refusal);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => relay(ws, worker));
  });

  try {
    await listen(server, options.port ?? 0, host);
  } catch (err) {
    await worker.shutdown(5000);
    await removeTempDirs();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shownHost = isWildcard(host) ? '127.0.0.1' : host;
  const origin = `http://${urlHost(shownHost)}:${port}`;
  base = origin;
  handler = createEdgeHandler({
    token,
    port,
    boundHost: host,
    rendererDir,
    downloadDir,
    uploads: { dir: uploadDir, maxBytes: uploadCap, grant: (path) => uploads.grant(path) },
  });

  const warning = isLoopback(host)
    ? null
    : `Edge mode listens on ${urlHost(host)}:${port}, beyond this machine: anyone who can reach it and learns the token can control the pipeline, and traffic is plain HTTP (not encrypted). Bind to 127.0.0.1 unless you need this.`;

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    origin,
    token,
    port,
    downloadDir,
    uploadDir,
    warning,
    connect: (trusted) => worker.connect(trusted),
    onServiceExit: (listener) => worker.onExit(listener),
    close() {
      closing ??= (async () => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        uploads.close();
        await worker.shutdown();
        await removeTempDirs();
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** An upload no replay has started from within this long is deleted. */
const UNCLAIMED_UPLOAD_MS = 10 * 60_000;

/**
 * Uploaded files and the replays that read them. The server grants each upload for reading over
 * its own trusted connection; a replay's job names its file (`replaying <name>`, the service's
 * job step), and each upload's name is unique, so when the job that reads an upload finishes,
 * the upload is deleted. An upload no replay has started from within UNCLAIMED_UPLOAD_MS is
 * deleted then.
 */
function trackUploads(connect: () => Api): {
  grant(path: string): Promise<{ grant: string }>;
  close(): void;
} {
  let api: Api | null = null;
  /** Upload paths by file name, and by the replay job reading each. */
  const byName = new Map<string, string>();
  const byJob = new Map<string, string>();
  const client = (): Api => {
    if (api) return api;
    const next = connect();
    next.onEvent((event) => {
      if (event.event === 'job-started' && event.job.kind === 'replay') {
        const name = event.job.step.replace(/^replaying /, '');
        const path = byName.get(name);
        if (path !== undefined) byJob.set(event.job.id, path);
      } else if (event.event === 'job-finished') {
        const path = byJob.get(event.jobId);
        if (path === undefined) return;
        byJob.delete(event.jobId);
        byName.delete(basename(path));
        void rm(path, { force: true }).catch(() => undefined);
      }
    });
    next.onClose(() => {
      if (api === next) api = null;
    });
    api = next;
    return next;
  };
  return {
    async grant(path) {
      const c = client();
      byName.set(basename(path), path);
      // An upload no replay reads (its start failed, or the page went away) does not stay.
      setTimeout(() => {
        if ([...byJob.values()].includes(path)) return;
        if (byName.get(basename(path)) === path) byName.delete(basename(path));
        void rm(path, { force: true }).catch(() => undefined);
      }, UNCLAIMED_UPLOAD_MS).unref();
      try {
        return await c.call('paths.grant', { path, purpose: 'replay' });
      } catch (err) {
        byName.delete(basename(path));
        throw err;
      }
    },
    close() {
      api?.close();
      api = null;
    },
  };
}

/** A node:http request as a web Request; only a POST's body is passed on (streamed). */
function toRequest(req: IncomingMessage, base: string): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    } catch {
      // a header the fetch Headers refuses is ignored
    }
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', base);
  } catch {
    url = new URL('/', base);
  }
  // Only the path and query come from the request line; the origin is always our own.
  const own = new URL(`${url.pathname}${url.search}`, base);
  if (req.method === 'POST') {
    return new Request(own, {
      method: 'POST',
      headers,
      body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
  }
  return new Request(own, { method: req.method ?? 'GET', headers });
}

function responseHeaders(response: Response): [string, string][] {
  const out: [string, string][] = [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out.push([name, value]);
  });
  for (const c of response.headers.getSetCookie()) out.push(['set-cookie', c]);
  return out;
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of responseHeaders(response)) res.appendHeader(name, value);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  let done = false;
  res.on('close', () => {
    if (!done) void reader.cancel().catch(() => undefined);
  });
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      if (!res.write(chunk.value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
      }
      if (res.destroyed) return;
    }
    done = true;
    res.end();
  } catch {
    res.destroy();
  }
}

/** Answers a refused upgrade on the raw socket with the handler's response, then closes it. */
async function refuseUpgrade(socket: Socket, response: Response): Promise<void> {
  const body = Buffer.from(await response.text(), 'utf8');
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  for (const [name, value] of responseHeaders(response)) {
    if (name !== 'content-length') lines.push(`${name}: ${value}`);
  }
  lines.push(`content-length: ${body.length}`, 'connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]));
}

/** Relays one WebSocket to its own port on the service worker, text both ways, unparsed. */
function relay(ws: WebSocket, worker: ServiceWorker): void {
  const port = worker.connect(false);
  let closed = false;
  const closeBoth = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    port.close();
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      ws.close(code, reason);
    }
  };
  port.onMessage((data) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      closeBoth(1013, 'the page is not reading its messages');
      ws.terminate();
      return;
    }
    ws.send(data);
  });
  port.onClose(() => closeBoth(1011, 'the service closed this connection'));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      closeBoth(1003, 'text frames only');
      return;
    }
    port.send(rawText(data));
  });
  ws.on('close', () => closeBoth(1000, ''));
  ws.on('error', () => closeBoth(1011, ''));
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
