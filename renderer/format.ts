/** One way to show numbers, sizes, durations and times everywhere. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function count(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : integer.format(n);
}

export function rate(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return `${n < 10 ? oneDecimal.format(n) : integer.format(n)}/s`;
}

export function bytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return i === 0 ? `${integer.format(v)} bytes` : `${oneDecimal.format(v)} ${units[i]}`;
}

/** 12 s, 3 min 4 s, 1 h 2 min. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** 2025-07-07 14:23:45 UTC */
export function utcDateTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** 14:23 UTC */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/** A `datetime-local` value read as UTC, as ISO-8601; null when empty or not a date. */
export function localInputAsUtcIso(value: string): string | null {
  if (!value) return null;
  const ms = Date.parse(`${value}Z`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Comma or space separated list → trimmed, non-empty, de-duplicated items. */
export function list(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}
