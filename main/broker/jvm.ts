import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { BrokerStatus } from '../../contract/broker.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { probeCluster, type ClusterInfo } from '../kafka/probe.js';
import { isPortFree, sleep } from '../net-util.js';
import { APP_ROOT, appDataDir } from '../paths.js';
import { BrokerError, type BrokerProvider, type ProviderCallOptions } from './provider.js';
import { childEnv } from './child-env.js';
import { newClusterId } from './cluster-id.js';
import { isProcessAlive, run, tailFile } from './process-util.js';
import { StartLock } from './start-lock.js';

export const KAFKA_VERSION = readPinnedKafkaVersion();

/**
 * How long after its spawn a broker that does not answer yet still counts as starting (the
 * start's default bound is 90 s). Past it, a live pid that does not answer as our broker is not
 * ours as far as we can tell, and it is never signalled.
 */
const STARTUP_WINDOW_MS = 120_000;

/** What we write into the pid file when we spawn the broker. */
export interface PidRecord {
  pid: number;
  host: string;
  /** When we spawned it (ms since the epoch). */
  startedAt: number;
}

/**
 * Who the pid file names, decided without /proc or ps (the same on Linux, macOS and Windows):
 * - `ours`: the process is alive and the broker on our port answers with the cluster id in this
 *   data dir's meta.properties, or it is the child this process spawned and still holds;
 * - `starting`: alive, spawned by us within the start-up window, not answering yet;
 * - `unproven`: alive, but nothing shows it is our broker (e.g. its number was reused after a
 *   reboot): never signalled;
 * - `none`: no pid file, or its process is gone (the file is removed).
 */
export type PidOwner =
  | { kind: 'none' }
  | { kind: 'ours'; pid: number; info: ClusterInfo | null }
  | { kind: 'starting'; pid: number }
  | { kind: 'unproven'; pid: number; reason: string };

