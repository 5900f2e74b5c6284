import { createInterface } from 'node:readline/promises';
import { BrokerListSchema, type BrokerSettings } from '../../../contract/broker.js';
import { createBrokerProvider } from '../../broker/registry.js';
import { BrokerError } from '../../broker/provider.js';
import { loadBrokerSettings } from '../../broker/settings-store.js';
import { resolveBrokers, type KafkaConnection } from '../../kafka/connection.js';
import { settingsPath } from '../../paths.js';
import { UsageError, type CliContext } from './command.js';

/** `--brokers HOST:PORT[,...]` checked, or a UsageError saying what is wrong. */
export function parseBrokerList(raw: string, flag = '--brokers'): string[] {
  const list = resolveBrokers(raw, {});
  const parsed = BrokerListSchema.safeParse(list);
  if (!parsed.success) {
    throw new UsageError(
      `${flag} ${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message ?? 'invalid'} (HOST:PORT[,HOST:PORT...])`,
    );
  }
  return parsed.data;
}

/** How the persisted provider is reached (its SASL/TLS settings included for external). */
export function persistedConnection(settings: BrokerSettings, env: NodeJS.ProcessEnv) {
  try {
    return createBrokerProvider(settings, env).connection();
  } catch (err) {
    // A docker provider that cannot be built (e.g. a bad project name) is still reached locally.
    if (err instanceof BrokerError && settings.provider === 'docker') {
      return { brokers: [`127.0.0.1:${settings.docker.port}`] };
    }
    throw err;
  }
}

/**
 * Where a Kafka command connects: `--brokers`, else KAFKA_BROKERS, else the persisted provider's
 * connection, else 127.0.0.1:9092. Only the persisted connection carries SASL/TLS settings.
 */
export function resolveKafkaConnection(
  brokersFlag: string | undefined,
  env: NodeJS.ProcessEnv,
): KafkaConnection {
  if (brokersFlag !== undefined) return { brokers: parseBrokerList(brokersFlag) };
  if (env.KAFKA_BROKERS) {
    return { brokers: parseBrokerList(env.KAFKA_BROKERS, 'KAFKA_BROKERS') };
  }
  return persistedConnection(loadBrokerSettings(settingsPath(env)), env);
}

/** One line for stderr: the error's message, then a BrokerError's detail indented. */
export function failureText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  if (err instanceof BrokerError && err.detail?.trim()) {
    const detail = err.detail
      .trimEnd()
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
    return `${line}\n${detail}\n`;
  }
  return `${line}\n`;
}

/** Writes the failure to stderr and returns exit code 1; usage errors go to the dispatcher. */
export function reportFailure(ctx: CliContext, command: string, err: unknown): number {
  if (err instanceof UsageError) throw err;
  ctx.stderr.write(`volatility-insight ${command}: ${failureText(err)}`);
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
