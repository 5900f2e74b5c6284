import { parseInstant } from '../../contract/instant.js';
import type { ReplayRole, TimeUnit } from '../../contract/replay.js';
import { MAX_PRICE, MIN_PRICE, SYMBOL_PATTERN, SYMBOL_RULE } from '../../contract/trade.js';

/** A trade read from a file: `ts` in epoch ms, as recorded. */
export interface ReplayTrade {
  ts: number;
  symbol: string;
  price: number;
  volume: number;
}

/** The usual names of each role, most specific first (compared without case). */
export const ROLE_ALIASES: Record<ReplayRole, readonly string[]> = {
  timestamp: [
    'timestamp',
    'time',
    'ts',
    'datetime',
    'date_time',
    'trade_time',
    'event_time',
    'sip_timestamp',
    'participant_timestamp',
    't',
  ],
  symbol: ['symbol', 'ticker', 'sym', 'instrument', 's'],
  price: ['price', 'trade_price', 'last_price', 'last', 'px', 'p'],
  volume: ['volume', 'size', 'trade_size', 'qty', 'quantity', 'shares', 'v'],
};

export class ReplayInputError extends Error {
  override name = 'ReplayInputError';
}

/**
 * Which column plays each role: the mapping's names first (they must exist), else the usual
 * names. Returns the column index per role, in REPLAY_ROLES order.
 */
export function resolveColumns(
  header: readonly string[],
  mapping: Partial<Record<ReplayRole, string>> = {},
): [number, number, number, number] {
  const names = header.map((h) => h.trim().toLowerCase());
  const find = (role: ReplayRole): number => {
    const wanted = mapping[role];
    if (wanted !== undefined) {
      const exact = header.indexOf(wanted);
      const i = exact !== -1 ? exact : names.indexOf(wanted.trim().toLowerCase());
      if (i === -1) {
        throw new ReplayInputError(
          `the file has no column "${wanted}" for the ${role}; its columns are: ${list(header)}`,
        );
      }
      return i;
    }
    for (const alias of ROLE_ALIASES[role]) {
      const i = names.indexOf(alias);
      if (i !== -1) return i;
    }
    throw new ReplayInputError(
      `no ${role} column found (looked for ${ROLE_ALIASES[role].join(', ')}); the file's columns are: ${list(header)}. Map one: ${role}=<column>`,
    );
  };
  return [find('timestamp'), find('symbol'), find('price'), find('volume')];
}

function list(header: readonly string[]): string {
  const shown = header.slice(0, 30).map((h) => JSON.stringify(h.slice(0, 60)));
  return shown.join(', ') + (header.length > 30 ? `, … (${header.length} in all)` : '');
}

/**
 * Parses `timestamp=time,symbol=ticker` (the CLI's --columns) into a mapping. Unknown roles and
 * repeated roles are errors.
 */
export function parseColumnMapping(text: string): Partial<Record<ReplayRole, string>> {
  const out: Partial<Record<ReplayRole, string>> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const role = (eq === -1 ? '' : part.slice(0, eq).trim().toLowerCase()) as ReplayRole;
    const column = eq === -1 ? '' : part.slice(eq + 1).trim();
    if (!['timestamp', 'symbol', 'price', 'volume'].includes(role) || column === '') {
      throw new ReplayInputError(
        `column mapping "${part}": expected ROLE=COLUMN with ROLE one of timestamp, symbol, price, volume`,
      );
    }
    if (out[role] !== undefined) throw new ReplayInputError(`column mapping names ${role} twice`);
    out[role] = column;
  }
  return out;
}

const DECIMAL = /^[+-]?\d+(?:\.\d*)?$/;

/** How a numeric timestamp of this size most likely counts: s, ms, µs or ns since the epoch. */
export function guessUnit(magnitude: number): Exclude<TimeUnit, 'auto'> {
  const a = Math.abs(magnitude);
  if (a < 1e11) return 's'; // 1e11 s is the year 5138; 1e11 ms is 1973
  if (a < 1e14) return 'ms';
  if (a < 1e17) return 'us';
  return 'ns';
}

const DIGITS_PER_UNIT = { s: -3, ms: 0, us: 3, ns: 6 } as const;

