// The edge server on a shared machine (issue 7): token required and exchanged for a cookie, the
// Host header checked (DNS rebinding), WebSocket upgrades checked for Origin and cookie, static
// files only from the renderer folder, downloads served once, temp folder removed on close.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_FRAME_BYTES } from '../../../contract/rpc.js';
import { startEdgeServer, type EdgeServer } from '../../../main/shells/edge/server.js';
import { tempDir } from '../../support/jvm-broker.js';
import { isolatedServiceOptions, rawGet, signIn, tryWebSocket } from './edge-support.js';

const TOKEN = 'test-token-0123456789abcdef';
const SECRET = 'do-not-serve-this-secret';
const env = isolatedServiceOptions();
const files = tempDir('vi-edge-files-');
const rendererDir = join(files.path, 'renderer');
let server: EdgeServer;
let cookie: string;

before(async () => {
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(rendererDir, 'app.js'), 'console.log("app");');
  writeFileSync(join(files.path, 'secret.txt'), SECRET);
  mkdirSync(join(files.path, 'renderer-other'));
  writeFileSync(join(files.path, 'renderer-other', 'x.txt'), SECRET);
  server = await startEdgeServer({ token: TOKEN, rendererDir, serviceOptions: env.options });
  cookie = await signIn(server);
});

after(async () => {
  await server?.close();
  env.cleanup();
  files.cleanup();
});

function assertSecurityHeaders(headers: Record<string, string | string[] | undefined>) {
  const csp = String(headers['content-security-policy']);
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ]) {
    assert.ok(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
  }
  assert.ok(!csp.includes('unsafe'), csp);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
}

