// ISO-8601 date-time: seconds optional, fractional seconds of any length, zone optional
// (Z, ±hh:mm or ±hhmm). Also a bare date, where the caller allows it.
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an ISO-8601 instant to epoch milliseconds. Text without a zone is UTC, as everywhere
 * in this product (the seed's Python producer sends `datetime.utcnow().isoformat()`, which has
 * none). Digits past the millisecond are truncated. With `allowDateOnly`, `2025-07-07` means its
 * midnight UTC. Returns null for anything that is not a real instant (e.g. Feb 30, hour 25).
 */
export function parseInstant(
  text: string,
  options: { allowDateOnly?: boolean } = {},
): number | null {
  const trimmed = text.trim();
  const m = DATE_TIME.exec(
    options.allowDateOnly && DATE_ONLY.test(trimmed) ? `${trimmed}T00:00` : trimmed,
  );
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(utc);
  // Date.UTC silently rolls over out-of-range fields; a real instant round-trips.
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    return null;
  }
  if (zone.toUpperCase() === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  if (offsetMin > 18 * 60) return null;
  return utc - sign * offsetMin * 60_000;
}