/**
 * Timestamps in any supported form to epoch ms: ISO-8601 text (no zone = UTC; digits past the
 * millisecond truncated, as the enrichment does), epoch seconds / milliseconds / microseconds /
 * nanoseconds as text or numbers (decimal text is converted exactly, so nanosecond integers beyond
 * 2^53 keep their millisecond), BigInt (Parquet INT64) and Date (Parquet timestamps). With unit
 * 'auto', the first numeric value's size picks the unit for the whole file (see guessUnit).
 */
export class TimestampReader {
  constructor(private unit: TimeUnit = 'auto') {}

  get resolvedUnit(): TimeUnit {
    return this.unit;
  }

  /** Epoch ms, or a reason why not. */
  read(value: unknown): number | string {
    if (value instanceof Date) {
      const t = value.getTime();
      return Number.isFinite(t) ? t : 'timestamp: not a valid date';
    }
    if (typeof value === 'bigint') {
      const unit = this.unitFor(Number(value));
      const ms =
        unit === 's'
          ? Number(value) * 1000
          : unit === 'ms'
            ? Number(value)
            : Number(value / (unit === 'us' ? 1000n : 1_000_000n));
      return ms;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return 'timestamp: not a finite number';
      const unit = this.unitFor(value);
      if (unit === 's') return Math.floor(Math.round(value * 1e6) / 1000);
      return Math.floor(unit === 'ms' ? value : unit === 'us' ? value / 1e3 : value / 1e6);
    }
    if (typeof value !== 'string') return 'timestamp: empty';
    const text = value.trim();
    if (text === '') return 'timestamp: empty';
    if (DECIMAL.test(text)) return this.fromDecimal(text);
    const ms = parseInstant(text);
    if (ms === null) {
      return `timestamp: not an ISO-8601 date-time or epoch number (${JSON.stringify(text.slice(0, 40))})`;
    }
    return ms;
  }

  private unitFor(magnitude: number): Exclude<TimeUnit, 'auto'> {
    if (this.unit === 'auto') this.unit = guessUnit(magnitude);
    return this.unit as Exclude<TimeUnit, 'auto'>;
  }

  /** Decimal text, exactly: shift the decimal point to milliseconds, truncate the rest. */
  private fromDecimal(text: string): number {
    const negative = text.startsWith('-');
    const body = text.replace(/^[+-]/, '');
    const [intPart = '0', fracPart = ''] = body.split('.');
    const unit = this.unitFor(Number(body));
    const shift = DIGITS_PER_UNIT[unit];
    let ms: number;
    if (shift <= 0) {
      // seconds: the first three fraction digits are the milliseconds
      const digits = intPart + fracPart.padEnd(-shift, '0').slice(0, -shift);
      ms = Number(digits);
    } else {
      const cut = intPart.length - shift;
      ms = cut > 0 ? Number(intPart.slice(0, cut)) : 0;
    }
    if (negative) ms = -ms; // before 1970: refused by the caller
    return ms;
  }
}

const MAX_VOLUME = 1e12;

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? Number.NaN : Number(t);
  }
  return Number.NaN;
}

/**
 * One row's four values as a trade, checked by the seed's rules (contract/trade.ts), so nothing
 * sent would be dead-lettered by the enrichment for its shape; or the reason it is a bad row.
 */
export function toTrade(
  rawTs: unknown,
  rawSymbol: unknown,
  rawPrice: unknown,
  rawVolume: unknown,
  timestamps: TimestampReader,
): ReplayTrade | string {
  const ts = timestamps.read(rawTs);
  if (typeof ts === 'string') return ts;
  if (ts < 0) return `timestamp: before 1970-01-01T00:00:00Z (${new Date(ts).toISOString()})`;
  if (ts > 8.64e15) return 'timestamp: out of range';
  const symbol = typeof rawSymbol === 'string' ? rawSymbol.trim() : '';
  if (!SYMBOL_PATTERN.test(symbol)) {
    return symbol === '' ? 'symbol: empty' : `symbol: ${SYMBOL_RULE}`;
  }
  const price = toNumber(rawPrice);
  if (!Number.isFinite(price)) return 'price: not a number';
  if (price < MIN_PRICE) return `price: must be >= ${MIN_PRICE}`;
  if (price > MAX_PRICE) return 'price: must be <= 1e9';
  const volume = toNumber(rawVolume);
  if (!Number.isFinite(volume)) return 'volume: not a number';
  if (!Number.isInteger(volume)) return 'volume: must be a whole number';
  if (volume < 0) return 'volume: must be >= 0';
  if (volume > MAX_VOLUME) return 'volume: must be <= 1e12';
  return { ts, symbol, price, volume };
}
