import { assertOneLineFailure, runCli } from '../../support/cli.js';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { TopicInfoSchema } from '../../../contract/admin.js';
import { BrokerSettingsSchema, BrokerStatusSchema } from '../../../contract/broker.js';
import { brokerCommand } from '../../../main/shells/cli/broker.js';
import type { CliCommand } from '../../../main/shells/cli/command.js';
import { topicsCommand } from '../../../main/shells/cli/topics.js';
import { tempDir } from '../../support/jvm-broker.js';
import { PASSWORD, startSecureBroker, USER, type SecureBroker } from '../broker/secure-broker.js';

const WRONG_PASSWORD = 'wrong-Pa55word';

let broker: SecureBroker;
let home: ReturnType<typeof tempDir>;
/** Everything any command printed: checked at the end for passwords. */
const printed: string[] = [];

before(async () => {
  broker = await startSecureBroker();
  home = tempDir('vi-cli-external-');
});
after(async () => {
  await broker?.stop();
  home?.cleanup();
});

/** Runs a command with captured output; VI_HOME keeps its settings file in a temp dir. */
async function run(command: CliCommand, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const result = await runCli(command, argv, { VI_HOME: home.path, ...env });
  printed.push(result.stdout, result.stderr);
  return result;
}

const settingsFile = () => join(home.path, 'settings.json');
const savedSettings = () =>
  BrokerSettingsSchema.parse(
    (JSON.parse(readFileSync(settingsFile(), 'utf8')) as { broker: unknown }).broker,
  );
const sasl = () => `127.0.0.1:${broker.saslPort}`;
const tls = () => `127.0.0.1:${broker.tlsPort}`;

