import { runCli } from '../../support/cli.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { BrokerSettings } from '../../../contract/broker.js';
import { defaultBrokerSettings } from '../../../main/broker/settings-store.js';
import { main } from '../../../main/shells/cli.js';
import { promptSecret, type SecretInput } from '../../../main/shells/cli/admin-support.js';
import {
  applyOverrides,
  describeExternal,
  readPasswordFile,
  saslPassword,
} from '../../../main/shells/cli/broker.js';
import { UsageError, type CliContext } from '../../../main/shells/cli/command.js';

const dir = mkdtempSync(join(tmpdir(), 'vi-broker-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const jvm = defaultBrokerSettings();
const external = (more: Partial<NonNullable<BrokerSettings['external']>> = {}): BrokerSettings => ({
  ...defaultBrokerSettings(),
  provider: 'external',
  external: { brokers: ['k1:9093'], ...more },
});
const savedSasl = { mechanism: 'scram-sha-512' as const, username: 'app', password: 'saved-pw' };

function context(env: NodeJS.ProcessEnv = {}) {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ctx: CliContext = {
    stdout: new PassThrough(),
    stderr,
    env,
    signal: new AbortController().signal,
  };
  return { ctx, stderrText: () => err };
}

/** A stand-in terminal: isTTY with a raw mode switch, fed by the test. */
function fakeTerminal() {
  const stream = new PassThrough() as PassThrough & SecretInput;
  const modes: boolean[] = [];
  Object.assign(stream, {
    isTTY: true,
    isRaw: false,
    setRawMode(mode: boolean) {
      modes.push(mode);
      return stream;
    },
  });
  return { stream, modes };
}

const notTerminal = new PassThrough() as PassThrough & SecretInput;

describe('broker SASL/TLS flags', () => {
  it('apply only to --provider external', () => {
    for (const flags of [
      { 'sasl-mechanism': 'plain', 'sasl-username': 'u' },
      { 'sasl-password-file': 'f' },
      { tls: true },
      { 'ca-file': 'ca.pem' },
      { 'tls-insecure': true },
      { 'no-sasl': true },
    ]) {
      assert.throws(
        () => applyOverrides(jvm, flags),
        (err: unknown) =>
          err instanceof UsageError && /applies to --provider external/.test(err.message),
      );
      assert.throws(
        () => applyOverrides(external(), { provider: 'docker', ...flags }),
        /applies to --provider external/,
      );
    }
  });

  it('need a cluster to apply to', () => {
    assert.throws(
      () => applyOverrides(jvm, { provider: 'external', tls: true }),
      /--tls needs the cluster: give --brokers/,
    );
  });

  it('take the mechanism and the username together, the mechanism checked', () => {
    assert.throws(
      () => applyOverrides(external(), { 'sasl-mechanism': 'plain' }),
      /go together: give --sasl-username/,
    );
    assert.throws(
      () => applyOverrides(external(), { 'sasl-username': 'u' }),
      /go together: give --sasl-mechanism/,
    );
    assert.throws(
      () => applyOverrides(external(), { 'sasl-mechanism': 'gssapi', 'sasl-username': 'u' }),
      /--sasl-mechanism gssapi: use plain, scram-sha-256 or scram-sha-512/,
    );
    assert.throws(
      () => applyOverrides(external(), { 'sasl-mechanism': 'plain', 'sasl-username': ' ' }),
      /--sasl-username must not be empty/,
    );
    const { sasl } = applyOverrides(external(), {
      'sasl-mechanism': 'SCRAM-SHA-256',
      'sasl-username': 'alice',
    });
    assert.deepEqual(sasl, { mechanism: 'scram-sha-256', username: 'alice' });
  });

  it('--sasl-password-file alone re-uses the saved login, and needs one', () => {
    const { sasl } = applyOverrides(external({ sasl: savedSasl }), { 'sasl-password-file': 'f' });
    assert.deepEqual(sasl, { mechanism: 'scram-sha-512', username: 'app' });
    assert.throws(
      () => applyOverrides(external(), { 'sasl-password-file': 'f' }),
      /needs --sasl-mechanism and --sasl-username \(no SASL login is saved\)/,
    );
  });

  it('--no-sasl and --no-tls drop the saved settings and contradict the others', () => {
    const saved = external({ sasl: savedSasl, tls: { enabled: true, rejectUnauthorized: true } });
    const { settings, sasl } = applyOverrides(saved, { 'no-sasl': true, 'no-tls': true });
    assert.equal(sasl, null);
    assert.deepEqual(settings.external, { brokers: ['k1:9093'] });
    assert.equal(saved.external?.sasl, savedSasl, 'the saved settings are not changed');
    assert.throws(
      () => applyOverrides(saved, { 'no-sasl': true, 'sasl-password-file': 'f' }),
      /--no-sasl and --sasl-password-file contradict/,
    );
    assert.throws(
      () => applyOverrides(saved, { 'no-tls': true, 'ca-file': 'ca.pem' }),
      /--no-tls and --ca-file contradict/,
    );
  });

  it('TLS flags replace the saved TLS settings; --ca-file implies TLS and is made absolute', () => {
    const saved = external({
      tls: { enabled: true, caFile: '/old/ca.pem', rejectUnauthorized: false },
    });
    assert.deepEqual(applyOverrides(saved, { tls: true }).settings.external?.tls, {
      enabled: true,
      rejectUnauthorized: true,
    });
    assert.deepEqual(applyOverrides(external(), { 'ca-file': 'ca.pem' }).settings.external?.tls, {
      enabled: true,
      rejectUnauthorized: true,
      caFile: resolve('ca.pem'),
    });
    assert.deepEqual(applyOverrides(external(), { 'tls-insecure': true }).settings.external?.tls, {
      enabled: true,
      rejectUnauthorized: false,
    });
    assert.throws(() => applyOverrides(external(), { 'ca-file': '' }), /--ca-file needs/);
    // Without TLS flags the saved ones stay, as do the SASL settings.
    const kept = applyOverrides(saved, { brokers: 'k2:9093' }).settings.external;
    assert.deepEqual(kept?.tls, saved.external?.tls);
    assert.deepEqual(kept?.brokers, ['k2:9093']);
  });

  it('describes the settings with the password masked', () => {
    const text = describeExternal(
      external({
        sasl: savedSasl,
        tls: { enabled: true, caFile: '/etc/ca.pem', rejectUnauthorized: true },
      }),
    );
    assert.equal(
      text,
      'external cluster: k1:9093, SASL SCRAM-SHA-512 as "app" (password ********), TLS with CA /etc/ca.pem',
    );
    assert.doesNotMatch(text, /saved-pw/);
  });
});

describe('the SASL password', () => {
  const request = { mechanism: 'scram-sha-256' as const, username: 'alice' };

  it('is the first line of --sasl-password-file, which beats the environment', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'from-file\r\nsecond line\n');
    const { ctx } = context({ KAFKA_SASL_PASSWORD: 'from-env' });
    assert.equal(await saslPassword(request, file, ctx, notTerminal), 'from-file');
    writeFileSync(file, 'no newline');
    assert.equal(readPasswordFile(file), 'no newline');
    writeFileSync(file, ' spaces kept \n');
    assert.equal(readPasswordFile(file), ' spaces kept ');
    writeFileSync(file, '\nsecond');
    assert.throws(() => readPasswordFile(file), /first line is empty/);
    assert.throws(() => readPasswordFile(join(dir, 'missing')), /missing does not exist/);
    assert.throws(() => readPasswordFile(dir), UsageError);
  });

  it('else comes from KAFKA_SASL_PASSWORD', async () => {
    const { ctx } = context({ KAFKA_SASL_PASSWORD: 'from-env' });
    assert.equal(await saslPassword(request, undefined, ctx, notTerminal), 'from-env');
  });

  it('without either and without a terminal is a usage error that says how to give it', async () => {
    const { ctx } = context({ KAFKA_SASL_PASSWORD: '' });
    await assert.rejects(
      saslPassword(request, undefined, ctx, notTerminal),
      (err: unknown) =>
        err instanceof UsageError &&
        /no SASL password for "alice" \(SCRAM-SHA-256\): set KAFKA_SASL_PASSWORD, or pass --sasl-password-file FILE/.test(
          err.message,
        ),
    );
  });

  it('is asked for on a terminal, without echo', async () => {
    const { stream, modes } = fakeTerminal();
    const { ctx, stderrText } = context();
    const answer = saslPassword(request, undefined, ctx, stream);
    stream.write('s3cx');
    stream.write('\u007fret\r');
    assert.equal(await answer, 's3cret');
    assert.equal(stderrText(), 'SASL password for "alice" (SCRAM-SHA-256): \n');
    assert.deepEqual(modes, [true, false], 'raw mode on while typing, then restored');
  });

  it('an empty answer is a usage error; Ctrl-C cancels', async () => {
    const empty = fakeTerminal();
    const answer = saslPassword(request, undefined, context().ctx, empty.stream);
    empty.stream.write('\r');
    await assert.rejects(answer, /no SASL password entered/);

    const cancelled = fakeTerminal();
    const prompt = promptSecret(context().ctx, 'pw: ', cancelled.stream);
    cancelled.stream.write('abc\u0003');
    await assert.rejects(prompt, /cancelled at the password prompt/);
    assert.deepEqual(cancelled.modes, [true, false]);
  });
});

