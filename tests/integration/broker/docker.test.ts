// DockerBrokerProvider against the real Docker engine (DOCKER_HOST; .ci/run starts one with
// scripts/ci/start-dockerd.sh) and the locally built Kafka image. Run one Kafka-backed suite at a
// time: flock /tmp/kafka-tests.lock node scripts/test.mjs --only integration -- tests/integration/broker/docker
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findExecutable, runCommand } from '../../../main/broker/docker-cli.js';
import { DockerBrokerProvider } from '../../../main/broker/docker.js';
import { BrokerError, type BrokerErrorCode } from '../../../main/broker/provider.js';
import { createKafka, type KafkaConnection } from '../../../main/kafka/connection.js';
import type { BrokerProgress } from '../../../contract/broker.js';
import {
  dockerTestEnv,
  ensureDockerEngine,
  ensureLocalKafkaImage,
  uniqueProjectName,
} from '../../support/docker.js';
import { freePort } from '../../../main/net-util.js';

const env = dockerTestEnv();
let image = '';

before(async () => {
  await ensureDockerEngine(env);
  image = await ensureLocalKafkaImage(env);
});

async function expectBrokerError(
  promise: Promise<unknown>,
  code: BrokerErrorCode,
): Promise<BrokerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BrokerError, `expected a BrokerError, got ${String(error)}`);
    assert.equal(error.code, code, `${error.message}\n${error.detail ?? ''}`);
    return error;
  }
  assert.fail(`expected BrokerError ${code}, but it resolved`);
}

async function produce(connection: KafkaConnection, topic: string, values: string[]) {
  const producer = createKafka(connection, 'docker-test-producer').producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((value) => ({ key: 'AAPL', value })) });
  } finally {
    await producer.disconnect();
  }
}