/** Brokers spawned by this process, by pid file: their handles prove which pid is ours. */
const spawnedChildren = new Map<string, ChildProcess>();

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

  /** The pid file's record, or null; a bare number (older versions) has no start time. */
  readPidRecord(): PidRecord | null {
    const raw = this.readPidText();
    return raw === null ? null : parsePidRecord(raw);
  }

  private readPidText(): string | null {
    try {
      return readFileSync(this.pidFile, 'utf8').trim();
    } catch {
      return null;
    }
  }

  /** Removes the pid file if it still says `raw` (another start may have just replaced it). */
  private removePidFile(raw: string): void {
    if (this.readPidText() === raw) rmSync(this.pidFile, { force: true });
  }

  /** The pid file's pid if that process is alive on this host (no proof that it is ours). */
  private livePid(): number | null {
    const record = this.readPidRecord();
    return record !== null && record.host === hostname() && isProcessAlive(record.pid)
      ? record.pid
      : null;
  }

  /** The cluster id this data dir was formatted with, or null before the first format. */
  clusterId(): string | null {
    try {
      const text = readFileSync(join(this.logDir, 'meta.properties'), 'utf8');
      return /^cluster\.id=(.+)$/m.exec(text)?.[1]?.trim() ?? null;
    } catch {
      return null;
    }
  }

  /** The child this process spawned for the pid, while it has not exited (its pid is held). */
  private heldChild(pid: number): ChildProcess | null {
    const child = spawnedChildren.get(this.pidFile);
    if (!child || child.pid !== pid) return null;
    return child.exitCode === null && child.signalCode === null ? child : null;
  }

  /**
   * Whom the pid file names (see PidOwner). A pid file can outlive its broker (a reboot, a
   * crash) and its number can be reused by another process: only a process shown to be our
   * broker counts. A file whose process is gone is removed.
   */
  async identify(probeTimeoutMs = 3000): Promise<PidOwner> {
    const raw = this.readPidText();
    const record = raw === null ? null : parsePidRecord(raw);
    // Unreadable: not a pid we can act on (the next spawn replaces it).
    if (raw === null || record === null) return { kind: 'none' };
    const { pid } = record;
    if (record.host !== hostname()) {
      return { kind: 'unproven', pid, reason: `the pid file was written on ${record.host}` };
    }
    if (!isProcessAlive(pid)) {
      this.removePidFile(raw);
      return { kind: 'none' };
    }
    const held = this.heldChild(pid) !== null;
    const clusterId = this.clusterId();
    let info: ClusterInfo | null = null;
    if (clusterId !== null) {
      try {
        info = await probeCluster(this.connection(), probeTimeoutMs);
      } catch {
        info = null;
      }
    }
    if (info !== null && info.clusterId === clusterId) return { kind: 'ours', pid, info };
    if (held) return { kind: 'ours', pid, info: null };
    const age = Date.now() - record.startedAt;
    if (record.startedAt > 0 && age >= 0 && age < STARTUP_WINDOW_MS) {
      return { kind: 'starting', pid };
    }
    return {
      kind: 'unproven',
      pid,
      reason:
        info === null
          ? `no broker answers on ${this.connection().brokers.join(',')}`
          : `the broker on ${this.connection().brokers.join(',')} belongs to another cluster`,
    };
  }

  /** The pid of our broker if it is running or starting (see identify), else null. */
  private async runningPid(): Promise<number | null> {
    const owner = await this.identify();
    return owner.kind === 'ours' || owner.kind === 'starting' ? owner.pid : null;
  }

  async status(): Promise<BrokerStatus> {
    const owner = await this.identify();
    const brokers = this.connection().brokers;
    switch (owner.kind) {
      case 'none':
        return { provider: 'jvm', state: 'stopped', brokers, detail: 'not running' };
      case 'unproven':
        return {
          provider: 'jvm',
          state: 'stopped',
          brokers,
          detail: `not running (the pid file names process ${owner.pid}, which is not this broker: ${owner.reason})`,
        };
      case 'starting':
        return {
          provider: 'jvm',
          state: 'starting',
          brokers,
          detail: `process ${owner.pid} is up but not answering yet`,
        };
      case 'ours': {
        if (owner.info === null) {
          return {
            provider: 'jvm',
            state: 'starting',
            brokers,
            detail: `process ${owner.pid} is up but not answering yet`,
          };
        }
        return {
          provider: 'jvm',
          state: 'running',
          brokers,
          detail: `Kafka ${KAFKA_VERSION} (pid ${owner.pid}), data in ${this.dataDir}`,
          clusterBrokers: owner.info.brokers,
        };
      }
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
      if ((await this.runningPid()) !== null) {
        progress('already running; waiting until it answers');
        return await this.waitReady(started, timeoutMs, options.signal);
      }
      for (const port of [this.port, this.controllerPort]) {
        if (!(await isPortFree(port))) {
          throw new BrokerError(
            'port-in-use',
            `port ${port} on 127.0.0.1 is already in use by another process: stop it, or choose another port for the broker`,
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
    const started = Date.now();
    const deadline = started + (options.timeoutMs ?? 30_000);
    const owner = await this.ownerOnceStarted(deadline, options.signal);
    if (owner.kind === 'starting') {
      throw new BrokerError(
        'failed',
        `the Kafka broker (pid ${owner.pid}) is still starting and does not answer yet; it was left alone: try again in a moment`,
      );
    }
    if (owner.kind === 'ours') {
      const { pid } = owner;
      options.onProgress?.({ provider: 'jvm', step: `stopping pid ${pid}`, elapsedMs: 0 });
      process.kill(pid, 'SIGTERM');
      while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isProcessAlive(pid)) {
        // Still ours? A pid that exited meanwhile may have been reused: force only a proven one.
        const again = await this.identify(2000);
        if (again.kind !== 'ours' || again.pid !== pid) {
          throw new BrokerError(
            'failed',
            `the Kafka broker (pid ${pid}) did not exit in time and no longer answers as this broker, so it was not forced; end it yourself if it is still running`,
          );
        }
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
    // 'unproven': a pid that is not our broker (e.g. reused after a reboot) is never signalled.
    rmSync(this.pidFile, { force: true });
    spawnedChildren.delete(this.pidFile);
    return {
      provider: 'jvm',
      state: 'stopped',
      brokers: this.connection().brokers,
      detail: 'stopped',
    };
  }

  /** identify(), waiting (until the deadline) while a broker we spawned is still starting. */
  private async ownerOnceStarted(deadline: number, signal?: AbortSignal): Promise<PidOwner> {
    let owner = await this.identify();
    while (owner.kind === 'starting' && Date.now() < deadline) {
      await sleep(250, signal);
      owner = await this.identify();
    }
    return owner;
  }

  /** Ends the broker process at once (SIGKILL), as a crash would; for failure tests. */
  async kill(): Promise<void> {
    const owner = await this.ownerOnceStarted(Date.now() + 30_000);
    if (owner.kind === 'ours') process.kill(owner.pid, 'SIGKILL');
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
      // Only whether the process is still there: start() already knows the pid is ours.
      const pid = this.livePid();
      if (pid === null) {
        throw new BrokerError(
          'failed',
          `the Kafka broker exited during start-up; see ${this.logFile}`,
          tailFile(this.logFile, 30),
        );
      }
      try {
        const info = await probeCluster(this.connection(), 2000);
        if (info.clusterId !== this.clusterId()) {
          throw new Error(`the broker there belongs to another cluster (${info.clusterId})`);
        }
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
        'Java is not installed: install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless), or use Docker',
      );
    }
    const m = /version "(\d+)/.exec(res.stderr + res.stdout);
    const major = m ? Number(m[1]) : 0;
    if (major < 17) {
      throw new BrokerError(
        'java-missing',
        `Kafka ${KAFKA_VERSION} needs Java 17 or newer; found ${m ? m[1] : 'an unknown version'}. Install Java 17+, or use Docker`,
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
              ? 'could not start the Kafka broker: java is no longer on the PATH; install a Java 17+ runtime, or use Docker'
              : `could not start the Kafka broker with java: ${err.message}`,
          ),
        );
      });
    });
    child.on('error', () => {
      // after a successful spawn: nothing more to report here (the pid file and log tell)
    });
    if (child.pid === undefined) throw new BrokerError('java-missing', 'could not start java');
    const record: PidRecord = { pid: child.pid, host: hostname(), startedAt: Date.now() };
    // Written whole (a reader never sees a half-written file), then renamed over the old one.
    const tmp = `${this.pidFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, this.pidFile);
    spawnedChildren.set(this.pidFile, child);
    child.once('exit', () => {
      if (spawnedChildren.get(this.pidFile) === child) spawnedChildren.delete(this.pidFile);
    });
    child.unref();
  }
}

/** A pid file's text: our JSON record, or a bare pid from older versions (no start time). */
export function parsePidRecord(raw: string): PidRecord | null {
  if (/^\d+$/.test(raw)) {
    const pid = Number(raw);
    return pid > 0 ? { pid, host: hostname(), startedAt: 0 } : null;
  }
  try {
    const value = JSON.parse(raw) as Partial<PidRecord> | null;
    if (
      value &&
      typeof value.pid === 'number' &&
      Number.isInteger(value.pid) &&
      value.pid > 0 &&
      typeof value.host === 'string' &&
      typeof value.startedAt === 'number'
    ) {
      return { pid: value.pid, host: value.host, startedAt: value.startedAt };
    }
  } catch {
    // not ours
  }
  return null;
}

function readPinnedKafkaVersion(): string {
  const pom = readFileSync(join(APP_ROOT, 'scripts', 'kafka', 'pom.xml'), 'utf8');
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!m?.[1]) throw new Error('scripts/kafka/pom.xml does not pin kafka.version');
  return m[1];
}
