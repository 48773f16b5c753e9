import type { CheckResult, Severity } from '../types.js';
import { HOUR } from '../time.js';

/** How one check's alerts are notified (from the check's entry in the YAML config). */
export interface AlertPolicy {
  check: string;
  description: string;
  severity: Severity;
  /** A firing alert is notified again only after this long (default 4h). */
  repeatIntervalMs: number;
  /** Consecutive clean evaluations before a firing alert is resolved (default 1). */
  resolveAfter: number;
  /** …and only once the alert has been clean this long (`keep_firing_for`, default 0). */
  keepFiringForMs?: number;
  slack: { enabled: boolean; channel?: string; criticalSeparately?: boolean };
  sheetTab?: string;
}

export const DEFAULT_REPEAT_INTERVAL_MS = 4 * HOUR;
export const DEFAULT_RESOLVE_AFTER = 1;

/** The policy of a check the config says nothing special about. */
export function defaultPolicy(result: Pick<CheckResult, 'check' | 'description' | 'severity'>): AlertPolicy {
  return {
    check: result.check,
    description: result.description,
    severity: result.severity,
    repeatIntervalMs: DEFAULT_REPEAT_INTERVAL_MS,
    resolveAfter: DEFAULT_RESOLVE_AFTER,
    slack: { enabled: true },
  };
}
