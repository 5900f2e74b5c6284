import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TopicNameSchema } from '../../../contract/admin.js';
import type { Api } from '../../../contract/rpc.js';
import {
  ImportConflictSchema,
  SAVED_VIEWS_IMPORT_MAX_BYTES,
  ViewFilterSchema,
  ViewNameSchema,
  type ImportReport,
  type SavedView,
  type SavedViewInput,
} from '../../../contract/saved-views.js';
import { DEFAULT_HINTS, formatTable, reportFailure, writeJson } from './admin-support.js';
import { parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import { parseColumnsFlag, parseFrom, parseTimeZone } from './messages.js';
import { formatStart, shellWord } from './record-view.js';
import { serviceOptionsFrom, withApi } from './session.js';

const USAGE = `volatility-insight views list [--topic T] [--json] [--db FILE]
volatility-insight views show NAME [--json] [--db FILE]
volatility-insight views save NAME --topic T [--partitions 0,1] [--from newest|oldest|OFFSET|ISO-TIME] [--filter EXPR] [--columns A,B.C] [--tz utc|local] [--replace] [--db FILE]
volatility-insight views rename OLD NEW [--db FILE]
volatility-insight views delete NAME [--db FILE]
volatility-insight views export [NAME ...] [--topic T] [--out FILE] [--db FILE]
volatility-insight views import FILE [--on-conflict skip|replace|rename] [--json] [--db FILE]

  Saved views of the topic browser: a topic, partitions, start, filter, JSON columns and time
  zone under one name; read one with: volatility-insight messages --view NAME.
  Names are unique across topics and case-sensitive.
  save          --from, --filter, --columns and --tz as for the messages command; --replace
                overwrites a view of that name (otherwise it is refused)
  export        writes a JSON document (stdout, or --out FILE) of the named views, or all
                (of --topic); import reads one: a name that exists is skipped (default),
                replaced, or imported as "NAME (2)"; invalid views are listed with the reason
                and the exit code is 1`;

const FLAGS = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  topic: { type: 'string' },
  partitions: { type: 'string' },
  from: { type: 'string' },
  filter: { type: 'string' },
  columns: { type: 'string' },
  tz: { type: 'string' },
  replace: { type: 'boolean' },
  out: { type: 'string' },
  'on-conflict': { type: 'string' },
} as const;
type Values = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

/** A pretty-printed import file may be this much larger than the document's compact JSON. */
const IMPORT_FILE_MAX_BYTES = 4 * SAVED_VIEWS_IMPORT_MAX_BYTES;

const VERBS = ['list', 'show', 'save', 'rename', 'delete', 'export', 'import'] as const;
type Verb = (typeof VERBS)[number];

/** Positionals each verb takes: [at least, at most]. */
const ARITY: Record<Verb, [number, number]> = {
  list: [0, 0],
  show: [1, 1],
  save: [1, 1],
  rename: [2, 2],
  delete: [1, 1],
  export: [0, Infinity],
  import: [1, 1],
};

const ONLY: Partial<Record<keyof Values, readonly Verb[]>> = {
  topic: ['list', 'save', 'export'],
  partitions: ['save'],
  from: ['save'],
  filter: ['save'],
  columns: ['save'],
  tz: ['save'],
  replace: ['save'],
  out: ['export'],
  'on-conflict': ['import'],
  json: ['list', 'show', 'import'],
};

