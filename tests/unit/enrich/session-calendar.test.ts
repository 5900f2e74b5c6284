import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isTradingDay,
  marketSession,
  newYorkUtcOffsetMinutes,
  nyseEarlyCloses,
  nyseHolidays,
} from '../../../main/enrich/session-calendar.js';

const at = (iso: string): number => {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), iso);
  return ms;
};

describe('nyseHolidays / nyseEarlyCloses', () => {
  it('matches the published NYSE 2025 calendar (plus the Jan 9 Carter closure)', () => {
    assert.deepEqual(nyseHolidays(2025), [
      '2025-01-01',
      '2025-01-09',
      '2025-01-20',
      '2025-02-17',
      '2025-04-18',
      '2025-05-26',
      '2025-06-19',
      '2025-07-04',
      '2025-09-01',
      '2025-11-27',
      '2025-12-25',
    ]);
    assert.deepEqual(nyseEarlyCloses(2025), ['2025-07-03', '2025-11-28', '2025-12-24']);
  });

  it('matches the published NYSE 2026 calendar', () => {
    assert.deepEqual(nyseHolidays(2026), [
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-04-03',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-09-07',
      '2026-11-26',
      '2026-12-25',
    ]);
    // July 4 is a Saturday: July 3 is the holiday and July 2 is a full day.
    assert.deepEqual(nyseEarlyCloses(2026), ['2026-11-27', '2026-12-24']);
  });

  it('matches the published NYSE 2027 calendar', () => {
    assert.deepEqual(nyseHolidays(2027), [
      '2027-01-01',
      '2027-01-18',
      '2027-02-15',
      '2027-03-26',
      '2027-05-31',
      '2027-06-18',
      '2027-07-05',
      '2027-09-06',
      '2027-11-25',
      '2027-12-24',
    ]);
    assert.deepEqual(nyseEarlyCloses(2027), ['2027-11-26']);
  });

  it('does not move a Saturday New Year to Friday Dec 31; observes Sunday ones on Monday', () => {
    assert.ok(!nyseHolidays(2022).some((d) => d.startsWith('2022-01-0')));
    assert.ok(!nyseHolidays(2021).includes('2021-12-31'));
    assert.ok(nyseHolidays(2023).includes('2023-01-02'));
    assert.ok(nyseHolidays(2022).includes('2022-12-26'));
    assert.ok(nyseHolidays(2022).includes('2022-06-20'));
    assert.ok(!nyseHolidays(2021).some((d) => d.startsWith('2021-06')));
  });

  it('computes Good Friday from Easter', () => {
    const goodFridays = ['2019-04-19', '2024-03-29', '2025-04-18', '2026-04-03', '2038-04-23'];
    for (const d of goodFridays) {
      assert.ok(nyseHolidays(Number(d.slice(0, 4))).includes(d), d);
    }
  });
});

describe('isTradingDay', () => {
  it('knows weekends, holidays and ordinary days', () => {
    assert.equal(isTradingDay('2025-07-04'), false);
    assert.equal(isTradingDay('2025-07-03'), true);
    assert.equal(isTradingDay('2025-07-05'), false);
    assert.equal(isTradingDay('2025-07-06'), false);
    assert.equal(isTradingDay('2021-12-31'), true);
    assert.equal(isTradingDay('2027-06-18'), false);
    assert.equal(isTradingDay('2026-01-19'), false);
  });

  it('takes an instant as the New York date', () => {
    // 2025-07-05 02:00Z is still July 4 (22:00 EDT) in New York.
    assert.equal(isTradingDay(new Date('2025-07-05T02:00:00Z')), false);
    assert.equal(isTradingDay(at('2025-07-04T03:00:00Z')), true);
  });

  it('rejects malformed dates', () => {
    assert.throws(() => isTradingDay('2025-02-30'), RangeError);
    assert.throws(() => isTradingDay('yesterday'), RangeError);
    assert.throws(() => isTradingDay(new Date('nope')), RangeError);
  });
});

