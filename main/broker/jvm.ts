import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { BrokerStatus } from '../../contract/broker.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { probeCluster } from '../kafka/probe.js';
import { isPortFree, sleep } from '../net-util.js';
import { APP_ROOT, appDataDir } from '../paths.js';
import { BrokerError, type BrokerProvider, type ProviderCallOptions } from './provider.js';
import { childEnv } from './child-env.js';
import { newClusterId } from './cluster-id.js';
import { isProcessAlive, processCommandLine, run, tailFile } from './process-util.js';
import { StartLock } from './start-lock.js';

export const KAFKA_VERSION = readPinnedKafkaVersion();

export interface JvmBrokerOptions {
  port?: number;
  /** KRaft controller listener port; default port + 1. */
  controllerPort?: number;
  /** Holds server.properties, the KRaft log dir, broker.log and the pid file. */
  dataDir?: string;
  /** Where the Kafka jars are (fetched there if missing). */
  kafkaHome?: string;
  /** Replaces or adds server.properties entries (e.g. a SASL listener for tests). */
  extraProperties?: Record<string, string>;
  /** Overrides how clients connect (e.g. SASL credentials); default PLAINTEXT on 127.0.0.1:port. */
  clientConnection?: KafkaConnection;
  /** Extra `StorageTool format` arguments, e.g. `--add-scram` credentials for a SASL test broker. */
  formatArgs?: string[];
  heap?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * A single-node KRaft broker+controller run from the Maven Central jars with `java -cp`.
 * Survives the CLI that started it (detached, pid file); `stop` ends it with SIGTERM.
 */
export class JvmBrokerProvider implements BrokerProvider {
  readonly name = 'jvm' as const;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly kafkaHome: string;
  private readonly options: JvmBrokerOptions;
  private readonly env: NodeJS.ProcessEnv;

  constructor(options: JvmBrokerOptions = {}) {
    this.options = options;
    this.env = options.env ?? process.env;
    this.port = options.port ?? 9092;
    this.controllerPort = options.controllerPort ?? this.port + 1;
    this.dataDir = options.dataDir ?? join(appDataDir(this.env), `kafka-jvm-${this.port}`);
    this.kafkaHome =
      options.kafkaHome ??
      this.env.VI_KAFKA_HOME ??
      join(this.env.HOME ?? '/tmp', '.cache', 'volatility-insight', `kafka-${KAFKA_VERSION}`);
  }

  connection(): KafkaConnection {
    return this.options.clientConnection ?? { brokers: [`127.0.0.1:${this.port}`] };
  }

  private get pidFile() {
    return join(this.dataDir, 'broker.pid');
  }
  private get logFile() {
    return join(this.dataDir, 'broker.log');
  }
  private get logDir() {
    return join(this.dataDir, 'kraft-logs');
  }
  private get startLockFile() {
    return join(this.dataDir, 'start.lock');
  }

  private get propertiesFile() {
    return join(this.dataDir, 'server.properties');
  }

  /**
   * The running broker's pid, or null. A pid file can outlive its broker (a reboot, a crash) and
   * its number can be reused by another process: only a live Kafka process with this data dir's
   * server.properties counts, and a stale file is removed.
   */
  private readPid(): number | null {
    let pid: number;
    try {
      pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    } catch {
      return null;
    }
    const commandLine =
      Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? processCommandLine(pid) : null;
    if (commandLine?.includes('kafka.Kafka') && commandLine.includes(this.propertiesFile))
      return pid;
    rmSync(this.pidFile, { force: true });
    return null;
  }

  async status(): Promise<BrokerStatus> {
    const pid = this.readPid();
    const brokers = this.connection().brokers;
    if (pid === null) {
      return { provider: 'jvm', state: 'stopped', brokers, detail: 'not running' };
    }
    try {
      const info = await probeCluster(this.connection(), 3000);
      return {
        provider: 'jvm',
        state: 'running',
        brokers,
        detail: `Kafka ${KAFKA_VERSION} (pid ${pid}), data in ${this.dataDir}`,
        clusterBrokers: info.brokers,
      };
    } catch (err) {
      return {
        provider: 'jvm',
        state: 'starting',
        brokers,
        detail: `process ${pid} is up but not answering yet: ${(err as Error).message}`,
      };
    }
  }

