import { z } from 'zod';

/**
 * JSON fields of a message value, named by dotted paths (`symbol`, `context.session`,
 * `legs.0.price`): the topic browser's columns, its saved views and the CLI's `--columns` use
 * them. Pure functions over parsed JSON, shared by every side.
 */

/** Dotted path segments: letters, digits, `_`, `$`, `-` (an array index is a segment of digits). */
export const FieldPathSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[\w$-]+(\.[\w$-]+)*$/,
    'a field is a dotted path of letters, digits, _, $ or - (e.g. context.session)',
  );

/** At most this many JSON columns in one view. */
export const MAX_COLUMNS = 20;
export const ColumnsSchema = z.array(FieldPathSchema).max(MAX_COLUMNS);

/** The value at a dotted path, or undefined when any step is missing (own properties only). */
export function lookupField(json: unknown, path: readonly string[]): unknown {
  let at: unknown = json;
  for (const part of path) {
    if (at === null || typeof at !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** One table cell: its text, its number when it is one, and whether it is empty (missing). */
export interface Cell {
  text: string;
  num: number | null;
  empty: boolean;
}

const EMPTY: Cell = { text: '', num: null, empty: true };
/** Longest cell text shown; a nested object is cut here (it is in the value view in full). */
export const CELL_TEXT_MAX = 200;

export function cellOf(value: unknown): Cell {
  if (value === undefined) return EMPTY;
  if (typeof value === 'number') return { text: String(value), num: value, empty: false };
  if (typeof value === 'string') return { text: cut(value), num: null, empty: false };
  if (value === null || typeof value === 'boolean') {
    return { text: String(value), num: null, empty: false };
  }
  return { text: cut(JSON.stringify(value)), num: null, empty: false };
}

function cut(text: string): string {
  return text.length > CELL_TEXT_MAX ? `${text.slice(0, CELL_TEXT_MAX - 1)}…` : text;
}

/** Parses a value's text once; anything that is not JSON (or is cut short) gives no fields. */
export function parseJsonValue(text: string | null | undefined, truncated = false): unknown {
  if (text === null || text === undefined || truncated) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The cells of one value for the given columns (paths as written). */
export function cellsOf(json: unknown, columns: readonly string[]): Cell[] {
  return columns.map((c) => cellOf(lookupField(json, c.split('.'))));
}

/**
 * Sort order of cells: numbers (numerically) before text (by code points), empties last in both
 * directions, so a column missing from some records never scatters them.
 */
export function compareCells(a: Cell, b: Cell, direction: 'asc' | 'desc' = 'asc'): number {
  if (a.empty || b.empty) return a.empty === b.empty ? 0 : a.empty ? 1 : -1;
  const sign = direction === 'asc' ? 1 : -1;
  if (a.num !== null && b.num !== null) return sign * (a.num - b.num);
  if (a.num !== null) return -sign;
  if (b.num !== null) return sign;
  return sign * (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
}

/** A column list as typed ("symbol, price ,context.session"): trimmed, deduplicated, checked. */
export function parseColumnList(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p !== '') seen.add(p);
  }
  return ColumnsSchema.parse([...seen]);
}

/**
 * The dotted paths of the leaves (and arrays) in a JSON object, breadth first, for offering
 * columns: at most `max` paths and `depth` levels, keys that are not valid path segments skipped.
 */
export function fieldPaths(json: unknown, max = 50, depth = 3): string[] {
  const out: string[] = [];
  const queue: [unknown, string, number][] = [[json, '', 0]];
  while (queue.length > 0 && out.length < max) {
    const [at, prefix, level] = queue.shift()!;
    if (at === null || typeof at !== 'object' || Array.isArray(at)) continue;
    for (const [key, value] of Object.entries(at as Record<string, unknown>)) {
      if (!/^[\w$-]+$/.test(key)) continue;
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const nested = value !== null && typeof value === 'object' && !Array.isArray(value);
      if (nested && level + 1 < depth) queue.push([value, path, level + 1]);
      else out.push(path);
      if (out.length >= max) break;
    }
  }
  return out;
}
