import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type { BrokerStatus, DockerBrokerSettingsSchema } from '../../contract/broker.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { DockerCli, type CommandResult } from './docker-cli.js';
import {
  containerLogTail,
  findKafkaContainer,
  imageExists,
  type ContainerInfo,
} from './docker-container.js';
import { classifyDockerFailure, dockerFailureError, portInUseError } from './docker-errors.js';
import { probeCluster, type ClusterInfo } from '../kafka/probe.js';
import { isPortFree, sleep } from '../net-util.js';
import { APP_ROOT } from '../paths.js';
import { BrokerError, type BrokerProvider, type ProviderCallOptions } from './provider.js';

export type DockerBrokerSettings = z.input<typeof DockerBrokerSettingsSchema>;

/** Must match the default in docker-compose.yml. */
export const DEFAULT_KAFKA_IMAGE = 'apache/kafka:4.1.2';
export const DEFAULT_COMPOSE_FILE = join(APP_ROOT, 'docker-compose.yml');
const DEFAULT_START_TIMEOUT_MS = 120_000;
const DEFAULT_STOP_TIMEOUT_MS = 90_000;
/** A first `up` may pull the image; that gets its own, longer bound. */
const PULL_TIMEOUT_MS = 600_000;
const UP_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 1_000;
const PROBE_TIMEOUT_MS = 5_000;
const LOG_TAIL_ON_FAILURE = 60;

export interface DockerProviderOptions {
  /** Environment of every docker child process (PATH, DOCKER_HOST, KAFKA_IMAGE); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Kafka in Docker through the repo's docker-compose.yml (compose v2 plugin or docker-compose v1). */
export class DockerBrokerProvider implements BrokerProvider {
  readonly name = 'docker' as const;
  readonly port: number;
  readonly projectName: string;
  readonly composeFile: string;
  readonly image: string;
  private readonly cli: DockerCli;

  constructor(settings: DockerBrokerSettings = {}, options: DockerProviderOptions = {}) {
    const env = options.env ?? process.env;
    this.port = settings.port ?? 9092;
    this.projectName = settings.projectName ?? 'volatility-insight';
    this.composeFile = settings.composeFile ?? DEFAULT_COMPOSE_FILE;
    this.image = settings.image ?? env.KAFKA_IMAGE ?? DEFAULT_KAFKA_IMAGE;
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(this.projectName)) {
      throw new BrokerError(
        'not-configured',
        `Invalid Docker project name "${this.projectName}": use lower-case letters, digits, "-" and "_", starting with a letter or digit.`,
      );
    }
    this.cli = new DockerCli(env);
  }

  connection(): KafkaConnection {
    return { brokers: [`127.0.0.1:${this.port}`] };
  }

  async start(options: ProviderCallOptions = {}): Promise<BrokerStatus> {
    const progress = this.progressReporter(options);
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    progress('Checking Docker');
    await this.cli.ensureEngine(options.signal);
    await this.cli.composeCommand(options.signal);
    await this.ensurePortAvailable(options.signal);

    const pulling = !(await imageExists(this.cli, this.image, options.signal));
    progress(
      pulling
        ? `Image ${this.image} is not available locally; pulling it`
        : `Starting ${this.image} on 127.0.0.1:${this.port}`,
    );
    const up = await this.compose(
      ['up', '-d'],
      pulling ? PULL_TIMEOUT_MS : UP_TIMEOUT_MS,
      options.signal,
    );
    if (up.exitCode !== 0) throw this.composeFailure('up', up);

    progress('Waiting for Kafka to become healthy');
    return this.waitUntilHealthy(deadline, progress, options.signal);
  }

  async stop(options: ProviderCallOptions = {}): Promise<BrokerStatus> {
    await this.down([], options);
    return this.stoppedStatus('Stopped; the data volume is kept');
  }

  /** `down -v`: removes the container and the data volume. */
  async resetData(options: ProviderCallOptions = {}): Promise<void> {
    await this.down(['-v'], options);
  }

  async status(options: ProviderCallOptions = {}): Promise<BrokerStatus> {
    await this.cli.ensureEngine(options.signal);
    const container = await findKafkaContainer(this.cli, this.projectName, options.signal);
    if (!container) return this.stoppedStatus('No broker container');
    return this.statusOf(container);
  }

  async logs(lines: number): Promise<string> {
    await this.cli.ensureEngine();
    const container = await findKafkaContainer(this.cli, this.projectName);
    if (!container) {
      throw new BrokerError(
        'failed',
        `No broker container in Docker project "${this.projectName}": start the broker first.`,
      );
    }
    return containerLogTail(this.cli, container.id, lines);
  }

  private async down(extraArgs: string[], options: ProviderCallOptions): Promise<void> {
    const progress = this.progressReporter(options);
    progress(extraArgs.includes('-v') ? 'Removing the broker and its data' : 'Stopping the broker');
    await this.cli.ensureEngine(options.signal);
    const res = await this.compose(
      ['down', ...extraArgs],
      options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
      options.signal,
    );
    if (res.exitCode !== 0) throw this.composeFailure('down', res);
  }

