import type { Anomaly, CheckResult } from '../types.js';
import { toIso } from '../time.js';

/**
 * A check that errors is an alert of its own, fingerprint `<check>:__error__`, so that it goes
 * through the same state and outbox as any alert: notified once, again after the check's
 * repeat_interval while it keeps failing, and resolved once the check runs cleanly again.
 */
export const CHECK_ERROR_KEY = '__error__';

/** The Google Sheets tab that gets one row per check error notified. */
export const CHECK_ERRORS_TAB = 'Check errors';

const MAX_MESSAGE = 500;

export function isCheckErrorKey(key: string): boolean {
  return key === CHECK_ERROR_KEY;
}

/** The anomaly that stands for "this check could not run" at `at`. */
export function checkErrorAnomaly(result: CheckResult, at: number): Anomaly {
  const error = (result.error ?? 'unknown error').replace(/\s+/g, ' ').trim();
  const short = error.length > MAX_MESSAGE ? error.slice(0, MAX_MESSAGE - 1) + '…' : error;
  const when = toIso(at);
  return {
    key: CHECK_ERROR_KEY,
    start: when,
    end: when,
    observed: null,
    expected: null,
    score: null,
    message: `check errored: ${short}`,
  };
}
