import { TopicNameSchema, type TopicInfo } from '../../../contract/admin.js';
import { intFlag, parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import { confirm, formatTable, reportFailure, writeJson } from './admin-support.js';
import { serviceOptionsFrom, withApi } from './session.js';

const USAGE = `volatility-insight topics list [--all] [--watermarks] [--json] [--brokers HOST:PORT[,...]]
volatility-insight topics create NAME [--partitions N] [--replication-factor N] [--retention-ms MS] [--json] [--brokers ...]
volatility-insight topics delete NAME [--yes] [--json] [--brokers ...]

  --all           also list internal topics (__consumer_offsets, ...)
  --watermarks    one row per partition with its low and high watermark
  --name NAME     the topic (instead of the positional NAME)
  --retention-ms  how long messages are kept; unlimited: --retention-ms=-1
  --yes           delete without asking (needed when stdin is not a terminal)
  --brokers       default: KAFKA_BROKERS, else the saved broker settings, else 127.0.0.1:9092`;

const FLAGS = {
  brokers: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  watermarks: { type: 'boolean' },
  name: { type: 'string' },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  'retention-ms': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
} as const;

/** retention.ms as a person reads it: 7d, 12h, 30m, 45s, or ms. */
export function formatRetention(ms: number | null): string {
  if (ms === null) return '?';
  if (ms < 0) return 'unlimited';
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function topicTable(topics: TopicInfo[]): string {
  if (topics.length === 0) return 'no topics\n';
  return formatTable(
    ['TOPIC', 'PARTITIONS', 'RF', 'RETENTION', 'MESSAGES'],
    topics.map((t) => [
      t.name,
      t.partitionCount,
      t.replicationFactor,
      formatRetention(t.retentionMs),
      t.messages,
    ]),
    new Set([1, 2, 4]),
  );
}

function watermarkTable(topics: TopicInfo[]): string {
  return formatTable(
    ['TOPIC', 'PARTITION', 'LOW', 'HIGH', 'MESSAGES'],
    topics.flatMap((t) =>
      t.partitions.map((p) => [t.name, p.partition, p.low, p.high, p.messages]),
    ),
    new Set([1, 2, 3, 4]),
  );
}

function topicName(values: { name?: string | undefined }, positionals: string[], verb: string) {
  const name = values.name ?? positionals[0];
  if (!name) throw new UsageError(`topics ${verb} needs a topic name (NAME or --name NAME)`);
  if (values.name !== undefined && positionals.length > 0) {
    throw new UsageError(`give the topic name once: NAME or --name NAME`);
  }
  if (positionals.length > 1)
    throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  return name;
}

export const topicsCommand: CliCommand = {
  name: 'topics',
  summary: 'List, create and delete Kafka topics',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const [action, ...rest] = argv;
    if (action !== 'list' && action !== 'create' && action !== 'delete') {
      throw new UsageError(
        action === undefined
          ? 'topics needs an action: list, create or delete'
          : `unknown topics action "${action}": use list, create or delete`,
      );
    }
    const { values, positionals } = parseFlags(rest, FLAGS, true);
    const options = serviceOptionsFrom(values);
    try {
      if (action === 'list') {
        if (positionals.length > 0)
          throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
        const topics = await withApi(ctx, options, (api) =>
          api.call('topics.list', { includeInternal: values.all === true }),
        );
        if (values.json) writeJson(ctx, topics);
        else {
          ctx.stdout.write(topicTable(topics));
          if (values.watermarks && topics.length > 0)
            ctx.stdout.write('\n' + watermarkTable(topics));
        }
        return 0;
      }
      if (action === 'create') {
        const name = checkedName(topicName(values, positionals, 'create'));
        const partitions = intFlag(values.partitions, 'partitions', 1) ?? 1;
        const replicationFactor = intFlag(values['replication-factor'], 'replication-factor', 1);
        const retentionMs = intFlag(values['retention-ms'], 'retention-ms', -1);
        const topic = await withApi(ctx, options, (api) =>
          api.call('topics.create', { name, partitions, replicationFactor, retentionMs }),
        );
        if (values.json) writeJson(ctx, topic);
        else {
          ctx.stdout.write(
            `created topic ${topic.name}: ${topic.partitionCount} partition(s), replication factor ${topic.replicationFactor}, retention ${formatRetention(topic.retentionMs)}\n`,
          );
        }
        return 0;
      }
      const name = checkedName(topicName(values, positionals, 'delete'));
      if (!(await confirm(ctx, `delete topic "${name}" and all its messages`, values.yes))) {
        ctx.stderr.write('not deleted\n');
        return 1;
      }
      // The name typed on the command line (and confirmed) is the confirmation the service needs.
      const { deleted } = await withApi(ctx, options, (api) =>
        api.call('topics.delete', { name, confirm: name }),
      );
      if (values.json) writeJson(ctx, { deleted });
      else ctx.stdout.write(`deleted topic ${deleted}\n`);
      return 0;
    } catch (err) {
      return reportFailure(ctx, `topics ${action}`, err);
    }
  },
};

/** A name Kafka would refuse fails here, with the rule (exit 1, like Kafka's own refusal). */
function checkedName(name: string): string {
  const parsed = TopicNameSchema.safeParse(name);
  if (!parsed.success) {
    throw new Error(
      `invalid topic name ${JSON.stringify(name)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
