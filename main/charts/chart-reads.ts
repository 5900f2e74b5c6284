import type Database from 'better-sqlite3';
import type {
  AlertRule,
  AlertRuleInput,
  BarsResult,
  FiredAlert,
  SeriesResult,
} from '../../contract/charts.js';
import { ServiceError } from '../../contract/rpc.js';
import { addRule, alertHistory, listRules, removeRule } from '../store/alerts-store.js';
import { readDatabase, withDatabase } from '../store/open-database.js';
import { backfillRollup, RollupWriter, rollupReady } from '../store/series-rollup.js';

/** Old rows added to the rollup per series read while its backfill is pending (~0.1 s). */
const READ_BACKFILL_ROWS = 50_000;
import {
  queryBars,
  querySeries,
  storedSymbols,
  type SeriesRequest,
} from '../store/series-query.js';

/**
 * The service's side of charts and alerts: each call opens the database (WAL: reads never block
 * the enrichment's writes), runs, and closes. Reads of a database that does not exist yet answer
 * empty instead of creating it.
 */
export class ChartReads {
  constructor(private readonly file: string) {}

  private read<T>(empty: T, fn: (db: Database.Database) => T): T {
    return readDatabase(this.file, () => empty, fn);
  }

  private with<T>(fn: (db: Database.Database) => T): T {
    return withDatabase(this.file, fn);
  }

  series(request: SeriesRequest): SeriesResult {
    return this.read({ fromMs: null, toMs: null, series: [], elapsedMs: 0 }, (db) => {
      if (!rollupReady(db)) {
        // A database from before the rollup: each read adds a bounded chunk of its old rows
        // (raw rows are read until it is complete); busy with the enrichment's write, skipped.
        try {
          db.transaction(() =>
            backfillRollup(db, new RollupWriter(db), READ_BACKFILL_ROWS),
          ).immediate();
        } catch {
          // retried on the next read
        }
      }
      return querySeries(db, request);
    });
  }

  bars(request: Parameters<typeof queryBars>[1]): BarsResult {
    return this.read(
      { symbol: request.symbol, fromMs: null, toMs: null, intervalMs: 60_000, bars: [] },
      (db) => queryBars(db, request),
    );
  }

  symbols(): string[] {
    return this.read([], storedSymbols);
  }

  rules(): AlertRule[] {
    return this.read([], listRules);
  }

  addRule(input: AlertRuleInput): AlertRule {
    return this.with((db) => {
      try {
        return addRule(db, input);
      } catch (err) {
        if (err instanceof RangeError) throw new ServiceError('invalid-argument', err.message);
        throw err;
      }
    });
  }

  removeRule(id: number): { removed: boolean } {
    return this.read({ removed: false }, (db) => ({ removed: removeRule(db, id) }));
  }

  history(q: Parameters<typeof alertHistory>[1]): FiredAlert[] {
    return this.read([], (db) => alertHistory(db, q));
  }
}
