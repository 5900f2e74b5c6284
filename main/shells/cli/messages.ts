import { z } from 'zod';
import { TopicNameSchema } from '../../../contract/admin.js';
import {
  FilterSyntaxError,
  PAGE_SIZE_MAX,
  parseFilterExpression,
  type MessageRecord,
  type MessagesPage,
  type Start,
} from '../../../contract/messages.js';
import type { StoredDeadLetter } from '../../../contract/dead-letters.js';
import { parseInstant } from '../../../contract/instant.js';
import { parseColumnList } from '../../../contract/json-fields.js';
import { ServiceError, type Api } from '../../../contract/rpc.js';
import {
  TimeZoneSchema,
  ViewNameSchema,
  type SavedView,
  type TimeZoneChoice,
} from '../../../contract/saved-views.js';
import type { ServiceEvent } from '../../../contract/service.js';
import { TOPICS } from '../../../contract/trade.js';
import { reportFailure } from './admin-support.js';
import { intFlag, parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import {
  columnsLine,
  columnsTable,
  columnValues,
  formatTime,
  shellWord,
  type RecordStyle,
} from './record-view.js';
import { serviceOptionsFrom, withApi } from './session.js';

const USAGE = `volatility-insight messages TOPIC [--from newest|oldest|OFFSET|ISO-TIME] [--partition N] [--limit N] [--filter EXPR] [--columns A,B.C] [--tz utc|local] [--follow] [--json] [--brokers ...]
volatility-insight messages --view NAME [TOPIC] [any flag above, which overrides the view's] [--db FILE]

  --from       newest (default: the last --limit messages), oldest, an OFFSET (in every chosen
               partition), or an ISO time (reads forward from the first message at or after it,
               found with Kafka's offsets-for-times)
  --partition  only this partition (repeat for more); default: all, merged by timestamp
  --limit      how many messages (default 100)
  --filter     e.g. 'symbol = AAPL', 'price > 300 and volume >= 1000', 'key = AAPL', 'key ~ AA',
               'value ~ text'; a word alone is text the value contains
  --columns    JSON fields of the value shown as columns instead of the value, e.g.
               symbol,price,context.session (a missing field shows as -)
  --tz         times in utc (default) or this machine's local time zone
  --view       a saved view (see: volatility-insight views): its topic, partitions, start, filter,
               columns and time zone; flags given here override them
  --follow     then print new messages as they arrive, until Ctrl-C
  --json       one JSON object per line: partition, offset, timestamp (epoch ms), key, headers,
               value, and with columns "columns": {FIELD: value or null}
Reading creates no consumer group and commits nothing.`;

const FLAGS = {
  brokers: { type: 'string' },
  from: { type: 'string' },
  partition: { type: 'string', multiple: true },
  limit: { type: 'string' },
  filter: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  json: { type: 'boolean' },
  columns: { type: 'string' },
  tz: { type: 'string' },
  view: { type: 'string' },
  db: { type: 'string' },
} as const;

/** The CLI prints values whole up to this many bytes (the rest is said to be cut). */
const CLI_VALUE_BYTES = 1024 * 1024;

export function parseFrom(text: string | undefined): Start {
  if (text === undefined || text === 'newest') return { kind: 'newest' };
  if (text === 'oldest') return { kind: 'oldest' };
  if (/^\d+$/.test(text)) {
    const offset = Number(text);
    if (!Number.isSafeInteger(offset))
      throw new UsageError(`--from ${text}: the offset is too large`);
    return { kind: 'offset', offset };
  }
  const ts = parseInstant(text);
  if (ts === null) {
    throw new UsageError(
      `--from ${JSON.stringify(text)}: use newest, oldest, an offset, or an ISO time such as 2026-01-05T14:30:00Z`,
    );
  }
  if (ts < 0) throw new UsageError(`--from ${text}: before 1970`);
  return { kind: 'timestamp', ts };
}

function escapeLine(text: string): string {
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** The record as kcat-like JSON: the decoded text of key, headers and value. */
export function recordJson(r: MessageRecord): Record<string, unknown> {
  const headers: Record<string, string | null> = {};
  for (const h of r.headers) headers[h.key] = h.value?.text ?? null;
  return {
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key?.text ?? null,
    headers,
    value: r.value?.text ?? null,
    ...(r.value?.encoding === 'binary' ? { valueEncoding: 'hex' } : {}),
    ...(r.value?.truncated ? { valueBytes: r.value.bytes, truncated: true } : {}),
  };
}

export function recordLine(r: MessageRecord, timeZone: TimeZoneChoice = 'utc'): string {
  const key = r.key ? escapeLine(r.key.text) : '-';
  let value = r.value ? escapeLine(r.value.text) : 'null';
  if (r.value?.encoding === 'binary') value = `hex: ${value}`;
  if (r.value?.truncated) value += ` … (${r.value.bytes} bytes in all)`;
  return `${formatTime(r.timestamp, timeZone)}  ${r.partition}/${r.offset}  ${key}  ${value}`;
}

/** Reads up to `limit` records from `from` (newest: the last ones), oldest first, paging as needed. */
async function readRecords(
  api: Api,
  args: {
    topic: string;
    partitions?: number[];
    from: Start;
    limit: number;
    filter?: ReturnType<typeof parseFilterExpression>;
    signal: AbortSignal;
  },
  onScan: (page: MessagesPage) => void,
): Promise<{ records: MessageRecord[]; last: MessagesPage | null }> {
  const backwards = args.from.kind === 'newest';
  const records: MessageRecord[] = [];
  let cursor: string | undefined;
  let last: MessagesPage | null = null;
  let first: MessagesPage | null = null;
  while (records.length < args.limit && !args.signal.aborted) {
    const page: MessagesPage = await api.call(
      'messages.read',
      {
        topic: args.topic,
        ...(args.partitions ? { partitions: args.partitions } : {}),
        ...(cursor ? { cursor } : { from: args.from }),
        limit: Math.min(PAGE_SIZE_MAX, args.limit - records.length),
        ...(args.filter ? { filter: args.filter } : {}),
        maxValueBytes: CLI_VALUE_BYTES,
        pretty: false,
      },
      { signal: args.signal },
    );
    first ??= page;
    last = page;
    onScan(page);
    if (backwards) records.unshift(...page.records);
    else records.push(...page.records);
    const next = backwards ? page.older : page.hasNewer ? page.newer : null;
    if (!next) break;
    cursor = next;
  }
  return { records, last: backwards ? first : last };
}

export const messagesCommand: CliCommand = {
  name: 'messages',
  summary: 'Read a topic by offset or time, filtered, or follow it (no consumer group)',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, FLAGS, true);
    const topicArg = positionals[0];
    if (!topicArg && values.view === undefined)
      throw new UsageError('messages needs a topic: messages TOPIC (or --view NAME)');
    if (positionals.length > 1)
      throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
    if (topicArg !== undefined && !TopicNameSchema.safeParse(topicArg).success)
      throw new UsageError(`"${topicArg}" is not a topic name`);
    const viewName = values.view === undefined ? undefined : parseViewName(values.view);
    const fromFlag = values.from === undefined ? undefined : parseFrom(values.from);
    const limit = intFlag(values.limit, 'limit', 1) ?? 100;
    const partitionsFlag = values.partition?.map((p) => intFlag(p, 'partition', 0)!);
    const filterFlag = values.filter === undefined ? undefined : parseFilterFlag(values.filter);
    const columnsFlag = values.columns === undefined ? undefined : parseColumnsFlag(values.columns);
    const tzFlag = values.tz === undefined ? undefined : parseTimeZone(values.tz);
    const options = serviceOptionsFrom({ brokers: values.brokers, db: values.db });
    try {
      return await withApi(ctx, options, async (api) => {
        const view = viewName === undefined ? undefined : await findView(api, viewName);
        const topic = topicArg ?? view!.topic;
        const from = fromFlag ?? view?.start ?? { kind: 'newest' };
        const partitions = partitionsFlag ?? view?.partitions;
        const filter =
          filterFlag ?? (view?.filter ? parseFilterExpression(view.filter) : undefined);
        const style: RecordStyle = {
          timeZone: tzFlag ?? view?.timeZone ?? 'utc',
          columns: columnsFlag ?? view?.columns ?? [],
        };
        try {
          return await readAndFollow(api, ctx, values, {
            topic,
            from,
            partitions,
            filter,
            limit,
            style,
          });
        } catch (err) {
          // The view outlived its topic: say which view, and what to do about it.
          if (
            view &&
            topicArg === undefined &&
            err instanceof ServiceError &&
            err.code === 'unknown-topic'
          ) {
            throw new ServiceError(
              'unknown-topic',
              `saved view "${view.name}" reads topic "${view.topic}", which does not exist on this broker: recreate the topic or delete the view (volatility-insight views delete ${shellWord(view.name)})`,
            );
          }
          throw err;
        }
      });
    } catch (err) {
      return reportFailure(ctx, 'messages', err);
    }
  },
};

