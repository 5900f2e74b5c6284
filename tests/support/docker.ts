import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findExecutable, runCommand } from '../../main/broker/docker-cli.js';

export const LOCAL_KAFKA_IMAGE =
  process.env.VI_TEST_KAFKA_IMAGE ?? 'volatility-insight/kafka:4.1.2-local';
const CI_SOCKET = '/run/vi-docker.sock';
const BUILD_SCRIPT = fileURLToPath(
  new URL('../../scripts/docker/build-kafka-image.sh', import.meta.url),
);
const START_SCRIPT = 'scripts/ci/start-dockerd.sh';

/** process.env with DOCKER_HOST set: from the environment, else the socket start-dockerd.sh uses. */
export function dockerTestEnv(): NodeJS.ProcessEnv {
  const host =
    process.env.DOCKER_HOST ?? (existsSync(CI_SOCKET) ? `unix://${CI_SOCKET}` : undefined);
  return host === undefined ? { ...process.env } : { ...process.env, DOCKER_HOST: host };
}

/** Fails (never skips) when the engine does not answer: these tests exist to run on real Docker. */
export async function ensureDockerEngine(env: NodeJS.ProcessEnv): Promise<void> {
  const docker = await findExecutable('docker', env);
  if (!docker) {
    throw new Error('docker CLI not found on PATH: install docker.io (.ci/run installs it)');
  }
  const res = await runCommand(docker, ['info', '--format', '{{.ServerVersion}}'], {
    env,
    timeoutMs: 20_000,
  });
  if (res.exitCode !== 0) {
    throw new Error(
      `The Docker engine does not answer at DOCKER_HOST=${env.DOCKER_HOST ?? '(default)'}. ` +
        `.ci/run starts one with ${START_SCRIPT}; locally run \`export DOCKER_HOST=$(${START_SCRIPT})\`.\n` +
        res.stderr.trim(),
    );
  }
}

/** The locally built Kafka image; built with scripts/docker/build-kafka-image.sh when missing. */
export async function ensureLocalKafkaImage(env: NodeJS.ProcessEnv): Promise<string> {
  const present = await runCommand('docker', ['image', 'inspect', LOCAL_KAFKA_IMAGE], {
    env,
    timeoutMs: 20_000,
  });
  if (present.exitCode === 0) return LOCAL_KAFKA_IMAGE;
  const build = await runCommand('bash', [BUILD_SCRIPT, LOCAL_KAFKA_IMAGE], {
    env,
    timeoutMs: 15 * 60_000,
  });
  if (build.exitCode !== 0) {
    throw new Error(`Building ${LOCAL_KAFKA_IMAGE} failed:\n${build.stderr.slice(-4000)}`);
  }
  return LOCAL_KAFKA_IMAGE;
}

/** A compose project name no other test run uses. */
export function uniqueProjectName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}
