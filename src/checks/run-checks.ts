import type { QueryEngine } from '../db/engine.js';
import type { Logger } from '../log.js';
import type { CheckResult } from '../types.js';
import type { CheckDefinition, CheckType } from './check-type.js';

/**
 * Evaluates every check as of `at`. A check that throws becomes an `error` result; the others
 * still run (the run exits 2 at the end).
 */
export async function evaluateChecks(
  checks: CheckDefinition[],
  types: ReadonlyMap<string, CheckType<unknown>>,
  env: { engine: QueryEngine; at: number; tz: string; log: Logger; cache: Map<string, unknown>; charts?: boolean },
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const started = performance.now();
    const base = { check: check.name, type: check.type, description: check.description, severity: check.severity };
    try {
      const type = types.get(check.type);
      if (!type) throw new Error(`unknown check type ${check.type}`);
      const evaluation = await type.evaluate(check, { ...env });
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      results.push({
        ...base,
        status: evaluation.status,
        anomalies: evaluation.anomalies,
        metrics: evaluation.metrics,
        durationMs,
        ...(evaluation.reason ? { error: evaluation.reason } : {}),
        ...(evaluation.chart ? { chart: evaluation.chart } : {}),
      });
      env.log.debug({ check: check.name, status: evaluation.status, anomalies: evaluation.anomalies.length, durationMs }, 'check evaluated');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      env.log.error({ check: check.name, err: message }, 'check failed');
      results.push({
        ...base,
        status: 'error',
        anomalies: [],
        metrics: {},
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        error: message,
      });
    }
  }
  return results;
}
