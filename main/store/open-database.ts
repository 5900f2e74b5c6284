import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServiceError } from '../../contract/rpc.js';
import { migrate } from './migrations.js';

export interface OpenOptions {
  readonly?: boolean;
}

/** Opens (creating if needed) a Volatility Insight database: WAL, migrated to the current schema. */
export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
  } catch (err) {
    throw new Error(`cannot open database ${file}: ${(err as Error).message}`);
  }
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  }
  return db;
}

/** Runs `fn` on the database opened for this call only; a database that cannot open is a db-error. */
export function withDatabase<T>(file: string, fn: (db: Database.Database) => T): T {
  let db: Database.Database;
  try {
    db = openDatabase(file);
  } catch (err) {
    throw new ServiceError('db-error', (err as Error).message);
  }
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** As withDatabase, but a database that does not exist yet reads as `empty()` (not created). */
export function readDatabase<T>(file: string, empty: () => T, fn: (db: Database.Database) => T): T {
  return existsSync(file) ? withDatabase(file, fn) : empty();
}
