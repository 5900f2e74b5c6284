import { z } from 'zod';
import { TopicNameSchema } from './admin.js';
import { ColumnsSchema } from './json-fields.js';
import { parseFilterExpression, StartSchema } from './messages.js';

/**
 * Saved views of the topic browser: a named topic, partitions, start, filter, JSON columns and
 * time zone, stored in the app's database, shared between people as a JSON document.
 *
 * Names are unique across topics (`messages --view NAME` names only the view) and compared
 * case-sensitively, after trimming and Unicode NFC normalization: "Daily" and "daily" are two
 * views, a name typed with a composed or a decomposed "é" is one.
 */

export const VIEW_NAME_MAX = 100;
export const VIEW_FILTER_MAX = 4000;
/** An import document's size at most (UTF-8 bytes of its JSON), well inside one call frame. */
export const SAVED_VIEWS_IMPORT_MAX_BYTES = 768 * 1024;
/** Views in one import document at most. */
export const SAVED_VIEWS_IMPORT_MAX_VIEWS = 1000;
export const SAVED_VIEWS_FORMAT = 'volatility-insight/saved-views';
export const SAVED_VIEWS_VERSION = 1;

// C0 and C1 controls, DEL, line/paragraph separators and bidirectional overrides: none of them
// belongs in a name shown in a list or a terminal, and some reorder or hide what follows.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export const ViewNameSchema = z
  .string()
  .max(VIEW_NAME_MAX * 4, `a view name has at most ${VIEW_NAME_MAX} characters`)
  .transform((s) => s.normalize('NFC').trim())
  .pipe(
    z
      .string()
      .min(1, 'a view name must not be empty')
      .max(VIEW_NAME_MAX, `a view name has at most ${VIEW_NAME_MAX} characters`)
      .refine(
        (s) => !UNPRINTABLE.test(s),
        'a view name must not contain control characters (tabs, line breaks, escapes)',
      ),
  );

/** The filter as its one-line text (contract/messages.ts), checked to parse. */
export const ViewFilterSchema = z
  .string()
  .max(VIEW_FILTER_MAX, `a filter has at most ${VIEW_FILTER_MAX} characters`)
  .transform((s) => s.trim())
  .superRefine((text, ctx) => {
    try {
      parseFilterExpression(text);
    } catch (err) {
      const message = err instanceof z.ZodError ? (err.issues[0]?.message ?? '') : '';
      ctx.addIssue({
        code: 'custom',
        message: `the filter does not parse: ${message || (err as Error).message.split('\n')[0]}`,
      });
    }
  });

const ViewPartitionsSchema = z
  .array(z.number().int().min(0).max(1_000_000))
  .min(1, 'partitions: list at least one, or leave them out for all')
  .max(10_000)
  .transform((ps) => [...new Set(ps)].sort((a, b) => a - b));

export const TimeZoneSchema = z.enum(['utc', 'local']);
export type TimeZoneChoice = z.infer<typeof TimeZoneSchema>;

const fields = {
  name: ViewNameSchema,
  topic: TopicNameSchema,
  /** Absent: every partition. */
  partitions: ViewPartitionsSchema.optional(),
  start: StartSchema.default({ kind: 'newest' }),
  /** Absent or empty: no filter. */
  filter: ViewFilterSchema.optional(),
  /** JSON field paths shown as table columns, in order. */
  columns: ColumnsSchema.refine(
    (cs) => new Set(cs).size === cs.length,
    'a column is listed twice',
  ).default([]),
  timeZone: TimeZoneSchema.default('utc'),
};

/** A view as saved: what `views.save` takes. */
export const SavedViewInputSchema = z.object(fields).strict();
export type SavedViewInput = z.input<typeof SavedViewInputSchema>;
export type SavedViewSpec = z.output<typeof SavedViewInputSchema>;

/** A stored view: the saved fields and when it was created and last changed. */
export const SavedViewSchema = z
  .object({ ...fields, createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() })
  .strict();
export type SavedView = z.output<typeof SavedViewSchema>;

/** One entry of an import document: a view, its times optional (the import sets its own). */
export const SavedViewEntrySchema = SavedViewInputSchema.extend({
  createdAt: z.iso.datetime().optional(),
  updatedAt: z.iso.datetime().optional(),
}).strict();

// ---- the portable document ---------------------------------------------------------------

export const SavedViewsDocumentSchema = z.object({
  format: z.literal(SAVED_VIEWS_FORMAT),
  version: z.literal(SAVED_VIEWS_VERSION),
  exportedAt: z.iso.datetime(),
  views: z.array(SavedViewSchema).max(SAVED_VIEWS_IMPORT_MAX_VIEWS),
});
export type SavedViewsDocument = z.output<typeof SavedViewsDocumentSchema>;

export class SavedViewsDocumentError extends Error {
  override name = 'SavedViewsDocumentError';
}

/** One entry of a document as read: a view to import, or why it cannot be. */
export type DocumentEntry =
  | { index: number; ok: true; view: SavedViewSpec }
  | { index: number; ok: false; name: string | null; reason: string };

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Reads an import document: its envelope must be right (format, version, size, count) or the
 * whole document is refused with the reason; then each view is checked on its own, so a bad
 * one is reported by index and name while the others can still be imported.
 */
