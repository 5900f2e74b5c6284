import { resolve } from 'node:path';
import {
  EXPORT_RANGE_ERROR,
  ExportFormatSchema,
  type ExportProgress,
} from '../../../contract/export.js';
import { ServiceError } from '../../../contract/rpc.js';
import { ExportStartSchema, type ExportStart } from '../../../contract/service.js';
import { DEFAULT_HINTS, failureText, type CliHints } from './admin-support.js';
import { parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import { runJob, withApi } from './session.js';

const USAGE = `volatility-insight export --format csv|parquet|delta --out FILE|DIR [--db FILE] [--partition-by date|date,symbol|none] [--symbols A,B] [--from ISO] [--to ISO] [--bom] [--crlf]

  --format    csv, parquet or delta (default: from the --out extension)
              delta: --out is a folder, a new Delta table or an existing one to append to in one commit
  --partition-by  delta: a new table's partition columns (default date)
  --out       the file to write; it appears only when complete, replacing any old one
  --db        the SQLite database (default: the enrich command's, see README); opened read-only
  --symbols   only these symbols, comma-separated (exact names)
  --from      first instant, inclusive: 2025-07-07 or 2025-07-07T13:30:00Z (no zone = UTC)
  --to        end instant, exclusive
  --bom       CSV: start with a UTF-8 byte order mark (helps Excel on Windows)
  --crlf      CSV: end rows with CRLF instead of LF
Ctrl-C cancels and leaves no file.`;

const FLAGS = {
  format: { type: 'string' },
  out: { type: 'string', short: 'o' },
  db: { type: 'string' },
  symbols: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  bom: { type: 'boolean' },
  crlf: { type: 'boolean' },
  'partition-by': { type: 'string' },
} as const;

function formatOf(format: string | undefined, out: string): ExportStart['format'] {
  if (format === undefined) {
    const ext = /\.(csv|parquet)$/i.exec(out)?.[1]?.toLowerCase();
    if (ext === 'csv' || ext === 'parquet') return ext;
    throw new UsageError(
      '--format csv|parquet is required (the --out name has no .csv or .parquet)',
    );
  }
  const parsed = ExportFormatSchema.safeParse(format.toLowerCase());
  if (!parsed.success) {
    throw new UsageError(`--format must be csv, parquet or delta, not "${format}"`);
  }
  return parsed.data;
}

/** An export as the CLI asks for it: the rows and format, the file, and the database. */
export interface ExportArgs {
  selection: Omit<ExportStart, 'destination'>;
  /** The file to write, absolute. */
  out: string;
  /** --db; absent: the service's default (VI_DB, VI_HOME's). */
  db: string | undefined;
}

/** Parses the flags into an export (throws UsageError for bad arguments). */
export function parseExportArgs(argv: string[]): ExportArgs {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (positionals.length > 0)
    throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
  if (!values.out) throw new UsageError('--out FILE is required');
  const symbols = values.symbols
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (values.symbols !== undefined && symbols?.length === 0) {
    throw new UsageError('--symbols needs at least one symbol, e.g. --symbols AAPL,MSFT');
  }
  const format = formatOf(values.format, values.out);
  if (format === 'parquet' && (values.bom || values.crlf)) {
    throw new UsageError('--bom and --crlf apply to CSV only');
  }
  if (format !== 'delta' && values['partition-by'] !== undefined) {
    throw new UsageError('--partition-by applies to --format delta only');
  }
  const partitionBy = values['partition-by'] as ExportStart['partitionBy'];
  const selection = {
    ...(format === 'delta' ? { partitionBy: partitionBy ?? 'date' } : {}),
    format,
    symbols,
    from: values.from,
    to: values.to,
    bom: values.bom ?? false,
    crlf: values.crlf ?? false,
  };
  const checked = ExportStartSchema.safeParse({
    ...selection,
    destination: { kind: 'grant', grant: 'check' },
  });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    // The range check (zod keeps EXPORT_RANGE_ERROR's path, not its message field).
    if (issue?.code === 'custom' && issue.path.join('.') === EXPORT_RANGE_ERROR.path.join('.')) {
      throw new UsageError('--from must be before --to (--from is inclusive, --to exclusive)');
    }
    const flag = issue?.path[0] !== undefined ? `--${String(issue.path[0])}: ` : '';
    throw new UsageError(`${flag}${issue?.message ?? 'invalid export'}`);
  }
  return { selection, out: resolve(values.out), db: values.db };
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** One progress line: a bar on a terminal, plain text otherwise. */
export function progressText(p: ExportProgress, barWidth: number): string {
  const frac = p.rowsTotal > 0 ? Math.min(1, p.rowsDone / p.rowsTotal) : 1;
  const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
  const rate = p.rowsPerSec > 0 ? `${count(Math.round(p.rowsPerSec))} rows/s` : '';
  const eta = p.etaMs === null ? '' : `${duration(p.etaMs)} left`;
  const text = [pct, `${count(p.rowsDone)}/${count(p.rowsTotal)} rows`, rate, eta]
    .filter((x) => x)
    .join('  ');
  if (barWidth <= 0) return text;
  const filled = Math.round(frac * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${text}`;
}

function progressPrinter(ctx: CliContext): { update(p: ExportProgress): void; end(): void } {
  const tty = ctx.stdout.isTTY === true;
  let lastPlain = 0;
  let drawn = false;
  return {
    update(p) {
      if (tty) {
        const width = ctx.stdout.columns ?? 80;
        const bar = Math.max(10, Math.min(40, width - 60));
        ctx.stdout.write('\r\x1b[2K' + progressText(p, bar).slice(0, width - 1));
        drawn = true;
      } else if (Date.now() - lastPlain >= 5000 && p.phase === 'writing' && p.rowsDone > 0) {
        lastPlain = Date.now();
        ctx.stdout.write(`export: ${progressText(p, 0)}\n`);
      }
    },
    end() {
      if (drawn) ctx.stdout.write('\r\x1b[2K');
    },
  };
}

/** What to do next, by failure code, worded for the command line. */
const EXPORT_HINTS: CliHints = {
  ...DEFAULT_HINTS,
  unwritable: 'choose another --out',
  'disk-full': 'choose another --out',
};

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Export enriched trades to CSV or Parquet (filtered, with progress)',
  usage: USAGE,
  async run(argv, ctx) {
    const { selection, out, db } = parseExportArgs(argv);
    const progress = progressPrinter(ctx);
    try {
      const result = await withApi(ctx, db === undefined ? {} : { db }, async (api) => {
        // The file named on the command line is the person's choice: granted, then exported to.
        const { grant } = await api.call('paths.grant', { path: out, purpose: 'export' });
        if (ctx.signal.aborted) throw new ServiceError('cancelled', 'the export was cancelled');
        return runJob(
          api,
          'export',
          () => api.call('export.start', { ...selection, destination: { kind: 'grant', grant } }),
          {
            signal: ctx.signal,
            onEvent: (e) => {
              if (e.event === 'export-progress') progress.update(e.progress);
            },
          },
        );
      });
      progress.end();
      const secs = (result.elapsedMs / 1000).toFixed(1);
      const written = result.path ?? out;
      if (result.empty) {
        ctx.stderr.write(
          `export: 0 rows matched (check --symbols, --from, --to); wrote ${
            selection.format === 'csv'
              ? 'a header-only CSV'
              : 'an empty Parquet file with the schema'
          } to ${written}\n`,
        );
      } else {
        ctx.stdout.write(
          `exported ${count(result.rows)} rows to ${written} (${count(result.bytes)} bytes, ` +
            `${secs}s, ${count(Math.round(result.rowsPerSec))} rows/s)\n`,
        );
      }
      return 0;
    } catch (err) {
      progress.end();
      if (err instanceof ServiceError) {
        if (err.code === 'invalid-argument') throw new UsageError(err.message);
        ctx.stderr.write(`export: ${failureText(err, EXPORT_HINTS)}`);
        return err.code === 'cancelled' ? 130 : 1;
      }
      throw err;
    }
  },
};
