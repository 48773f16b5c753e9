/** Numbers and times as they appear in alert messages ("reversed 18.7 % … 14:33–14:38 … (z = 41)"). */

import { wallClockAt } from '../time.js';

const NOT_A_NUMBER = 'n/a';

/** A fraction as a percentage with a space before the sign: 0.187 → "18.7 %". */
export function formatPercent(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return NOT_A_NUMBER;
  const text = (x * 100).toFixed(digits);
  // toFixed keeps the sign of tiny negatives ("-0.0"); that reads as a bug in a message.
  return `${Number(text) === 0 ? (0).toFixed(digits) : text} %`;
}

/**
 * A share (fraction of 1) as a percentage for tables and Slack fields: one decimal, two below
 * 1 % so a normal 0.3 % does not read as 0 %: 0.0778 → "7.8 %", 0.0031 → "0.31 %".
 */
export function formatShare(x: number): string {
  return formatPercent(x, Math.abs(x) < 0.01 && x !== 0 ? 2 : 1);
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** A number with thousands separators and at most 2 decimals: 12345.678 → "12,345.68". */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return NOT_A_NUMBER;
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '-∞';
  const text = numberFormat.format(x);
  return text === '-0' ? '0' : text;
}

/** A z-score, whole when |z| ≥ 10 and to one decimal below: "z = 41", "z = -6.1". */
export function formatZ(z: number): string {
  if (Number.isNaN(z)) return `z = ${NOT_A_NUMBER}`;
  if (!Number.isFinite(z)) return z > 0 ? 'z = ∞' : 'z = -∞';
  const rounded = Math.abs(z) >= 10 ? Math.round(z) : Math.round(z * 10) / 10;
  return `z = ${rounded === 0 ? 0 : rounded}`;
}

const SQLITE_UTC = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;

/** Parses ISO 8601 with Z or an offset, or the stored UTC form `YYYY-MM-DD HH:MM:SS`. */
function parseInstant(text: string): number {
  const m = SQLITE_UTC.exec(text);
  const ms = Date.parse(m ? `${m[1]}T${m[2]}Z` : text);
  if (Number.isNaN(ms)) throw new RangeError(`formatTimeRange: not a timestamp: ${JSON.stringify(text)}`);
  return ms;
}

/** Date and hh:mm of an instant on the wall clock of `tz`. */
function wallClock(ms: number, tz: string): { date: string; time: string } {
  const w = wallClockAt(ms, tz);
  const two = (n: number) => String(n).padStart(2, '0');
  return { date: `${w.year}-${two(w.month)}-${two(w.day)}`, time: `${two(w.hour)}:${two(w.minute)}` };
}

export interface TimeRangeOptions {
  /** Show the date even when the range lies within one day. */
  withDate?: boolean;
}

/**
 * A time range as wall-clock minutes in `tz`: "14:33–14:38"; "2023-05-15 14:33–14:38" when
 * asked; "2023-05-15 23:50 – 2023-05-16 00:10" when it spans days; "at 14:33" when both ends
 * fall in the same minute.
 */
export function formatTimeRange(startIso: string, endIso: string, tz = 'UTC', opts: TimeRangeOptions = {}): string {
  const start = wallClock(parseInstant(startIso), tz);
  const end = wallClock(parseInstant(endIso), tz);
  if (start.date !== end.date) return `${start.date} ${start.time} – ${end.date} ${end.time}`;
  // A window that starts and ends in the same minute is a moment: "at 11:07", not "11:07–11:07".
  if (start.time === end.time) return opts.withDate ? `at ${start.date} ${start.time}` : `at ${start.time}`;
  const times = `${start.time}–${end.time}`;
  return opts.withDate ? `${start.date} ${times}` : times;
}
