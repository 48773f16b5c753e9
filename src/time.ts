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
  formatter(tz);
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

/** UTC instant of a wall-clock time in `tz` (DST gaps resolve forward, overlaps to the first). */
export function zonedToUtc(w: WallClock, tz: string): number {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  if (tz === 'UTC') return naive;
  const first = naive - offsetAt(naive, tz);
  const second = naive - offsetAt(first, tz);
  return second;
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
 * Parses a user-supplied instant (`--at`, `--from`): ISO 8601 date or date-time, with or without
 * an offset; without one it is wall-clock time in `tz`. Returns undefined when unparseable.
 */
export function parseInstant(text: string, tz: string): number | undefined {
  const m = ISO_RE.exec(text.trim());
  if (!m) return undefined;
  const w: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
  };
  if (!isValidWallClock(w)) return undefined;
  const zone = m[7];
  if (zone === undefined) return zonedToUtc(w, tz);
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  if (zone.toUpperCase() === 'Z') return naive;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  return naive - sign * offsetMin * 60_000;
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
