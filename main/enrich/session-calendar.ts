import type { MarketSession } from '../../contract/trade.js';

export type { MarketSession };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const PRE_MARKET_START = 4 * HOUR;
const REGULAR_START = 9 * HOUR + 30 * MINUTE;
const REGULAR_END = 16 * HOUR;
const AFTER_HOURS_END = 20 * HOUR;
const EARLY_REGULAR_END = 13 * HOUR;
const EARLY_AFTER_HOURS_END = 17 * HOUR;

/** Days since 1970-01-01 of a calendar date (the date, not an instant). */
function dayNumber(year: number, month0: number, day: number): number {
  return Date.UTC(year, month0, day) / DAY;
}

/** 0 = Sunday … 6 = Saturday. 1970-01-01 was a Thursday. */
function weekdayOf(dayNum: number): number {
  return (((dayNum + 4) % 7) + 7) % 7;
}

function nthWeekday(year: number, month0: number, weekday: number, n: number): number {
  const first = dayNumber(year, month0, 1);
  return first + ((weekday - weekdayOf(first) + 7) % 7) + (n - 1) * 7;
}

function lastWeekday(year: number, month0: number, weekday: number): number {
  const last = dayNumber(year, month0 + 1, 0);
  return last - ((weekdayOf(last) - weekday + 7) % 7);
}

/** Easter Sunday (Gregorian), anonymous computus. */
function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumber(year, month - 1, day);
}

/** Fixed-date holiday: Saturday → the Friday before, Sunday → the Monday after. */
function observed(dayNum: number): number {
  const wd = weekdayOf(dayNum);
  return wd === 6 ? dayNum - 1 : wd === 0 ? dayNum + 1 : dayNum;
}

// Unscheduled full closures (national days of mourning, weather, 9/11) that no rule produces.
const SPECIAL_CLOSURES: readonly string[] = [
  '2001-09-11',
  '2001-09-12',
  '2001-09-13',
  '2001-09-14',
  '2004-06-11',
  '2007-01-02',
  '2012-10-29',
  '2012-10-30',
  '2018-12-05',
  '2025-01-09',
];

interface YearCalendar {
  holidays: Set<number>;
  earlyCloses: Set<number>;
}

const yearCache = new Map<number, YearCalendar>();

function yearCalendar(year: number): YearCalendar {
  const cached = yearCache.get(year);
  if (cached) return cached;
  const holidays = new Set<number>();
  // NYSE Rule 7.2: New Year's Day on a Saturday is not moved to Friday Dec 31.
  const newYear = dayNumber(year, 0, 1);
  if (weekdayOf(newYear) !== 6) holidays.add(observed(newYear));
  if (year >= 1998) holidays.add(nthWeekday(year, 0, 1, 3)); // MLK Day
  holidays.add(nthWeekday(year, 1, 1, 3)); // Washington's Birthday
  holidays.add(easterSunday(year) - 2); // Good Friday
  holidays.add(lastWeekday(year, 4, 1)); // Memorial Day
  if (year >= 2022) holidays.add(observed(dayNumber(year, 5, 19))); // Juneteenth
  holidays.add(observed(dayNumber(year, 6, 4))); // Independence Day
  holidays.add(nthWeekday(year, 8, 1, 1)); // Labor Day
  const thanksgiving = nthWeekday(year, 10, 4, 4);
  holidays.add(thanksgiving);
  holidays.add(observed(dayNumber(year, 11, 25))); // Christmas
  for (const iso of SPECIAL_CLOSURES) {
    if (iso.startsWith(`${year}-`)) holidays.add(parseIsoDate(iso));
  }

  const earlyCloses = new Set<number>();
  // July 3 only when both it and July 4 are weekdays (Mon–Thu): when July 4 is a Saturday,
  // July 3 is the observed holiday and NYSE does not shorten July 2.
  const july3 = dayNumber(year, 6, 3);
  if (weekdayOf(july3) >= 1 && weekdayOf(july3) <= 4) earlyCloses.add(july3);
  earlyCloses.add(thanksgiving + 1);
  // Christmas Eve Mon–Thu; on a Friday it is the observed Christmas holiday.
  const christmasEve = dayNumber(year, 11, 24);
  if (weekdayOf(christmasEve) >= 1 && weekdayOf(christmasEve) <= 4) earlyCloses.add(christmasEve);
  for (const d of holidays) earlyCloses.delete(d);

  const cal = { holidays, earlyCloses };
  yearCache.set(year, cal);
  return cal;
}

function formatDay(dayNum: number): string {
  return new Date(dayNum * DAY).toISOString().slice(0, 10);
}