describe('broker command: SASL/TLS usage errors exit 2', () => {
  async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const r = await runCli(main, ['broker', ...argv], { VI_HOME: join(dir, 'home'), ...env });
    return { code: r.code, out: r.stdout, err: r.stderr };
  }

  it('names the flag and what to do', async () => {
    const jvmSasl = await cli(['status', '--sasl-mechanism', 'plain', '--sasl-username', 'u']);
    assert.equal(jvmSasl.code, 2);
    assert.match(
      jvmSasl.err,
      /^volatility-insight broker: --sasl-mechanism applies to --provider external/,
    );

    const bad = await cli([
      'start',
      '--provider',
      'external',
      '--brokers',
      'k:1',
      '--sasl-mechanism',
      'md5',
      '--sasl-username',
      'u',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /use plain, scram-sha-256 or scram-sha-512/);
    assert.match(bad.err, /^usage: volatility-insight broker /m);
    assert.ok(bad.err.includes('--sasl-mechanism plain|scram-sha-256|scram-sha-512'), bad.err);

    const flagValue = await cli([
      'start',
      '--provider',
      'external',
      '--brokers',
      'k:1',
      '--sasl-password',
      'x',
    ]);
    assert.equal(flagValue.code, 2, 'there is no --sasl-password flag');
  });

  it('a missing password without a terminal says how to give it', async (t) => {
    if (process.stdin.isTTY) return t.skip('stdin is a terminal here: the command would prompt');
    const r = await cli([
      'start',
      '--provider',
      'external',
      '--brokers',
      'k:1',
      '--sasl-mechanism',
      'plain',
      '--sasl-username',
      'u',
      '--save',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.err, /no SASL password for "u" \(PLAIN\): set KAFKA_SASL_PASSWORD/);
    assert.doesNotMatch(r.err, /^saved broker settings/m, 'nothing saved');
    assert.equal(existsSync(join(dir, 'home', 'settings.json')), false, 'no settings file');
  });

  it('the help lists the SASL and TLS flags', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const flag of [
      '--sasl-mechanism',
      '--sasl-username',
      '--sasl-password-file',
      '--tls',
      '--ca-file',
      '--tls-insecure',
      'KAFKA_SASL_PASSWORD',
    ]) {
      assert.ok(r.out.includes(flag), flag);
    }
  });
});
