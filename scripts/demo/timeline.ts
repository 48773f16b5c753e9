/**
 * The fixed demo timeline (UTC). Every generated file and the manifest derive their dates from
 * here, so the data and the list of incidents cannot drift apart.
 */
import { DAY, HOUR, MINUTE } from '../../src/time.js';

const at = (iso: string): number => Date.parse(iso);

/** Demo day D (a Friday) and the moment the demo run evaluates the checks. */
export const DEMO_DAY = at('2026-11-20T00:00:00Z');
export const DEMO_AT = at('2026-11-20T15:00:00Z');

/** Orders, transactions and the daily payments aggregate start here. */
export const PERIOD_FROM = at('2026-10-16T00:00:00Z');
/** End of the last generated day (exclusive). */
export const PERIOD_TO = DEMO_DAY + DAY;

/** Per-minute acquirer counts cover the last 7 days up to the end of D. */
export const ACQUIRER_FROM = at('2026-11-14T00:00:00Z');
export const ACQUIRER_TO = PERIOD_TO;

/** An order must be settled or voided within this long after its successful auth. */
export const SETTLE_DEADLINE = 7 * DAY;

/** A window of time, start inclusive, end exclusive (epoch ms). */
export interface Window {
  start: number;
  end: number;
}

export const inWindow = (w: Window, ms: number): boolean => ms >= w.start && ms < w.end;

/** Incident windows. Minute windows are [start, end): the minute starting at `end` is normal. */
export const WINDOWS = {
  reversedSurge: { start: at('2026-11-20T14:33:00Z'), end: at('2026-11-20T17:30:00Z') },
  failedSpike: { start: at('2026-11-20T14:40:00Z'), end: at('2026-11-20T15:05:00Z') },
  backendReversedBurst: { start: at('2026-11-20T14:45:00Z'), end: at('2026-11-20T15:00:00Z') },
  missingMinutes: { start: at('2026-11-17T03:00:00Z'), end: at('2026-11-17T03:10:00Z') },
  deniedSurge: { start: at('2026-11-18T10:05:00Z'), end: at('2026-11-18T10:25:00Z') },
  failedCreep: { start: at('2026-11-19T13:10:00Z'), end: at('2026-11-19T17:40:00Z') },
  posBOutage: { start: DEMO_DAY + 8 * HOUR, end: DEMO_DAY + 10 * HOUR },
  merchant7NeverSettled: { start: at('2026-11-05T09:00:00Z'), end: at('2026-11-06T18:00:00Z') },
  demoDay: { start: DEMO_DAY, end: DEMO_DAY + DAY },
} satisfies Record<string, Window>;

export { DAY, HOUR, MINUTE };