describe('broker start --provider external with SASL and TLS flags', () => {
  it('saves a SCRAM login read from KAFKA_SASL_PASSWORD; other commands then use it', async () => {
    const start = await run(
      brokerCommand,
      [
        'start',
        '--provider',
        'external',
        '--brokers',
        sasl(),
        '--sasl-mechanism',
        'scram-sha-256',
        '--sasl-username',
        USER,
        '--save',
      ],
      { KAFKA_SASL_PASSWORD: PASSWORD },
    );
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^external broker: running$/m);
    assert.match(start.stderr, /^saved broker settings \(external\)/m);
    assert.match(
      start.stderr,
      new RegExp(`external cluster: ${sasl()}, SASL SCRAM-SHA-256 as "alice" \\(password \\*+\\)`),
    );
    assert.match(start.stderr, /connecting to .*\(SASL SCRAM-SHA-256\)/);

    const saved = savedSettings();
    assert.equal(saved.provider, 'external');
    assert.deepEqual(saved.external, {
      brokers: [sasl()],
      sasl: { mechanism: 'scram-sha-256', username: USER, password: PASSWORD },
    });
    assert.equal(statSync(settingsFile()).mode & 0o777, 0o600);

    // No --brokers, no KAFKA_BROKERS, no password in the environment: the saved login is used.
    const create = await run(topicsCommand, ['create', 'ext-trades', '--partitions', '2']);
    assert.equal(create.code, 0, create.stderr);
    const list = await run(topicsCommand, ['list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const topics = z.array(TopicInfoSchema).parse(JSON.parse(list.stdout));
    assert.equal(topics.find((t) => t.name === 'ext-trades')?.partitionCount, 2);
    const table = await run(topicsCommand, ['list']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ext-trades\s+2\s+/m);
  });

  it('broker status --json reports the saved cluster without its password', async () => {
    const r = await run(brokerCommand, ['status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const status = BrokerStatusSchema.parse(JSON.parse(r.stdout));
    assert.equal(status.state, 'running');
    assert.deepEqual(status.brokers, [sasl()]);
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
    const text = await run(brokerCommand, ['status']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^external broker: running$/m);
  });

  it('a wrong password fails with the auth-failed message; status without --save saves nothing', async () => {
    const before = readFileSync(settingsFile(), 'utf8');
    const r = await run(
      brokerCommand,
      [
        'status',
        '--provider',
        'external',
        '--brokers',
        sasl(),
        '--sasl-mechanism',
        'scram-sha-256',
        '--sasl-username',
        USER,
      ],
      { KAFKA_SASL_PASSWORD: WRONG_PASSWORD },
    );
    assertOneLineFailure(
      r,
      'volatility-insight broker status: ',
      /authentication failed at .* \(SCRAM-SHA-256 as user "alice"\).*Check the SASL mechanism, username and password/,
    );
    assert.equal(
      readFileSync(settingsFile(), 'utf8'),
      before,
      'status without --save saves nothing',
    );

    const start = await run(
      brokerCommand,
      ['start', '--provider', 'external', '--brokers', sasl(), '--sasl-mechanism', 'plain'].concat([
        '--sasl-username',
        USER,
      ]),
      { KAFKA_SASL_PASSWORD: WRONG_PASSWORD },
    );
    assert.equal(start.code, 1);
    assert.match(start.stderr, /broker start: authentication failed .*\(PLAIN as user "alice"\)/);
  });

  it('reads the password from --sasl-password-file (before KAFKA_SASL_PASSWORD)', async () => {
    const file = join(home.path, 'kafka-password');
    writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const r = await run(
      brokerCommand,
      ['start', '--provider', 'external', '--brokers', sasl(), '--save'].concat([
        '--sasl-mechanism',
        'scram-sha-512',
        '--sasl-username',
        USER,
        '--sasl-password-file',
        file,
      ]),
      { KAFKA_SASL_PASSWORD: WRONG_PASSWORD },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(savedSettings().external?.sasl, {
      mechanism: 'scram-sha-512',
      username: USER,
      password: PASSWORD,
    });

    // Alone, it gives the saved login a new password (here a wrong one: the check fails).
    const wrong = join(home.path, 'wrong-password');
    writeFileSync(wrong, `${WRONG_PASSWORD}\n`);
    assertOneLineFailure(
      await run(brokerCommand, ['status', '--sasl-password-file', wrong]),
      'volatility-insight broker status: ',
      /authentication failed .*\(SCRAM-SHA-512 as user "alice"\)/,
    );
    assert.equal(savedSettings().external?.sasl?.password, PASSWORD);
    assert.equal((await run(topicsCommand, ['list'])).code, 0);
  });

  it('connects to the TLS listener with --ca-file, and saves it', async () => {
    const r = await run(brokerCommand, [
      'start',
      '--provider',
      'external',
      '--brokers',
      tls(),
      '--no-sasl',
      '--ca-file',
      broker.caFile,
      '--save',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^external broker: running$/m);
    assert.match(r.stderr, new RegExp(`external cluster: ${tls()}, TLS with CA `));
    assert.doesNotMatch(r.stderr, /warning/);
    assert.deepEqual(savedSettings().external, {
      brokers: [tls()],
      tls: { enabled: true, caFile: broker.caFile, rejectUnauthorized: true },
    });
    assert.equal(statSync(settingsFile()).mode & 0o777, 0o600);

    const list = await run(topicsCommand, ['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ext-trades\s/m);
  });

  it('--tls with only the system CAs fails; --tls-insecure connects with a warning', async () => {
    assertOneLineFailure(
      await run(brokerCommand, ['status', '--tls']),
      'volatility-insight broker status: ',
      /TLS handshake with .* failed.*give the CA file/,
    );
    const r = await run(brokerCommand, ['status', '--tls-insecure']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: TLS certificate checking is off \(--tls-insecure\)/);
    // Without --save the saved settings stay as they were.
    assert.equal(savedSettings().external?.tls?.rejectUnauthorized, true);
  });

  it('a flag of the external provider with another provider is a usage error', async () => {
    await assert.rejects(
      run(brokerCommand, ['status', '--provider', 'jvm', '--ca-file', broker.caFile]),
      /--ca-file applies to --provider external/,
    );
  });

  it('never printed a password', () => {
    const all = printed.join('\n');
    assert.ok(all.length > 0);
    assert.ok(!all.includes(PASSWORD), 'the password was printed');
    assert.ok(!all.includes(WRONG_PASSWORD), 'the wrong password was printed');
  });
});
