import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { childEnv } from './child-env.js';
import { BrokerError } from './provider.js';
import { classifyDockerFailure, dockerFailureError } from './docker-errors.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  cwd?: string;
  signal?: AbortSignal;
}

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * Runs a program with an argument array and a hard timeout; never rejects on a non-zero exit.
 * The child gets a curated copy of `options.env` (see childEnv): e.g. KAFKA_SASL_PASSWORD is not
 * passed to docker or compose.
 */
export function runCommand(
  file: string,
  args: string[],
  options: RunOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: childEnv(options.env),
        cwd: options.cwd,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT_BYTES,
        signal: options.signal,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ exitCode: 0, stdout, stderr, timedOut: false });
          return;
        }
        if (error.name === 'AbortError') {
          reject(new BrokerError('failed', `Cancelled: ${file} ${args.join(' ')}`));
          return;
        }
        if (typeof error.code === 'string') {
          // Spawning failed (ENOENT, EACCES, ...): there is no exit code to report.
          reject(new BrokerError('failed', `Could not run ${file}: ${error.message}`));
          return;
        }
        const timedOut = error.killed === true && error.signal === 'SIGKILL';
        resolve({ exitCode: error.code ?? -1, stdout, stderr, timedOut });
      },
    );
  });
}

/** The first executable `name` on env.PATH (not process.env, so tests can inject a PATH). */
export async function findExecutable(
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d.length > 0);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export type ComposeFlavour = 'compose-v2' | 'compose-v1';

export interface ComposeCommand {
  flavour: ComposeFlavour;
  file: string;
  /** Arguments before the compose sub-command: `['compose']` for the v2 plugin. */
  prefix: string[];
}

export const ENGINE_CHECK_TIMEOUT_MS = 15_000;

/**
 * The Docker CLI as found on an (injectable) PATH: engine check, compose detection and bounded
 * `docker …` / `compose …` runs. Failures become BrokerErrors classified from the CLI's stderr.
 */
export class DockerCli {
  private dockerPath: string | undefined;
  private compose: ComposeCommand | undefined;

  constructor(readonly env: NodeJS.ProcessEnv) {}

  /** Throws docker-not-installed, docker-engine-down or docker-permission. */
  async ensureEngine(signal?: AbortSignal): Promise<string> {
    const docker = await this.resolveDocker();
    const res = await runCommand(docker, ['version', '--format', '{{.Server.Version}}'], {
      env: this.env,
      timeoutMs: ENGINE_CHECK_TIMEOUT_MS,
      signal,
    });
    if (res.exitCode === 0 && res.stdout.trim().length > 0) return res.stdout.trim();
    if (res.timedOut) {
      throw new BrokerError(
        'docker-engine-down',
        `The Docker engine did not answer within ${ENGINE_CHECK_TIMEOUT_MS / 1000} s (DOCKER_HOST=${this.env.DOCKER_HOST ?? 'default'}). Start or restart Docker and retry.`,
      );
    }
    throw dockerFailureError(
      classifyDockerFailure(res.stderr) ?? 'docker-engine-down',
      res.stderr,
      {
        dockerHost: this.env.DOCKER_HOST,
      },
    );
  }

  /** `docker compose` (v2 plugin) if it answers, else `docker-compose` (v1) on PATH. */
  async composeCommand(signal?: AbortSignal): Promise<ComposeCommand> {
    if (this.compose) return this.compose;
    const docker = await this.resolveDocker();
    const v2 = await runCommand(docker, ['compose', 'version'], {
      env: this.env,
      timeoutMs: ENGINE_CHECK_TIMEOUT_MS,
      signal,
    });
    if (v2.exitCode === 0) {
      this.compose = { flavour: 'compose-v2', file: docker, prefix: ['compose'] };
      return this.compose;
    }
    const v1 = await findExecutable('docker-compose', this.env);
    if (v1) {
      const res = await runCommand(v1, ['version'], {
        env: this.env,
        timeoutMs: ENGINE_CHECK_TIMEOUT_MS,
        signal,
      });
      if (res.exitCode === 0) {
        this.compose = { flavour: 'compose-v1', file: v1, prefix: [] };
        return this.compose;
      }
    }
    throw new BrokerError(
      'compose-missing',
      'Docker Compose is not installed: neither `docker compose` (the v2 plugin, part of Docker Desktop / docker-compose-plugin) nor `docker-compose` answers. Install one of them, or use the built-in broker (Java 17+).',
    );
  }

  async docker(args: string[], timeoutMs: number, signal?: AbortSignal): Promise<CommandResult> {
    return runCommand(await this.resolveDocker(), args, { env: this.env, timeoutMs, signal });
  }

  async composeRun(
    args: string[],
    extraEnv: Record<string, string>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<CommandResult> {
    const compose = await this.composeCommand(signal);
    return runCommand(compose.file, [...compose.prefix, ...args], {
      env: { ...this.env, ...extraEnv },
      timeoutMs,
      signal,
    });
  }

  private async resolveDocker(): Promise<string> {
    if (this.dockerPath) return this.dockerPath;
    const found = await findExecutable('docker', this.env);
    if (!found) {
      throw new BrokerError(
        'docker-not-installed',
        'Docker is not installed: install Docker Desktop / docker.io, or use the built-in broker (Java 17+).',
      );
    }
    this.dockerPath = found;
    return found;
  }
}
