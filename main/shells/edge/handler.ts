import { randomBytes, randomUUID } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import {
  allowedHosts,
  cookieName,
  readCookie,
  sessionCookie,
  tokenMatches,
  urlHost,
} from './security.js';

/**
 * The edge server as a web-standard handler, `(Request) => Promise<Response>`: the token
 * exchange, static renderer files, one-time downloads, and uploads of files to replay. The WebSocket itself is carried by
 * the runtime's adapter (server.ts), which asks `checkUpgrade` first. Nothing from outside is
 * ever rendered as HTML: every refusal is a plain-text sentence.
 */

export interface EdgeHandlerOptions {
  token: string;
  /** The port the server listens on (Host and cookie checks). */
  port: number;
  /** The address it is bound to. */
  boundHost: string;
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  /** Where the service writes download exports, as `<downloadDir>/<uuid>`. */
  downloadDir: string;
  /**
   * Uploads (POST /api/uploads): stored as `<dir>/upload-<uuid>-<name>`, at most `maxBytes`,
   * then handed to `grant` (the server grants the file to the service for reading). Absent: 404.
   */
  uploads?: {
    dir: string;
    maxBytes: number;
    grant(path: string): Promise<{ grant: string }>;
  };
}

export interface EdgeHandler {
  handle(request: Request): Promise<Response>;
  /** A WebSocket upgrade at /api/ws: null when allowed, else the refusal to send. */
  checkUpgrade(request: Request): Response | null;
}

export const WS_PATH = '/api/ws';
export const DOWNLOADS_PATH = '/api/downloads/';
export const UPLOADS_PATH = '/api/uploads';
/** The upload's file name (letters, digits, dots, underscores, hyphens); only shown, never run. */
export const UPLOAD_NAME_HEADER = 'x-file-name';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const DEFAULT_DOWNLOAD_NAME = 'volatility-insight-export';
/** Download chunks, in bytes. */
const CHUNK_BYTES = 64 * 1024;

