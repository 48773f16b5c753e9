import type { AlertPolicy } from '../alerts/policy.js';
import type { CheckDefinition } from './check-type.js';

/** Each configured check's alerting policy (severity, repeat, resolve, destinations), by check name. */
export function alertPolicies(checks: readonly CheckDefinition[]): Map<string, AlertPolicy> {
  return new Map(
    checks.map((c) => [
      c.name,
      {
        check: c.name,
        description: c.description,
        severity: c.severity,
        repeatIntervalMs: c.repeatIntervalMs,
        resolveAfter: c.resolveAfter,
        keepFiringForMs: c.keepFiringForMs ?? 0,
        slack: { enabled: c.slack.enabled, channel: c.slack.channel, criticalSeparately: c.slack.criticalSeparately },
        sheetTab: c.sheet,
      },
    ]),
  );
}
