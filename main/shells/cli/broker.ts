import {
  BrokerProviderNameSchema,
  type BrokerProgress,
  type BrokerSettings,
  type BrokerStatus,
} from '../../../contract/broker.js';
import { BrokerError } from '../../broker/provider.js';
import { createBrokerProvider } from '../../broker/registry.js';
import { loadBrokerSettings, saveBrokerSettings } from '../../broker/settings-store.js';
import { settingsPath } from '../../paths.js';
import { intFlag, parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import { confirm, parseBrokerList, reportFailure, writeJson } from './admin-support.js';

const USAGE = `volatility-insight broker start|stop|status|logs|reset [--provider docker|jvm|external]
    [--port N] [--data-dir DIR] [--brokers HOST:PORT[,...]] [--lines N] [--save] [--yes] [--json]

  start    start the broker (external: check that the cluster answers); progress on stderr
  stop     stop it (external clusters are not stopped by the app)
  status   exit 0 when running, 3 when not running, 1 when it cannot be checked
  logs     the last --lines lines (default 100) of the broker log
  reset    stop the broker and delete its data (needs --yes, or y on a terminal)

  Settings are read from the settings file; flags override them. --save (or start with an
  explicit --provider) saves the choice. --port and --data-dir apply to jvm (--port also to
  docker), --brokers to external.`;

const FLAGS = {
  provider: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  brokers: { type: 'string' },
  lines: { type: 'string' },
  save: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
} as const;

const ACTIONS = ['start', 'stop', 'status', 'logs', 'reset'] as const;
type Action = (typeof ACTIONS)[number];

interface Overrides {
  provider?: string | undefined;
  port?: string | undefined;
  'data-dir'?: string | undefined;
  brokers?: string | undefined;
}

/** The saved settings with the command-line flags applied. */
export function applyOverrides(saved: BrokerSettings, flags: Overrides): BrokerSettings {
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
  return settings;
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
    try {
      return await runAction(action, values, lines, ctx);
    } catch (err) {
      return reportFailure(ctx, `broker ${action}`, err);
    }
  },
};

async function runAction(
  action: Action,
  values: Overrides & {
    save?: boolean | undefined;
    yes?: boolean | undefined;
    json?: boolean | undefined;
  },
  lines: number,
  ctx: CliContext,
): Promise<number> {
  const file = settingsPath(ctx.env);
  const settings = applyOverrides(loadBrokerSettings(file), values);
  if (values.save || (action === 'start' && values.provider !== undefined)) {
    saveBrokerSettings(settings, file);
    ctx.stderr.write(`saved broker settings (${settings.provider}) to ${file}\n`);
  }
  const provider = createBrokerProvider(settings, ctx.env);
  const onProgress = (p: BrokerProgress) =>
    ctx.stderr.write(`[${(p.elapsedMs / 1000).toFixed(1)}s] ${p.step}\n`);
  const output = (status: BrokerStatus) =>
    values.json ? writeJson(ctx, status) : ctx.stdout.write(statusText(status));

  switch (action) {
    case 'start':
      output(await provider.start({ onProgress, signal: ctx.signal }));
      return 0;
    case 'stop':
      output(await provider.stop({ onProgress, signal: ctx.signal }));
      return 0;
    case 'status': {
      const status = await provider.status({ signal: ctx.signal });
      output(status);
      return status.state === 'running' ? 0 : status.state === 'stopped' ? 3 : 1;
    }
    case 'logs':
      ctx.stdout.write(await provider.logs(lines));
      return 0;
    case 'reset': {
      if (!provider.resetData) {
        throw new BrokerError(
          'not-configured',
          `the ${provider.name} provider has no data to reset here (an external cluster is managed where it runs)`,
        );
      }
      if (!(await confirm(ctx, `delete all data of the ${provider.name} broker`, values.yes))) {
        ctx.stderr.write('not reset\n');
        return 1;
      }
      await provider.resetData({ onProgress, signal: ctx.signal });
      ctx.stdout.write(`${provider.name} broker data deleted; the broker is stopped\n`);
      return 0;
    }
  }
}
