import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, it } from 'node:test';
import { join } from 'node:path';
import { JvmBrokerProvider } from '../../../main/broker/jvm.js';
import { BrokerError } from '../../../main/broker/provider.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { freePorts } from '../../../main/net-util.js';
import { tempDir } from '../../support/jvm-broker.js';

const dir = tempDir('vi-jvm-');
after(() => dir.cleanup());

async function topics(provider: JvmBrokerProvider): Promise<string[]> {
  const admin = createKafka(provider.connection()).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

it('the JVM broker: start, status, logs, stop, restart with its data, reset, port in use', async () => {
  const [port, controllerPort] = await freePorts(2);
  const provider = new JvmBrokerProvider({
    port,
    controllerPort,
    dataDir: join(dir.path, 'kafka'),
  });
  const steps: string[] = [];
  // A pid file left behind whose number now belongs to another process: not ours, not touched.
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
  mkdirSync(provider.dataDir, { recursive: true });
  writeFileSync(join(provider.dataDir, 'broker.pid'), String(stranger.pid));
  try {
    assert.equal((await provider.status()).state, 'stopped');
    assert.equal((await provider.stop()).state, 'stopped');
    assert.equal(stranger.exitCode, null, 'the unrelated process was not signalled');
    stranger.kill();

    const started = await provider.start({ onProgress: (p) => steps.push(p.step) });
    assert.equal(started.state, 'running');
    assert.deepEqual(started.clusterBrokers, [{ nodeId: 1, host: '127.0.0.1', port }]);
    assert.ok(steps.includes('formatting KRaft storage') && steps.includes('broker is ready'));
    assert.equal((await provider.start()).state, 'running', 'start again is a no-op');
    assert.match(await provider.logs(200), /Kafka Server started|KafkaRaftServer/);

    const admin = createKafka(provider.connection()).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'kept', numPartitions: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();

    assert.equal((await provider.stop()).state, 'stopped');
    assert.equal((await provider.status()).state, 'stopped');

    steps.length = 0;
    await provider.start({ onProgress: (p) => steps.push(p.step) });
    assert.ok(!steps.includes('formatting KRaft storage'), 'storage is formatted once');
    assert.ok((await topics(provider)).includes('kept'), 'data kept across a restart');

    await provider.resetData();
    // Two starts at once (two terminals): one broker, both see it running.
    const twin = new JvmBrokerProvider({ port, controllerPort, dataDir: provider.dataDir });
    const [a, b] = await Promise.all([provider.start(), twin.start()]);
    assert.equal(a.state, 'running');
    assert.equal(b.state, 'running');
    assert.equal(a.detail, b.detail, 'the same broker process');
    assert.ok(!(await topics(provider)).includes('kept'), 'reset removed the data');
    await provider.stop();

    // Another process on the port: a clear error that names the port and the way out.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(provider.start(), (err: unknown) => {
        assert.ok(err instanceof BrokerError);
        assert.equal(err.code, 'port-in-use');
        assert.match(err.message, new RegExp(`port ${port} .*another port`));
        return true;
      });
    } finally {
      blocker.close();
    }
  } finally {
    await provider.stop();
  }
});