  /** The port must be free, unless our own container already publishes it (start is idempotent). */
  private async ensurePortAvailable(signal?: AbortSignal): Promise<void> {
    if (await isPortFree(this.port)) return;
    const ours = await findKafkaContainer(this.cli, this.projectName, signal);
    if (ours && ours.status === 'running' && ours.hostPort === this.port) return;
    throw portInUseError(this.port);
  }

  private async waitUntilHealthy(
    deadline: number,
    progress: (step: string) => void,
    signal?: AbortSignal,
  ): Promise<BrokerStatus> {
    let lastHealth = '';
    while (Date.now() < deadline) {
      signal?.throwIfAborted();
      const container = await findKafkaContainer(this.cli, this.projectName, signal);
      if (!container)
        throw new BrokerError('failed', 'The broker container disappeared while starting.');
      if (container.status === 'exited' || container.status === 'dead') {
        throw new BrokerError(
          'failed',
          `The Kafka container exited (code ${container.exitCode ?? '?'}) while starting; see the log below.`,
          await this.logTail(container),
        );
      }
      const health = container.health ?? 'no health check';
      if (health !== lastHealth) {
        progress(`Container ${container.status}, health: ${health}`);
        lastHealth = health;
      }
      // A client round trip is the real test; Docker's own check (every 5 s, a JVM each time) only
      // has to have not failed, which saves up to an interval per start.
      if (container.status === 'running' && health !== 'unhealthy') {
        const answered = await this.tryProbe();
        if (answered) return this.runningStatus(answered);
      }
      await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())), signal);
    }
    const container = await findKafkaContainer(this.cli, this.projectName, signal);
    throw new BrokerError(
      'health-timeout',
      `Kafka in Docker did not become healthy in time (${this.projectName}, 127.0.0.1:${this.port}). The broker log tail is below; the broker's log shows more.`,
      container ? await this.logTail(container) : undefined,
    );
  }

  private async statusOf(container: ContainerInfo): Promise<BrokerStatus> {
    const port = container.hostPort ?? this.port;
    const base = { provider: this.name, brokers: [`127.0.0.1:${port}`] };
    if (container.status !== 'running') {
      const code = container.exitCode === undefined ? '' : ` (exit code ${container.exitCode})`;
      const state = container.status === 'restarting' ? 'unhealthy' : 'stopped';
      return {
        ...base,
        state,
        detail: `Container ${container.name} is ${container.status}${code}`,
      };
    }
    if (container.health === 'unhealthy') {
      return { ...base, state: 'unhealthy', detail: `Container ${container.name} is unhealthy` };
    }
    const answered = await this.tryProbe();
    if (answered) return this.runningStatus(answered);
    if (container.health === 'starting') {
      return { ...base, state: 'starting', detail: `Container ${container.name} is starting` };
    }
    return { ...base, state: 'unhealthy', detail: `Kafka on 127.0.0.1:${port} does not answer` };
  }

  private runningStatus(clusterBrokers: ClusterInfo['brokers']): BrokerStatus {
    return {
      provider: this.name,
      state: 'running',
      brokers: this.connection().brokers,
      detail: `Kafka (${this.image}) in Docker project ${this.projectName} on 127.0.0.1:${this.port}`,
      clusterBrokers,
    };
  }

  private stoppedStatus(detail: string): BrokerStatus {
    return { provider: this.name, state: 'stopped', brokers: this.connection().brokers, detail };
  }

  private async tryProbe(): Promise<ClusterInfo['brokers'] | undefined> {
    try {
      return (await probeCluster(this.connection(), PROBE_TIMEOUT_MS)).brokers;
    } catch {
      return undefined;
    }
  }

  private async logTail(container: ContainerInfo): Promise<string | undefined> {
    try {
      return await containerLogTail(this.cli, container.id, LOG_TAIL_ON_FAILURE);
    } catch {
      return undefined;
    }
  }

  private compose(args: string[], timeoutMs: number, signal?: AbortSignal): Promise<CommandResult> {
    if (!existsSync(this.composeFile)) {
      throw new BrokerError(
        'not-configured',
        `The compose file ${this.composeFile} does not exist: set the broker's composeFile setting to the project's docker-compose.yml.`,
      );
    }
    return this.cli.composeRun(
      ['-f', this.composeFile, '-p', this.projectName, ...args],
      { KAFKA_PORT: String(this.port), KAFKA_IMAGE: this.image },
      timeoutMs,
      signal,
    );
  }

  private composeFailure(command: string, res: CommandResult): BrokerError {
    if (res.timedOut) {
      return new BrokerError(
        'failed',
        `docker compose ${command} did not finish in time; Docker may be busy (or still pulling ${this.image}).`,
        res.stderr.trim() || undefined,
      );
    }
    const code = classifyDockerFailure(res.stderr);
    if (code) {
      return dockerFailureError(code, res.stderr, {
        dockerHost: this.cli.env.DOCKER_HOST,
        port: this.port,
        image: this.image,
      });
    }
    return new BrokerError(
      'failed',
      `docker compose ${command} failed (exit ${res.exitCode}).`,
      res.stderr.trim() || undefined,
    );
  }

  private progressReporter(options: ProviderCallOptions): (step: string) => void {
    const started = Date.now();
    return (step) =>
      options.onProgress?.({ provider: this.name, step, elapsedMs: Date.now() - started });
  }
}
