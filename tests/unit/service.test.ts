import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ServiceErrorSchema } from '../../contract/errors.js';
import { ServiceError, jobOutcome } from '../../contract/rpc.js';
import { COMMANDS, COMMAND_NAMES } from '../../contract/service.js';
import { VolatilityService, createLocalApi } from '../../main/service.js';
import { tempDir } from '../support/jvm-broker.js';

const PASSWORD = 'hunter2-not-for-views';

describe('VolatilityService.dispatch (no broker needed)', () => {
  let dir: ReturnType<typeof tempDir>;
  let service: VolatilityService;
  const view = { trusted: false, signal: new AbortController().signal };
  const settingsFile = () => join(dir.path, 'settings.json');

  before(() => {
    dir = tempDir('vi-service-unit-');
    writeFileSync(
      settingsFile(),
      JSON.stringify({
        broker: {
          provider: 'external',
          external: {
            brokers: ['127.0.0.1:1'],
            sasl: { mechanism: 'scram-sha-512', username: 'app', password: PASSWORD },
            tls: { enabled: true, rejectUnauthorized: true },
          },
        },
      }),
    );
    service = new VolatilityService({
      env: { VI_HOME: dir.path },
      settingsFile: settingsFile(),
      db: join(dir.path, 'vi.db'),
    });
  });
  after(async () => {
    await service.shutdown(5000);
    dir.cleanup();
  });

  it('answers an unknown command with the one error shape', async () => {
    const reply = await service.dispatch('rm -rf', {}, view);
    assert.equal(reply.ok, false);
    if (reply.ok) return;
    assert.ok(ServiceErrorSchema.safeParse(reply.error).success);
    assert.equal(reply.error.code, 'invalid-command');
  });

  it('rejects malformed input of every command with invalid-argument', async () => {
    for (const name of COMMAND_NAMES) {
      const reply = await service.dispatch(
        name,
        { bogus: 'x'.repeat(10), lines: -1, jobId: 5 },
        {
          trusted: true,
          signal: view.signal,
        },
      );
      assert.equal(reply.ok, false, `${name} accepted malformed input`);
      if (reply.ok) continue;
      assert.ok(ServiceErrorSchema.safeParse(reply.error).success, name);
      assert.equal(reply.error.code, 'invalid-argument', `${name}: ${reply.error.message}`);
    }
  });

  it('refuses shell-only commands from a view', async () => {
    const shellOnly = COMMAND_NAMES.filter((n) => COMMANDS[n].access === 'shell');
    assert.ok(shellOnly.includes('paths.grant'));
    for (const name of shellOnly) {
      const reply = await service.dispatch(name, { path: '/tmp/x.csv', purpose: 'export' }, view);
      assert.equal(reply.ok, false);
      if (!reply.ok) assert.equal(reply.error.code, 'forbidden');
    }
  });

  it('never returns a password; settings say whether one is set', async () => {
    const reply = await service.dispatch('settings.get', {}, view);
    assert.ok(reply.ok);
    const text = JSON.stringify(reply.result);
    assert.ok(!text.includes(PASSWORD), text);
    const settings = COMMANDS['settings.get'].result.parse(reply.result);
    assert.equal(settings.broker.external?.sasl?.passwordSet, true);
    const state = await service.dispatch('state.get', {}, view);
    assert.ok(state.ok && !JSON.stringify(state.result).includes(PASSWORD));
  });

  it('keeps the weather key write-only', async () => {
    const api = createLocalApi(service, { trusted: false });
    const set = await api.call('settings.update', { weatherApiKey: 'owm-secret-key' });
    assert.equal(set.weather.apiKeySet, true);
    assert.ok(!JSON.stringify(await api.call('state.get', {})).includes('owm-secret-key'));
    const cleared = await api.call('settings.update', { weatherApiKey: null });
    assert.equal(cleared.weather.apiKeySet, false);
  });

  it('exports only to a destination the shell granted, never onto the database', async () => {
    const api = createLocalApi(service, { trusted: false });
    await assert.rejects(
      api.call('export.start', { format: 'csv', destination: { kind: 'grant', grant: 'made-up' } }),
      (err: unknown) => err instanceof ServiceError && err.code === 'forbidden',
    );
    await assert.rejects(
      api.call('export.start', { format: 'csv', destination: { kind: 'download' } }),
      (err: unknown) => err instanceof ServiceError && err.code === 'invalid-argument',
    );
    const shell = createLocalApi(service, { trusted: true });
    await assert.rejects(
      shell.call('paths.grant', { path: 'relative.csv', purpose: 'export' }),
      (err: unknown) => err instanceof ServiceError && err.code === 'invalid-argument',
    );
    const { grant } = await shell.call('paths.grant', {
      path: join(dir.path, 'vi.db'),
      purpose: 'export',
    });
    await assert.rejects(
      api.call('export.start', { format: 'csv', destination: { kind: 'grant', grant } }),
      (err: unknown) =>
        err instanceof ServiceError &&
        err.code === 'invalid-argument' &&
        /database/.test(err.message),
    );
  });

  it("asks destructive commands to be confirmed with the thing's name", async () => {
    const api = createLocalApi(service, { trusted: false });
    await assert.rejects(
      api.call('topics.delete', { name: 'stock_prices', confirm: 'yes' }),
      (err: unknown) => err instanceof ServiceError && err.code === 'invalid-argument',
    );
    // The external provider's data is not the app's to delete.
    await assert.rejects(
      api.call('broker.reset', { confirm: 'external' }),
      (err: unknown) => err instanceof ServiceError && err.code === 'not-configured',
    );
  });

  it('refuses to turn TLS checks off without an acknowledgement', async () => {
    const reply = await service.dispatch(
      'broker.start',
      {
        choice: {
          provider: 'external',
          external: { brokers: ['127.0.0.1:1'], tls: { enabled: true, insecure: true } },
        },
      },
      view,
    );
    assert.equal(reply.ok, false);
    if (!reply.ok) assert.equal(reply.error.code, 'invalid-argument');
  });

  it('saves a broker choice only once the broker answers', async () => {
    const before = readFileSync(settingsFile(), 'utf8');
    const api = createLocalApi(service, { trusted: false });
    await assert.rejects(
      jobOutcome(api, 'broker-start', () =>
        api.call('broker.start', {
          choice: { provider: 'external', external: { brokers: ['127.0.0.1:2'] } },
          save: true,
        }),
      ),
      (err: unknown) => err instanceof ServiceError && err.code !== 'internal',
    );
    assert.equal(readFileSync(settingsFile(), 'utf8'), before);
    assert.deepEqual(await api.call('jobs.list', {}), []);
  });

  it('says there is no broker before starting a pipeline stage, in words for every shell', async () => {
    const api = createLocalApi(service, { trusted: false });
    await assert.rejects(api.call('producer.start', { rate: 1 }), (err: unknown) => {
      assert.ok(err instanceof ServiceError);
      assert.ok(['broker-unavailable', 'auth-failed', 'tls-failed'].includes(err.code), err.code);
      assert.doesNotMatch(err.message, /--[a-z]/);
      return true;
    });
    assert.equal((await api.call('pipeline.status', {})).producer, null);
  });
});
