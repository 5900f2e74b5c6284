import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createKafka, type KafkaConnection } from '../../../main/kafka/connection.js';
import type { TradeRow } from '../export/support.js';

export const DELTA_PIP_LINE = 'python3 -m pip install "deltalake>=1.6,<1.7" pyarrow';

/** Fails (never skips) with the install line when delta-rs's Python package is missing. */
export function requireDeltaRs(): void {
  const res = spawnSync('python3', ['-c', 'import deltalake, pyarrow' + EXIT_AFTER_OUTPUT], {
    encoding: 'utf8',
  });
  if (res.error || res.status !== 0) {
    throw new Error(
      `the Delta tests read tables back with delta-rs (the deltalake package), which is missing: ` +
        `run \`${DELTA_PIP_LINE}\` (${res.error?.message ?? res.stderr.trim().split('\n').pop()})`,
    );
  }
}

/** What delta-rs sees in a table (at a version). */
export interface DeltaRsView {
  version: number;
  schema: [string, string, boolean][];
  partitionColumns: string[];
  files: number;
  /** Rows as TradeRow (timestamp → ts in ms, late → 0/1) plus the `date` partition value. */
  rows: (TradeRow & { date?: string })[];
  txn: Record<string, number | null>;
  history: string[];
  protocol: [number, number];
}

/**
 * delta-rs's Rust threads can abort the interpreter at exit ("terminate called without an active
 * exception", delta-io/delta-rs#2184) after the script has done its work: once the JSON is
 * printed, leave without running the shutdown that races them.
 */
export const EXIT_AFTER_OUTPUT =
  '\nimport os as _os, sys as _sys\n_sys.stdout.flush()\n_os._exit(0)\n';

const SCRIPT = String.raw`
import json, sys
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable
path, version, app_ids = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
dt = DeltaTable(path) if version == '' else DeltaTable(path, version=int(version))
t = dt.to_pyarrow_table()
schema = [[f.name, str(f.type), f.nullable] for f in t.schema]
for i, f in enumerate(t.schema):
    if pa.types.is_timestamp(f.type):
        t = t.set_column(i, f.name, pc.cast(pc.cast(t.column(i), pa.timestamp('us')), pa.int64()))
    elif pa.types.is_date(f.type):
        t = t.set_column(i, f.name, pc.cast(t.column(i), pa.string()))
rows = []
for r in t.to_pylist():
    r['ts'] = r.pop('timestamp') // 1000
    r['late'] = 1 if r['late'] else 0
    rows.append(r)
p = dt.protocol()
print(json.dumps({
    'version': dt.version(),
    'schema': schema,
    'partitionColumns': dt.metadata().partition_columns,
    'files': len(dt.file_uris()),
    'rows': rows,
    'txn': {a: dt.transaction_version(a) for a in app_ids},
    'history': [h.get('operation') for h in dt.history()],
    'protocol': [p.min_reader_version, p.min_writer_version],
}))
`;

export function readWithDeltaRs(
  table: string,
  options: { version?: number; appIds?: string[] } = {},
): DeltaRsView {
  const res = spawnSync(
    'python3',
    [
      '-c',
      SCRIPT + EXIT_AFTER_OUTPUT,
      table,
      options.version === undefined ? '' : String(options.version),
      JSON.stringify(options.appIds ?? []),
    ],
    { encoding: 'utf8', maxBuffer: 512 << 20 },
  );
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`delta-rs failed (${res.status}):\n${res.stderr}`);
  return JSON.parse(res.stdout) as DeltaRsView;
}

/** Runs a Python snippet with deltalake imported; returns its stdout parsed as JSON. */
export function deltaPython<T>(script: string, ...args: string[]): T {
  const res = spawnSync('python3', ['-c', script + EXIT_AFTER_OUTPUT, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`python failed (${res.status}):\n${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

const KEY = (r: TradeRow) => `${r.ts}|${r.symbol}|${r.kafka_partition}|${r.kafka_offset}`;

/** Rows sorted by (ts, symbol, partition, offset), without the `date` partition column. */
export function canonical(rows: readonly (TradeRow & { date?: string })[]): TradeRow[] {
  return rows
    .map((r) => {
      const { date: _date, ...rest } = r;
      return rest as TradeRow;
    })
    .sort((a, b) => (KEY(a) < KEY(b) ? -1 : KEY(a) > KEY(b) ? 1 : 0));
}

/**
 * The source offsets of source partition `p` in the enriched topic, in delivery order per
 * enriched partition, as runs ("q0: 0–2879 3598–7999 2880–3597"): what a failing dedupe saw.
 */
export async function enrichedRuns(
  connection: KafkaConnection,
  topic: string,
  p: number,
): Promise<string> {
  const kafka = createKafka(connection);
  const admin = kafka.admin();
  await admin.connect();
  const highs = new Map(
    (await admin.fetchTopicOffsets(topic)).map((w) => [w.partition, Number(w.high)]),
  );
  await admin.disconnect();
  const seq = new Map<number, number[]>();
  const done = new Set<number>([...highs].filter(([, h]) => h === 0).map(([q]) => q));
  const consumer = kafka.consumer({ groupId: `vi-test-dump-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error('dumping the enriched topic timed out')),
      60_000,
    );
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          try {
            const r = JSON.parse(message.value?.toString('utf8') ?? '') as {
              kafka_partition?: number;
              kafka_offset?: number;
            };
            if (r.kafka_partition === p && typeof r.kafka_offset === 'number') {
              seq.set(partition, [...(seq.get(partition) ?? []), r.kafka_offset]);
            }
          } catch {
            // not an enriched record
          }
          if (Number(message.offset) + 1 >= (highs.get(partition) ?? 0)) done.add(partition);
          if (done.size >= highs.size) {
            clearTimeout(deadline);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  const out: string[] = [];
  for (const [q, offsets] of [...seq].sort((a, b) => a[0] - b[0])) {
    const runs: string[] = [];
    let start = offsets[0]!;
    let prev = start;
    for (const o of [...offsets.slice(1), NaN]) {
      if (o === prev + 1) {
        prev = o;
        continue;
      }
      runs.push(start === prev ? `${start}` : `${start}–${prev}`);
      start = prev = o;
    }
    out.push(`q${q}: ${runs.join(' ')}`);
  }
  return out.join('; ');
}
