import { resolve } from 'node:path';
import { DeltaSinkOptionsSchema, type DeltaSinkStats } from '../../../contract/sink.js';
import { reportFailure } from './admin-support.js';
import { intFlag, parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import { CONNECTION_FLAGS, runJob, serviceOptionsFrom, withApi } from './session.js';

const USAGE = `volatility-insight sink delta --table DIR [--topic T] [--partition-by date|date,symbol|none] [--roll-ms MS] [--roll-rows N] [--roll-bytes N] [--until-idle MS] [--group ID] [--brokers H:P,...]
       volatility-insight sink delta optimize --table DIR
       volatility-insight sink delta vacuum --table DIR --retention-hours N

  --table         the Delta table's folder (created when missing)
  --topic         the enriched topic to read (default stock_prices_enriched)
  --partition-by  a new table's partition columns (default date); an existing table keeps its own
  --roll-ms       commit at least this often while rows wait (default 60000)
  --roll-rows     commit once this many rows wait
  --roll-bytes    commit once the open files reach about this size (default 134217728)
  --until-idle    stop once the topic is drained and nothing new came for MS (batch use)
  --group         the consumer group (default derived from the table); the table's txn versions decide where reading resumes
  optimize        compact small files (the rows stay the same)
  vacuum          delete files the table no longer references, removed more than N hours ago
Ctrl-C stops cleanly: what was read is committed first.`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  table: { type: 'string' },
  topic: { type: 'string' },
  'partition-by': { type: 'string' },
  'roll-ms': { type: 'string' },
  'roll-rows': { type: 'string' },
  'roll-bytes': { type: 'string' },
  'until-idle': { type: 'string' },
  group: { type: 'string' },
  'retention-hours': { type: 'string' },
} as const;

function statsLine(s: DeltaSinkStats): string {
  return (
    `delta sink: ${s.state}  version ${s.version}  ${s.appended} rows committed  ` +
    `${s.duplicates} duplicates dropped  lag ${s.lag ?? '?'}  ${Math.round(s.rate)} rows/s`
  );
}

function printer(ctx: CliContext): (s: DeltaSinkStats) => void {
  let last = 0;
  return (s) => {
    const now = Date.now();
    if (ctx.stdout.isTTY) {
      ctx.stdout.write('\r\x1b[2K' + statsLine(s).slice(0, (ctx.stdout.columns ?? 100) - 1));
    } else if (now - last >= 5000) {
      last = now;
      ctx.stdout.write(statsLine(s) + '\n');
    }
  };
}

export const sinkCommand: CliCommand = {
  name: 'sink',
  summary:
    'sink delta: the enriched topic into a Delta Lake table, exactly once (optimize, vacuum)',
  usage: USAGE,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags(argv, FLAGS, true);
    const [target, action, ...extra] = positionals;
    if (target !== 'delta') throw new UsageError('say which sink: `sink delta --table DIR`');
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    if (action !== undefined && action !== 'optimize' && action !== 'vacuum') {
      throw new UsageError(
        `unknown action "${action}": optimize or vacuum, or none to run the sink`,
      );
    }
    if (!values.table) throw new UsageError('--table DIR is required');
    const table = resolve(values.table);
    const service = serviceOptionsFrom(values);
    try {
      return await withApi(ctx, service, async (api) => {
        // The folder named on the command line is the person's choice: granted to the service.
        const { grant } = await api.call('paths.grant', { path: table, purpose: 'delta-table' });
        if (action === 'optimize') {
          const r = await api.call('sink.optimize', { table: grant });
          ctx.stdout.write(
            r.version === null
              ? `optimize: nothing to compact in ${table}\n`
              : `optimize: ${r.filesRemoved} files compacted into ${r.filesAdded} (${r.rows} rows), version ${r.version}\n`,
          );
          return 0;
        }
        if (action === 'vacuum') {
          if (values['retention-hours'] === undefined) {
            throw new UsageError("--retention-hours N is required (Delta's usual is 168)");
          }
          const hours = Number(values['retention-hours']);
          if (!Number.isFinite(hours) || hours < 0) {
            throw new UsageError('--retention-hours must be a number of hours >= 0');
          }
          const r = await api.call('sink.vacuum', { table: grant, retentionHours: hours });
          ctx.stdout.write(
            `vacuum: deleted ${r.filesDeleted} files (${r.bytesDeleted} bytes) from ${table}\n`,
          );
          return 0;
        }
        const parsed = DeltaSinkOptionsSchema.safeParse({
          topic: values.topic,
          partitionBy: values['partition-by'],
          rollMs: intFlag(values['roll-ms'], 'roll-ms', 100),
          rollRows: intFlag(values['roll-rows'], 'roll-rows', 1),
          rollBytes: intFlag(values['roll-bytes'], 'roll-bytes', 1024),
          untilIdleMs: intFlag(values['until-idle'], 'until-idle', 1),
          groupId: values.group,
        });
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new UsageError(`${String(issue?.path[0] ?? '')}: ${issue?.message ?? 'invalid'}`);
        }
        const show = printer(ctx);
        const result = await runJob(
          api,
          'delta-sink',
          () => api.call('sink.start', { ...parsed.data, table: grant }),
          {
            signal: ctx.signal,
            onEvent: (e) => {
              if (e.event === 'sink-stats') show(e.stats);
            },
          },
        );
        if (ctx.stdout.isTTY) ctx.stdout.write('\r\x1b[2K');
        const resume = Object.entries(result.resume)
          .map(([p, o]) => `${p}:${o}`)
          .join(' ');
        ctx.stdout.write(
          `delta sink: ${result.appended} rows committed in ${result.commits} commits ` +
            `(${result.duplicates} duplicates dropped), table version ${result.version}, ` +
            `resume at source offsets ${resume || '(none)'}\n`,
        );
        return 0;
      });
    } catch (err) {
      return reportFailure(ctx, 'sink', err);
    }
  },
};