function parseViewName(text: string): string {
  const parsed = ViewNameSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`--view: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

function parseFilterFlag(text: string): ReturnType<typeof parseFilterExpression> {
  try {
    return parseFilterExpression(text);
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new UsageError(`--filter: ${err.message}`);
    throw new UsageError(`--filter: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function parseColumnsFlag(text: string): string[] {
  try {
    return parseColumnList(text);
  } catch (err) {
    const issue = err instanceof z.ZodError ? err.issues[0] : undefined;
    throw new UsageError(`--columns: ${issue?.message ?? (err as Error).message.split('\n')[0]}`);
  }
}

export function parseTimeZone(text: string): TimeZoneChoice {
  const parsed = TimeZoneSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`--tz ${JSON.stringify(text)}: use utc or local`);
  return parsed.data;
}

/** A saved view by name, or a not-found error saying where the names are listed. */
async function findView(api: Api, name: string): Promise<SavedView> {
  const view = (await api.call('views.list', {})).find((v) => v.name === name);
  if (!view) {
    throw new ServiceError(
      'not-found',
      `no saved view named "${name}" (see: volatility-insight views list)`,
    );
  }
  return view;
}

type MessagesValues = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

/** Reads the records (and follows the topic with --follow), printing them in the chosen style. */
async function readAndFollow(
  api: Api,
  ctx: CliContext,
  values: MessagesValues,
  args: {
    topic: string;
    from: Start;
    partitions: number[] | undefined;
    filter: ReturnType<typeof parseFilterExpression> | undefined;
    limit: number;
    style: RecordStyle;
  },
): Promise<number> {
  const { topic, from, partitions, filter, limit, style } = args;
  const withColumns = style.columns.length > 0;
  const print = (r: MessageRecord) => {
    const line = values.json
      ? JSON.stringify({
          ...recordJson(r),
          ...(withColumns ? { columns: columnValues(r, style.columns) } : {}),
        })
      : withColumns
        ? columnsLine(r, style)
        : recordLine(r, style.timeZone);
    ctx.stdout.write(line + '\n');
  };
  let tail: { tailId: string } | null = null;
  const early: Extract<ServiceEvent, { event: 'messages-tail' }>[] = [];
  let live: ((e: Extract<ServiceEvent, { event: 'messages-tail' }>) => void) | null = null;
  if (values.follow) {
    api.onEvent((e) => {
      if (e.event !== 'messages-tail' || e.tailId !== tail?.tailId) return;
      if (live) live(e);
      else early.push(e);
    });
    tail = await api.call('messages.tail.start', {
      topic,
      ...(partitions ? { partitions } : {}),
      ...(filter ? { filter } : {}),
      maxValueBytes: CLI_VALUE_BYTES,
      pretty: false,
    });
  }
  let scanned = 0;
  let exhausted = false;
  const { records, last } = await readRecords(
    api,
    {
      topic,
      ...(partitions ? { partitions } : {}),
      from,
      limit,
      ...(filter ? { filter } : {}),
      signal: ctx.signal,
    },
    (page) => {
      scanned += page.scanned;
      exhausted = page.budgetExhausted;
    },
  );
  if (withColumns && !values.json) {
    if (records.length > 0) ctx.stdout.write(columnsTable(records, style));
  } else for (const r of records) print(r);
  if (filter && exhausted) {
    ctx.stderr.write(
      `scanned ${scanned} messages, ${records.length} matched; stopped at the scan budget (raise --limit to go on)\n`,
    );
  }
  if (!tail) return ctx.signal.aborted ? 130 : 0;
  // Follow: the tail started before the page was read; print what comes after the page.
  const seenUpTo = new Map((last?.partitions ?? []).map((p) => [p.partition, p.high]));
  const onTail = (e: Extract<ServiceEvent, { event: 'messages-tail' }>) => {
    const fresh = e.records.filter((r) => r.offset >= (seenUpTo.get(r.partition) ?? 0));
    for (const r of fresh) print(r);
    const unseen = e.arrived - e.records.length;
    if (unseen > 0) ctx.stderr.write(`… ${unseen} more arrived faster than shown\n`);
    if (e.error) ctx.stderr.write(`volatility-insight messages: ${e.error.message}\n`);
  };
  await new Promise<void>((resolve) => {
    for (const e of early.splice(0)) onTail(e);
    live = (e) => {
      onTail(e);
      if (e.state === 'stopped') resolve();
    };
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await api
    .call('messages.tail.control', { tailId: tail.tailId, action: 'stop' })
    .catch(() => undefined);
  return 0;
}

const DL_USAGE = `volatility-insight dead-letters list [--from newest|oldest|OFFSET|ISO-TIME] [--limit N] [--filter EXPR] [--json] [--topic T] [--brokers ...]
volatility-insight dead-letters republish PARTITION:OFFSET [PARTITION:OFFSET ...] [--value TEXT] [--json] [--topic T] [--brokers ...]
volatility-insight dead-letters list --stored [--db FILE] [--limit N] [--filter REASON-TEXT] [--json]
volatility-insight dead-letters republish --stored ID[,ID...] [--db FILE] [--value TEXT] [--topic SOURCE] [--json] [--brokers ...]

  list         dead letters with their reason, source topic/partition/offset and original bytes
  republish    sends them back to their source topic (the original key and bytes, or --value for
               one edited message) with the header x-vi-republished-from: TOPIC/PARTITION/OFFSET
  --topic      the dead-letter topic (default ${TOPICS.deadLetters}); with --stored, the source
               topic republished to (default ${TOPICS.trades})
  --stored     the enrichment's SQLite dead_letters table (the whole original value) instead of
               the topic; newest first by id, --filter is text the reason contains; republished
               with x-vi-republished-from: sqlite:dead_letters/ID`;

const DL_FLAGS = {
  brokers: { type: 'string' },
  topic: { type: 'string' },
  from: { type: 'string' },
  limit: { type: 'string' },
  filter: { type: 'string' },
  value: { type: 'string' },
  json: { type: 'boolean' },
  stored: { type: 'boolean' },
  db: { type: 'string' },
} as const;

export const deadLettersCommand: CliCommand = {
  name: 'dead-letters',
  summary: 'List dead letters with their reasons, and republish them to their source topic',
  usage: DL_USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const [action, ...rest] = argv;
    if (action !== 'list' && action !== 'republish') {
      throw new UsageError(
        action === undefined
          ? 'dead-letters needs an action: list or republish'
          : `unknown dead-letters action "${action}": use list or republish`,
      );
    }
    const { values, positionals } = parseFlags(rest, DL_FLAGS, true);
    const topic = values.topic ?? (values.stored ? TOPICS.trades : TOPICS.deadLetters);
    if (!TopicNameSchema.safeParse(topic).success)
      throw new UsageError(`--topic "${topic}" is not a topic name`);
    if (values.stored) return storedDeadLetters(action, values, positionals, topic, ctx);
    try {
      if (action === 'list') {
        if (positionals.length > 0)
          throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
        const from = parseFrom(values.from);
        const limit = intFlag(values.limit, 'limit', 1) ?? 100;
        let filter: ReturnType<typeof parseFilterExpression> | undefined;
        if (values.filter !== undefined) {
          try {
            filter = parseFilterExpression(values.filter);
          } catch (err) {
            throw new UsageError(`--filter: ${(err as Error).message.split('\n')[0]}`);
          }
        }
        const { records } = await withApi(ctx, serviceOptionsFrom(values), (api) =>
          readRecords(
            api,
            { topic, from, limit, ...(filter ? { filter } : {}), signal: ctx.signal },
            () => undefined,
          ),
        );
        for (const r of records) {
          const d = r.deadLetter;
          if (values.json) {
            ctx.stdout.write(
              JSON.stringify({
                partition: r.partition,
                offset: r.offset,
                timestamp: r.timestamp,
                reason: d?.reason ?? null,
                source: d ? `${d.sourceTopic}/${d.sourcePartition}/${d.sourceOffset}` : null,
                key: d ? d.key : (r.key?.text ?? null),
                original: d ? (d.original?.text ?? null) : (r.value?.text ?? null),
                originalBytes: d ? (d.original?.bytes ?? 0) : (r.value?.bytes ?? 0),
              }) + '\n',
            );
          } else if (d) {
            const original = d.original ? escapeLine(d.original.text).slice(0, 200) : 'null';
            ctx.stdout.write(
              `${r.partition}:${r.offset}  ${new Date(r.timestamp).toISOString()}  from ${d.sourceTopic}/${d.sourcePartition}/${d.sourceOffset}  ${escapeLine(d.reason)}  ${d.original?.bytes ?? 0} bytes: ${original}\n`,
            );
          } else {
            ctx.stdout.write(
              `${r.partition}:${r.offset}  (not a dead letter of this app)  ${recordLine(r)}\n`,
            );
          }
        }
        if (records.length === 0 && !values.json) ctx.stdout.write(`no dead letters in ${topic}\n`);
        return 0;
      }
      if (positionals.length === 0)
        throw new UsageError(
          'dead-letters republish needs PARTITION:OFFSET (see dead-letters list)',
        );
      const items = positionals.map((p) => {
        const m = /^(\d+):(\d+)$/.exec(p);
        if (!m) throw new UsageError(`"${p}" is not PARTITION:OFFSET (e.g. 0:42)`);
        return { partition: Number(m[1]), offset: Number(m[2]) };
      });
      if (values.value !== undefined && items.length !== 1) {
        throw new UsageError('--value edits one dead letter: give exactly one PARTITION:OFFSET');
      }
      if (values.value !== undefined) items[0] = { ...items[0]!, value: values.value } as never;
      const result = await withApi(ctx, serviceOptionsFrom(values), (api) =>
        api.call('dead-letters.republish', { topic, items }),
      );
      for (const r of result.republished) {
        ctx.stdout.write(
          values.json
            ? JSON.stringify(r) + '\n'
            : `republished ${r.from} to ${r.topic}/${r.partition}/${r.offset}${r.edited ? ' (edited)' : ''}\n`,
        );
      }
      return 0;
    } catch (err) {
      return reportFailure(ctx, 'dead-letters', err);
    }
  },
};

type DlValues = ReturnType<typeof parseFlags<typeof DL_FLAGS>>['values'];

/** `dead-letters list|republish --stored`: the enrichment's SQLite dead_letters table. */
async function storedDeadLetters(
  action: 'list' | 'republish',
  values: DlValues,
  positionals: string[],
  topic: string,
  ctx: CliContext,
): Promise<number> {
  try {
    if (action === 'list') {
      if (positionals.length > 0)
        throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
      if (values.from !== undefined) throw new UsageError('--from: not with --stored');
      const limit = intFlag(values.limit, 'limit', 1) ?? 100;
      const rows = await withApi(ctx, serviceOptionsFrom(values), async (api) => {
        const out: StoredDeadLetter[] = [];
        let before: number | undefined;
        while (out.length < limit) {
          const page = await api.call('dead-letters.stored', {
            limit: Math.min(PAGE_SIZE_MAX, limit - out.length),
            maxValueBytes: CLI_VALUE_BYTES,
            ...(values.filter !== undefined ? { reason: values.filter } : {}),
            ...(before !== undefined ? { before } : {}),
          });
          out.push(...page.rows);
          if (page.older === null) break;
          before = page.older;
        }
        return out;
      });
      for (const r of rows) {
        ctx.stdout.write(
          values.json
            ? JSON.stringify({
                id: r.id,
                receivedAt: r.receivedAt,
                reason: r.reason,
                source: `${r.sourcePartition}/${r.sourceOffset}`,
                key: r.key,
                original: r.value?.text ?? null,
                originalBytes: r.bytes,
              }) + '\n'
            : `#${r.id}  ${new Date(r.receivedAt).toISOString()}  from partition ${r.sourcePartition} offset ${r.sourceOffset}  ${escapeLine(r.reason)}  ${r.bytes} bytes: ${r.value ? escapeLine(r.value.text).slice(0, 200) : 'null'}\n`,
        );
      }
      if (rows.length === 0 && !values.json) ctx.stdout.write('no stored dead letters\n');
      return 0;
    }
    const ids = positionals.flatMap((p) => p.split(',')).filter((p) => p !== '');
    if (ids.length === 0)
      throw new UsageError('dead-letters republish --stored needs ID[,ID...] (see list --stored)');
    const items: { id: number; value?: string }[] = ids.map((p) => {
      if (!/^[1-9]\d*$/.test(p) || !Number.isSafeInteger(Number(p)))
        throw new UsageError(`"${p}" is not a dead letter id (e.g. 42)`);
      return { id: Number(p) };
    });
    if (values.value !== undefined) {
      if (items.length !== 1)
        throw new UsageError('--value edits one dead letter: give exactly one ID');
      items[0]!.value = values.value;
    }
    const result = await withApi(ctx, serviceOptionsFrom(values), (api) =>
      api.call('dead-letters.republish-stored', { topic, items }),
    );
    for (const r of result.republished) {
      ctx.stdout.write(
        values.json
          ? JSON.stringify(r) + '\n'
          : `republished ${r.from} to ${r.topic}/${r.partition}/${r.offset}${r.edited ? ' (edited)' : ''}\n`,
      );
    }
    return 0;
  } catch (err) {
    return reportFailure(ctx, 'dead-letters', err);
  }
}
