import { cellsOf, lookupField, parseJsonValue } from '../../../contract/json-fields.js';
import type { MessageRecord, Start } from '../../../contract/messages.js';
import type { TimeZoneChoice } from '../../../contract/saved-views.js';
import { formatTable } from './admin-support.js';

/** How the messages command shows records: time zone, JSON columns (none: the value itself). */
export interface RecordStyle {
  timeZone: TimeZoneChoice;
  columns: readonly string[];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 in UTC (`…Z`) or in this machine's time zone with its offset (`…+01:00`). */
export function formatTime(ms: number, timeZone: TimeZoneChoice): string {
  const d = new Date(ms);
  if (timeZone === 'utc') return d.toISOString();
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** A start position as the CLI's --from reads it back. */
export function formatStart(start: Start): string {
  switch (start.kind) {
    case 'newest':
    case 'oldest':
      return start.kind;
    case 'offset':
      return String(start.offset);
    case 'timestamp':
      return new Date(start.ts).toISOString();
  }
}

function escapeCell(text: string): string {
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** One record's row for the columns table: time, partition/offset, key, then each column. */
function row(r: MessageRecord, style: RecordStyle): string[] {
  const json = parseJsonValue(
    r.value?.encoding === 'json' ? r.value.text : null,
    r.value?.truncated,
  );
  return [
    formatTime(r.timestamp, style.timeZone),
    `${r.partition}/${r.offset}`,
    r.key ? escapeCell(r.key.text) : '-',
    ...cellsOf(json, style.columns).map((c) => (c.empty ? '-' : escapeCell(c.text))),
  ];
}

/** Records as a compact table of their JSON columns (a missing field shows as -). */
export function columnsTable(records: readonly MessageRecord[], style: RecordStyle): string {
  return formatTable(
    ['TIME', 'PARTITION/OFFSET', 'KEY', ...style.columns],
    records.map((r) => row(r, style)),
  );
}

/** One record as a row without padding (a followed tail's lines come one by one). */
export function columnsLine(r: MessageRecord, style: RecordStyle): string {
  return row(r, style).join('  ');
}

/** The columns' values of one record for --json: the JSON values, null where missing. */
export function columnValues(
  r: MessageRecord,
  columns: readonly string[],
): Record<string, unknown> {
  const json = parseJsonValue(
    r.value?.encoding === 'json' ? r.value.text : null,
    r.value?.truncated,
  );
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c] = lookupField(json, c.split('.')) ?? null;
  return out;
}

/** A word as typed in a shell: quoted when it holds anything but plain characters. */
export function shellWord(text: string): string {
  return /^[\w.@%+=:,/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
