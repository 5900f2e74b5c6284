import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BrokerSettings } from '../../../contract/broker.js';
import {
  defaultBrokerSettings,
  loadBrokerSettings,
  saveBrokerSettings,
  SettingsFileError,
} from '../../../main/broker/settings-store.js';

const dir = mkdtempSync(join(tmpdir(), 'vi-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `case-${++n}`, 'settings.json');

describe('broker settings store', () => {
  it('gives the defaults when the file is missing', () => {
    const settings = loadBrokerSettings(freshPath());
    assert.deepEqual(settings, defaultBrokerSettings());
    assert.equal(settings.provider, 'jvm');
    assert.equal(settings.jvm.port, 9092);
  });

  it('round-trips settings, external SASL/TLS included', () => {
    const path = freshPath();
    const settings: BrokerSettings = {
      ...defaultBrokerSettings(),
      provider: 'external',
      jvm: { port: 19092, dataDir: '/tmp/x' },
      external: {
        brokers: ['kafka-1.example:9093', 'kafka-2.example:9093'],
        sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 's3cret' },
        tls: { enabled: true, caFile: '/etc/ssl/ca.pem', rejectUnauthorized: true },
      },
    };
    saveBrokerSettings(settings, path);
    assert.deepEqual(loadBrokerSettings(path), settings);
  });

  it('writes the file with mode 0600 and leaves no temp file behind', () => {
    const path = freshPath();
    saveBrokerSettings(defaultBrokerSettings(), path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    saveBrokerSettings({ ...defaultBrokerSettings(), provider: 'docker' }, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(path, '..')), ['settings.json']);
  });

  it('keeps other top-level keys of the settings file', () => {
    const path = freshPath();
    saveBrokerSettings(defaultBrokerSettings(), path);
    const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...data, ui: { theme: 'dark' } }));
    saveBrokerSettings({ ...defaultBrokerSettings(), provider: 'docker' }, path);
    const after = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(after.ui, { theme: 'dark' });
    assert.equal(loadBrokerSettings(path).provider, 'docker');
  });

  it('names the file when it is not JSON', () => {
    const path = freshPath();
    saveBrokerSettings(defaultBrokerSettings(), path);
    writeFileSync(path, '{ "broker": { "provider": ');
    assert.throws(
      () => loadBrokerSettings(path),
      (err: unknown) =>
        err instanceof SettingsFileError &&
        err.path === path &&
        err.message.includes(path) &&
        /not valid JSON/.test(err.message),
    );
  });

  it('names the file and the field when a value is invalid', () => {
    const path = freshPath();
    saveBrokerSettings(defaultBrokerSettings(), path);
    writeFileSync(path, JSON.stringify({ broker: { provider: 'jvm', jvm: { port: 'high' } } }));
    assert.throws(
      () => loadBrokerSettings(path),
      (err: unknown) =>
        err instanceof SettingsFileError &&
        err.field === 'broker.jvm.port' &&
        err.message.includes(path) &&
        err.message.includes('broker.jvm.port'),
    );
    writeFileSync(path, JSON.stringify({ broker: { provider: 'kubernetes' } }));
    assert.throws(() => loadBrokerSettings(path), /broker\.provider/);
    writeFileSync(path, '[1, 2]');
    assert.throws(() => loadBrokerSettings(path), /must hold a JSON object/);
  });

  it('refuses to save invalid settings', () => {
    const path = freshPath();
    const bad = {
      ...defaultBrokerSettings(),
      external: { brokers: ['no-port'] },
    } as BrokerSettings;
    assert.throws(() => saveBrokerSettings(bad, path));
  });
});