export function readSavedViewsDocument(document: unknown): DocumentEntry[] {
  let text: string | undefined;
  try {
    text = JSON.stringify(document);
  } catch {
    throw new SavedViewsDocumentError('the document is not plain JSON');
  }
  if (text === undefined) throw new SavedViewsDocumentError('the document is empty');
  const bytes = utf8Bytes(text);
  if (bytes > SAVED_VIEWS_IMPORT_MAX_BYTES) {
    throw new SavedViewsDocumentError(
      `the document is ${bytes} bytes; at most ${SAVED_VIEWS_IMPORT_MAX_BYTES} bytes can be imported at once`,
    );
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new SavedViewsDocumentError(
      `not a saved-views document: expected an object with "format": "${SAVED_VIEWS_FORMAT}"`,
    );
  }
  const doc = document as Record<string, unknown>;
  if (doc.format !== SAVED_VIEWS_FORMAT) {
    throw new SavedViewsDocumentError(
      `not a saved-views document: "format" is ${short(doc.format)}, expected "${SAVED_VIEWS_FORMAT}"`,
    );
  }
  if (doc.version !== SAVED_VIEWS_VERSION) {
    throw new SavedViewsDocumentError(
      `saved-views document version ${short(doc.version)} is not one this app reads (it reads version ${SAVED_VIEWS_VERSION})`,
    );
  }
  if (!Array.isArray(doc.views)) {
    throw new SavedViewsDocumentError('the document has no "views" list');
  }
  if (doc.views.length > SAVED_VIEWS_IMPORT_MAX_VIEWS) {
    throw new SavedViewsDocumentError(
      `the document holds ${doc.views.length} views; at most ${SAVED_VIEWS_IMPORT_MAX_VIEWS} can be imported at once`,
    );
  }
  return doc.views.map((entry: unknown, index): DocumentEntry => {
    const parsed = SavedViewEntrySchema.safeParse(entry);
    if (parsed.success) {
      const { createdAt: _c, updatedAt: _u, ...view } = parsed.data;
      return { index, ok: true, view };
    }
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { index, ok: false, name: nameOf(entry), reason: `${where}${issue?.message ?? ''}` };
  });
}

/** The entry's name as far as it is printable, for the report of an invalid one. */
function nameOf(entry: unknown): string | null {
  if (entry === null || typeof entry !== 'object') return null;
  const name = (entry as Record<string, unknown>).name;
  if (typeof name !== 'string') return null;
  const clean = name.replace(new RegExp(UNPRINTABLE.source, 'g'), '?');
  return clean.length > VIEW_NAME_MAX ? `${clean.slice(0, VIEW_NAME_MAX - 1)}…` : clean;
}

function short(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** `NAME (2)`, `NAME (3)`, …: the first free name, cut so it stays within VIEW_NAME_MAX. */
export function freeViewName(name: string, taken: (candidate: string) => boolean): string {
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`;
    const base = [...name].slice(0, VIEW_NAME_MAX - suffix.length).join('');
    const candidate = `${base.trimEnd()}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}

// ---- commands' inputs and results ----------------------------------------------------------

export const ViewsListInputSchema = z.object({ topic: TopicNameSchema.optional() });

export const ViewsSaveInputSchema = z.object({
  view: SavedViewInputSchema,
  /** Overwrite a view of that name; without it an existing name is refused (view-exists). */
  replace: z.boolean().default(false),
});

export const ViewsRenameInputSchema = z.object({ from: ViewNameSchema, to: ViewNameSchema });
export const ViewsDeleteInputSchema = z.object({ name: ViewNameSchema });

export const ViewsExportInputSchema = z.object({
  /** Only these views (each must exist); absent: all (of the topic, when given). */
  names: z.array(ViewNameSchema).min(1).max(SAVED_VIEWS_IMPORT_MAX_VIEWS).optional(),
  topic: TopicNameSchema.optional(),
});

export const ImportConflictSchema = z.enum(['skip', 'replace', 'rename']);
export type ImportConflict = z.infer<typeof ImportConflictSchema>;

export const ViewsImportInputSchema = z.object({
  /** The document as parsed JSON; checked by readSavedViewsDocument in the service. */
  document: z.unknown(),
  /** A name that exists already: keep the existing view, overwrite it, or import as `NAME (2)`. */
  onConflict: ImportConflictSchema.default('skip'),
});

export const ImportReportSchema = z.object({
  /** New views. */
  imported: z.array(z.string()),
  /** Existing views overwritten (onConflict 'replace'). */
  replaced: z.array(z.string()),
  /** Imported under another name (onConflict 'rename'). */
  renamed: z.array(z.object({ from: z.string(), to: z.string() })),
  /** Not imported: the name exists (onConflict 'skip'). */
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
  /** Not imported: the entry is not a valid view (index in the document's list). */
  invalid: z.array(
    z.object({ index: z.number().int(), name: z.string().nullable(), reason: z.string() }),
  ),
});
export type ImportReport = z.infer<typeof ImportReportSchema>;
