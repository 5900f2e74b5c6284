import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { CliCommand, CliContext } from '../../main/shells/cli/command.js';
import type { main } from '../../main/shells/cli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function capture() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * Runs the CLI in-process with captured output: a command object's run(), or with `main` the
 * whole dispatcher (usage errors, exit codes). `env` is the command's whole environment.
 */
export async function runCli(
  command: CliCommand | typeof main,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<CliResult> {
  const out = capture();
  const err = capture();
  const ctx: CliContext = {
    stdout: out.stream,
    stderr: err.stream,
    env,
    signal: new AbortController().signal,
  };
  const code =
    typeof command === 'function' ? await command(argv, ctx) : await command.run(argv, ctx);
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Exit 1, nothing on stdout, and exactly one stderr line starting with prefix and matching. */
export function assertOneLineFailure(result: CliResult, prefix: string, pattern: RegExp) {
  assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  assert.ok(lines[0]?.startsWith(prefix), lines[0]);
  assert.match(lines[0] ?? '', pattern);
}