async function readAll(
  connection: KafkaConnection,
  topic: string,
  expected: number,
  timeoutMs = 20_000,
): Promise<string[]> {
  const consumer = createKafka(connection, 'docker-test-consumer').consumer({
    groupId: `docker-test-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${values.length}/${expected} messages in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? '');
            if (values.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

async function listTopics(connection: KafkaConnection): Promise<string[]> {
  const admin = createKafka(connection, 'docker-test-admin').admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe('DockerBrokerProvider lifecycle (real Docker)', () => {
  const topic = 'trades.raw';
  const sent = ['t1', 't2', 't3', 't4', 't5'];
  const projectName = uniqueProjectName('vi-test-life');
  let provider: DockerBrokerProvider;

  before(async () => {
    provider = new DockerBrokerProvider({ port: await freePort(), projectName, image }, { env });
  });
  after(async () => {
    await provider.resetData().catch(() => undefined);
  });

  it('starts, reports progress, becomes healthy and carries messages', async () => {
    const steps: BrokerProgress[] = [];
    const started = Date.now();
    const status = await provider.start({ onProgress: (p) => steps.push(p) });
    console.log(`up → healthy: ${Date.now() - started} ms`);
    assert.equal(status.state, 'running', status.detail);
    assert.deepEqual(status.brokers, [`127.0.0.1:${provider.port}`]);
    assert.deepEqual(
      status.clusterBrokers?.map((b) => [b.host, b.port]),
      [['127.0.0.1', provider.port]],
    );
    assert.ok(steps.length >= 2 && steps.every((s) => s.provider === 'docker'));

    await produce(provider.connection(), topic, sent);
    assert.deepEqual(await readAll(provider.connection(), topic, sent.length), sent);
  });

  it('reports status and log lines, and start again is a no-op on its own port', async () => {
    assert.equal((await provider.status()).state, 'running');
    const again = await provider.start();
    assert.equal(again.state, 'running');
    const logs = await provider.logs(5);
    const lines = logs.split('\n');
    assert.ok(lines.length >= 1 && lines.length <= 5, logs);
    assert.match(await provider.logs(500), /Kafka Server started/);
  });

  it('stop keeps the data: after up again the messages are still there', async () => {
    const stopped = await provider.stop();
    assert.equal(stopped.state, 'stopped');
    assert.equal((await provider.status()).state, 'stopped');

    const started = Date.now();
    assert.equal((await provider.start()).state, 'running');
    console.log(`up (existing volume) → healthy: ${Date.now() - started} ms`);
    assert.deepEqual(await readAll(provider.connection(), topic, sent.length), sent);
  });

  it('resetData removes the volume: up again starts empty', async () => {
    await provider.resetData();
    assert.equal((await provider.status()).state, 'stopped');
    assert.equal((await provider.start()).state, 'running');
    assert.ok(!(await listTopics(provider.connection())).includes(topic));
    await provider.stop();
  });
});

describe('DockerBrokerProvider errors (real Docker)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  async function emptyDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'vi-docker-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  it("no docker on PATH → 'docker-not-installed'", async () => {
    const provider = new DockerBrokerProvider(
      { port: await freePort(), projectName: uniqueProjectName('vi-test-nodocker'), image },
      { env: { ...env, PATH: await emptyDir() } },
    );
    const error = await expectBrokerError(provider.start(), 'docker-not-installed');
    assert.match(error.message, /built-in broker \(Java 17\+\)/);
    assert.doesNotMatch(error.message, /--/);
    await expectBrokerError(provider.status(), 'docker-not-installed');
  });

  it("engine not answering → 'docker-engine-down'", async () => {
    const socket = join(await emptyDir(), 'nothing.sock');
    const provider = new DockerBrokerProvider(
      { port: await freePort(), projectName: uniqueProjectName('vi-test-noengine'), image },
      { env: { ...env, DOCKER_HOST: `unix://${socket}` } },
    );
    const error = await expectBrokerError(provider.start(), 'docker-engine-down');
    assert.match(error.message, /not running/);
  });

  it("no compose → 'compose-missing'", async (t) => {
    const docker = await findExecutable('docker', env);
    assert.ok(docker);
    const plugin = await runCommand(docker, ['compose', 'version'], { env, timeoutMs: 15_000 });
    if (plugin.exitCode === 0) {
      t.skip('the docker compose plugin is installed here; it cannot be hidden by PATH');
      return;
    }
    const bin = await emptyDir();
    await symlink(docker, join(bin, 'docker'));
    const provider = new DockerBrokerProvider(
      { port: await freePort(), projectName: uniqueProjectName('vi-test-nocompose'), image },
      { env: { ...env, PATH: bin } },
    );
    await expectBrokerError(provider.start(), 'compose-missing');
  });

  it("port taken by another program → 'port-in-use' naming the port and the way out", async () => {
    const port = await freePort();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const provider = new DockerBrokerProvider(
      { port, projectName: uniqueProjectName('vi-test-port'), image },
      { env },
    );
    const error = await expectBrokerError(provider.start(), 'port-in-use');
    assert.match(error.message, new RegExp(`${port}`));
    assert.match(error.message, /another port/);
    assert.doesNotMatch(error.message, /--/);
  });

  it("image that cannot be pulled → 'image-unavailable'", async () => {
    // A registry on a loopback port where nothing listens: the pull fails as it would offline,
    // and no traffic leaves the machine.
    const missing = `127.0.0.1:${await freePort()}/volatility-insight/does-not-exist:0`;
    const provider = new DockerBrokerProvider(
      { port: await freePort(), projectName: uniqueProjectName('vi-test-noimage'), image: missing },
      { env },
    );
    cleanups.push(() => provider.resetData());
    const error = await expectBrokerError(provider.start(), 'image-unavailable');
    assert.match(error.message, /could not be pulled/);
    assert.match(error.message, /KAFKA_IMAGE/);
  });

  it("not healthy within the bound → 'health-timeout' with the log tail", async () => {
    const provider = new DockerBrokerProvider(
      { port: await freePort(), projectName: uniqueProjectName('vi-test-slow'), image },
      { env },
    );
    cleanups.push(() => provider.resetData());
    const error = await expectBrokerError(provider.start({ timeoutMs: 1_500 }), 'health-timeout');
    assert.equal(typeof error.detail, 'string');
  });
});