  async start(options: ProviderCallOptions = {}): Promise<BrokerStatus> {
    const started = Date.now();
    const progress = (step: string) =>
      options.onProgress?.({ provider: 'jvm', step, elapsedMs: Date.now() - started });
    const timeoutMs = options.timeoutMs ?? 90_000;

    // Two starts at once (two terminals) must not both format and spawn: one waits for the other.
    mkdirSync(this.dataDir, { recursive: true });
    const lock = new StartLock(this.startLockFile);
    let waitingReported = false;
    while (!lock.tryAcquire()) {
      if (Date.now() - started > timeoutMs) {
        throw new BrokerError(
          'health-timeout',
          `another start of this broker (lock ${this.startLockFile}) did not finish within ${Math.round(timeoutMs / 1000)} s`,
        );
      }
      if (!waitingReported) progress('another start of this broker is in progress; waiting for it');
      waitingReported = true;
      await sleep(250, options.signal);
    }
    try {
      if (this.readPid() !== null) {
        progress('already running; waiting until it answers');
        return await this.waitReady(started, timeoutMs, options.signal);
      }
      for (const port of [this.port, this.controllerPort]) {
        if (!(await isPortFree(port))) {
          throw new BrokerError(
            'port-in-use',
            `port ${port} on 127.0.0.1 is already in use by another process: stop it, or start the broker on another port (--port N)`,
          );
        }
      }
      progress('checking Java');
      await this.checkJava();
      progress(`fetching the Kafka ${KAFKA_VERSION} jars (first run only)`);
      await this.ensureJars();
      writeFileSync(this.propertiesFile, this.serverProperties());
      if (!existsSync(join(this.logDir, 'meta.properties'))) {
        progress('formatting KRaft storage');
        await this.formatStorage();
      }
      progress('starting the broker');
      await this.spawnBroker();
    } finally {
      lock.release();
    }
    return this.waitReady(started, timeoutMs, options.signal, progress);
  }

  async stop(options: ProviderCallOptions = {}): Promise<BrokerStatus> {
    const pid = this.readPid();
    const started = Date.now();
    if (pid !== null) {
      options.onProgress?.({ provider: 'jvm', step: `stopping pid ${pid}`, elapsedMs: 0 });
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + (options.timeoutMs ?? 30_000);
      while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isProcessAlive(pid)) {
        options.onProgress?.({
          provider: 'jvm',
          step: 'did not stop in time; killing it',
          elapsedMs: Date.now() - started,
        });
        process.kill(pid, 'SIGKILL');
        const killDeadline = Date.now() + 10_000;
        while (isProcessAlive(pid) && Date.now() < killDeadline) await sleep(50);
        if (isProcessAlive(pid)) {
          throw new BrokerError(
            'failed',
            `the Kafka broker (pid ${pid}) did not exit even after SIGKILL`,
          );
        }
      }
    }
    rmSync(this.pidFile, { force: true });
    return {
      provider: 'jvm',
      state: 'stopped',
      brokers: this.connection().brokers,
      detail: 'stopped',
    };
  }

  /** Ends the broker process at once (SIGKILL), as a crash would; for failure tests. */
  kill(): void {
    const pid = this.readPid();
    if (pid !== null) process.kill(pid, 'SIGKILL');
  }

  async logs(lines: number): Promise<string> {
    return tailFile(this.logFile, lines);
  }

  async resetData(options: ProviderCallOptions = {}): Promise<void> {
    await this.stop(options);
    rmSync(this.logDir, { recursive: true, force: true });
  }

