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
