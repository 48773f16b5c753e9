/**
 * Hysteresis: an alert enters on strong evidence and stays while moderate evidence persists, so
 * one sustained incident whose window wobbles around the entry threshold is one alert, not seven.
 * Checks emit each anomaly with an evidence level; live runs (src/alerts/plan.ts) and replay
 * (src/replay) apply the same rule below. Pure, no I/O.
 */
import type { Evidence } from '../types.js';

/** Whether an anomaly of this evidence level makes its alert fire, given whether it fires already. */
export function firesWith(evidence: Evidence | undefined, firing: boolean): boolean {
  return evidence !== 'stay' || firing;
}

/** The evidence level of a measurement: `enter` when it clears the entry bar, `stay` when only the stay bar, else none. */
export function evidenceLevel(entersBar: boolean, staysBar: boolean): Evidence | null {
  if (entersBar) return 'enter';
  return staysBar ? 'stay' : null;
}

/**
 * Whether a firing alert resolves at `at`: after `resolveAfter` consecutive clean evaluations
 * (this one included) AND once its last alerting evaluation (`lastSeen`) is at least
 * `keepFiringForMs` old. The quiet time is in wall-clock time, so a bursty incident (a feed with
 * empty minutes, a surge dipping for a quarter of an hour) is one alert at any cron cadence.
 */
export function resolvesAt(
  at: number,
  lastSeen: number,
  cleanRuns: number,
  policy: { resolveAfter: number; keepFiringForMs?: number },
): boolean {
  return cleanRuns >= policy.resolveAfter && at - lastSeen >= (policy.keepFiringForMs ?? 0);
}
