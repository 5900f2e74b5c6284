// Export benchmark (issue 4): 1,000,000 realistic enriched rows exported to CSV and Parquet by
// `runExport` and by pandas + pyarrow from the same SQLite file, each in its own process.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../main/store/open-database.js';
import { insertSampleTrades } from './sample-data.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PIP_LINE = 'python3 -m pip install pyarrow pandas';

interface Run {
  rows: number;
  seconds: number;
  cpuSeconds: number;
  peakRssKb: number;
}

interface Row {
  format: 'csv' | 'parquet';
  tool: 'volatility-insight' | 'pandas+pyarrow';
  runs: Run[];
  bytes: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function machine(): string[] {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? '?';
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  const py = spawnSync(
    'python3',
    [
      '-c',
      'import sys, pandas, pyarrow; print(sys.version.split()[0], pandas.__version__, pyarrow.__version__)',
    ],
    { encoding: 'utf8' },
  );
  if (py.status !== 0)
    throw new Error(`pandas/pyarrow missing for the comparison: run \`${PIP_LINE}\``);
  const [pyV, pdV, paV] = py.stdout.trim().split(' ');
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return [
    `- CPU: ${model}, nproc ${cpus().length}; memory ${(memKb / 1024 / 1024).toFixed(1)} GiB`,
    `- Node ${process.version}, better-sqlite3 (SQLite ${sqliteVersion()}), hyparquet-writer ${pkgVersion('hyparquet-writer')}`,
    `- Python ${pyV}, pandas ${pdV}, pyarrow ${paV}`,
    `- load average when the run started: ${load} (a shared machine: other work runs beside it)`,
  ];
}

function pkgVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  return String((pkg as { version?: unknown }).version);
}

function sqliteVersion(): string {
  const db = openDatabase(':memory:', { readonly: false });
  const v = String(db.prepare('SELECT sqlite_version()').pluck().get());
  db.close();
  return v;
}

/** Compiles the export code to plain JS (bench/out/js), so the child runs as shipped, without tsx. */
function compile(): string {
  const outDir = join(ROOT, 'bench', 'out', 'js');
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    [
      '--outDir',
      outDir,
      '--rootDir',
      ROOT,
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--target',
      'ES2022',
      '--skipLibCheck',
      '--esModuleInterop',
      '--types',
      'node',
      '--strict',
      join(ROOT, 'bench', 'export-child.ts'),
      join(ROOT, 'main', 'export', 'parquet-worker.ts'),
    ],
    { stdio: 'inherit' },
  );
  return join(outDir, 'bench', 'export-child.js');
}

function runChild(cmd: string, args: string[]): Run {
  const res = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as Run;
}

export async function runExportBenchmark(
  options: { rows?: number; repeat?: number } = {},
): Promise<string> {
  const rows = options.rows ?? 1_000_000;
  const repeat = options.repeat ?? 3;
  const machineLines = machine();
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-export-'));
  try {
    const dbFile = join(dir, 'vi.db');
    let t = performance.now();
    const db = openDatabase(dbFile, { readonly: false });
    insertSampleTrades(db, rows);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    console.log(
      `generated ${rows} rows in ${((performance.now() - t) / 1000).toFixed(1)}s (${(statSync(dbFile).size / 2 ** 20).toFixed(0)} MiB)`,
    );
    t = performance.now();
    const child = compile();
    console.log(`compiled the export to JS in ${((performance.now() - t) / 1000).toFixed(1)}s`);
    const py = join(ROOT, 'bench', 'export_pandas.py');

    const results: Row[] = [];
    for (const format of ['csv', 'parquet'] as const) {
      for (const tool of ['volatility-insight', 'pandas+pyarrow'] as const) {
        results.push({ format, tool, runs: [], bytes: 0 });
      }
    }
    // Interleaved, so a burst of load from other work hits both tools alike.
    for (let i = 0; i < repeat; i++) {
      for (const r of results) {
        const out = join(dir, `${r.tool === 'pandas+pyarrow' ? 'py' : 'vi'}.${r.format}`);
        const run =
          r.tool === 'volatility-insight'
            ? runChild(process.execPath, [child, dbFile, r.format, out])
            : runChild('python3', [py, dbFile, r.format, out]);
        if (run.rows !== rows) throw new Error(`${r.tool} ${r.format} exported ${run.rows} rows`);
        r.runs.push(run);
        r.bytes = statSync(out).size;
        rmSync(out);
        console.log(
          `${r.format} ${r.tool}: ${run.seconds.toFixed(2)}s, ${(run.peakRssKb / 1024).toFixed(0)} MiB`,
        );
      }
    }
    const report = formatReport(rows, repeat, machineLines, results);
    mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'out', 'export-results.md'), report);
    writeFileSync(
      join(ROOT, 'bench', 'out', 'export-results.json'),
      JSON.stringify(results, null, 2),
    );
    console.log('\n' + report);
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function formatReport(
  rows: number,
  repeat: number,
  machineLines: string[],
  results: Row[],
): string {
  const lines = [
    `${rows.toLocaleString('en-US')} rows, median of ${repeat} interleaved runs, each export in its own process:`,
    '',
    '| format | tool | time (s) | rows/s | CPU (s) | peak RSS (MiB) | file (MiB) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const med = (r: Row, k: keyof Run) => median(r.runs.map((x) => x[k]));
  for (const r of results) {
    const secs = med(r, 'seconds');
    lines.push(
      `| ${r.format} | ${r.tool} | ${secs.toFixed(2)} | ${Math.round(rows / secs).toLocaleString('en-US')} | ` +
        `${med(r, 'cpuSeconds').toFixed(2)} | ${(med(r, 'peakRssKb') / 1024).toFixed(0)} | ${(r.bytes / 2 ** 20).toFixed(1)} |`,
    );
  }
  lines.push('');
  for (const format of ['csv', 'parquet'] as const) {
    const vi = results.find((r) => r.format === format && r.tool === 'volatility-insight')!;
    const pd = results.find((r) => r.format === format && r.tool === 'pandas+pyarrow')!;
    lines.push(
      `- ${format}: volatility-insight is ${(med(pd, 'seconds') / med(vi, 'seconds')).toFixed(2)}x the speed of pandas+pyarrow ` +
        `(wall), uses ${(med(vi, 'cpuSeconds') / med(pd, 'cpuSeconds')).toFixed(2)}x its CPU time and ` +
        `${(med(vi, 'peakRssKb') / med(pd, 'peakRssKb')).toFixed(2)}x its peak memory`,
    );
  }
  lines.push('', 'Machine:', ...machineLines, '');
  return lines.join('\n');
}
