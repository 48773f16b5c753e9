import { MINUTE, toDbTime } from '../../src/time.js';

/** Two-digit strings 00–59, so the hot loops format seconds without padStart. */
export const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** `YYYY-MM-DD HH:MM:` for the minute starting at `minuteMs`; rows append the seconds. */
export function minutePrefix(minuteMs: number): string {
  return toDbTime(minuteMs).slice(0, 17);
}

/** Epoch minute number of an instant. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE);
}

/** Fractional hour of day (UTC), 0 ≤ h < 24. */
export function hourOfDay(ms: number): number {
  return (((ms / 3_600_000) % 24) + 24) % 24;
}

/** 0 = Sunday … 6 = Saturday (UTC). */
export function weekday(ms: number): number {
  return new Date(ms).getUTCDay();
}

export function isWeekend(ms: number): boolean {
  const d = weekday(ms);
  return d === 0 || d === 6;
}

/**
 * Linear interpolation over 24 hourly anchor values placed at the middle of each hour, wrapping
 * around midnight, so rates change smoothly from minute to minute instead of jumping on the hour.
 */
export function hourlyCurve(anchors: readonly number[], hour: number): number {
  const x = hour - 0.5;
  const i = Math.floor(x);
  const f = x - i;
  const a = anchors[(i + 24) % 24]!;
  const b = anchors[(i + 25) % 24]!;
  return a + (b - a) * f;
}