function viewName(text: string, what = 'NAME'): string {
  const parsed = ViewNameSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`${what}: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

function topicFlag(text: string): string {
  if (!TopicNameSchema.safeParse(text).success) {
    throw new UsageError(`--topic "${text}" is not a topic name`);
  }
  return text;
}

function partitionsFlag(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) > 1_000_000)) {
    throw new UsageError(`--partitions ${JSON.stringify(text)}: a list of partitions, e.g. 0,2`);
  }
  return parts.map(Number);
}

/** The view `views save` describes, checked before the service is started. */
export function viewFromFlags(name: string, values: Values): SavedViewInput {
  if (values.topic === undefined) {
    throw new UsageError('views save needs --topic: the topic the view reads');
  }
  let filter: string | undefined;
  if (values.filter !== undefined) {
    const parsed = ViewFilterSchema.safeParse(values.filter);
    if (!parsed.success) throw new UsageError(`--filter: ${parsed.error.issues[0]?.message}`);
    filter = parsed.data;
  }
  return {
    name,
    topic: topicFlag(values.topic),
    ...(values.partitions !== undefined ? { partitions: partitionsFlag(values.partitions) } : {}),
    start: parseFrom(values.from),
    ...(filter ? { filter } : {}),
    columns: values.columns === undefined ? [] : parseColumnsFlag(values.columns),
    timeZone: values.tz === undefined ? 'utc' : parseTimeZone(values.tz),
  };
}

function viewTable(views: SavedView[]): string {
  if (views.length === 0) return 'no saved views\n';
  return formatTable(
    ['NAME', 'TOPIC', 'PARTITIONS', 'FROM', 'FILTER', 'COLUMNS', 'TZ'],
    views.map((v) => [
      v.name,
      v.topic,
      v.partitions?.join(',') ?? 'all',
      formatStart(v.start),
      v.filter ?? '-',
      v.columns.join(',') || '-',
      v.timeZone,
    ]),
  );
}

function viewDetail(v: SavedView): string {
  const lines: [string, string][] = [
    ['name', v.name],
    ['topic', v.topic],
    ['partitions', v.partitions?.join(',') ?? 'all'],
    ['from', formatStart(v.start)],
    ['filter', v.filter ?? '-'],
    ['columns', v.columns.join(',') || '-'],
    ['time zone', v.timeZone],
    ['created', v.createdAt],
    ['updated', v.updatedAt],
  ];
  return lines.map(([k, val]) => `${`${k}:`.padEnd(12)}${val}\n`).join('');
}

function reportText(r: ImportReport): string {
  const out: string[] = [];
  for (const n of r.imported) out.push(`imported "${n}"`);
  for (const n of r.replaced) out.push(`replaced "${n}"`);
  for (const { from, to } of r.renamed) out.push(`imported "${from}" as "${to}"`);
  for (const { name, reason } of r.skipped) out.push(`skipped "${name}": ${reason}`);
  for (const { index, name, reason } of r.invalid) {
    out.push(`invalid view #${index + 1}${name === null ? '' : ` "${name}"`}: ${reason}`);
  }
  const added = r.imported.length + r.replaced.length + r.renamed.length;
  out.push(
    `${added} imported, ${r.skipped.length} skipped, ${r.invalid.length} invalid` +
      (r.skipped.length > 0 ? ' (--on-conflict replace or rename imports those skipped)' : ''),
  );
  return out.map((l) => `${l}\n`).join('');
}

