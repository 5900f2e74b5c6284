import { assertOneLineFailure, runCli } from '../../support/cli.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { ConsumerGroupInfoSchema, TopicInfoSchema } from '../../../contract/admin.js';
import { BrokerStatusSchema } from '../../../contract/broker.js';
import { ServiceError } from '../../../contract/rpc.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { freePort } from '../../../main/net-util.js';
import { failureText } from '../../../main/shells/cli/admin-support.js';
import { brokerCommand } from '../../../main/shells/cli/broker.js';
import type { CliCommand } from '../../../main/shells/cli/command.js';
import { UsageError } from '../../../main/shells/cli/command.js';
import { groupsCommand } from '../../../main/shells/cli/groups.js';
import { topicsCommand } from '../../../main/shells/cli/topics.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

let broker: TestBroker;
let home: ReturnType<typeof tempDir>;

before(async () => {
  broker = await startTestBroker();
  home = tempDir('vi-cli-home-');
});
after(async () => {
  await broker?.cleanup();
  home?.cleanup();
});

/** Runs a command with captured output; VI_HOME keeps its settings file in a temp dir. */
function run(command: CliCommand, argv: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(command, argv, { VI_HOME: home.path, ...env });
}

describe('topics command', () => {
  const b = () => ['--brokers', broker.brokers];

  it('creates a topic', async () => {
    const r = await run(topicsCommand, [
      'create',
      'cli-trades',
      '--partitions',
      '2',
      '--retention-ms',
      '86400000',
      ...b(),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'created topic cli-trades: 2 partition(s), replication factor 1, retention 1d\n',
    );
    const json = await run(topicsCommand, ['create', '--name', 'cli-quotes', '--json', ...b()]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(TopicInfoSchema.parse(JSON.parse(json.stdout)).partitionCount, 1);
  });

  it('lists topics in an aligned table and as JSON', async () => {
    const producer = createKafka(broker.connection).producer();
    await producer.connect();
    await producer.send({
      topic: 'cli-trades',
      messages: Array.from({ length: 1234 }, (_, i) => ({ partition: i % 2, value: `t${i}` })),
    });
    await producer.disconnect();

    const r = await run(topicsCommand, ['list', ...b()]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^TOPIC\s+PARTITIONS\s+RF\s+RETENTION\s+MESSAGES$/);
    assert.match(r.stdout, /^cli-trades\s+2\s+1\s+1d\s+1234$/m);
    // The last column is right-aligned, so every row ends at the same column.
    assert.equal(new Set(lines.map((l) => l.length)).size, 1, r.stdout);
    assert.doesNotMatch(r.stdout, /__consumer_offsets/);

    const w = await run(topicsCommand, ['list', '--watermarks', ...b()]);
    assert.match(w.stdout, /^cli-trades\s+0\s+0\s+617\s+617$/m);
    assert.match(w.stdout, /^cli-trades\s+1\s+0\s+617\s+617$/m);

    const json = await run(topicsCommand, ['list', '--json', ...b()]);
    const topics = z.array(TopicInfoSchema).parse(JSON.parse(json.stdout));
    assert.equal(topics.find((t) => t.name === 'cli-trades')?.messages, 1234);
  });

  it('fails with one line when the topic exists or the name is invalid', async () => {
    assertOneLineFailure(
      await run(topicsCommand, ['create', 'cli-trades', ...b()]),
      'volatility-insight topics create: ',
      /already exists/,
    );
    assertOneLineFailure(
      await run(topicsCommand, ['create', 'bad name', ...b()]),
      'volatility-insight topics create: ',
      /letters, digits/,
    );
  });

  it('deletes only with confirmation', async () => {
    if (!process.stdin.isTTY) {
      assertOneLineFailure(
        await run(topicsCommand, ['delete', 'cli-quotes', ...b()]),
        'volatility-insight topics delete: ',
        /pass --yes/,
      );
    }
    const r = await run(topicsCommand, ['delete', 'cli-quotes', '--yes', ...b()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deleted topic cli-quotes\n');
    assertOneLineFailure(
      await run(topicsCommand, ['delete', 'cli-quotes', '--yes', ...b()]),
      'volatility-insight topics delete: ',
      /does not exist/,
    );
  });

  it('takes the brokers from KAFKA_BROKERS', async () => {
    const r = await run(topicsCommand, ['list'], { KAFKA_BROKERS: broker.brokers });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cli-trades/);
  });

  it('exits 1 with a one-line reason when the brokers do not answer', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const r = await run(topicsCommand, ['list', '--brokers', `127.0.0.1:${port}`]);
    assertOneLineFailure(
      r,
      'volatility-insight topics list: ',
      new RegExp(`cannot reach Kafka at 127\\.0\\.0\\.1:${port}.*firewall`),
    );
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('throws UsageError for bad arguments', async () => {
    await assert.rejects(run(topicsCommand, ['frobnicate']), UsageError);
    await assert.rejects(run(topicsCommand, ['create', ...b()]), /needs a topic name/);
    await assert.rejects(run(topicsCommand, ['create', 'x', '--partitions', '0']), UsageError);
    await assert.rejects(run(topicsCommand, ['list', '--brokers', 'nohost']), /HOST:PORT/);
    await assert.rejects(run(topicsCommand, ['list', '--bogus']), UsageError);
  });
});

describe('groups command', () => {
  it('shows a group with members and lag, as a table and as JSON', async () => {
    const consumer = createKafka(broker.connection, 'cli-lag-client').consumer({
      groupId: 'cli-group',
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'cli-trades', fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no messages within 30 s')), 30_000);
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (partition === 1 && message.offset === '99') {
              await consumer.commitOffsets([{ topic: 'cli-trades', partition: 1, offset: '100' }]);
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });

      const r = await run(groupsCommand, ['--brokers', broker.brokers]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^GROUP\s+STATE\s+MEMBERS\s+LAG$/m);
      assert.match(r.stdout, /^cli-group\s+Stable\s+1\s+1134$/m);
      assert.match(r.stdout, /^cli-group\s+cli-lag-client\s+\S+\s+cli-trades\[0,1\]$/m);
      assert.match(r.stdout, /^cli-group\s+cli-trades\s+0\s+-\s+617\s+617\s+no committed offset$/m);
      assert.match(r.stdout, /^cli-group\s+cli-trades\s+1\s+100\s+617\s+517$/m);

      const json = await run(groupsCommand, ['--json', '--brokers', broker.brokers]);
      const groups = z.array(ConsumerGroupInfoSchema).parse(JSON.parse(json.stdout));
      assert.equal(groups.find((g) => g.groupId === 'cli-group')?.totalLag, 1134);
    } finally {
      await consumer.disconnect();
    }
  });

  it('exits 1 with a one-line reason when the brokers do not answer', async () => {
    const port = await freePort();
    assertOneLineFailure(
      await run(groupsCommand, ['--brokers', `127.0.0.1:${port}`]),
      'volatility-insight groups: ',
      /cannot reach Kafka/,
    );
  });
});

describe('broker command', () => {
  const jvmFlags = () => [
    '--provider',
    'jvm',
    '--port',
    String(broker.provider.port),
    '--data-dir',
    broker.dataDir,
  ];

  it('reports the status and logs of a running JVM broker', async () => {
    const r = await run(brokerCommand, ['status', ...jvmFlags()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^jvm broker: running$/m);
    assert.match(r.stdout, new RegExp(`bootstrap: 127\\.0\\.0\\.1:${broker.provider.port}`));

    const json = await run(brokerCommand, ['status', '--json', ...jvmFlags()]);
    assert.equal(BrokerStatusSchema.parse(JSON.parse(json.stdout)).state, 'running');

    const logs = await run(brokerCommand, ['logs', '--lines', '5', ...jvmFlags()]);
    assert.equal(logs.code, 0, logs.stderr);
    const lines = logs.stdout.trimEnd().split('\n');
    assert.ok(lines.length >= 1 && lines.length <= 5, logs.stdout);
  });

  it('exits 3 for a JVM broker that is not running', async () => {
    const dir = tempDir('vi-cli-stopped-');
    try {
      const port = await freePort();
      const r = await run(brokerCommand, [
        'status',
        '--provider',
        'jvm',
        '--port',
        String(port),
        '--data-dir',
        dir.path,
      ]);
      assert.equal(r.code, 3);
      assert.match(r.stdout, /jvm broker: stopped/);
    } finally {
      dir.cleanup();
    }
  });

  it('fails with one line when the port is taken', async () => {
    const dir = tempDir('vi-cli-taken-');
    try {
      const r = await run(brokerCommand, [
        'start',
        '--provider',
        'jvm',
        '--port',
        String(broker.provider.port),
        '--data-dir',
        dir.path,
      ]);
      // A start that fails saves nothing: a broken choice must not become the default.
      assert.doesNotMatch(r.stderr, /saved broker settings/);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^volatility-insight broker start: port \d+ .* already in use[^\n]*\n$/,
      );
    } finally {
      dir.cleanup();
    }
  });

  it('a one-off `broker start --port N` (no --save) leaves the saved settings alone', async () => {
    const file = join(home.path, 'settings.json');
    const saved = JSON.stringify({ broker: { provider: 'docker', docker: { port: 19092 } } });
    writeFileSync(file, saved);
    try {
      // The test broker is running: the start finds it and ends at once.
      const r = await run(brokerCommand, ['start', ...jvmFlags()]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^jvm broker: running$/m);
      assert.match(r.stderr, /applied to this command only .*add --save/);
      assert.doesNotMatch(r.stderr, /saved broker settings/);
      assert.equal(readFileSync(file, 'utf8'), saved, 'the settings file is unchanged');
      // --save applies to start only.
      await assert.rejects(run(brokerCommand, ['stop', '--save', ...jvmFlags()]), UsageError);
    } finally {
      rmSync(file, { force: true });
    }
    assert.equal(existsSync(file), false);
  });

  it('starts an external cluster, saves it (--save), and other commands then use it', async () => {
    const start = await run(brokerCommand, [
      'start',
      '--provider',
      'external',
      '--brokers',
      broker.brokers,
      '--save',
    ]);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^external broker: running$/m);
    assert.match(start.stderr, /saved broker settings \(external\)/);
    assert.match(start.stderr, /^\[\d+\.\ds\] connecting to /m);
    const saved = JSON.parse(readFileSync(join(home.path, 'settings.json'), 'utf8')) as {
      broker: { provider: string; external: { brokers: string[] } };
    };
    assert.equal(saved.broker.provider, 'external');
    assert.deepEqual(saved.broker.external.brokers, [broker.brokers]);

    const topics = await run(topicsCommand, ['list']);
    assert.equal(topics.code, 0, topics.stderr);
    assert.match(topics.stdout, /cli-trades/);

    const stop = await run(brokerCommand, ['stop']);
    assert.equal(stop.code, 0);
    assert.match(stop.stdout, /not stopped by the app/);
    const logs = await run(brokerCommand, ['logs']);
    assert.match(logs.stdout, /not available for external clusters/);
    assertOneLineFailure(
      await run(brokerCommand, ['reset', '--yes']),
      'volatility-insight broker reset: ',
      /managed where the cluster runs/,
    );
  });

  it('exits 1 with a one-line reason when an external cluster does not answer', async () => {
    const port = await freePort();
    assertOneLineFailure(
      await run(brokerCommand, [
        'status',
        '--provider',
        'external',
        '--brokers',
        `127.0.0.1:${port}`,
      ]),
      'volatility-insight broker status: ',
      /cannot reach Kafka/,
    );
  });

  it('refuses a reset without confirmation', async () => {
    if (process.stdin.isTTY) return;
    assertOneLineFailure(
      await run(brokerCommand, ['reset', ...jvmFlags()]),
      'volatility-insight broker reset: ',
      /pass --yes/,
    );
    assert.equal((await run(brokerCommand, ['status', ...jvmFlags()])).code, 0);
  });

  it('throws UsageError for bad arguments', async () => {
    await assert.rejects(run(brokerCommand, []), UsageError);
    await assert.rejects(
      run(brokerCommand, ['start', '--provider', 'k8s']),
      /docker, jvm or external/,
    );
    await assert.rejects(
      run(brokerCommand, ['status', '--provider', 'jvm', '--brokers', 'a:1']),
      /--brokers applies/,
    );
  });

  it('prints a BrokerError detail indented under the reason', () => {
    const text = failureText(new ServiceError('health-timeout', 'no answer', 'line 1\nline 2'));
    assert.equal(text, 'no answer\n    line 1\n    line 2\n');
  });
});