describe('newYorkUtcOffsetMinutes', () => {
  it('switches exactly at 2:00 local time', () => {
    assert.equal(newYorkUtcOffsetMinutes(at('2025-03-09T06:59:59.999Z')), -300);
    assert.equal(newYorkUtcOffsetMinutes(at('2025-03-09T07:00:00Z')), -240);
    assert.equal(newYorkUtcOffsetMinutes(at('2025-11-02T05:59:59.999Z')), -240);
    assert.equal(newYorkUtcOffsetMinutes(at('2025-11-02T06:00:00Z')), -300);
  });

  it('agrees with the ICU time-zone data, 2000–2040', () => {
    const fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    const intlOffset = (ts: number): number => {
      const p: Record<string, number> = {};
      for (const part of fmt.formatToParts(ts)) p[part.type] = Number(part.value);
      const local = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day, p.hour, p.minute);
      return Math.round((local - ts) / 60_000);
    };
    const hour = 3_600_000;
    for (let year = 2000; year <= 2040; year++) {
      for (const month of [2, 3, 9, 10]) {
        const from = Date.UTC(year, month, 1);
        const to = Date.UTC(year, month + 1, 1);
        for (let ts = from; ts < to; ts += hour) {
          assert.equal(newYorkUtcOffsetMinutes(ts), intlOffset(ts), new Date(ts).toISOString());
        }
      }
      for (let ts = Date.UTC(year, 0, 1, 17); ts < Date.UTC(year + 1, 0, 1); ts += 24 * hour) {
        assert.equal(newYorkUtcOffsetMinutes(ts), intlOffset(ts), new Date(ts).toISOString());
      }
    }
  });
});

