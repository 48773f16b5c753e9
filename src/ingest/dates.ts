import { isSupportedInstant, isSupportedYear, isValidWallClock, MAX_OFFSET_MINUTES, MAX_YEAR, MIN_YEAR, toDbTime, zonedCandidates } from '../time.js';

/**
 * Date parsing for CSV fields, built for millions of rows: a hand-written scanner (no regex per
 * field) and a cache keyed by the minute, so `Intl` (behind zonedToUtc) runs once per distinct
 * minute, not once per row. Accepted forms:
 *   ISO 8601  `2023-05-15`, `2023-05-15T17:48`, `2023-05-15 17:48:09.123Z`, `...+02:00`, `...-0300`
 *   US short  `5/15/23 17:48`, `5/15/2023 7:48:09` (month/day/year; 2-digit years are 20yy)
 * Times without an offset are wall-clock times in the configured zone: a time in a DST gap resolves
 * forward, a repeated time (clocks going back) to its first occurrence; `later` then holds the
 * second occurrence, which RowConverter uses for the second row of the same key.
 * Years outside 1970-2200 and offsets beyond ±14:00 are refused (dateProblem says why).
 */

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  sec: number;
  hasTime: boolean;
  /** Minutes east of UTC; null for a naive (wall-clock) time. */
  zone: number | null;
}

const SECONDS = Array.from({ length: 60 }, (_, s) => ':' + String(s).padStart(2, '0'));
const CACHE_LIMIT = 50_000;

let digitValue = 0;

/** Reads `min`..`max` ASCII digits at `i`; returns the index after them (value in digitValue) or -1. */
function readDigits(s: string, i: number, min: number, max: number): number {
  let v = 0;
  let j = i;
  const n = s.length;
  while (j < n && j - i < max) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    j++;
  }
  if (j - i < min) return -1;
  digitValue = v;
  return j;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Scans a date or date-time into `p`; false when the text is not one of the accepted forms. */
function scan(raw: string, p: Parts): boolean {
  const s = raw.length > 0 && (raw.charCodeAt(0) === 32 || raw.charCodeAt(raw.length - 1) === 32) ? raw.trim() : raw;
  const n = s.length;
  let i = readDigits(s, 0, 1, 4);
  if (i === -1) return false;
  const first = digitValue;
  const c = s.charCodeAt(i);
  if (c === 45 && i === 4) {
    p.y = first;
    i = readDigits(s, i + 1, 2, 2);
    if (i === -1 || s.charCodeAt(i) !== 45) return false;
    p.mo = digitValue;
    i = readDigits(s, i + 1, 2, 2);
    if (i === -1) return false;
    p.d = digitValue;
  } else if (c === 47 && i <= 2) {
    p.mo = first;
    i = readDigits(s, i + 1, 1, 2);
    if (i === -1 || s.charCodeAt(i) !== 47) return false;
    p.d = digitValue;
    const yStart = i + 1;
    i = readDigits(s, yStart, 2, 4);
    if (i === -1) return false;
    const yLen = i - yStart;
    if (yLen === 3) return false;
    p.y = yLen === 2 ? 2000 + digitValue : digitValue;
  } else {
    return false;
  }
  p.h = 0;
  p.mi = 0;
  p.sec = 0;
  p.zone = null;
  p.hasTime = false;
  if (i === n) return true;
  const sep = s.charCodeAt(i);
  if (sep !== 84 && sep !== 116 && sep !== 32) return false; // T, t, space
  i++;
  while (sep === 32 && s.charCodeAt(i) === 32) i++;
  i = readDigits(s, i, 1, 2);
  if (i === -1 || s.charCodeAt(i) !== 58) return false;
  p.h = digitValue;
  i = readDigits(s, i + 1, 2, 2);
  if (i === -1) return false;
  p.mi = digitValue;
  p.hasTime = true;
  if (s.charCodeAt(i) === 58) {
    i = readDigits(s, i + 1, 2, 2);
    if (i === -1) return false;
    p.sec = digitValue;
    if (s.charCodeAt(i) === 46) {
      i = readDigits(s, i + 1, 1, 9);
      if (i === -1) return false;
    }
  }
  while (s.charCodeAt(i) === 32) i++;
  if (i === n) return true;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    p.zone = 0;
    return i + 1 === n;
  }
  if (z !== 43 && z !== 45) return false;
  i = readDigits(s, i + 1, 2, 2);
  if (i === -1) return false;
  let offset = digitValue * 60;
  if (i < n) {
    if (s.charCodeAt(i) === 58) i++;
    i = readDigits(s, i, 2, 2);
    if (i === -1 || digitValue > 59) return false;
    offset += digitValue;
  }
  if (i !== n || offset > MAX_OFFSET_MINUTES) return false;
  p.zone = z === 45 ? -offset : offset;
  return true;
}

