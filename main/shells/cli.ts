import { failureText } from './cli/admin-support.js';
import { alertsCommand } from './cli/alerts.js';
import { UsageError, type CliCommand, type CliContext } from './cli/command.js';
import { brokerCommand } from './cli/broker.js';
import { exportCommand } from './cli/export.js';
import { replayCommand } from './cli/replay.js';
import { groupsCommand } from './cli/groups.js';
import { deadLettersCommand, messagesCommand } from './cli/messages.js';
import { enrichCommand, produceCommand, runCommand } from './cli/pipeline-commands.js';
import { serveCommand } from './cli/serve.js';
import { sinkCommand } from './cli/sink.js';
import { topicsCommand } from './cli/topics.js';
import { viewsCommand } from './cli/views.js';

const COMMANDS: CliCommand[] = [
  runCommand,
  produceCommand,
  enrichCommand,
  brokerCommand,
  topicsCommand,
  groupsCommand,
  messagesCommand,
  viewsCommand,
  deadLettersCommand,
  exportCommand,
  sinkCommand,
  replayCommand,
  alertsCommand,
  serveCommand,
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: volatility-insight <command> [flags]',
    '',
    'commands:',
    ...lines,
    '',
    'Kafka commands take --brokers HOST:PORT[,...] (default: $KAFKA_BROKERS, then the saved broker: 127.0.0.1:9092 unless `broker start --save` chose another).',
    'Flags apply to their command only; `broker start --save` changes the saved broker.',
    'Run `volatility-insight <command> --help` for its flags.',
  ].join('\n');
}

function usageOf(command: CliCommand): string {
  return `volatility-insight ${command.usage.replace(/^volatility-insight /, '')}`;
}

/** The CLI entry: returns the exit code; failures print one line saying what to do. */
export async function main(argv: string[], ctx?: Partial<CliContext>): Promise<number> {
  const controller = new AbortController();
  const context: CliContext = {
    stdout: ctx?.stdout ?? process.stdout,
    stderr: ctx?.stderr ?? process.stderr,
    env: ctx?.env ?? process.env,
    signal: ctx?.signal ?? controller.signal,
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    context.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    context.stderr.write(`volatility-insight: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout.write(`usage: ${usageOf(command)}\n`);
    return 0;
  }
  const onSignal = () => {
    if (controller.signal.aborted) {
      context.stderr.write('\nforced exit\n');
      process.exit(130);
    }
    context.stderr.write('\nstopping… (Ctrl-C again to force)\n');
    controller.abort();
  };
  if (!ctx?.signal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    return await command.run(rest, context);
  } catch (err) {
    if (err instanceof UsageError) {
      context.stderr.write(
        `volatility-insight ${name}: ${err.message}\nusage: ${usageOf(command)}\n`,
      );
      return 2;
    }
    context.stderr.write(`volatility-insight ${name}: ${failureText(err)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