const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Volatility Insight</title></head>
<body>
<h1>Volatility Insight</h1>
<p>The edge server is running, but the interface is not built yet: run <code>npm run build:renderer</code>, then reload this page.</p>
</body>
</html>
`;

/** Sets the headers every response carries. */
function secured(response: Response, cache: 'no-store' | 'no-cache'): Response {
  const h = response.headers;
  h.set('Content-Security-Policy', CSP);
  h.set('X-Content-Type-Options', 'nosniff');
  h.set('Referrer-Policy', 'no-referrer');
  h.set('X-Frame-Options', 'DENY');
  h.set('Cross-Origin-Opener-Policy', 'same-origin');
  h.set('Cross-Origin-Resource-Policy', 'same-origin');
  if (!h.has('Cache-Control')) h.set('Cache-Control', cache);
  return response;
}

function text(status: number, sentence: string, headers: Record<string, string> = {}): Response {
  return secured(
    new Response(`${sentence}\n`, {
      status,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers },
    }),
    'no-store',
  );
}

const NEED_TOKEN =
  'This server needs its access token: open the address it printed when it started (it ends in ?token=…).';

export function createEdgeHandler(options: EdgeHandlerOptions): EdgeHandler {
  const hosts = allowedHosts(options.boundHost, options.port);
  const rendererRoot = resolve(options.rendererDir);
  const downloadRoot = resolve(options.downloadDir);
  const cookie = cookieName(options.port);
  const shownHost = `http://${urlHost(options.boundHost)}:${options.port}`;

  /** The Host check (DNS rebinding): a refusal, or null. */
  function checkHost(request: Request): Response | null {
    const host = request.headers.get('host')?.toLowerCase();
    if (host && hosts.has(host)) return null;
    return text(
      403,
      `This server only answers at ${shownHost} or http://localhost:${options.port}: open that address instead.`,
    );
  }

  function hasSession(request: Request): boolean {
    return tokenMatches(readCookie(request.headers, cookie), options.token);
  }

  /** The Origin must be this server's own (cross-site WebSockets and POSTs): a refusal, or null. */
  function checkOrigin(request: Request): Response | null {
    const origin = request.headers.get('origin');
    const host = request.headers.get('host')?.toLowerCase();
    if (origin === null || origin.toLowerCase() !== `http://${host}`) {
      return text(
        403,
        'This connection comes from another site: only pages served by this server may connect.',
      );
    }
    return null;
  }

  function checkUpgrade(request: Request): Response | null {
    const refusedHost = checkHost(request);
    if (refusedHost) return refusedHost;
    const url = new URL(request.url);
    if (url.pathname !== WS_PATH) return text(404, `Nothing to connect to here: use ${WS_PATH}.`);
    const refusedOrigin = checkOrigin(request);
    if (refusedOrigin) return refusedOrigin;
    if (!hasSession(request)) return text(401, NEED_TOKEN);
    return null;
  }

  async function handle(request: Request): Promise<Response> {
    const refusedHost = checkHost(request);
    if (refusedHost) return refusedHost;
    if (new URL(request.url).pathname === UPLOADS_PATH) return upload(request);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return text(405, 'Only GET requests are served here.', { Allow: 'GET, HEAD' });
    }
    const url = new URL(request.url);

    // The token exchange: the address with ?token= sets the cookie, then the clean address.
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (!tokenMatches(given, options.token)) {
        return text(
          401,
          'The token in this address is not this server’s: open the address it printed when it started.',
        );
      }
      url.searchParams.delete('token');
      const location = `${url.pathname}${url.search}`;
      return text(303, 'Signed in: continue at the address without the token.', {
        Location: location,
        'Set-Cookie': sessionCookie(options.port, options.token),
      });
    }
    if (!hasSession(request)) return text(401, NEED_TOKEN);

    if (url.pathname === WS_PATH) {
      return text(426, 'This address is for WebSocket connections only.', { Upgrade: 'websocket' });
    }
    if (url.pathname.startsWith(DOWNLOADS_PATH)) return download(request, url);
    if (url.pathname.startsWith('/api/')) return text(404, 'No such API endpoint.');
    return staticFile(request, url);
  }

  async function staticFile(request: Request, url: URL): Promise<Response> {
    const raw = url.pathname;
    // Encoded separators or NUL would let a name cross folders after decoding.
    if (/%2f|%5c|%00/i.test(raw) || raw.includes('\\')) {
      return text(400, 'This address is not a file of the app.');
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return text(400, 'This address is not a file of the app.');
    }
    const relative = decoded === '/' ? '/index.html' : decoded;
    const file = resolve(rendererRoot, `.${relative}`);
    if (!file.startsWith(rendererRoot + sep)) {
      return text(403, 'This address is outside the app’s files.');
    }
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) {
      if (relative === '/index.html') {
        return secured(
          new Response(request.method === 'HEAD' ? null : PLACEHOLDER, {
            headers: { 'Content-Type': 'text/html; charset=utf-8' },
          }),
          'no-store',
        );
      }
      return text(404, 'No such file in the app.');
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const body = request.method === 'HEAD' ? null : await readFile(file);
    return secured(
      new Response(body, {
        headers: { 'Content-Type': type, 'Content-Length': String(info.size) },
      }),
      'no-cache',
    );
  }

  async function download(request: Request, url: URL): Promise<Response> {
    if (request.method !== 'GET') return text(405, 'Downloads are fetched with GET.');
    const id = url.pathname.slice(DOWNLOADS_PATH.length);
    if (!UUID.test(id)) return text(404, 'No such download.');
    const name = url.searchParams.get('name') ?? DEFAULT_DOWNLOAD_NAME;
    if (!FILE_NAME.test(name)) {
      return text(
        400,
        'A download name may hold only letters, digits, dots, underscores and hyphens (at most 200).',
      );
    }
    // Claim the file by renaming it: a second request (or a concurrent one) finds nothing.
    const source = resolve(downloadRoot, id);
    const claimed = resolve(downloadRoot, `.serving-${id}-${randomBytes(6).toString('hex')}`);
    try {
      await rename(source, claimed);
    } catch {
      return text(
        404,
        'No such download: it was already downloaded, or its export has not finished. Run the export again.',
      );
    }
    const handle = await open(claimed, 'r');
    const size = (await handle.stat()).size;
    let finished = false;
    let sent = 0;
    const cleanup = async () => {
      if (finished) return;
      finished = true;
      await handle.close().catch(() => undefined);
      await rm(claimed, { force: true }).catch(() => undefined);
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const buffer = new Uint8Array(CHUNK_BYTES);
          const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
          sent += bytesRead;
          // The file is gone before its last bytes leave: a client that has it all finds nothing.
          if (bytesRead === 0 || sent >= size) await cleanup();
          if (bytesRead > 0) controller.enqueue(buffer.subarray(0, bytesRead));
          if (bytesRead === 0 || sent >= size) controller.close();
        } catch (err) {
          await cleanup();
          controller.error(err);
        }
      },
      cancel: cleanup,
    });
    return secured(
      new Response(body, {
        headers: {
          'Content-Type': name.toLowerCase().endsWith('.csv')
            ? 'text/csv; charset=utf-8'
            : 'application/octet-stream',
          'Content-Length': String(size),
          'Content-Disposition': `attachment; filename="${name}"`,
        },
      }),
      'no-store',
    );
  }

  /**
   * POST /api/uploads: a file to replay, streamed to the server's upload folder (never whole in
   * memory, never read by the server) up to the size cap, then granted to the service for
   * reading. Answers `{ "grant": … }`. A state-changing request: Origin and cookie both checked
   * (the cookie is SameSite=Strict; the Origin check does not rely on that).
   */
  async function upload(request: Request): Promise<Response> {
    if (request.method !== 'POST') {
      return text(405, 'Files are uploaded with POST.', { Allow: 'POST' });
    }
    const refusedOrigin = checkOrigin(request);
    if (refusedOrigin) return refusedOrigin;
    if (!hasSession(request)) return text(401, NEED_TOKEN);
    const uploads = options.uploads;
    if (!uploads) return text(404, 'This server does not take uploads.');
    const name = request.headers.get(UPLOAD_NAME_HEADER) ?? '';
    if (!FILE_NAME.test(name)) {
      return text(
        400,
        `An upload needs its file name in ${UPLOAD_NAME_HEADER}: letters, digits, dots, underscores and hyphens (at most 200).`,
      );
    }
    const tooLarge = () =>
      text(
        413,
        `This file is larger than the server takes (${uploads.maxBytes} bytes): replay it with the CLI, or start the server with a larger VI_EDGE_MAX_UPLOAD_BYTES.`,
        { Connection: 'close' },
      );
    const declared = Number(request.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > uploads.maxBytes) return tooLarge();
    if (!request.body) return text(400, 'The upload has no body.');

    const path = join(resolve(uploads.dir), `upload-${randomUUID()}-${name}`);
    const file = await open(path, 'wx', 0o600);
    let size = 0;
    let over = false;
    const reader = request.body.getReader();
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        size += chunk.value.byteLength;
        if (size > uploads.maxBytes) {
          over = true;
          break;
        }
        await file.write(chunk.value);
      }
    } catch {
      await file.close().catch(() => undefined);
      await rm(path, { force: true });
      return text(400, 'The upload was interrupted: try again.');
    }
    await file.close();
    if (over) {
      await rm(path, { force: true });
      void reader.cancel().catch(() => undefined);
      return tooLarge();
    }
    try {
      const { grant } = await uploads.grant(path);
      return secured(
        new Response(JSON.stringify({ grant }), {
          status: 201,
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
        }),
        'no-store',
      );
    } catch (err) {
      await rm(path, { force: true });
      return text(500, `The service did not take the upload: ${(err as Error).message}`);
    }
  }

  return { handle, checkUpgrade };
}