export class DateParser {
  private readonly parts: Parts = { y: 0, mo: 0, d: 0, h: 0, mi: 0, sec: 0, hasTime: false, zone: null };
  /**
   * Minute key -> `YYYY-MM-DD HH:MM` in UTC, or '' for an invalid wall clock; a repeated wall clock
   * holds both occurrences (32 characters).
   */
  private readonly minuteCache = new Map<number, string>();
  private readonly day: { y: number; mo: number; d: number };
  /** After a conversion that returned a repeated wall-clock time: its second occurrence. */
  later: string | undefined;

  /** `day` (YYYY-MM-DD) is the day that date-less times such as `08h` or `14h 33` belong to. */
  constructor(
    readonly tz: string,
    readonly dayText: string,
  ) {
    const day = dayText;
    const p = this.parts;
    if (!scan(day, p) || p.hasTime || !isSupportedYear(p.y) || !isValidWallClock({ year: p.y, month: p.mo, day: p.d, hour: 0, minute: 0, second: 0 })) {
      throw new RangeError(`invalid day ${JSON.stringify(day)}; expected YYYY-MM-DD`);
    }
    this.day = { y: p.y, mo: p.mo, d: p.d };
  }

  /** A date or date-time in any accepted form, as stored UTC text; undefined when invalid. */
  dateTime(s: string): string | undefined {
    return scan(s, this.parts) ? this.format(this.parts) : undefined;
  }

  /** A calendar date (`2023-05-15` or `5/15/23`), as `YYYY-MM-DD`; no zone conversion. */
  calendarDay(s: string): string | undefined {
    const p = this.parts;
    if (!scan(s, p) || p.hasTime || p.zone !== null) return undefined;
    if (!isSupportedYear(p.y) || !isValidWallClock({ year: p.y, month: p.mo, day: p.d, hour: 0, minute: 0, second: 0 })) return undefined;
    return `${String(p.y).padStart(4, '0')}-${pad2(p.mo)}-${pad2(p.d)}`;
  }

  /** `08h` (an hour of the day) or a full date-time on the hour. */
  hourOfDay(s: string): string | undefined {
    const p = this.parts;
    const i = readDigits(s, 0, 1, 2);
    if (i !== -1 && i === s.length - 1 && (s.charCodeAt(i) === 104 || s.charCodeAt(i) === 72)) {
      return this.onDay(digitValue, 0);
    }
    if (!scan(s, p) || p.mi !== 0 || p.sec !== 0) return undefined;
    return this.format(p);
  }

  /** `14h 33` (a minute of the day; also `14h33`, `14:33`) or a full date-time on the minute. */
  minuteOfDay(s: string): string | undefined {
    const p = this.parts;
    let i = readDigits(s, 0, 1, 2);
    if (i !== -1 && i < s.length && (s.charCodeAt(i) === 104 || s.charCodeAt(i) === 72 || s.charCodeAt(i) === 58)) {
      const hour = digitValue;
      i++;
      while (s.charCodeAt(i) === 32) i++;
      i = readDigits(s, i, 2, 2);
      if (i !== s.length) return undefined;
      return this.onDay(hour, digitValue);
    }
    if (!scan(s, p) || p.sec !== 0) return undefined;
    return this.format(p);
  }

  private onDay(hour: number, minute: number): string | undefined {
    const p = this.parts;
    p.y = this.day.y;
    p.mo = this.day.mo;
    p.d = this.day.d;
    p.h = hour;
    p.mi = minute;
    p.sec = 0;
    p.zone = null;
    return this.format(p);
  }

  /**
   * A date or date-time in any accepted form, as the number YYYYMMDDHHMMSS of its stored UTC text
   * (the same order, and no string made); undefined when invalid. A repeated wall-clock time gives
   * its first occurrence, as dateTime does.
   */
  dateTimeNumber(s: string): number | undefined {
    const p = this.parts;
    if (!scan(s, p)) return undefined;
    const prefix = this.minutePrefixOf(p);
    if (prefix === undefined || prefix === '') return undefined;
    // The digits of 'YYYY-MM-DD HH:MM' (the first occurrence of a repeated time), then the seconds.
    let n = 0;
    for (let i = 0; i < 16; i++) {
      const d = prefix.charCodeAt(i) - 48;
      if (d >= 0 && d <= 9) n = n * 10 + d;
    }
    return n * 100 + p.sec;
  }