  private async waitReady(
    started: number,
    timeoutMs: number,
    signal?: AbortSignal,
    progress?: (step: string) => void,
  ): Promise<BrokerStatus> {
    let lastError = '';
    let lastReport = 0;
    while (Date.now() - started < timeoutMs) {
      signal?.throwIfAborted();
      const pid = this.readPid();
      if (pid === null) {
        throw new BrokerError(
          'failed',
          `the Kafka broker exited during start-up; see ${this.logFile}`,
          tailFile(this.logFile, 30),
        );
      }
      try {
        const info = await probeCluster(this.connection(), 2000);
        progress?.('broker is ready');
        return {
          provider: 'jvm',
          state: 'running',
          brokers: this.connection().brokers,
          detail: `Kafka ${KAFKA_VERSION} (pid ${pid}), data in ${this.dataDir}`,
          clusterBrokers: info.brokers,
        };
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (Date.now() - lastReport > 2000) {
        progress?.('waiting for the broker to accept requests');
        lastReport = Date.now();
      }
      await sleep(250, signal);
    }
    throw new BrokerError(
      'health-timeout',
      `the Kafka broker did not answer within ${Math.round(timeoutMs / 1000)} s (${lastError}); see ${this.logFile}`,
      tailFile(this.logFile, 30),
    );
  }

  private async checkJava(): Promise<void> {
    const res = await run('java', ['-version'], { timeoutMs: 15_000, env: this.env });
    if (res.spawnError) {
      throw new BrokerError(
        'java-missing',
        'Java is not installed: install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless), or use --provider docker',
      );
    }
    const m = /version "(\d+)/.exec(res.stderr + res.stdout);
    const major = m ? Number(m[1]) : 0;
    if (major < 17) {
      throw new BrokerError(
        'java-missing',
        `Kafka ${KAFKA_VERSION} needs Java 17 or newer; found ${m ? m[1] : 'an unknown version'}. Install Java 17+ or use --provider docker`,
      );
    }
  }

  private async ensureJars(): Promise<void> {
    if (existsSync(join(this.kafkaHome, '.complete'))) return;
    const res = await run('bash', [join(APP_ROOT, 'scripts', 'kafka-fetch.sh'), this.kafkaHome], {
      timeoutMs: 10 * 60_000,
      env: this.env,
    });
    if (res.code !== 0) {
      const reason = (res.stderr.trim().split('\n').at(-1) ?? '').trim();
      throw new BrokerError(
        reason.includes('Maven') ? 'maven-missing' : 'fetch-failed',
        `could not fetch the Kafka ${KAFKA_VERSION} jars with Maven: ${reason || 'exit ' + res.code}`,
        res.stderr.slice(-4000),
      );
    }
  }

  private classpath(): string {
    return join(this.kafkaHome, 'libs', '*');
  }

  private serverProperties(): string {
    const props: Record<string, string> = {
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': `1@127.0.0.1:${this.controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'log.dirs': this.logDir,
      'num.partitions': '3',
      'offsets.topic.replication.factor': '1',
      'offsets.topic.num.partitions': '10',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'share.coordinator.state.topic.replication.factor': '1',
      'share.coordinator.state.topic.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      // As in the Docker image (Kafka's default): a producer that sends to a topic nobody
      // created (the seed's kafka-python producer does) gets it, with num.partitions partitions.
      'auto.create.topics.enable': 'true',
      ...this.options.extraProperties,
    };
    return Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')
      .concat('\n');
  }

  private async formatStorage(): Promise<void> {
    const clusterId = newClusterId();
    const res = await run(
      'java',
      [
        '-cp',
        this.classpath(),
        `-Dlog4j2.configurationFile=${join(this.kafkaHome, 'log4j2.yaml')}`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        this.propertiesFile,
        '-g',
        ...(this.options.formatArgs ?? []),
      ],
      { timeoutMs: 60_000, env: this.env },
    );
    if (res.code !== 0) {
      throw new BrokerError(
        'failed',
        `formatting Kafka storage in ${this.logDir} failed: ${res.stderr.trim().split('\n').at(-1) ?? ''}`,
        res.stdout + res.stderr,
      );
    }
  }

  private async spawnBroker(): Promise<void> {
    const out = openSync(this.logFile, 'a');
    let child;
    try {
      child = spawn(
        'java',
        [
          `-Xmx${this.options.heap ?? '1g'}`,
          `-Xms256m`,
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${join(this.kafkaHome, 'log4j2.yaml')}`,
          '-cp',
          this.classpath(),
          'kafka.Kafka',
          this.propertiesFile,
        ],
        { detached: true, stdio: ['ignore', out, out], env: childEnv(this.env) },
      );
    } finally {
      closeSync(out);
    }
    // A spawn that fails (java gone since the version check, no permission) is reported as an
    // 'error' event: without a listener it would crash the whole process.
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new BrokerError(
            'java-missing',
            err.code === 'ENOENT'
              ? 'could not start the Kafka broker: java is no longer on the PATH; install a Java 17+ runtime, or use --provider docker'
              : `could not start the Kafka broker with java: ${err.message}`,
          ),
        );
      });
    });
    child.on('error', () => {
      // after a successful spawn: nothing more to report here (the pid file and log tell)
    });
    if (child.pid === undefined) throw new BrokerError('java-missing', 'could not start java');
    writeFileSync(this.pidFile, String(child.pid));
    child.unref();
  }
}

function readPinnedKafkaVersion(): string {
  const pom = readFileSync(join(APP_ROOT, 'scripts', 'kafka', 'pom.xml'), 'utf8');
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!m?.[1]) throw new Error('scripts/kafka/pom.xml does not pin kafka.version');
  return m[1];
}
