import type { QueryEngine } from '../db/engine.js';
import type { Logger } from '../log.js';
import type { CheckResult } from '../types.js';
import type { CheckDefinition, CheckType, Evaluation } from './check-type.js';
import { freshnessOf, sourcesOf, staleAnomaly } from './freshness.js';

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
      const evaluation = await withStaleness(check, await type.evaluate(check, { ...env }), env);
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

/** Used when a check has no max_staleness (definitions built in code rather than from the file). */
const DEFAULT_MAX_STALENESS_MS = 6 * 3_600_000;

/**
 * The stale-data wrapper around any check type: when a source table's newest row at `at` is older
 * than max_staleness (or there is none), the result gets a `stale` anomaly and alerts — a feed that
 * stopped is not "ok" and not silently "skipped". The check's own anomalies are kept.
 */
async function withStaleness(
  check: CheckDefinition,
  evaluation: Evaluation,
  env: { engine: QueryEngine; at: number; tz: string; cache: Map<string, unknown> },
): Promise<Evaluation> {
  const sources = sourcesOf(check);
  if (!sources.length) return evaluation;
  const maxStalenessMs = check.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS;
  const freshness = await freshnessOf(sources, env, maxStalenessMs);
  const anomaly = staleAnomaly(freshness, maxStalenessMs, env.at, env.tz);
  if (!anomaly) return evaluation;
  const { reason, ...rest } = evaluation;
  return {
    ...rest,
    status: 'alert',
    anomalies: [anomaly, ...evaluation.anomalies.filter((a) => a.key !== anomaly.key)],
    metrics: { ...evaluation.metrics, stale_minutes: anomaly.observed, ...(reason ? { skipped_reason: reason } : {}) },
  };
}
