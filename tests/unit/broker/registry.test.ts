import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerError } from '../../../main/broker/provider.js';
import { createBrokerProvider } from '../../../main/broker/registry.js';
import { defaultBrokerSettings } from '../../../main/broker/settings-store.js';

describe('broker provider registry', () => {
  it('builds each provider from its settings section', () => {
    const base = defaultBrokerSettings();
    const jvm = createBrokerProvider({ ...base, jvm: { port: 19092 } }, { VI_HOME: '/tmp/x' });
    assert.equal(jvm.name, 'jvm');
    assert.deepEqual(jvm.connection().brokers, ['127.0.0.1:19092']);

    const docker = createBrokerProvider({
      ...base,
      provider: 'docker',
      docker: { port: 29092, projectName: 'vi-test' },
    });
    assert.equal(docker.name, 'docker');
    assert.deepEqual(docker.connection().brokers, ['127.0.0.1:29092']);

    const sasl = { mechanism: 'scram-sha-256' as const, username: 'u', password: 'p' };
    const external = createBrokerProvider({
      ...base,
      provider: 'external',
      external: { brokers: ['k1:9093', 'k2:9093'], sasl },
    });
    assert.equal(external.name, 'external');
    assert.deepEqual(external.connection(), { brokers: ['k1:9093', 'k2:9093'], sasl });
  });

  it('says what to do when the external cluster is not configured', () => {
    assert.throws(
      () => createBrokerProvider({ ...defaultBrokerSettings(), provider: 'external' }),
      (err: unknown) =>
        err instanceof BrokerError &&
        err.code === 'not-configured' &&
        /bootstrap servers .*broker settings/.test(err.message) &&
        !/--/.test(err.message),
    );
  });
});
