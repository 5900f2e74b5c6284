import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExternalBrokerProvider } from '../../../main/broker/external.js';
import { BrokerError } from '../../../main/broker/provider.js';
import { createBrokerProvider } from '../../../main/broker/registry.js';
import { defaultBrokerSettings } from '../../../main/broker/settings-store.js';
import { createKafka, type KafkaConnection } from '../../../main/kafka/connection.js';
import { createTopic } from '../../../main/kafka/admin.js';
import { freePort } from '../../../main/net-util.js';
import { PASSWORD, startSecureBroker, USER, type SecureBroker } from './secure-broker.js';

let broker: SecureBroker;

before(async () => {
  broker = await startSecureBroker();
});
after(async () => {
  await broker?.stop();
});

/** Produces one message and reads it back through `conn`. */
async function roundTrip(conn: KafkaConnection, topic: string): Promise<string> {
  await createTopic({ brokers: [`127.0.0.1:${broker.plainPort}`] }, { name: topic, partitions: 1 });
  const kafka = createKafka(conn, 'external-test');
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'k', value: `hello over ${topic}` }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 20 s')), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.value?.toString() ?? '');
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

async function rejectsWith(work: Promise<unknown>, code: string, pattern: RegExp) {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof BrokerError, `expected a BrokerError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('external cluster provider: SASL', () => {
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`connects with ${mechanism} and the right credentials`, async () => {
      const provider = new ExternalBrokerProvider({
        brokers: [`127.0.0.1:${broker.saslPort}`],
        sasl: { mechanism, username: USER, password: PASSWORD },
      });
      const steps: string[] = [];
      const status = await provider.start({ onProgress: (p) => steps.push(p.step) });
      assert.equal(status.state, 'running');
      assert.equal(status.provider, 'external');
      assert.deepEqual(status.clusterBrokers, [
        { nodeId: 1, host: '127.0.0.1', port: broker.saslPort },
      ]);
      assert.ok(steps.length >= 1);
      assert.equal((await provider.status()).state, 'running');
      const topic = `sasl-${mechanism}`;
      assert.equal(await roundTrip(provider.connection(), topic), `hello over ${topic}`);
    });

    it(`${mechanism} with a wrong password fails as auth-failed`, async () => {
      const provider = new ExternalBrokerProvider({
        brokers: [`127.0.0.1:${broker.saslPort}`],
        sasl: { mechanism, username: USER, password: 'wrong-password' },
      });
      await rejectsWith(provider.start(), 'auth-failed', /mechanism, username and password/);
      await rejectsWith(provider.status(), 'auth-failed', new RegExp(mechanism.toUpperCase()));
    });
  }

  it('no SASL against the SASL listener says the listener may need TLS or SASL', async () => {
    const provider = new ExternalBrokerProvider({ brokers: [`127.0.0.1:${broker.saslPort}`] });
    await rejectsWith(provider.start(), 'unreachable', /TLS or SASL/);
  });

  it('SASL against a plaintext listener says that listener does not use SASL', async () => {
    const provider = new ExternalBrokerProvider({
      brokers: [`127.0.0.1:${broker.plainPort}`],
      sasl: { mechanism: 'scram-sha-256', username: USER, password: PASSWORD },
    });
    await rejectsWith(provider.start(), 'auth-failed', /does not use SASL/);
  });

  it('a closed port is unreachable within a bound', async () => {
    const port = await freePort();
    const provider = new ExternalBrokerProvider({ brokers: [`127.0.0.1:${port}`] });
    const t0 = Date.now();
    await rejectsWith(provider.start(), 'unreachable', /host and port.*firewall.*TLS or SASL/);
    assert.ok(Date.now() - t0 < 11_000, `took ${Date.now() - t0} ms`);
  });

  it('stop and logs do not touch an external cluster', async () => {
    const provider = new ExternalBrokerProvider({ brokers: [`127.0.0.1:${broker.plainPort}`] });
    const status = await provider.stop();
    assert.match(status.detail, /not stopped by the app/);
    assert.match(await provider.logs(), /not available for external clusters/);
  });

  it('the registry builds the external provider from settings', async () => {
    const provider = createBrokerProvider({
      ...defaultBrokerSettings(),
      provider: 'external',
      external: {
        brokers: [`127.0.0.1:${broker.saslPort}`],
        sasl: { mechanism: 'scram-sha-512', username: USER, password: PASSWORD },
      },
    });
    assert.equal(provider.name, 'external');
    assert.equal((await provider.status()).state, 'running');
    assert.throws(
      () => createBrokerProvider({ ...defaultBrokerSettings(), provider: 'external' }),
      (err: unknown) => err instanceof BrokerError && err.code === 'not-configured',
    );
  });
});

describe('external cluster provider: TLS', () => {
  const tls = (caFile?: string) => ({ enabled: true, rejectUnauthorized: true, caFile });

  it('connects with the CA file that signed the broker certificate', async () => {
    const provider = new ExternalBrokerProvider({
      brokers: [`127.0.0.1:${broker.tlsPort}`],
      tls: tls(broker.caFile),
    });
    const status = await provider.start();
    assert.equal(status.state, 'running');
    assert.deepEqual(status.clusterBrokers?.[0]?.port, broker.tlsPort);
    assert.equal(await roundTrip(provider.connection(), 'tls-topic'), 'hello over tls-topic');
  });

  it('without the CA (system CAs only) fails as tls-failed', async () => {
    const provider = new ExternalBrokerProvider({
      brokers: [`127.0.0.1:${broker.tlsPort}`],
      tls: tls(),
    });
    await rejectsWith(provider.start(), 'tls-failed', /give the CA file/);
  });

  it('a missing or unreadable CA file is named', async () => {
    const missing = join(broker.dir, 'no-such-ca.pem');
    const provider = new ExternalBrokerProvider({
      brokers: [`127.0.0.1:${broker.tlsPort}`],
      tls: tls(missing),
    });
    await rejectsWith(provider.start(), 'tls-failed', new RegExp(`${missing}.*does not exist`));

    const notPem = join(broker.dir, 'not-a-ca.pem');
    writeFileSync(notPem, 'hello');
    const provider2 = new ExternalBrokerProvider({
      brokers: [`127.0.0.1:${broker.tlsPort}`],
      tls: tls(notPem),
    });
    await rejectsWith(provider2.start(), 'tls-failed', /no PEM certificate/);

    if (process.getuid?.() !== 0) {
      chmodSync(notPem, 0);
      await rejectsWith(provider2.start(), 'tls-failed', /not readable/);
    }
  });

  it('TLS against a plaintext listener says the listener does not use TLS', async () => {
    const provider = new ExternalBrokerProvider({
      brokers: [`127.0.0.1:${broker.plainPort}`],
      tls: tls(broker.caFile),
    });
    await rejectsWith(provider.start(), 'tls-failed', /does not use TLS/);
  });
});
