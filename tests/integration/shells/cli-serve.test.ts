import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { it } from 'node:test';
import { serveCommand } from '../../../main/shells/cli/serve.js';
import type { CliContext } from '../../../main/shells/cli/command.js';
import { tempDir } from '../../support/jvm-broker.js';

it('`serve` prints the address with its token, answers on it, and stops on Ctrl-C', async () => {
  const home = tempDir('vi-cli-serve-');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const abort = new AbortController();
  const token = 'cli-serve-test-token-0123456789';
  const ctx: CliContext = {
    stdout,
    stderr,
    env: { VI_HOME: home.path, VI_EDGE_TOKEN: token },
    signal: abort.signal,
  };
  try {
    const exited = serveCommand.run(['--port', '0'], ctx);
    const deadline = Date.now() + 30_000;
    while (!/token=/.test(out) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0];
    assert.ok(url, `no address printed: ${out}${err}`);
    assert.ok(url.endsWith(`token=${token}`), url);
    assert.doesNotMatch(err, /warning/, 'loopback: no warning');
    const withToken = await fetch(url, { redirect: 'manual' });
    assert.ok(withToken.status < 400, `with the token: ${withToken.status}`);
    const without = await fetch(new URL('/', url), { redirect: 'manual' });
    assert.equal(without.status, 401);
    abort.abort();
    assert.equal(await exited, 0, err);
    await assert.rejects(fetch(url), 'the server is closed');
  } finally {
    abort.abort();
    home.cleanup();
  }
});
