// One export in its own process, so the benchmark can read its peak RSS. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { runExport } from '../main/export/export-job.js';

const [db, format, out] = process.argv.slice(2);
if (!db || !out || (format !== 'csv' && format !== 'parquet')) {
  throw new Error('usage: export-child DB csv|parquet OUT');
}
const start = performance.now();
const result = await runExport({ format, out, db });
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage();
const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
process.stdout.write(
  JSON.stringify({
    rows: result.rows,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssKb: Number(hwm ?? 0),
  }) + '\n',
);
