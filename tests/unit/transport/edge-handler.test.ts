// The edge server's web-standard handler and checks, without a socket: Request in, Response out.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createEdgeHandler } from '../../../main/shells/edge/handler.js';
import {
  allowedHosts,
  isLoopback,
  readCookie,
  tokenMatches,
  urlHost,
} from '../../../main/shells/edge/security.js';
import { tempDir } from '../../support/jvm-broker.js';

const TOKEN = 'unit-token-0123456789abcdef';
const dir = tempDir('vi-edge-unit-');
after(() => dir.cleanup());

const handler = createEdgeHandler({
  token: TOKEN,
  port: 8123,
  boundHost: '127.0.0.1',
  rendererDir: join(dir.path, 'missing-renderer'),
  downloadDir: dir.path,
});
const cookie = `vi_edge_8123=${TOKEN}`;
const req = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  new Request(`http://127.0.0.1:8123${path}`, {
    ...init,
    headers: { host: '127.0.0.1:8123', cookie, ...init.headers },
  });

describe('edge checks', () => {
  it('tokens compare whatever their length; empty never matches', () => {
    assert.ok(tokenMatches(TOKEN, TOKEN));
    assert.ok(!tokenMatches(`${TOKEN}x`, TOKEN));
    assert.ok(!tokenMatches('', TOKEN));
    assert.ok(!tokenMatches(null, TOKEN));
  });

  it('reads one cookie among several', () => {
    const h = new Headers({ cookie: 'a=1; vi_edge_1=abc; b=2' });
    assert.equal(readCookie(h, 'vi_edge_1'), 'abc');
    assert.equal(readCookie(h, 'vi_edge_2'), null);
  });

  it('hosts: the bound address and loopback names with the port', () => {
    const hosts = allowedHosts('127.0.0.1', 80);
    for (const h of ['127.0.0.1:80', 'localhost:80', '[::1]:80']) assert.ok(hosts.has(h), h);
    assert.ok(!hosts.has('localhost:81'));
    assert.ok(allowedHosts('::1', 80).has('[::1]:80'));
    assert.ok(allowedHosts('0.0.0.0', 80).has('127.0.0.1:80'));
    assert.equal(urlHost('::1'), '[::1]');
    assert.ok(isLoopback('127.0.0.2') && isLoopback('[::1]') && !isLoopback('0.0.0.0'));
  });
});

describe('the edge handler', () => {
  it('serves a placeholder that names the build step until the renderer is built', async () => {
    const res = await handler.handle(req('/'));
    assert.equal(res.status, 200);
    assert.match(await res.text(), /npm run build:renderer/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  it('refuses other methods, and plain GETs of the WebSocket path', async () => {
    assert.equal((await handler.handle(req('/', { method: 'POST' }))).status, 405);
    assert.equal((await handler.handle(req('/api/ws'))).status, 426);
  });

  it('upgrades: own origin and cookie pass; anything else is refused', () => {
    const ws = (headers: Record<string, string>) => req('/api/ws', { headers });
    assert.equal(handler.checkUpgrade(ws({ origin: 'http://127.0.0.1:8123' })), null);
    assert.equal(handler.checkUpgrade(ws({ origin: 'http://localhost:8123' }))?.status, 403);
    assert.equal(handler.checkUpgrade(ws({ origin: 'null' }))?.status, 403);
    assert.equal(
      handler.checkUpgrade(ws({ origin: 'http://127.0.0.1:8123', cookie: 'x=1' }))?.status,
      401,
    );
    assert.equal(
      handler.checkUpgrade(ws({ host: 'localhost:8123', origin: 'http://localhost:8123' })),
      null,
    );
  });
});
