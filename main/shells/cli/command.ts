import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What every CLI sub-command gets. Output goes through these so tests can capture it. */
export interface CliContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM; long commands stop cleanly when it fires. */
  signal: AbortSignal;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. Throw `UsageError` for bad arguments. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}

/** Bad arguments: printed as one line with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** parseArgs with errors turned into UsageError (one line, what to fix). */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function intFlag(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
}