describe('marketSession', () => {
  it('closes on holidays and weekends', () => {
    assert.equal(marketSession(at('2025-07-04T11:00:00-04:00')), 'closed');
    assert.equal(marketSession(at('2025-04-18T10:00:00-04:00')), 'closed'); // Good Friday
    assert.equal(marketSession(at('2026-01-19T10:00:00-05:00')), 'closed'); // MLK Day
    assert.equal(marketSession(at('2027-06-18T10:00:00-04:00')), 'closed'); // Juneteenth observed
    assert.equal(marketSession(at('2025-07-05T10:00:00-04:00')), 'closed'); // Saturday
    assert.equal(marketSession(at('2025-07-06T10:00:00-04:00')), 'closed'); // Sunday
    assert.equal(marketSession(at('2025-07-05T05:00:00-04:00')), 'closed'); // Saturday pre-market
  });

  it('is open on Dec 31, 2021 (Jan 1, 2022 is a Saturday)', () => {
    assert.equal(marketSession(at('2021-12-31T10:00:00-05:00')), 'regular');
    assert.equal(marketSession(at('2021-12-31T16:30:00-05:00')), 'after-hours');
  });

  it('has every session edge on a normal day (start inclusive, end exclusive)', () => {
    const d = '2025-06-10T';
    const z = '-04:00';
    assert.equal(marketSession(at(`${d}03:59:59.999${z}`)), 'closed');
    assert.equal(marketSession(at(`${d}04:00:00${z}`)), 'pre-market');
    assert.equal(marketSession(at(`${d}09:29:59.999${z}`)), 'pre-market');
    assert.equal(marketSession(at(`${d}09:30:00${z}`)), 'regular');
    assert.equal(marketSession(at(`${d}15:59:59.999${z}`)), 'regular');
    assert.equal(marketSession(at(`${d}16:00:00${z}`)), 'after-hours');
    assert.equal(marketSession(at(`${d}19:59:59.999${z}`)), 'after-hours');
    assert.equal(marketSession(at(`${d}20:00:00${z}`)), 'closed');
    assert.equal(marketSession(at(`${d}23:59:59.999${z}`)), 'closed');
  });

  it('ends regular hours at 13:00 and after-hours at 17:00 on early-close days', () => {
    for (const [day, z] of [
      ['2025-07-03', '-04:00'],
      ['2025-11-28', '-05:00'],
      ['2025-12-24', '-05:00'],
    ] as const) {
      assert.equal(marketSession(at(`${day}T08:00:00${z}`)), 'pre-market', day);
      assert.equal(marketSession(at(`${day}T12:59:59.999${z}`)), 'regular', day);
      assert.equal(marketSession(at(`${day}T13:00:00${z}`)), 'after-hours', day);
      assert.equal(marketSession(at(`${day}T16:59:59.999${z}`)), 'after-hours', day);
      assert.equal(marketSession(at(`${day}T17:00:00${z}`)), 'closed', day);
    }
    assert.equal(marketSession(at('2026-07-02T15:00:00-04:00')), 'regular');
  });

  it('converts to New York time across DST changes', () => {
    assert.equal(marketSession(at('2025-03-10T13:35:00Z')), 'regular'); // 09:35 EDT
    assert.equal(marketSession(at('2025-03-07T14:35:00Z')), 'regular'); // 09:35 EST
    assert.equal(marketSession(at('2025-03-07T13:35:00Z')), 'pre-market'); // 08:35 EST
    assert.equal(marketSession(at('2025-03-10T13:25:00Z')), 'pre-market'); // 09:25 EDT
    assert.equal(marketSession(at('2025-11-03T14:29:00Z')), 'pre-market'); // 09:29 EST
    assert.equal(marketSession(at('2025-11-03T14:30:00Z')), 'regular'); // 09:30 EST
    assert.equal(marketSession(at('2025-10-31T20:00:00Z')), 'after-hours'); // 16:00 EDT
    // UTC date already Saturday, New York still Friday evening (EST).
    assert.equal(marketSession(at('2025-12-13T00:30:00Z')), 'after-hours'); // 19:30 EST Fri
  });

  it('returns closed for a non-finite timestamp', () => {
    assert.equal(marketSession(Number.NaN), 'closed');
  });

  it('agrees with an Intl-based reference over a year of in-order and random timestamps', () => {
    const fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'America/New_York',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    const holidays = new Set([...nyseHolidays(2025), ...nyseHolidays(2026)]);
    const early = new Set([...nyseEarlyCloses(2025), ...nyseEarlyCloses(2026)]);
    const reference = (ts: number): string => {
      const p: Record<string, string> = {};
      for (const part of fmt.formatToParts(ts)) p[part.type] = part.value;
      const date = `${p.year}-${p.month}-${p.day}`;
      if (p.weekday === 'Sat' || p.weekday === 'Sun' || holidays.has(date)) return 'closed';
      const sec = Number(p.hour) * 3600 + Number(p.minute) * 60 + Number(p.second);
      const regularEnd = early.has(date) ? 13 * 3600 : 16 * 3600;
      const afterEnd = early.has(date) ? 17 * 3600 : 20 * 3600;
      if (sec < 4 * 3600) return 'closed';
      if (sec < 9.5 * 3600) return 'pre-market';
      if (sec < regularEnd) return 'regular';
      if (sec < afterEnd) return 'after-hours';
      return 'closed';
    };
    const step = 7 * 60_000 + 13_000;
    for (let ts = Date.UTC(2025, 0, 1); ts < Date.UTC(2026, 0, 5); ts += step) {
      assert.equal(marketSession(ts), reference(ts), new Date(ts).toISOString());
    }
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const span = Date.UTC(2026, 11, 31) - Date.UTC(2025, 0, 1);
    for (let i = 0; i < 5000; i++) {
      const ts = Date.UTC(2025, 0, 1) + Math.floor(rand() * span);
      assert.equal(marketSession(ts), reference(ts), new Date(ts).toISOString());
    }
  });
});
