import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import {
  BrokerProviderNameSchema,
  SaslSettingsSchema,
  type BrokerSettings,
  type BrokerStatus,
} from '../../../contract/broker.js';
import type { Api } from '../../../contract/rpc.js';
import type { ServiceEvent } from '../../../contract/service.js';
import { intFlag, parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import {
  canPromptSecret,
  confirm,
  DEFAULT_HINTS,
  parseBrokerList,
  promptSecret,
  reportFailure,
  writeJson,
  type SecretInput,
} from './admin-support.js';
import { runJob, withApi } from './session.js';

const USAGE = `volatility-insight broker start|stop|status|logs|reset [--provider docker|jvm|external]
    [--port N] [--data-dir DIR] [--brokers HOST:PORT[,...]] [--lines N] [--save] [--yes] [--json]
    [--sasl-mechanism plain|scram-sha-256|scram-sha-512 --sasl-username USER]
    [--sasl-password-file FILE] [--no-sasl] [--tls] [--ca-file FILE] [--tls-insecure] [--no-tls]

  start    start the broker (external: check that the cluster answers); progress on stderr
  stop     stop it (external clusters are not stopped by the app)
  status   exit 0 when running, 3 when not running, 1 when it cannot be checked
  logs     the last --lines lines (default 100) of the broker log
  reset    stop the broker and delete its data (needs --yes, or y on a terminal)

  The saved broker settings are the default; flags change them for this command only.
  start --save makes them the default for every command, once the broker answers (a broker
  that does not start is never saved). --port and --data-dir apply to jvm (--port also to
  docker), --brokers and the SASL/TLS flags to external.

  External clusters (--provider external):
    --sasl-mechanism M --sasl-username U
                       SASL login (both together). The password is never a flag value: it is
                       the first line of --sasl-password-file FILE, else $KAFKA_SASL_PASSWORD,
                       else asked for (without echo) on a terminal
    --sasl-password-file FILE   alone: a new password for the saved login
    --no-sasl          drop the saved SASL login
    --tls              TLS with the system CAs
    --ca-file FILE     TLS with this PEM CA file (implies --tls)
    --tls-insecure     TLS without checking the broker certificate (prints a warning)
    --no-tls           drop the saved TLS settings
  TLS flags replace the saved TLS settings. --save writes the settings file with mode 0600,
  the password included; the password is never printed.`;

const FLAGS = {
  provider: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  brokers: { type: 'string' },
  lines: { type: 'string' },
  save: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  'sasl-mechanism': { type: 'string' },
  'sasl-username': { type: 'string' },
  'sasl-password-file': { type: 'string' },
  tls: { type: 'boolean' },
  'ca-file': { type: 'string' },
  'tls-insecure': { type: 'boolean' },
  'no-sasl': { type: 'boolean' },
  'no-tls': { type: 'boolean' },
} as const;

const ACTIONS = ['start', 'stop', 'status', 'logs', 'reset'] as const;
type Action = (typeof ACTIONS)[number];

interface Overrides {
  provider?: string | undefined;
  port?: string | undefined;
  'data-dir'?: string | undefined;
  brokers?: string | undefined;
  'sasl-mechanism'?: string | undefined;
  'sasl-username'?: string | undefined;
  'sasl-password-file'?: string | undefined;
  tls?: boolean | undefined;
  'ca-file'?: string | undefined;
  'tls-insecure'?: boolean | undefined;
  'no-sasl'?: boolean | undefined;
  'no-tls'?: boolean | undefined;
}

type SaslSettings = z.infer<typeof SaslSettingsSchema>;
type SaslMechanism = SaslSettings['mechanism'];

/** The SASL login the flags ask for; its password is read by saslPassword(). */
export interface SaslRequest {
  mechanism: SaslMechanism;
  username: string;
}

const EXTERNAL_ONLY_FLAGS = [
  'sasl-mechanism',
  'sasl-username',
  'sasl-password-file',
  'tls',
  'ca-file',
  'tls-insecure',
  'no-sasl',
  'no-tls',
] as const;

/** The environment variable the SASL password is read from (never a flag value). */
export const SASL_PASSWORD_ENV = 'KAFKA_SASL_PASSWORD';

/**
 * The saved settings with the command-line flags applied, and the SASL login whose password
 * still has to be read (see saslPassword) when the flags ask for one.
 */
export function applyOverrides(
  saved: BrokerSettings,
  flags: Overrides,
): { settings: BrokerSettings; sasl: SaslRequest | null } {
  const settings = structuredClone(saved);
  if (flags.provider !== undefined) {
    const parsed = BrokerProviderNameSchema.safeParse(flags.provider);
    if (!parsed.success) {
      throw new UsageError(`--provider ${flags.provider}: use docker, jvm or external`);
    }
    settings.provider = parsed.data;
  }
  const port = intFlag(flags.port, 'port', 1);
  if (port !== undefined) {
    if (port > 65535) throw new UsageError('--port must be 1-65535');
    if (settings.provider === 'jvm') settings.jvm.port = port;
    else if (settings.provider === 'docker') settings.docker.port = port;
    else throw new UsageError('--port applies to jvm and docker; for external use --brokers');
  }
  if (flags['data-dir'] !== undefined) {
    if (settings.provider !== 'jvm') throw new UsageError('--data-dir applies to --provider jvm');
    settings.jvm.dataDir = flags['data-dir'];
  }
  if (flags.brokers !== undefined) {
    if (settings.provider !== 'external') {
      throw new UsageError('--brokers applies to --provider external (an existing cluster)');
    }
    settings.external = { ...settings.external, brokers: parseBrokerList(flags.brokers) };
  }
  const given = EXTERNAL_ONLY_FLAGS.filter((f) => flags[f] !== undefined && flags[f] !== false);
  if (given.length === 0) return { settings, sasl: null };
  if (settings.provider !== 'external') {
    throw new UsageError(
      `--${given[0]} applies to --provider external (an existing cluster); the ${settings.provider} broker runs without SASL or TLS`,
    );
  }
  const external = settings.external;
  if (external === undefined) {
    throw new UsageError(
      `--${given[0]} needs the cluster: give --brokers HOST:PORT[,...] (no external cluster is saved yet)`,
    );
  }
  const sasl = saslRequest(flags, external.sasl);
  if (flags['no-sasl']) delete external.sasl;
  const tlsFlags = given.filter((f) => f === 'tls' || f === 'ca-file' || f === 'tls-insecure');
  if (flags['no-tls']) {
    if (tlsFlags.length > 0) throw new UsageError(`--no-tls and --${tlsFlags[0]} contradict`);
    delete external.tls;
  }
  if (tlsFlags.length > 0) {
    const caFile = flags['ca-file'];
    if (caFile !== undefined && caFile.trim() === '') {
      throw new UsageError('--ca-file needs the path of a PEM CA file');
    }
    external.tls = {
      enabled: true,
      rejectUnauthorized: !flags['tls-insecure'],
      // Absolute, so the saved setting works from any directory.
      ...(caFile !== undefined ? { caFile: resolve(caFile) } : {}),
    };
  }
  return { settings, sasl };
}

function saslRequest(flags: Overrides, saved: SaslSettings | undefined): SaslRequest | null {
  const mechanism = flags['sasl-mechanism'];
  const username = flags['sasl-username'];
  if (flags['no-sasl']) {
    const other = (['sasl-mechanism', 'sasl-username', 'sasl-password-file'] as const).find(
      (f) => flags[f] !== undefined,
    );
    if (other !== undefined) throw new UsageError(`--no-sasl and --${other} contradict`);
    return null;
  }
  if (mechanism === undefined && username === undefined) {
    if (flags['sasl-password-file'] === undefined) return null;
    if (saved === undefined) {
      throw new UsageError(
        '--sasl-password-file needs --sasl-mechanism and --sasl-username (no SASL login is saved)',
      );
    }
    return { mechanism: saved.mechanism, username: saved.username };
  }
  if (mechanism === undefined || username === undefined) {
    throw new UsageError(
      `--sasl-mechanism and --sasl-username go together: give ${mechanism === undefined ? '--sasl-mechanism plain|scram-sha-256|scram-sha-512' : '--sasl-username USER'}`,
    );
  }
  const parsed = SaslSettingsSchema.shape.mechanism.safeParse(mechanism.toLowerCase());
  if (!parsed.success) {
    throw new UsageError(
      `--sasl-mechanism ${mechanism}: use plain, scram-sha-256 or scram-sha-512`,
    );
  }
  if (username.trim() === '') throw new UsageError('--sasl-username must not be empty');
  return { mechanism: parsed.data, username };
}

/** The first line of a password file (its trailing newline stripped); UsageError if unusable. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--sasl-password-file ${path} ${readErrorText(err)}`);
  }
  const newline = text.indexOf('\n');
  const line = (newline >= 0 ? text.slice(0, newline) : text).replace(/\r$/, '');
  if (line === '') {
    throw new UsageError(
      `--sasl-password-file ${path}: the first line is empty; it must hold the password`,
    );
  }
  return line;
}

/**
 * The password for `request`: --sasl-password-file, else $KAFKA_SASL_PASSWORD, else a prompt
 * without echo when `input` is a terminal; else a UsageError saying how to give it.
 */
export async function saslPassword(
  request: SaslRequest,
  passwordFile: string | undefined,
  ctx: CliContext,
  input: SecretInput = process.stdin,
): Promise<string> {
  if (passwordFile !== undefined) return readPasswordFile(passwordFile);
  const fromEnv = ctx.env[SASL_PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  const who = `"${request.username}" (${request.mechanism.toUpperCase()})`;
  if (!canPromptSecret(input)) {
    throw new UsageError(
      `no SASL password for ${who}: set ${SASL_PASSWORD_ENV}, or pass --sasl-password-file FILE (the password is never a flag value), or run on a terminal to be asked`,
    );
  }
  const password = await promptSecret(ctx, `SASL password for ${who}: `, input);
  if (password === '') throw new UsageError(`no SASL password entered for ${who}`);
  return password;
}

/** Why a file cannot be read, as the end of a sentence after its path. */
function readErrorText(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
      return 'is not readable (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot be read (${(err as Error).message})`;
  }
}

/** The settings with the SASL login's password filled in. */
function withSasl(settings: BrokerSettings, sasl: SaslSettings): BrokerSettings {
  if (settings.external === undefined) return settings;
  return { ...settings, external: { ...settings.external, sasl } };
}

/** One line describing the external cluster's settings, the password masked. */
export function describeExternal(settings: BrokerSettings): string {
  const external = settings.external;
  if (external === undefined) return 'external cluster: not configured';
  const parts = [external.brokers.join(',')];
  if (external.sasl) {
    parts.push(
      `SASL ${external.sasl.mechanism.toUpperCase()} as "${external.sasl.username}" (password ********)`,
    );
  }
  if (external.tls?.enabled) {
    parts.push(
      !external.tls.rejectUnauthorized
        ? 'TLS without certificate check'
        : external.tls.caFile
          ? `TLS with CA ${external.tls.caFile}`
          : 'TLS with the system CAs',
    );
  }
  return `external cluster: ${parts.join(', ')}`;
}

function statusText(status: BrokerStatus): string {
  const lines = [
    `${status.provider} broker: ${status.state}`,
    `  bootstrap: ${status.brokers.join(',')}`,
    `  ${status.detail}`,
  ];
  for (const b of status.clusterBrokers ?? []) {
    lines.push(`  node ${b.nodeId}: ${b.host}:${b.port}`);
  }
  return lines.join('\n') + '\n';
}

const SAVE_ONLY_ON_START =
  '--save applies to broker start: the settings are saved once the broker answers';

export const brokerCommand: CliCommand = {
  name: 'broker',
  summary: 'Start, stop and check the Kafka broker (docker, jvm or an external cluster)',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const [actionArg, ...rest] = argv;
    const action = ACTIONS.find((a) => a === actionArg);
    if (action === undefined) {
      throw new UsageError(
        actionArg === undefined
          ? `broker needs an action: ${ACTIONS.join(', ')}`
          : `unknown broker action "${actionArg}": use ${ACTIONS.join(', ')}`,
      );
    }
    const { values } = parseFlags(rest, FLAGS, false);
    const lines = intFlag(values.lines, 'lines', 1) ?? 100;
    if (lines > 10_000) throw new UsageError('--lines must be at most 10000');
    if (values.save && action !== 'start') throw new UsageError(SAVE_ONLY_ON_START);
    try {
      return await runAction(action, values, lines, ctx, process.stdin);
    } catch (err) {
      return reportFailure(ctx, `broker ${action}`, err, {
        ...DEFAULT_HINTS,
        conflict: 'drop --brokers and unset KAFKA_BROKERS, or start that broker yourself',
      });
    }
  },
};

