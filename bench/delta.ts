// Delta benchmark (issue 13): the same enriched rows written (a) into a Delta table by our
// writer (hyparquet-writer data files + our log), (b) into a Delta table by delta-rs's
// write_deltalake from a pyarrow table already in memory, (c) into our SQLite store with the
// consumer's insert statement. Each in the same run, rows already in memory, partitioned by date.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPORT_COLUMNS } from '../contract/export.js';
import { DataFileSet, commitActions, newMetaData } from '../main/delta/table-writer.js';
import { iterateExportRows, type RawRow } from '../main/export/query.js';
import { openDatabase } from '../main/store/open-database.js';
import { TRADE_COLUMNS } from '../main/store/sqlite-store.js';
import { INSERT_ENRICHED_SQL, insertSampleTrades } from './sample-data.js';

// delta-rs can abort at interpreter exit (delta-io/delta-rs#2184): leave once the JSON is out.
const EXIT_AFTER_OUTPUT = '\nimport os as _os, sys as _sys\n_sys.stdout.flush()\n_os._exit(0)\n';

const ROWS = Number(process.env.VI_BENCH_DELTA_ROWS ?? 500_000);
const RUNS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const PY = String.raw`
import json, sys, time, sqlite3, shutil
import pyarrow as pa, pyarrow.compute as pc
from deltalake import write_deltalake
import deltalake
db, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cols = json.loads(sys.argv[4])
con = sqlite3.connect(db)
sql_cols = ['ts' if c == 'timestamp' else c for c in cols]
rows = con.execute('SELECT ' + ','.join(sql_cols) + ' FROM enriched_trades ORDER BY ts, symbol, kafka_offset, kafka_partition').fetchall()
data = list(zip(*rows))
arrays = {}
for i, c in enumerate(cols):
    if c == 'timestamp':
        arrays[c] = pa.array([v * 1000 for v in data[i]], pa.timestamp('us', tz='UTC'))
    elif c == 'late':
        arrays[c] = pa.array([bool(v) for v in data[i]], pa.bool_())
    elif c in ('volume', 'kafka_offset'):
        arrays[c] = pa.array(data[i], pa.int64())
    elif c == 'kafka_partition':
        arrays[c] = pa.array(data[i], pa.int32())
    else:
        arrays[c] = pa.array(data[i])
table = pa.table(arrays)
table = table.append_column('date', pc.cast(table['timestamp'], pa.date32()))
secs = []
for r in range(runs):
    path = f'{out}/rs-{r}'
    t0 = time.perf_counter()
    write_deltalake(path, table, partition_by=['date'])
    secs.append(time.perf_counter() - t0)
    shutil.rmtree(path)
print(json.dumps({'secs': secs, 'rows': table.num_rows, 'version': deltalake.__version__, 'pyarrow': pa.__version__}))
`;

export async function runDeltaBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vi-bench-delta-'));
  try {
    const dbPath = join(dir, 'source.db');
    const src = openDatabase(dbPath, { readonly: false });
    insertSampleTrades(src, ROWS);
    const rows = [...iterateExportRows(src, {})] as RawRow[];
    src.close();

    // (a) our Delta writer: files + one commit, rows from memory.
    const ours: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const table = join(dir, `ours-${r}`);
      const t0 = performance.now();
      const files = new DataFileSet(table, 'date');
      for (const row of rows) files.push(row);
      commitActions(table, -1, {
        actions: files.finishFiles().map((add) => ({ add })),
        operation: 'WRITE',
        newTable: newMetaData('date'),
      });
      ours.push((performance.now() - t0) / 1000);
      rmSync(table, { recursive: true, force: true });
    }

    // (c) our SQLite store: the consumer's insert statement, 5,000-row transactions, WAL.
    const sqlite: number[] = [];
    const order = TRADE_COLUMNS.map((c) =>
      EXPORT_COLUMNS.indexOf(c === 'ts' ? 'timestamp' : (c as never)),
    );
    for (let r = 0; r < RUNS; r++) {
      const file = join(dir, `store-${r}.db`);
      const db = openDatabase(file, { readonly: false });
      const insert = db.prepare(INSERT_ENRICHED_SQL);
      const tx = db.transaction((chunk: RawRow[]) => {
        for (const row of chunk) insert.run(...order.map((i) => row[i]));
      });
      const t0 = performance.now();
      for (let i = 0; i < rows.length; i += 5000) tx(rows.slice(i, i + 5000));
      sqlite.push((performance.now() - t0) / 1000);
      db.close();
      rmSync(file, { force: true });
    }

    // (b) delta-rs write_deltalake from a pyarrow table in memory.
    const py = spawnSync(
      'python3',
      ['-c', PY + EXIT_AFTER_OUTPUT, dbPath, dir, String(RUNS), JSON.stringify(EXPORT_COLUMNS)],
      {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      },
    );
    if (py.status !== 0) throw new Error(`delta-rs benchmark failed: ${py.stderr}`);
    const rs = JSON.parse(py.stdout) as {
      secs: number[];
      rows: number;
      version: string;
      pyarrow: string;
    };

    const cpu =
      /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const fmt = (secs: number[]) =>
      `${Math.round(ROWS / median(secs)).toLocaleString('en-US')} rows/s (median of ${secs.map((s) => s.toFixed(2)).join(', ')} s)`;
    console.log(
      `\nDelta write, ${ROWS.toLocaleString('en-US')} enriched rows from memory, partitioned by date`,
    );
    console.log(
      `- machine: ${cpu}, nproc ${cpus().length}; Node ${process.version}; deltalake ${rs.version}, pyarrow ${rs.pyarrow}; load ${load}`,
    );
    console.log(`| writer | rows/s |\n|---|---|`);
    console.log(`| volatility-insight Delta writer (hyparquet-writer, SNAPPY) | ${fmt(ours)} |`);
    console.log(`| delta-rs write_deltalake (pyarrow table in memory) | ${fmt(rs.secs)} |`);
    console.log(
      `| volatility-insight SQLite store (WAL, 5,000-row transactions) | ${fmt(sqlite)} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runDeltaBenchmark();
