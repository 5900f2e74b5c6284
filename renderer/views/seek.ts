import type { Start } from '../../contract/messages.js';

/** The Topics screen's times and seek box, without the DOM (unit-tested in Node). */

export type Zone = 'utc' | 'local';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** 2026-01-05 14:30:00.000 UTC, or the local time with its offset (+01:00). */
export function formatTime(ms: number, zone: Zone): string {
  const d = new Date(ms);
  if (zone === 'utc') return `${d.toISOString().slice(0, 23).replace('T', ' ')} UTC`;
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} ` +
    `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}

/** A seek box's text: an offset, or a date-time read in the chosen zone; null if neither. */
export function parseSeek(text: string, zone: Zone): Start | null {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'newest') return { kind: 'newest' };
  if (t.toLowerCase() === 'oldest') return { kind: 'oldest' };
  if (/^\d+$/.test(t)) return { kind: 'offset', offset: Number(t) };
  const iso = t.replace(' ', 'T');
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(iso);
  const withSeconds = /T\d\d:\d\d$/.test(iso) ? `${iso}:00` : iso;
  const ms = Date.parse(hasZone || zone === 'local' ? withSeconds : `${withSeconds}Z`);
  return Number.isFinite(ms) && ms >= 0 ? { kind: 'timestamp', ts: ms } : null;
}
