import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSERT_ENRICHED_SQL } from '../../../bench/sample-data.js';
import { openDatabase } from '../../../main/store/open-database.js';
import { TRADE_COLUMNS } from '../../../main/store/sqlite-store.js';

export const PIP_LINE = 'python3 -m pip install pyarrow pandas';

/** A row as inserted, by SQLite column name (see INSERT_ENRICHED_SQL for the order). */
export interface TradeRow {
  ts: number;
  symbol: string;
  price: number;
  volume: number;
  log_return: number | null;
  vol_1m: number | null;
  vol_5m: number | null;
  vol_1m_ann: number | null;
  vol_5m_ann: number | null;
  ewma_vol: number | null;
  ewma_vol_ann: number | null;
  vwap_5m: number;
  late: 0 | 1;
  session: string;
  exchange: string | null;
  company: string | null;
  sector: string | null;
  weather_temp_c: number | null;
  weather_condition: string | null;
  weather_error: string | null;
  kafka_partition: number;
  kafka_offset: number;
}

const INSERT_ORDER: readonly (keyof TradeRow)[] = TRADE_COLUMNS;

export function baseRow(over: Partial<TradeRow>): TradeRow {
  return {
    ts: Date.UTC(2025, 6, 7, 13, 30),
    symbol: 'AAPL',
    price: 210.5,
    volume: 100,
    log_return: null,
    vol_1m: null,
    vol_5m: null,
    vol_1m_ann: null,
    vol_5m_ann: null,
    ewma_vol: null,
    ewma_vol_ann: null,
    vwap_5m: 210.5,
    late: 0,
    session: 'regular',
    exchange: 'NASDAQ',
    company: 'Apple Inc.',
    sector: 'Technology',
    weather_temp_c: 21.5,
    weather_condition: 'Clear',
    weather_error: null,
    kafka_partition: 0,
    kafka_offset: 0,
    ...over,
  };
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vi-export-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function createDb(file: string, rows: readonly TradeRow[]): void {
  const db = openDatabase(file, { readonly: false });
  const insert = db.prepare(INSERT_ENRICHED_SQL);
  db.transaction(() => {
    for (const r of rows) insert.run(...INSERT_ORDER.map((k) => r[k]));
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Every stored row, as SQLite returns it (e.g. SQLite stores -0.0 as 0). */
export function readDb(file: string): TradeRow[] {
  const db = openDatabase(file, { readonly: true });
  try {
    return db.prepare(`SELECT ${INSERT_ORDER.join(', ')} FROM enriched_trades`).all() as TradeRow[];
  } finally {
    db.close();
  }
}

/** Fails (never skips) with the install line when the Python readers are missing. */
export function requirePython(): void {
  const res = spawnSync('python3', ['-c', 'import pyarrow, pandas'], { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    throw new Error(
      `the export round-trip tests read files back with pyarrow and pandas, which are missing: ` +
        `run \`${PIP_LINE}\` (${res.error?.message ?? res.stderr.trim().split('\n').pop()})`,
    );
  }
}

/** Runs a Python script with arguments; returns its stdout parsed as JSON. */
export function python<T>(script: string, ...args: string[]): T {
  const res = spawnSync('python3', ['-c', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`python failed (${res.status}):\n${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}
