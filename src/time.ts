/**
 * Time handling. Every stored timestamp is UTC text `YYYY-MM-DD HH:MM:SS` (SQLite's own
 * datetime() form, so it sorts and compares as text and works with datetime()/julianday()).
 * Naive timestamps in CSV files and `--at` values without an offset are wall-clock times in the
 * configured zone (ANOMALY_TZ, default UTC).
 */

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatterCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatterCache.set(tz, f);
  }
  return f;
}

/** Throws RangeError for an unknown IANA zone name. */
export function assertTimeZone(tz: string): void {
  // UTC needs no Intl formatter (wallClockAt does without one): building the first costs ~20 ms.
  if (tz !== 'UTC') formatter(tz);
}

export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall clock in `tz` at the UTC instant `ms`. */
export function wallClockAt(ms: number, tz: string): WallClock {
  if (tz === 'UTC') {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  }
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Offset of `tz` from UTC at instant `ms`, in milliseconds. */
function offsetAt(ms: number, tz: string): number {
  const w = wallClockAt(ms, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * UTC instant of a wall-clock time in `tz`. A time that does not exist (the gap when clocks jump
 * forward) resolves forward by the length of the gap (New York 02:30 on a spring-forward day is
 * 03:30 EDT); a time that occurs twice (clocks fall back) resolves to its first occurrence (London
 * 01:30 on 2026-10-25 is 01:30 BST). `zonedCandidates` gives both occurrences.
 */
export function zonedToUtc(w: WallClock, tz: string): number {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  if (tz === 'UTC') return naive;
  const c = zonedCandidates(naive, tz);
  return c.kind === 'gap' ? c.forward : c.first;
}

/**
 * How a wall-clock time (given as the epoch ms it would have in UTC) maps to instants in `tz`:
 * once (`first` = `second`), twice (`overlap`: `first` < `second`) or never (`gap`: `forward` is
 * the instant the gap resolves to). Assumes at most one offset change within a day of the time,
 * as in every IANA zone.
 */
export type ZonedCandidates =
  | { kind: 'single' | 'overlap'; first: number; second: number }
  | { kind: 'gap'; forward: number };

export function zonedCandidates(naive: number, tz: string): ZonedCandidates {
  const before = offsetAt(naive - DAY, tz);
  const after = offsetAt(naive + DAY, tz);
  if (before === after) {
    const at = naive - before; // no change nearby: the common case
    return { kind: 'single', first: at, second: at };
  }
  const matches = (at: number) => at + offsetAt(at, tz) === naive;
  const early = naive - before;
  const late = naive - after;
  const hits = [early, late].filter(matches).sort((a, b) => a - b);
  if (hits.length === 2 && hits[0] !== hits[1]) return { kind: 'overlap', first: hits[0]!, second: hits[1]! };
  if (hits.length >= 1) return { kind: 'single', first: hits[0]!, second: hits[0]! };
  // A gap: the wall clock read with the offset in force before the jump lands after it, as far past
  // the jump as the time was past its start.
  return { kind: 'gap', forward: early };
}

/** `YYYY-MM-DD HH:MM:SS` (UTC), the stored form. */
export function toDbTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Parses the stored form back to epoch milliseconds. */
export function fromDbTime(s: string): number {
  return Date.parse(s.replace(' ', 'T') + 'Z');
}

/** ISO 8601 with Z, the form used in JSON output. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Supported years: every date read from a CSV file, `--at`, `--from`, `--to` and `--date` must fall
 * in 1970-01-01 .. 2200-12-31 (UTC for instants). Outside it JavaScript's Date shifts years 0-99
 * to 1900-1999 and prints years past 9999 as `+010000`, so such values are refused, never stored.
 */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2200;
const MIN_INSTANT = Date.UTC(MIN_YEAR, 0, 1);
const END_INSTANT = Date.UTC(MAX_YEAR + 1, 0, 1);
/** Largest UTC offset accepted on a time (real zones span -12:00..+14:00). */
export const MAX_OFFSET_MINUTES = 14 * 60;

export function isSupportedYear(year: number): boolean {
  return year >= MIN_YEAR && year <= MAX_YEAR;
}

export function isSupportedInstant(ms: number): boolean {
  return ms >= MIN_INSTANT && ms < END_INSTANT;
}

/** Parses a user-supplied instant; the reason it is refused when it is. */
export function readInstant(text: string, tz: string): { ms: number } | { problem: string } {
  const m = ISO_RE.exec(text.trim());
  if (!m) return { problem: 'is not an ISO 8601 time such as 2026-11-20T15:00 or 2026-11-20T15:00:00Z' };
  const w: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
  };
  if (!isValidWallClock(w)) return { problem: 'is not a valid date and time (no such day, hour or minute)' };
  const outOfRange = { problem: `is outside the supported years ${MIN_YEAR}-${MAX_YEAR}` };
  if (!isSupportedYear(w.year)) return outOfRange;
  const zone = m[7];
  let ms: number;
  if (zone === undefined) ms = zonedToUtc(w, tz);
  else {
    const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
    if (zone.toUpperCase() === 'Z') ms = naive;
    else {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      const hours = Number(digits.slice(0, 2));
      const minutes = Number(digits.slice(2, 4));
      const offsetMin = hours * 60 + minutes;
      if (minutes > 59 || offsetMin > MAX_OFFSET_MINUTES) return { problem: `has the UTC offset ${zone}; offsets range from -14:00 to +14:00` };
      ms = naive - sign * offsetMin * 60_000;
    }
  }
  return isSupportedInstant(ms) ? { ms } : outOfRange;
}

/**
 * Parses a user-supplied instant (`--at`, `--from`): ISO 8601 date or date-time, with or without
 * an offset; without one it is wall-clock time in `tz`. Returns undefined when unparseable or
 * outside the supported range (readInstant says why).
 */
export function parseInstant(text: string, tz: string): number | undefined {
  const r = readInstant(text, tz);
  return 'ms' in r ? r.ms : undefined;
}

export function isValidWallClock(w: WallClock): boolean {
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.hour > 23 || w.minute > 59 || w.second > 59) {
    return false;
  }
  const dim = new Date(Date.UTC(w.year, w.month, 0)).getUTCDate();
  return w.day <= dim;
}

/** Start (UTC ms) of the calendar day in `tz` that contains instant `ms`. */
export function startOfDay(ms: number, tz: string): number {
  const w = wallClockAt(ms, tz);
  return zonedToUtc({ ...w, hour: 0, minute: 0, second: 0 }, tz);
}

/** `YYYY-MM-DD` of the day in `tz` containing `ms`. */
export function dayString(ms: number, tz: string): string {
  const w = wallClockAt(ms, tz);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Parses durations like `90s`, `5m`, `4h`, `2d`, `1h30m`. Returns milliseconds or undefined. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;
  const units: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };
  let total = 0;
  let matched = 0;
  const s = text.trim();
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? total : undefined;
}
