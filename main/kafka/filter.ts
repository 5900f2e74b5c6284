import { lookupField } from '../../contract/json-fields.js';
import type { FieldTest, MessageFilterSchema } from '../../contract/messages.js';
import type { z } from 'zod';
import { parseForFilter, type Parsed } from './decode.js';
import type { RawRecord } from './partition-reader.js';

type Filter = z.output<typeof MessageFilterSchema>;
export type RecordTest = (raw: RawRecord) => { ok: boolean; parsed: Parsed };

/**
 * A filter as a test of raw records, cheapest checks first (key, then text in the value, then
 * the JSON fields, parsed once per record). Numbers compare as numbers when both sides are
 * numbers (`price > 300`), else as text; `=` on text is exact, `~` is "contains".
 */
export function compileFilter(filter: Filter | undefined): RecordTest | null {
  if (!filter || (!filter.key && !filter.text && filter.fields.length === 0)) return null;
  const fields = filter.fields.map((f) => ({
    ...f,
    path: f.field.split('.'),
    num: toNumber(f.value),
  }));
  return (raw) => {
    const parsed = parseForFilter(raw);
    if (filter.key) {
      const k = parsed.keyText;
      if (k === null) return { ok: false, parsed };
      if (filter.key.op === 'equals' ? k !== filter.key.value : !k.includes(filter.key.value)) {
        return { ok: false, parsed };
      }
    }
    if (filter.text !== undefined) {
      if (parsed.valueText === null || !parsed.valueText.includes(filter.text))
        return { ok: false, parsed };
    }
    if (fields.length > 0) {
      if (!parsed.jsonDone) {
        parsed.jsonDone = true;
        try {
          parsed.json = parsed.valueText === null ? undefined : JSON.parse(parsed.valueText);
        } catch {
          parsed.json = undefined;
        }
      }
      for (const f of fields) {
        if (!testField(lookupField(parsed.json, f.path), f, f.num)) return { ok: false, parsed };
      }
    }
    return { ok: true, parsed };
  };
}

function toNumber(s: string): number | null {
  if (s.trim() === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function testField(actual: unknown, test: FieldTest, expectedNum: number | null): boolean {
  if (actual === undefined) return test.op === '!=';
  const text =
    actual === null ? 'null' : typeof actual === 'object' ? JSON.stringify(actual) : String(actual);
  const actualNum =
    typeof actual === 'number' ? actual : typeof actual === 'string' ? toNumber(actual) : null;
  const numeric = actualNum !== null && expectedNum !== null;
  switch (test.op) {
    case '=':
      return numeric ? actualNum === expectedNum : text === test.value;
    case '!=':
      return numeric ? actualNum !== expectedNum : text !== test.value;
    case '~':
      return text.includes(test.value);
    case '>':
      return numeric ? actualNum > expectedNum : text > test.value;
    case '>=':
      return numeric ? actualNum >= expectedNum : text >= test.value;
    case '<':
      return numeric ? actualNum < expectedNum : text < test.value;
    case '<=':
      return numeric ? actualNum <= expectedNum : text <= test.value;
  }
}
