import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { JvmBrokerProvider } from '../../../main/broker/jvm.js';
import { freePorts } from '../../../main/net-util.js';

const execFileAsync = promisify(execFile);

export const USER = 'alice';
export const PASSWORD = 'alice-secret';

export interface SecureBroker {
  provider: JvmBrokerProvider;
  /** PLAINTEXT (also the inter-broker listener). */
  plainPort: number;
  /** SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. */
  saslPort: number;
  /** SSL with a certificate signed by `caFile` (SAN IP:127.0.0.1, DNS:localhost). */
  tlsPort: number;
  caFile: string;
  dir: string;
  stop(): Promise<void>;
}

/** A self-signed CA and a broker PKCS12 keystore signed by it, made with openssl. */
async function makeCertificates(dir: string, password: string) {
  const ssl = (args: string[]) => execFileAsync('openssl', args, { cwd: dir, timeout: 30_000 });
  await ssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem'].concat(
      ['-days', '2', '-subj', '/CN=volatility-insight-test-ca'],
    ),
  );
  await ssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr'].concat([
      '-subj',
      '/CN=localhost',
    ]),
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await ssl(
    ['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key'].concat([
      '-CAcreateserial',
      '-out',
      'broker.pem',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ]),
  );
  await ssl(
    ['pkcs12', '-export', '-in', 'broker.pem', '-inkey', 'broker.key', '-out', 'broker.p12'].concat(
      ['-passout', `pass:${password}`, '-name', 'broker'],
    ),
  );
  return { caFile: join(dir, 'ca.pem'), keystore: join(dir, 'broker.p12') };
}

export async function startSecureBroker(): Promise<SecureBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'vi-secure-broker-'));
  const [plainPort, controllerPort, saslPort, tlsPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  const storePassword = 'test-store-pass';
  const { caFile, keystore } = await makeCertificates(dir, storePassword);
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const provider = new JvmBrokerProvider({
    port: plainPort,
    controllerPort,
    dataDir: join(dir, 'data'),
    heap: '512m',
    extraProperties: {
      listeners: [
        `PLAINTEXT://127.0.0.1:${plainPort}`,
        `CONTROLLER://127.0.0.1:${controllerPort}`,
        `SASL://127.0.0.1:${saslPort}`,
        `TLS://127.0.0.1:${tlsPort}`,
      ].join(','),
      'advertised.listeners': [
        `PLAINTEXT://127.0.0.1:${plainPort}`,
        `SASL://127.0.0.1:${saslPort}`,
        `TLS://127.0.0.1:${tlsPort}`,
      ].join(','),
      'listener.security.protocol.map':
        'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,TLS:SSL',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${USER}="${PASSWORD}";`,
      'listener.name.sasl.scram-sha-256.sasl.jaas.config': scram,
      'listener.name.sasl.scram-sha-512.sasl.jaas.config': scram,
      'listener.name.tls.ssl.keystore.type': 'PKCS12',
      'listener.name.tls.ssl.keystore.location': keystore,
      'listener.name.tls.ssl.keystore.password': storePassword,
      'listener.name.tls.ssl.key.password': storePassword,
    },
    formatArgs: [
      '--add-scram',
      `SCRAM-SHA-256=[name=${USER},password=${PASSWORD}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=${USER},password=${PASSWORD}]`,
    ],
  });
  try {
    await provider.start({ timeoutMs: 90_000 });
  } catch (err) {
    await provider.kill().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    provider,
    plainPort,
    saslPort,
    tlsPort,
    caFile,
    dir,
    async stop() {
      await provider
        .stop({ timeoutMs: 20_000 })
        .catch(() => provider.kill().catch(() => undefined));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
