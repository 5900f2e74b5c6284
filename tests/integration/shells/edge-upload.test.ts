// Uploads of files to replay in edge mode (issue 11): POST /api/uploads needs the cookie and this
// server's own Origin, takes at most the size cap (413 and nothing left behind past it), stores
// the bytes in the server's own temp folder without reading them, and answers with a grant that
// replay.start accepts from a view; the folder is removed on close. No broker here: the job
// itself is run by the e2e test (tests/e2e/edge-replay.test.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, ServiceError } from '../../../contract/rpc.js';
import { startEdgeServer, type EdgeServer } from '../../../main/shells/edge/server.js';
import { tempDir } from '../../support/jvm-broker.js';
import { isolatedServiceOptions, signIn, type RawResponse } from './edge-support.js';

const TOKEN = 'test-token-upload-0123456789';
const CAP = 64 * 1024;
const CSV = 'time,ticker,price,size\n2025-07-07T09:30:00Z,AAPL,210.5,100\n';
const env = isolatedServiceOptions();
const files = tempDir('vi-edge-upload-');
const rendererDir = join(files.path, 'renderer');
let server: EdgeServer;
let cookie: string;

before(async () => {
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>app</title>');
  server = await startEdgeServer({
    token: TOKEN,
    rendererDir,
    serviceOptions: env.options,
    maxUploadBytes: CAP,
  });
  cookie = await signIn(server);
});

after(async () => {
  await server?.close();
  env.cleanup();
  files.cleanup();
});

/** A raw POST; the body is written in the given chunks (chunked encoding without a length). */
function post(
  path: string,
  headers: Record<string, string>,
  body: Buffer | Buffer[],
): Promise<RawResponse> {
  const url = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: 'POST', headers, agent: false },
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
    if (Buffer.isBuffer(body)) {
      req.end(body);
      return;
    }
    void (async () => {
      for (const chunk of body) {
        if (req.destroyed) return;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(() => undefined);
  });
}

const good = () => ({
  Origin: server.origin,
  Cookie: cookie,
  'X-File-Name': 'trades.csv',
  'Content-Type': 'application/octet-stream',
});

function uploadsLeft(): string[] {
  return readdirSync(server.uploadDir);
}

describe('POST /api/uploads', () => {
  it('without the cookie: 401, nothing stored', async () => {
    const { Cookie: _, ...headers } = good();
    const res = await post('/api/uploads', headers, Buffer.from(CSV));
    assert.equal(res.status, 401);
    assert.match(res.body, /token/);
    assert.deepEqual(uploadsLeft(), []);
  });

  it('from a foreign Origin, or with none: 403 (CSRF), nothing stored', async () => {
    for (const origin of ['http://evil.example', `http://localhost:${server.port + 1}`, null]) {
      const headers: Record<string, string> = { ...good() };
      if (origin === null) delete headers.Origin;
      else headers.Origin = origin;
      const res = await post('/api/uploads', headers, Buffer.from(CSV));
      assert.equal(res.status, 403, `Origin ${origin}`);
    }
    assert.deepEqual(uploadsLeft(), []);
  });

  it('with a foreign Host (DNS rebinding): 403', async () => {
    const res = await post(
      '/api/uploads',
      {
        ...good(),
        Host: `rebind.example:${server.port}`,
        Origin: `http://rebind.example:${server.port}`,
      },
      Buffer.from(CSV),
    );
    assert.equal(res.status, 403);
  });

  it('a file name outside [A-Za-z0-9._-] is refused (400)', async () => {
    for (const name of ['../x.csv', 'a b.csv', '.hidden', '']) {
      const res = await post('/api/uploads', { ...good(), 'X-File-Name': name }, Buffer.from(CSV));
      assert.equal(res.status, 400, `name ${JSON.stringify(name)}`);
    }
    assert.deepEqual(uploadsLeft(), []);
  });

  it('GET is not an upload (405)', async () => {
    const url = new URL(server.origin);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/api/uploads',
          method: 'GET',
          headers: { Cookie: cookie, Origin: server.origin },
          agent: false,
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 405);
  });

  it('over the cap with its length declared: 413 before any byte is stored', async () => {
    const res = await post('/api/uploads', good(), Buffer.alloc(CAP + 1, 0x61));
    assert.equal(res.status, 413);
    assert.match(res.body, /larger/);
    assert.deepEqual(uploadsLeft(), []);
  });

  it('over the cap in chunks (no length): 413, and the partial file is removed', async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x62);
    const res = await post(
      '/api/uploads',
      { ...good(), 'Transfer-Encoding': 'chunked' },
      Array.from({ length: 12 }, () => chunk),
    );
    assert.equal(res.status, 413);
    assert.deepEqual(uploadsLeft(), []);
  });

  it('a good upload is stored as sent and answers a grant that replay.start accepts', async () => {
    const body = Buffer.from(CSV);
    const res = await post('/api/uploads', good(), body);
    assert.equal(res.status, 201, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const { grant } = JSON.parse(res.body) as { grant: string };
    assert.match(grant, /^[0-9a-f-]{36}$/);
    const stored = uploadsLeft();
    assert.equal(stored.length, 1);
    assert.match(stored[0]!, /^upload-[0-9a-f-]{36}-trades\.csv$/);
    assert.deepEqual(readFileSync(join(server.uploadDir, stored[0]!)), body);

    // A view (untrusted, as over the WebSocket) starts the replay with the grant: the grant is
    // known (no 'forbidden'); with no broker here the start stops at the broker instead.
    const api = createClient(server.connect(false));
    try {
      const outcome = await api
        .call('replay.start', { source: { kind: 'grant', grant }, speed: 'max' })
        .then(
          async ({ jobId }) => {
            await api.call('job.cancel', { jobId });
            return 'started';
          },
          (err: unknown) => (err instanceof ServiceError ? err.code : String(err)),
        );
      assert.notEqual(outcome, 'forbidden');
      const bogus = await api
        .call('replay.start', {
          source: { kind: 'grant', grant: '00000000-0000-4000-8000-000000000000' },
        })
        .catch((err: unknown) => (err instanceof ServiceError ? err.code : String(err)));
      assert.equal(bogus, 'forbidden');
    } finally {
      api.close();
    }
  });

  it('close removes the upload folder', async () => {
    const dir = server.uploadDir;
    assert.ok(existsSync(dir));
    await server.close();
    assert.ok(!existsSync(dir));
  });
});