/**
 * The broker settings for this command: the saved ones (read through the service) with the
 * flags applied, the SASL password read from its file, the environment or a prompt.
 */
async function settingsFor(
  ctx: CliContext,
  values: Overrides,
  input: SecretInput,
): Promise<{ saved: BrokerSettings; settings: BrokerSettings }> {
  const saved = await withApi(ctx, {}, (api) => api.call('settings.broker', {}));
  const applied = applyOverrides(saved, values);
  let settings = applied.settings;
  if (applied.sasl) {
    const password = await saslPassword(applied.sasl, values['sasl-password-file'], ctx, input);
    settings = withSasl(settings, { ...applied.sasl, password });
  }
  return { saved, settings };
}

async function runAction(
  action: Action,
  values: Overrides & {
    save?: boolean | undefined;
    yes?: boolean | undefined;
    json?: boolean | undefined;
  },
  lines: number,
  ctx: CliContext,
  input: SecretInput,
): Promise<number> {
  const { saved, settings } = await settingsFor(ctx, values, input);
  const tls = settings.provider === 'external' ? settings.external?.tls : undefined;
  if (tls?.enabled && !tls.rejectUnauthorized) {
    ctx.stderr.write(
      'warning: TLS certificate checking is off (--tls-insecure): anyone on the network path can pose as the cluster and read what is sent, the SASL password included; use --ca-file CA.pem instead\n',
    );
  }
  const onEvent = (e: ServiceEvent) => {
    if (e.event !== 'broker-progress') return;
    ctx.stderr.write(`[${(e.progress.elapsedMs / 1000).toFixed(1)}s] ${e.progress.step}\n`);
  };
  const output = (status: BrokerStatus) =>
    values.json ? writeJson(ctx, status) : ctx.stdout.write(statusText(status));
  const job = (
    api: Api,
    kind: 'broker-start' | 'broker-stop' | 'broker-reset',
    start: () => Promise<{ jobId: string }>,
  ) => runJob(api, kind, start, { signal: ctx.signal, onEvent });

  // This command's settings, whatever is saved; saved only by start --save, once it answers.
  return withApi(ctx, { brokerSettings: settings }, async (api) => {
    switch (action) {
      case 'start': {
        const save = values.save === true;
        output(await job(api, 'broker-start', () => api.call('broker.start', { save })));
        if (save) {
          ctx.stderr.write(
            `saved broker settings (${settings.provider}): every command now uses this broker\n`,
          );
          if (settings.provider === 'external') {
            ctx.stderr.write(`  ${describeExternal(settings)}\n`);
          }
        } else if (JSON.stringify(settings) !== JSON.stringify(saved)) {
          ctx.stderr.write(
            `these broker settings applied to this command only (the saved ${saved.provider} broker stays the default); add --save to make them the default\n`,
          );
        }
        return 0;
      }
      case 'stop':
        output(await job(api, 'broker-stop', () => api.call('broker.stop', {})));
        return 0;
      case 'status': {
        const status = await api.call('broker.status', {});
        output(status);
        return status.state === 'running' ? 0 : status.state === 'stopped' ? 3 : 1;
      }
      case 'logs':
        ctx.stdout.write((await api.call('broker.logs', { lines })).text);
        return 0;
      case 'reset': {
        const name = settings.provider;
        // An external cluster's data is not the app's: the service refuses without asking.
        if (
          name !== 'external' &&
          !(await confirm(ctx, `delete all data of the ${name} broker`, values.yes))
        ) {
          ctx.stderr.write('not reset\n');
          return 1;
        }
        await job(api, 'broker-reset', () => api.call('broker.reset', { confirm: name }));
        ctx.stdout.write(`${name} broker data deleted; the broker is stopped\n`);
        return 0;
      }
    }
  });
}
