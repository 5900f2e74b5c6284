import { createInterface } from 'node:readline/promises';
import { BrokerListSchema } from '../../../contract/broker.js';
import type { ErrorCode } from '../../../contract/errors.js';
import { ServiceError } from '../../../contract/rpc.js';
import { UsageError, type CliContext } from './command.js';

/** `--brokers HOST:PORT[,...]` checked, or a UsageError saying what is wrong. */
export function parseBrokerList(raw: string, flag = '--brokers'): string[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const parsed = BrokerListSchema.safeParse(list);
  if (!parsed.success) {
    throw new UsageError(
      `${flag} ${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message ?? 'invalid'} (HOST:PORT[,HOST:PORT...])`,
    );
  }
  return parsed.data;
}

/**
 * What to do next on the command line, by error code. The core's messages say what happened and
 * what to do in words for every shell; the CLI adds its commands and flags.
 */
export type CliHints = Partial<Record<ErrorCode, string>>;

export const DEFAULT_HINTS: CliHints = {
  'broker-unavailable':
    'start one with `volatility-insight broker start`, or pass --brokers HOST:PORT',
  'db-not-found': 'pass --db FILE or set VI_DB',
  'docker-not-installed': 'or: volatility-insight broker start --provider jvm',
  'compose-missing': 'or: volatility-insight broker start --provider jvm',
  'docker-engine-down': 'or: volatility-insight broker start --provider jvm',
  'java-missing': 'or: volatility-insight broker start --provider docker',
  'port-in-use': 'choose another with --port N',
  'not-configured':
    'e.g. volatility-insight broker start --provider external --brokers HOST:PORT --save',
};

/**
 * The failure for stderr: the message on one line with the CLI's hint for its code, then the
 * error's detail (e.g. a broker's log tail) indented below.
 */
export function failureText(err: unknown, hints: CliHints = DEFAULT_HINTS): string {
  const message = err instanceof Error ? err.message : String(err);
  let line = message.replace(/\s*\n\s*/g, ' ').trim();
  const hint = err instanceof ServiceError ? hints[err.code] : undefined;
  if (hint) line += ` (${hint})`;
  const detail = err instanceof ServiceError ? err.detail : undefined;
  if (detail?.trim()) {
    const indented = detail
      .trimEnd()
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
    return `${line}\n${indented}\n`;
  }
  return `${line}\n`;
}

/** Writes the failure to stderr and returns exit code 1; usage errors go to the dispatcher. */
export function reportFailure(
  ctx: CliContext,
  command: string,
  err: unknown,
  hints: CliHints = DEFAULT_HINTS,
): number {
  if (err instanceof UsageError) throw err;
  ctx.stderr.write(`volatility-insight ${command}: ${failureText(err, hints)}`);
  return 1;
}

/** Columns padded to the widest cell; `right` names columns aligned right (numbers). */
export function formatTable(
  headers: string[],
  rows: (string | number)[][],
  right: ReadonlySet<number> = new Set(),
): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Confirmation for destructive commands: `--yes`, or y/N on an interactive terminal. Without
 * a terminal and without --yes it throws (a script must say --yes). `question` reads as a verb
 * phrase, e.g. 'delete topic "trades"'.
 */
export async function confirm(
  ctx: CliContext,
  question: string,
  yes: boolean | undefined,
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
): Promise<boolean> {
  if (yes) return true;
  if (!input.isTTY) {
    throw new Error(
      `refusing to ${question} without confirmation: stdin is not a terminal; pass --yes`,
    );
  }
  const rl = createInterface({ input, output: ctx.stderr });
  const onAbort = () => rl.close();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const answer = await rl.question(
      `${question[0]?.toUpperCase() ?? ''}${question.slice(1)}? [y/N] `,
      { signal: ctx.signal },
    );
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    rl.close();
  }
}

/** What promptSecret reads from: a terminal that can be put in raw mode (no echo). */
export type SecretInput = NodeJS.ReadableStream & {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?: (mode: boolean) => unknown;
};

/** True when `input` is a terminal promptSecret can read from without echo. */
export function canPromptSecret(input: SecretInput): boolean {
  return input.isTTY === true && typeof input.setRawMode === 'function';
}

/**
 * Asks for a secret on a terminal without echoing it (raw mode: the typed characters are never
 * written anywhere). Enter ends it; Backspace deletes; Ctrl-C, Ctrl-D on an empty line or
 * ctx.signal cancel it (rejects). The prompt goes to stderr so stdout stays clean.
 */
export function promptSecret(
  ctx: CliContext,
  question: string,
  input: SecretInput = process.stdin,
): Promise<string> {
  if (!canPromptSecret(input)) {
    return Promise.reject(new Error('cannot prompt for a secret: stdin is not a terminal'));
  }
  ctx.stderr.write(question);
  const wasRaw = input.isRaw === true;
  input.setRawMode?.(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const finish = (err: Error | null) => {
      input.off('data', onData);
      input.off('end', onEnd);
      ctx.signal.removeEventListener('abort', onAbort);
      input.setRawMode?.(wasRaw);
      input.pause();
      ctx.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003') return finish(new Error('cancelled at the password prompt'));
        if (ch === '\u0004') {
          if (value === '') return finish(new Error('cancelled at the password prompt'));
          return finish(null);
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    const onEnd = () => finish(new Error('stdin closed at the password prompt'));
    const onAbort = () => finish(new Error('cancelled at the password prompt'));
    input.on('data', onData);
    input.on('end', onEnd);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}
