import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childEnv } from '../../../main/broker/child-env.js';
import { runCommand } from '../../../main/broker/docker-cli.js';
import { run } from '../../../main/broker/process-util.js';

const parent: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: '/home/u',
  JAVA_HOME: '/opt/jdk',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  DOCKER_HOST: 'unix:///run/docker.sock',
  DOCKER_CONFIG: '/home/u/.docker',
  COMPOSE_PROJECT_NAME: 'vi',
  KAFKA_IMAGE: 'apache/kafka:4.1.2',
  KAFKA_PORT: '9092',
  SystemRoot: 'C:\\Windows',
  TEMP: '/tmp',
  KAFKA_SASL_PASSWORD: 'hunter2',
  KAFKA_BROKERS: 'kafka1:9093',
  DOCKER_PASSWORD: 'registry-secret',
  AWS_SECRET_ACCESS_KEY: 'aws',
  GITHUB_TOKEN: 'gh',
  VI_DB: '/data/vi.db',
  NODE_OPTIONS: '--inspect',
};

describe('the environment of child processes', () => {
  it('keeps what java, docker and compose need and drops secrets and everything else', () => {
    const env = childEnv(parent);
    for (const kept of [
      'PATH',
      'HOME',
      'JAVA_HOME',
      'LANG',
      'LC_ALL',
      'DOCKER_HOST',
      'DOCKER_CONFIG',
      'COMPOSE_PROJECT_NAME',
      'KAFKA_IMAGE',
      'KAFKA_PORT',
      'SystemRoot',
      'TEMP',
    ]) {
      assert.equal(env[kept], parent[kept], kept);
    }
    for (const dropped of [
      'KAFKA_SASL_PASSWORD',
      'KAFKA_BROKERS',
      'DOCKER_PASSWORD',
      'AWS_SECRET_ACCESS_KEY',
      'GITHUB_TOKEN',
      'VI_DB',
      'NODE_OPTIONS',
    ]) {
      assert.equal(env[dropped], undefined, dropped);
    }
    assert.ok(!JSON.stringify(env).includes('hunter2'));
  });

  it('filters extra variables too and keeps one spelling of a name', () => {
    const env = childEnv({ Path: '/a', PATH: '/b' }, { KAFKA_PORT: '1', KAFKA_SASL_PASSWORD: 'x' });
    assert.deepEqual(env, { PATH: '/b', KAFKA_PORT: '1' });
  });

  // What the broker, java and docker compose actually receive: both ways we start programs.
  const printEnv = [
    process.execPath,
    ['-e', 'process.stdout.write(JSON.stringify(process.env))'],
  ] as const;

  it('is what run() (java, mvn) passes on', async () => {
    const res = await run(printEnv[0], [...printEnv[1]], { env: { ...parent } });
    assert.equal(res.code, 0, res.stderr);
    const seen = JSON.parse(res.stdout) as Record<string, string>;
    assert.equal(seen.KAFKA_SASL_PASSWORD, undefined);
    assert.equal(seen.DOCKER_HOST, parent.DOCKER_HOST);
  });

  it('is what runCommand() (docker, docker compose) passes on', async () => {
    const res = await runCommand(printEnv[0], [...printEnv[1]], {
      env: { ...parent },
      timeoutMs: 30_000,
    });
    assert.equal(res.exitCode, 0, res.stderr);
    const seen = JSON.parse(res.stdout) as Record<string, string>;
    assert.equal(seen.KAFKA_SASL_PASSWORD, undefined);
    assert.equal(seen.GITHUB_TOKEN, undefined);
    assert.equal(seen.KAFKA_IMAGE, parent.KAFKA_IMAGE);
  });
});
