import type { ConsumerGroupInfo } from '../../../contract/admin.js';
import { parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import { formatTable, reportFailure, writeJson } from './admin-support.js';
import { serviceOptionsFrom, withApi } from './session.js';

const USAGE = `volatility-insight groups [--json] [--brokers HOST:PORT[,...]]

  Consumer groups with their state, members (client id, host, assigned partitions) and lag per
  partition (committed offset vs high watermark; without a committed offset lag = high - low).
  --brokers   default: KAFKA_BROKERS, else the saved broker settings, else 127.0.0.1:9092`;

function assignedText(assignments: ConsumerGroupInfo['members'][number]['assignments']): string {
  return assignments.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ') || '-';
}

export function groupsText(groups: ConsumerGroupInfo[]): string {
  if (groups.length === 0) return 'no consumer groups\n';
  const summary = formatTable(
    ['GROUP', 'STATE', 'MEMBERS', 'LAG'],
    groups.map((g) => [g.groupId, g.state, g.members.length, g.totalLag]),
    new Set([2, 3]),
  );
  const memberRows = groups.flatMap((g) =>
    g.members.map((m) => [g.groupId, m.clientId, m.host, assignedText(m.assignments)]),
  );
  const members =
    memberRows.length === 0
      ? ''
      : '\n' + formatTable(['GROUP', 'CLIENT-ID', 'HOST', 'ASSIGNED'], memberRows);
  const lagRows = groups.flatMap((g) =>
    g.partitions.map((p) => [
      g.groupId,
      p.topic,
      p.partition,
      p.committed ?? '-',
      p.high,
      p.lag,
      p.note ?? '',
    ]),
  );
  const lag =
    lagRows.length === 0
      ? ''
      : '\n' +
        formatTable(
          ['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'HIGH', 'LAG', 'NOTE'],
          lagRows,
          new Set([2, 3, 4, 5]),
        );
  return summary + members + lag;
}

export const groupsCommand: CliCommand = {
  name: 'groups',
  summary: 'Consumer groups with members and lag',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(
      argv,
      { brokers: { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    if (positionals.length > 0 && positionals[0] !== 'list') {
      throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    }
    const options = serviceOptionsFrom(values);
    try {
      const groups = await withApi(ctx, options, (api) => api.call('groups.list', {}));
      if (values.json) writeJson(ctx, groups);
      else ctx.stdout.write(groupsText(groups));
      return 0;
    } catch (err) {
      return reportFailure(ctx, 'groups', err);
    }
  },
};