  /** The cached `YYYY-MM-DD HH:MM` (UTC) of `p`'s minute ('' for an invalid wall clock), or undefined when out of range. */
  private minutePrefixOf(p: Parts): string | undefined {
    // Range checks first: they also keep the cache key one-to-one.
    if (p.sec > 59 || p.mi > 59 || p.h > 23 || p.d > 31 || p.mo > 12) return undefined;
    let key = (((p.y * 13 + p.mo) * 32 + p.d) * 24 + p.h) * 60 + p.mi;
    if (p.zone !== null) key = -(key * 4096 + (p.zone + 2048)) - 1; // negative keys: explicit offsets
    let prefix = this.minuteCache.get(key);
    if (prefix === undefined) {
      prefix = this.minutePrefix(p);
      if (this.minuteCache.size >= CACHE_LIMIT) this.minuteCache.clear();
      this.minuteCache.set(key, prefix);
    }
    return prefix;
  }

  private format(p: Parts): string | undefined {
    const prefix = this.minutePrefixOf(p);
    if (prefix === undefined) return undefined;
    if (prefix.length === 16) {
      this.later = undefined;
      return prefix + SECONDS[p.sec]!;
    }
    if (prefix === '') return undefined;
    this.later = prefix.slice(16) + SECONDS[p.sec]!;
    return prefix.slice(0, 16) + SECONDS[p.sec]!;
  }

  private minutePrefix(p: Parts): string {
    const w = { year: p.y, month: p.mo, day: p.d, hour: p.h, minute: p.mi, second: 0 };
    if (p.h > 23 || !isSupportedYear(p.y) || !isValidWallClock(w)) return '';
    if (p.zone !== null) {
      const ms = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi) - p.zone * 60_000;
      return isSupportedInstant(ms) ? toDbTime(ms).slice(0, 16) : '';
    }
    const naive = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi);
    const c = zonedCandidates(naive, this.tz);
    const ms = c.kind === 'gap' ? c.forward : c.first;
    if (!isSupportedInstant(ms)) return '';
    if (c.kind !== 'overlap') return toDbTime(ms).slice(0, 16);
    return toDbTime(c.first).slice(0, 16) + toDbTime(c.second).slice(0, 16);
  }

  /**
   * For the last value converted: a note when it was a naive time in a DST gap or overlap of the
   * zone (for error messages about duplicates on DST days), else undefined.
   */
  lastDstNote(): string | undefined {
    const p = this.parts;
    if (p.zone !== null || this.tz === 'UTC') return undefined;
    const c = zonedCandidates(Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi), this.tz);
    const local = `${pad2(p.h)}:${pad2(p.mi)} on ${p.y}-${pad2(p.mo)}-${pad2(p.d)} in ${this.tz}`;
    if (c.kind === 'gap') {
      return `local time ${local} does not exist (clocks jump forward) and reads as ${toDbTime(c.forward).slice(0, 16)} UTC, the time just after the gap`;
    }
    if (c.kind === 'overlap') {
      return `local time ${local} occurs twice (clocks go back): the first row of a key is its first occurrence, the second row its second`;
    }
    return undefined;
  }
}

/** Why a date field was refused, when the reason is more specific than "unparseable or impossible". */
export function dateProblem(raw: string): string | undefined {
  const p: Parts = { y: 0, mo: 0, d: 0, h: 0, mi: 0, sec: 0, hasTime: false, zone: null };
  if (!scan(raw, p)) {
    const m = /([+-])(\d{2}):?(\d{2})?\s*$/.exec(raw.trim());
    if (m && /\d[T t]\d/.test(raw) && Number(m[2]) * 60 + Number(m[3] ?? 0) > MAX_OFFSET_MINUTES) {
      return `date-time with a UTC offset beyond ±14:00 (${m[0].trim()})`;
    }
    return undefined;
  }
  if (!isSupportedYear(p.y)) return `date outside the supported years ${MIN_YEAR}-${MAX_YEAR}`;
  const valid = p.h <= 23 && p.mi <= 59 && p.sec <= 59 && isValidWallClock({ year: p.y, month: p.mo, day: p.d, hour: p.h, minute: p.mi, second: p.sec });
  if (valid && (p.y === MIN_YEAR || p.y === MAX_YEAR)) {
    return `date-time outside the supported range ${MIN_YEAR}-01-01 00:00 UTC to ${MAX_YEAR}-12-31 23:59 UTC`;
  }
  return undefined;
}