describe('the token', () => {
  it('is in the printed address, and the loopback bind has no warning', () => {
    assert.equal(server.url, `${server.origin}/?token=${TOKEN}`);
    assert.equal(server.warning, null);
  });

  it('a request without token or cookie gets 401 and a plain sentence', async () => {
    const res = await rawGet(server.origin, '/');
    assert.equal(res.status, 401);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /token/);
    assertSecurityHeaders(res.headers);
  });

  it('a wrong token gets 401 and no cookie', async () => {
    const res = await rawGet(server.origin, '/?token=wrong-token-0123456789abcdef');
    assert.equal(res.status, 401);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('a wrong cookie gets 401', async () => {
    const res = await rawGet(server.origin, '/', {
      cookie: `vi_edge_${server.port}=wrong-token-0123456789abcdef`,
    });
    assert.equal(res.status, 401);
  });

  it('the right token sets an HttpOnly SameSite=Strict cookie and redirects to the clean address', async () => {
    const res = await rawGet(server.origin, '/index.html?token=' + TOKEN + '&x=1');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/index.html?x=1');
    const set = String(res.headers['set-cookie']);
    assert.match(set, new RegExp(`^vi_edge_${server.port}=${TOKEN};`));
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    assert.match(set, /Path=\//);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('the cookie opens the app, with the security headers', async () => {
    const res = await rawGet(server.origin, '/', { cookie });
    assert.equal(res.status, 200);
    assert.match(res.body, /<title>app<\/title>/);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assertSecurityHeaders(res.headers);
    const js = await rawGet(server.origin, '/app.js', { cookie });
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
  });
});

describe('the Host header', () => {
  for (const host of ['localhost', '127.0.0.1']) {
    it(`${host} with the port is accepted`, async () => {
      const res = await rawGet(server.origin, '/', { cookie, host: `${host}:${server.port}` });
      assert.equal(res.status, 200);
    });
  }

  for (const host of [
    'evil.example',
    'evil.example:PORT',
    '127.0.0.1:1',
    'localhost.evil.example:PORT',
  ]) {
    it(`${host} is refused with 403, even with the token`, async () => {
      const h = host.replace('PORT', String(server.port));
      const res = await rawGet(server.origin, `/?token=${TOKEN}`, { host: h });
      assert.equal(res.status, 403);
      assert.equal(res.headers['set-cookie'], undefined);
      assert.match(res.body, /only answers at/);
      assertSecurityHeaders(res.headers);
    });
  }
});

describe('static files', () => {
  for (const path of [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/../renderer-other/x.txt',
    '/a/../../secret.txt',
    '/secret.txt%00.js',
  ]) {
    it(`${path} is refused`, async () => {
      const res = await rawGet(server.origin, path, { cookie });
      assert.ok([400, 403, 404].includes(res.status), `${path}: ${res.status}`);
      assert.ok(!res.body.includes(SECRET));
    });
  }

  it('an unknown file is 404; an unknown API path is 404 with no-store', async () => {
    assert.equal((await rawGet(server.origin, '/nope.js', { cookie })).status, 404);
    const api = await rawGet(server.origin, '/api/nope', { cookie });
    assert.equal(api.status, 404);
    assert.equal(api.headers['cache-control'], 'no-store');
  });
});

describe('WebSocket upgrades', () => {
  it('a foreign Origin is refused with 403', async () => {
    const out = await tryWebSocket(server.origin, { cookie, origin: 'http://evil.example' });
    assert.equal(out.open, false);
    if (!out.open) {
      assert.equal(out.status, 403);
      assert.match(out.body, /another site/);
    }
  });

  it('a missing Origin is refused with 403', async () => {
    const out = await tryWebSocket(server.origin, { cookie });
    assert.equal(out.open ? 0 : out.status, 403);
  });

  it('a missing cookie is refused with 401', async () => {
    const out = await tryWebSocket(server.origin, { origin: server.origin });
    assert.equal(out.open ? 0 : out.status, 401);
  });

  it('a foreign Host is refused with 403', async () => {
    const out = await tryWebSocket(server.origin, {
      cookie,
      origin: 'http://evil.example',
      host: 'evil.example',
    });
    assert.equal(out.open ? 0 : out.status, 403);
  });

  it('another path is refused', async () => {
    const out = await tryWebSocket(server.origin, { cookie, origin: server.origin }, '/api/other');
    assert.equal(out.open ? 0 : out.status, 404);
  });

  it('the right Origin and cookie connect; binary and oversized frames close the socket', async () => {
    const first = await tryWebSocket(server.origin, { cookie, origin: server.origin });
    assert.ok(first.open);
    if (!first.open) return;
    const closed = new Promise<number>((resolve) => first.ws.on('close', (code) => resolve(code)));
    first.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal(await closed, 1003);

    const second = await tryWebSocket(server.origin, { cookie, origin: server.origin });
    assert.ok(second.open);
    if (!second.open) return;
    const closed2 = new Promise<number>((resolve) =>
      second.ws.on('close', (code) => resolve(code)),
    );
    second.ws.on('error', () => undefined);
    second.ws.send('x'.repeat(MAX_FRAME_BYTES + 1));
    assert.equal(await closed2, 1009);
  });
});

describe('downloads', () => {
  it('a download is served once with its name as an attachment, then 404', async () => {
    const id = randomUUID();
    const content = 'timestamp,symbol\n2025-07-07T14:00:00.000Z,AAPL\n';
    writeFileSync(join(server.downloadDir, id), content);
    const path = `/api/downloads/${id}?name=trades.csv`;

    assert.equal((await rawGet(server.origin, path)).status, 401);
    assert.equal(
      (await rawGet(server.origin, `${path.split('?')[0]}?name=../x`, { cookie })).status,
      400,
    );

    const res = await rawGet(server.origin, path, { cookie });
    assert.equal(res.status, 200);
    assert.equal(res.body, content);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="trades.csv"');
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(content)));
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(readdirSync(server.downloadDir), []);

    assert.equal((await rawGet(server.origin, path, { cookie })).status, 404);
  });

  it('an unknown or malformed id is 404', async () => {
    assert.equal(
      (await rawGet(server.origin, `/api/downloads/${randomUUID()}`, { cookie })).status,
      404,
    );
    assert.equal(
      (await rawGet(server.origin, '/api/downloads/..%2fsecret.txt', { cookie })).status,
      404,
    );
  });
});

describe('a server beyond loopback and with a bad token', () => {
  it('a short VI_EDGE_TOKEN is refused before anything starts', async () => {
    await assert.rejects(
      startEdgeServer({ serviceOptions: { env: { ...env.options.env, VI_EDGE_TOKEN: 'short' } } }),
      /16 to 512/,
    );
  });

  it('a wildcard bind warns, and close removes the download folder', async () => {
    const wide = await startEdgeServer({
      host: '0.0.0.0',
      rendererDir,
      serviceOptions: env.options,
    });
    try {
      assert.match(String(wide.warning), /beyond this machine/);
      assert.ok(wide.url.startsWith(`http://127.0.0.1:${wide.port}/?token=`));
      assert.ok(existsSync(wide.downloadDir));
      const res = await rawGet(wide.origin, '/', { host: `localhost:${wide.port}` });
      assert.equal(res.status, 401);
    } finally {
      await wide.close();
    }
    assert.ok(!existsSync(wide.downloadDir));
  });
});
