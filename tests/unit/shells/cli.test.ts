import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from '../../../contract/rpc.js';
import { VolatilityService, createLocalApi } from '../../../main/service.js';
import { main } from '../../../main/shells/cli.js';
import { runCli } from '../../support/cli.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await runCli(main, argv, env);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('CLI', () => {
  it('lists the commands', async () => {
    const r = await cli(['help']);
    assert.equal(r.code, 0);
    for (const c of ['run', 'produce', 'enrich', 'broker', 'topics', 'groups', 'export']) {
      assert.match(r.out, new RegExp(`\\n  ${c} `));
    }
  });
  it('unknown command: exit 2 with the usage', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command "frobnicate"/);
  });
  it('bad flags: exit 2, one line that says what to fix', async () => {
    const rate = await cli(['produce', '--rate', 'fast']);
    assert.equal(rate.code, 2);
    assert.match(rate.err, /--rate must be a positive number/);
    const unknown = await cli(['enrich', '--bogus']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /bogus/);
    const start = await cli(['run', '--sim-start', 'noon']);
    assert.equal(start.code, 2);
    assert.match(start.err, /--sim-start must be an ISO-8601/);
  });
  it('no broker: exit 1 with a reason and what to do, within a bound', async () => {
    const started = Date.now();
    const r = await cli(['produce', '--count', '1', '--brokers', '127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot reach Kafka at 127\.0\.0\.1:1/);
    assert.match(r.err, /broker start/);
    assert.ok(Date.now() - started < 15_000);
  });
  it('the core says what happened in words for every shell; the CLI adds its flags', async () => {
    const service = new VolatilityService({ env: {}, brokers: ['127.0.0.1:1'] });
    const api = createLocalApi(service, { trusted: true });
    try {
      await assert.rejects(api.call('producer.start', { count: 1 }), (err: unknown) => {
        assert.ok(err instanceof ServiceError);
        assert.equal(err.code, 'broker-unavailable');
        assert.match(err.message, /no Kafka broker answers at 127\.0\.0\.1:1/);
        assert.doesNotMatch(err.message, /--[a-z]/, 'no CLI flag in a core message');
        return true;
      });
    } finally {
      await service.shutdown(5000);
      api.close();
    }
    const r = await cli(['produce', '--count', '1', '--brokers', '127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
    assert.match(r.err, /^volatility-insight produce: no Kafka broker answers at 127\.0\.0\.1:1/);
    assert.match(
      r.err,
      /\(start one with `volatility-insight broker start`, or pass --brokers HOST:PORT\)$/m,
    );
  });
  it('a bad --brokers list is a usage error', async () => {
    const r = await cli(['topics', 'list', '--brokers', 'nohost']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--brokers "nohost": expected HOST:PORT/);
  });
  it('serve: bad flags are usage errors', async () => {
    assert.equal((await cli(['serve', '--port', 'x'])).code, 2);
    assert.equal((await cli(['serve', 'extra'])).code, 2);
  });
});
