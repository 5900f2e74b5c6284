import { z } from 'zod';
import type { DockerCli } from './docker-cli.js';
import { classifyDockerFailure, dockerFailureError } from './docker-errors.js';
import { BrokerError } from './provider.js';

/** The compose service in docker-compose.yml that runs the broker. */
export const KAFKA_SERVICE = 'kafka';
export const CONTAINER_PORT = '9092/tcp';
const QUERY_TIMEOUT_MS = 15_000;

const PortBindingsSchema = z
  .record(z.string(), z.array(z.object({ HostIp: z.string(), HostPort: z.string() })).nullable())
  .nullable()
  .optional();

const InspectSchema = z.array(
  z.object({
    Id: z.string(),
    Name: z.string(),
    Config: z.object({ Image: z.string() }),
    State: z.object({
      Status: z.string(),
      ExitCode: z.number().optional(),
      Health: z.object({ Status: z.string() }).nullable().optional(),
    }),
    HostConfig: z.object({ PortBindings: PortBindingsSchema }),
  }),
);

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  /** created | running | restarting | exited | paused | dead | removing */
  status: string;
  exitCode: number | undefined;
  /** starting | healthy | unhealthy; undefined without a health check. */
  health: string | undefined;
  hostPort: number | undefined;
}

async function dockerOk(cli: DockerCli, args: string[], signal?: AbortSignal): Promise<string> {
  const res = await cli.docker(args, QUERY_TIMEOUT_MS, signal);
  if (res.exitCode === 0) return res.stdout;
  const code = classifyDockerFailure(res.stderr);
  if (code) throw dockerFailureError(code, res.stderr, { dockerHost: cli.env.DOCKER_HOST });
  throw new BrokerError(
    'failed',
    `docker ${args[0] ?? ''} failed${res.timedOut ? ' (timed out)' : ''}: ${res.stderr.trim()}`,
  );
}

/** The broker container of a compose project (running or not), found by compose's labels. */
export async function findKafkaContainer(
  cli: DockerCli,
  project: string,
  signal?: AbortSignal,
): Promise<ContainerInfo | undefined> {
  const ids = (
    await dockerOk(
      cli,
      [
        'ps',
        '--all',
        '--quiet',
        '--no-trunc',
        '--filter',
        `label=com.docker.compose.project=${project}`,
        '--filter',
        `label=com.docker.compose.service=${KAFKA_SERVICE}`,
      ],
      signal,
    )
  )
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const first = ids[0];
  if (!first) return undefined;
  const parsed = InspectSchema.parse(JSON.parse(await dockerOk(cli, ['inspect', first], signal)));
  const c = parsed[0];
  if (!c) return undefined;
  const binding = c.HostConfig.PortBindings?.[CONTAINER_PORT]?.[0];
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    status: c.State.Status,
    exitCode: c.State.ExitCode,
    health: c.State.Health?.Status,
    hostPort: binding ? Number(binding.HostPort) : undefined,
  };
}

export async function imageExists(
  cli: DockerCli,
  image: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const res = await cli.docker(
    ['image', 'inspect', '--format', '{{.Id}}', image],
    QUERY_TIMEOUT_MS,
    signal,
  );
  return res.exitCode === 0;
}

/**
 * The last `lines` lines of a container's output. `docker logs` splits stdout and stderr; both are
 * fetched with timestamps and merged back into one chronological stream.
 */
export async function containerLogTail(
  cli: DockerCli,
  containerId: string,
  lines: number,
): Promise<string> {
  const n = Math.max(1, Math.floor(lines));
  const res = await cli.docker(
    ['logs', '--timestamps', '--tail', String(n), containerId],
    QUERY_TIMEOUT_MS,
  );
  if (res.exitCode !== 0 && res.stdout.length === 0) {
    throw new BrokerError('failed', `docker logs failed: ${res.stderr.trim()}`);
  }
  return mergeTimestampedLogs(res.stdout, res.stderr, n);
}

/** Merges two `docker logs --timestamps` outputs by time and strips the timestamps. */
export function mergeTimestampedLogs(stdout: string, stderr: string, lines: number): string {
  const entries = [...splitLines(stdout), ...splitLines(stderr)].map((line, index) => {
    const space = line.indexOf(' ');
    const stamp = space > 0 ? line.slice(0, space) : '';
    const time = sortableTimestamp(stamp);
    return { time, index, text: time ? line.slice(space + 1) : line };
  });
  entries.sort((a, b) => (a.time === b.time ? a.index - b.index : a.time < b.time ? -1 : 1));
  return entries
    .slice(-lines)
    .map((e) => e.text)
    .join('\n');
}

function splitLines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

/** RFC 3339 with nanoseconds trimmed of trailing zeros → fixed width, so strings compare in order. */
function sortableTimestamp(stamp: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  if (!m) return '';
  return `${m[1] ?? ''}.${(m[2] ?? '').padEnd(9, '0')}`;
}
