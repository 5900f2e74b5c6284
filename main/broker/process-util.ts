import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { childEnv } from './child-env.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the command could not start at all (e.g. ENOENT: not installed). */
  spawnError?: NodeJS.ErrnoException;
  timedOut: boolean;
}

/**
 * Runs a command with arguments (no shell) and a hard timeout; never throws. The child gets a
 * curated copy of `env` (see childEnv): no secrets.
 */
export function run(
  cmd: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        timeout: options.timeoutMs ?? 30_000,
        env: childEnv(options.env ?? process.env),
        cwd: options.cwd,
        maxBuffer: 16 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const err = error as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
        const spawnFailed = err !== null && typeof err.code === 'string';
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : spawnFailed ? 127 : 1,
          stdout: String(stdout),
          stderr: String(stderr),
          ...(spawnFailed ? { spawnError: err } : {}),
          timedOut: err?.killed === true,
        });
      },
    );
  });
}

/** The last `lines` lines of a (possibly large) text file; '' if it does not exist. */
export function tailFile(path: string, lines: number): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return '';
  }
  const chunk = Math.min(size, Math.max(64 * 1024, lines * 400));
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(chunk);
    readSync(fd, buf, 0, chunk, size - chunk);
    const text = buf.toString('utf8');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