function parseIsoDate(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${iso}`);
  const dayNum = dayNumber(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (formatDay(dayNum) !== iso) throw new RangeError(`not a real date: ${iso}`);
  return dayNum;
}

/** NYSE full-day closures of a year, as sorted 'YYYY-MM-DD' dates. */
export function nyseHolidays(year: number): string[] {
  return [...yearCalendar(year).holidays].sort((a, b) => a - b).map(formatDay);
}

/** NYSE 1:00 pm early-close days of a year, as sorted 'YYYY-MM-DD' dates. */
export function nyseEarlyCloses(year: number): string[] {
  return [...yearCalendar(year).earlyCloses].sort((a, b) => a - b).map(formatDay);
}

/**
 * US DST window of a year as UTC instants: 2:00 local standard time → 2:00 local daylight time.
 * Rules since 2007 (second Sunday of March → first Sunday of November), 1987–2006 before that.
 */
function dstWindowUtc(year: number): readonly [number, number] {
  const [start, end] =
    year >= 2007
      ? [nthWeekday(year, 2, 0, 2), nthWeekday(year, 10, 0, 1)]
      : [nthWeekday(year, 3, 0, 1), lastWeekday(year, 9, 0)];
  return [start * DAY + 2 * HOUR + 5 * HOUR, end * DAY + 2 * HOUR + 4 * HOUR];
}

const dstCache = new Map<number, readonly [number, number]>();

function dstWindowCached(year: number): readonly [number, number] {
  let w = dstCache.get(year);
  if (!w) {
    w = dstWindowUtc(year);
    dstCache.set(year, w);
  }
  return w;
}

/** Offset of America/New_York from UTC at an instant, in minutes (-240 in EDT, -300 in EST). */
export function newYorkUtcOffsetMinutes(tsMs: number): number {
  const [start, end] = dstWindowCached(new Date(tsMs).getUTCFullYear());
  return tsMs >= start && tsMs < end ? -240 : -300;
}

interface DaySegment {
  /** UTC range in which the New York date and UTC offset are both constant. */
  from: number;
  to: number;
  /** UTC instant of the New York local midnight, as if the offset held all day. */
  localMidnightUtc: number;
  dayNum: number;
  open: boolean;
  regularEnd: number;
  afterHoursEnd: number;
}

function segmentFor(tsMs: number): DaySegment {
  const offsetMs = newYorkUtcOffsetMinutes(tsMs) * MINUTE;
  const dayNum = Math.floor((tsMs + offsetMs) / DAY);
  const localMidnightUtc = dayNum * DAY - offsetMs;
  let from = localMidnightUtc;
  let to = localMidnightUtc + DAY;
  for (const t of dstWindowCached(new Date(tsMs).getUTCFullYear())) {
    if (t <= tsMs && t > from) from = t;
    if (t > tsMs && t < to) to = t;
  }
  const wd = weekdayOf(dayNum);
  const year = new Date(dayNum * DAY).getUTCFullYear();
  const cal = yearCalendar(year);
  const open = wd !== 0 && wd !== 6 && !cal.holidays.has(dayNum);
  const early = cal.earlyCloses.has(dayNum);
  return {
    from,
    to,
    localMidnightUtc,
    dayNum,
    open,
    regularEnd: early ? EARLY_REGULAR_END : REGULAR_END,
    afterHoursEnd: early ? EARLY_AFTER_HOURS_END : AFTER_HOURS_END,
  };
}

// Trades arrive in time order, so one remembered segment answers nearly every call.
let lastSegment: DaySegment | null = null;

function segmentCached(tsMs: number): DaySegment {
  const s = lastSegment;
  if (s && tsMs >= s.from && tsMs < s.to) return s;
  lastSegment = segmentFor(tsMs);
  return lastSegment;
}

/**
 * US equity market session at an instant (epoch ms), in New York time: pre-market 04:00–09:30,
 * regular 09:30–16:00 (13:00 on early-close days), after-hours 16:00–20:00 (17:00 on early-close
 * days), closed otherwise and all day on weekends and NYSE holidays. Start inclusive, end exclusive.
 */
export function marketSession(tsMs: number): MarketSession {
  if (!Number.isFinite(tsMs)) return 'closed';
  const seg = segmentCached(tsMs);
  if (!seg.open) return 'closed';
  const t = tsMs - seg.localMidnightUtc;
  if (t < PRE_MARKET_START) return 'closed';
  if (t < REGULAR_START) return 'pre-market';
  if (t < seg.regularEnd) return 'regular';
  if (t < seg.afterHoursEnd) return 'after-hours';
  return 'closed';
}

/**
 * Whether NYSE trades on a date: a 'YYYY-MM-DD' New York calendar date, or a Date / epoch ms
 * meaning the New York date at that instant. Throws RangeError on a malformed date string.
 */
export function isTradingDay(date: string | Date | number): boolean {
  let dayNum: number;
  if (typeof date === 'string') {
    dayNum = parseIsoDate(date);
  } else {
    const ts = typeof date === 'number' ? date : date.getTime();
    if (!Number.isFinite(ts)) throw new RangeError('invalid date');
    dayNum = Math.floor((ts + newYorkUtcOffsetMinutes(ts) * MINUTE) / DAY);
  }
  const wd = weekdayOf(dayNum);
  if (wd === 0 || wd === 6) return false;
  return !yearCalendar(new Date(dayNum * DAY).getUTCFullYear()).holidays.has(dayNum);
}
