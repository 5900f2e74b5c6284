import type Database from 'better-sqlite3';
import { ServiceError } from '../../contract/rpc.js';
import {
  freeViewName,
  readSavedViewsDocument,
  SAVED_VIEWS_FORMAT,
  SAVED_VIEWS_IMPORT_MAX_VIEWS,
  SAVED_VIEWS_VERSION,
  SavedViewSchema,
  SavedViewsDocumentError,
  type ImportConflict,
  type ImportReport,
  type SavedView,
  type SavedViewSpec,
  type SavedViewsDocument,
} from '../../contract/saved-views.js';
import { readDatabase, withDatabase } from './open-database.js';

/** Saved views in SQLite (migration 5): the name and topic as columns, the rest as JSON. */

interface ViewRow {
  name: string;
  topic: string;
  spec: string;
  created_at: string;
  updated_at: string;
}

function toView(row: ViewRow): SavedView {
  let spec: unknown;
  try {
    spec = JSON.parse(row.spec);
  } catch {
    spec = null;
  }
  const parsed = SavedViewSchema.safeParse({
    ...(spec !== null && typeof spec === 'object' ? spec : {}),
    name: row.name,
    topic: row.topic,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServiceError(
      'db-error',
      `saved view "${row.name}" in the database is unreadable (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}): delete it and save it again`,
    );
  }
  return parsed.data;
}

function specJson(view: SavedViewSpec): string {
  return JSON.stringify({
    ...(view.partitions ? { partitions: view.partitions } : {}),
    start: view.start,
    ...(view.filter ? { filter: view.filter } : {}),
    columns: view.columns,
    timeZone: view.timeZone,
  });
}

function getRow(db: Database.Database, name: string): ViewRow | undefined {
  return db.prepare('SELECT * FROM saved_views WHERE name = ?').get(name) as ViewRow | undefined;
}

function exists(db: Database.Database, name: string): boolean {
  return getRow(db, name) !== undefined;
}

function notFound(name: string): ServiceError {
  return new ServiceError('not-found', `no saved view named "${name}" (see the list of views)`);
}

function taken(name: string, topic: string): ServiceError {
  return new ServiceError(
    'view-exists',
    `a saved view named "${name}" exists already (topic ${topic}): replace it or choose another name`,
  );
}

/** Views of one topic sorted by name, or of every topic sorted by topic, then name. */
export function listViews(db: Database.Database, topic?: string): SavedView[] {
  const rows = (
    topic === undefined
      ? db.prepare('SELECT * FROM saved_views ORDER BY topic, name').all()
      : db.prepare('SELECT * FROM saved_views WHERE topic = ? ORDER BY name').all(topic)
  ) as ViewRow[];
  return rows.map(toView);
}

function write(db: Database.Database, view: SavedViewSpec, now: string): void {
  const existing = getRow(db, view.name);
  db.prepare(
    `INSERT INTO saved_views (name, topic, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET topic = excluded.topic, spec = excluded.spec,
       updated_at = excluded.updated_at`,
  ).run(view.name, view.topic, specJson(view), existing?.created_at ?? now, now);
}

/** Saves a view; an existing name is refused unless `replace` (which keeps its createdAt). */
export function saveView(
  db: Database.Database,
  view: SavedViewSpec,
  replace: boolean,
  now = new Date(),
): SavedView {
  return db.transaction(() => {
    const existing = getRow(db, view.name);
    if (existing && !replace) throw taken(view.name, existing.topic);
    write(db, view, now.toISOString());
    return toView(getRow(db, view.name)!);
  })();
}

export function renameView(
  db: Database.Database,
  from: string,
  to: string,
  now = new Date(),
): SavedView {
  return db.transaction(() => {
    if (!exists(db, from)) throw notFound(from);
    if (from !== to) {
      const target = getRow(db, to);
      if (target) throw taken(to, target.topic);
      db.prepare('UPDATE saved_views SET name = ?, updated_at = ? WHERE name = ?').run(
        to,
        now.toISOString(),
        from,
      );
    }
    return toView(getRow(db, to)!);
  })();
}

export function deleteView(db: Database.Database, name: string): { deleted: string } {
  if (db.prepare('DELETE FROM saved_views WHERE name = ?').run(name).changes === 0) {
    throw notFound(name);
  }
  return { deleted: name };
}

/** The portable document: the named views (each must exist), or all, of the topic if given. */
export function exportViews(
  db: Database.Database,
  query: { names?: string[] | undefined; topic?: string | undefined },
  now = new Date(),
): SavedViewsDocument {
  let views = listViews(db, query.topic);
  if (query.names) {
    const wanted = new Set(query.names);
    views = views.filter((v) => wanted.has(v.name));
    const missing = [...wanted].filter((n) => !views.some((v) => v.name === n));
    if (missing.length > 0) {
      const where = query.topic === undefined ? '' : ` of topic ${query.topic}`;
      throw new ServiceError(
        'not-found',
        `no saved view${missing.length > 1 ? 's' : ''}${where} named ${missing.map((n) => `"${n}"`).join(', ')}`,
      );
    }
  }
  if (views.length > SAVED_VIEWS_IMPORT_MAX_VIEWS) {
    throw new ServiceError(
      'invalid-argument',
      `${views.length} views are more than one document holds (${SAVED_VIEWS_IMPORT_MAX_VIEWS}): export them per topic or by name`,
    );
  }
  return {
    format: SAVED_VIEWS_FORMAT,
    version: SAVED_VIEWS_VERSION,
    exportedAt: now.toISOString(),
    views,
  };
}

/**
 * Imports a document's valid views in one transaction; invalid entries and name conflicts are
 * reported, never silently dropped. A document whose envelope is wrong imports nothing.
 * Imported views get this database's times (their createdAt, when replacing, is kept).
 */
export function importViews(
  db: Database.Database,
  document: unknown,
  onConflict: ImportConflict,
  now = new Date(),
): ImportReport {
  let entries: ReturnType<typeof readSavedViewsDocument>;
  try {
    entries = readSavedViewsDocument(document);
  } catch (err) {
    if (err instanceof SavedViewsDocumentError) {
      throw new ServiceError('invalid-argument', err.message);
    }
    throw err;
  }
  const report: ImportReport = {
    imported: [],
    replaced: [],
    renamed: [],
    skipped: [],
    invalid: [],
  };
  const at = now.toISOString();
  db.transaction(() => {
    for (const entry of entries) {
      if (!entry.ok) {
        report.invalid.push({ index: entry.index, name: entry.name, reason: entry.reason });
        continue;
      }
      const view = entry.view;
      if (!exists(db, view.name)) {
        write(db, view, at);
        report.imported.push(view.name);
      } else if (onConflict === 'skip') {
        report.skipped.push({ name: view.name, reason: 'a saved view of that name exists' });
      } else if (onConflict === 'replace') {
        write(db, view, at);
        report.replaced.push(view.name);
      } else {
        const to = freeViewName(view.name, (n) => exists(db, n));
        write(db, { ...view, name: to }, at);
        report.renamed.push({ from: view.name, to });
      }
    }
  })();
  return report;
}

const EMPTY_DOCUMENT: SavedViewsDocument = {
  format: SAVED_VIEWS_FORMAT,
  version: SAVED_VIEWS_VERSION,
  exportedAt: '',
  views: [],
};

/**
 * The service's side: each call opens the database, runs, and closes (like the chart reads).
 * Reads of a database that does not exist yet answer empty instead of creating it.
 */
export class SavedViewsStore {
  constructor(private readonly file: string) {}

  private with<T>(fn: (db: Database.Database) => T): T {
    return withDatabase(this.file, fn);
  }

  private read<T>(empty: () => T, fn: (db: Database.Database) => T): T {
    return readDatabase(this.file, empty, fn);
  }

  list(topic?: string): SavedView[] {
    return this.read(
      () => [],
      (db) => listViews(db, topic),
    );
  }

  save(view: SavedViewSpec, replace: boolean): SavedView {
    return this.with((db) => saveView(db, view, replace));
  }

  rename(from: string, to: string): SavedView {
    return this.read(
      () => {
        throw notFound(from);
      },
      (db) => renameView(db, from, to),
    );
  }

  delete(name: string): { deleted: string } {
    return this.read(
      () => {
        throw notFound(name);
      },
      (db) => deleteView(db, name),
    );
  }

  export(query: { names?: string[] | undefined; topic?: string | undefined }): SavedViewsDocument {
    return this.read(
      () => {
        if (query.names?.[0] !== undefined) throw notFound(query.names[0]);
        return { ...EMPTY_DOCUMENT, exportedAt: new Date().toISOString() };
      },
      (db) => exportViews(db, query),
    );
  }

  import(document: unknown, onConflict: ImportConflict): ImportReport {
    return this.with((db) => importViews(db, document, onConflict));
  }
}