/** An import file: at most IMPORT_FILE_MAX_BYTES, JSON; the service checks the rest. */
function readImportFile(path: string): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (size > IMPORT_FILE_MAX_BYTES) {
    throw new Error(
      `${path} is ${size} bytes; a saved-views file is at most ${IMPORT_FILE_MAX_BYTES} bytes`,
    );
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Writes the whole file or nothing (a temp file beside it, then renamed over it). */
function writeAtomically(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

async function run(verb: Verb, args: string[], values: Values, api: Api, ctx: CliContext) {
  switch (verb) {
    case 'list': {
      const views = await api.call('views.list', values.topic ? { topic: values.topic } : {});
      if (values.json) writeJson(ctx, views);
      else ctx.stdout.write(viewTable(views));
      return 0;
    }
    case 'show': {
      const name = args[0]!;
      const view = (await api.call('views.list', {})).find((v) => v.name === name);
      if (!view) {
        ctx.stderr.write(
          `volatility-insight views: no saved view named "${name}" (see: volatility-insight views list)\n`,
        );
        return 1;
      }
      if (values.json) writeJson(ctx, view);
      else ctx.stdout.write(viewDetail(view));
      return 0;
    }
    case 'save': {
      const view = viewFromFlags(args[0]!, values);
      const saved = await api.call('views.save', { view, replace: values.replace ?? false });
      ctx.stdout.write(
        `saved view "${saved.name}" (${saved.topic}); read it with: volatility-insight messages --view ${shellWord(saved.name)}\n`,
      );
      return 0;
    }
    case 'rename': {
      const renamed = await api.call('views.rename', { from: args[0]!, to: args[1]! });
      ctx.stdout.write(`renamed view "${args[0]}" to "${renamed.name}"\n`);
      return 0;
    }
    case 'delete': {
      const { deleted } = await api.call('views.delete', { name: args[0]! });
      ctx.stdout.write(`deleted view "${deleted}"\n`);
      return 0;
    }
    case 'export': {
      const document = await api.call('views.export', {
        ...(args.length > 0 ? { names: args } : {}),
        ...(values.topic ? { topic: values.topic } : {}),
      });
      const text = JSON.stringify(document, null, 2) + '\n';
      if (values.out === undefined) {
        ctx.stdout.write(text);
      } else {
        writeAtomically(values.out, text);
        ctx.stderr.write(`exported ${document.views.length} views to ${values.out}\n`);
      }
      return 0;
    }
    case 'import': {
      const onConflict = ImportConflictSchema.parse(values['on-conflict'] ?? 'skip');
      const document = readImportFile(args[0]!);
      const report = await api.call('views.import', { document, onConflict });
      if (values.json) writeJson(ctx, report);
      else ctx.stdout.write(reportText(report));
      return report.invalid.length > 0 ? 1 : 0;
    }
  }
}

export const viewsCommand: CliCommand = {
  name: 'views',
  summary: 'Saved views of the topic browser: list, show, save, rename, delete, export, import',
  usage: USAGE,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags(argv, FLAGS, true);
    const [verbText, ...rest] = positionals;
    const verb = VERBS.find((v) => v === verbText);
    if (!verb) {
      throw new UsageError(
        verbText === undefined
          ? `views needs an action: ${VERBS.join(', ')}`
          : `unknown views action "${verbText}": use ${VERBS.join(', ')}`,
      );
    }
    const [least, most] = ARITY[verb];
    if (rest.length < least) {
      const what = verb === 'rename' ? 'OLD and NEW names' : verb === 'import' ? 'a FILE' : 'NAME';
      throw new UsageError(`views ${verb} needs ${what}`);
    }
    if (rest.length > most)
      throw new UsageError(`unexpected arguments: ${rest.slice(most).join(' ')}`);
    for (const [flag, verbs] of Object.entries(ONLY)) {
      if (values[flag as keyof Values] !== undefined && !verbs.includes(verb)) {
        throw new UsageError(`--${flag} is not an option of views ${verb}`);
      }
    }
    const args =
      verb === 'import'
        ? rest
        : rest.map((n, i) => viewName(n, verb === 'rename' ? ['OLD', 'NEW'][i] : 'NAME'));
    if (values.topic !== undefined) topicFlag(values.topic);
    if (
      values['on-conflict'] !== undefined &&
      !ImportConflictSchema.safeParse(values['on-conflict']).success
    ) {
      throw new UsageError('--on-conflict: use skip, replace or rename');
    }
    if (verb === 'save') viewFromFlags(args[0]!, values);
    try {
      return await withApi(ctx, serviceOptionsFrom(values), (api) =>
        run(verb, args, values, api, ctx),
      );
    } catch (err) {
      return reportFailure(ctx, 'views', err, {
        ...DEFAULT_HINTS,
        ...(verb === 'save' ? { 'view-exists': 'views save --replace overwrites it' } : {}),
      });
    }
  },
};
