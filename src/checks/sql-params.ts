import { startOfDay, toDbTime, dayString, DAY, HOUR } from '../time.js';
import type { Params } from '../db/engine.js';
import { plural } from '../text.js';

/**
 * Parameters every check's SQL may use, all in the stored UTC text form:
 * `:at` (evaluation instant), `:day_start` / `:day_end` (the evaluation day in ANOMALY_TZ),
 * `:day` (that day as YYYY-MM-DD, for daily aggregates).
 */
export function commonSqlParams(at: number, tz: string): Params {
  const dayStart = startOfDay(at, tz);
  return {
    at: toDbTime(at),
    day_start: toDbTime(dayStart),
    // A day can last 23 or 25 hours where clocks change: the next day starts at the start of the
    // day that contains 27 hours later.
    day_end: toDbTime(startOfDay(dayStart + DAY + 3 * HOUR, tz)),
    day: dayString(at, tz),
  };
}

export const COMMON_SQL_PARAMETERS = ['at', 'day_start', 'day_end', 'day'] as const;

/**
 * Replaces `{column}` placeholders with values from `row` (`{count}` etc. from `extra`).
 * `{name:one|many}` is a number with its noun: `{count:order|orders}` → "1 order", "46 orders".
 */
export function fillTemplate(template: string, row: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)(?::([^{}|]*)\|([^{}]*))?\}/g, (whole, name: string, one?: string, many?: string) => {
    const value = name in extra ? extra[name] : row[name];
    if (value === undefined || value === null) return whole;
    if (one === undefined) return String(value);
    const n = Number(value);
    return Number.isFinite(n) ? plural(n, one, many) : `${String(value)} ${many}`;
  });
}
