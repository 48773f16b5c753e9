import { randomBytes } from 'node:crypto';
import type { CheckResult } from '../types.js';
import { toDbTime } from '../time.js';
import type { StateStore } from './store.js';

/**
 * A run id that sorts by evaluation time, then by wall time of the run, and is unique:
 * `20261120T150000Z-<now base36>-<4 hex>`.
 */
export function newRunId(at: number, now: number): string {
  const stamp = new Date(at).toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
  const started = Math.max(0, Math.floor(now)).toString(36).padStart(9, '0');
  return `${stamp}-${started}-${randomBytes(2).toString('hex')}`;
}

export interface RunRecord {
  runId: string;
  at: number;
  startedAt: number;
  finishedAt: number;
  dryRun: boolean;
  results: CheckResult[];
}

/** The run's overall status: error beats alert beats ok. */
export function runStatus(results: CheckResult[]): 'ok' | 'alert' | 'error' {
  if (results.some((r) => r.status === 'error')) return 'error';
  if (results.some((r) => r.status === 'alert')) return 'alert';
  return 'ok';
}

/** Writes the run and every check result (one transaction) for `SELECT ... FROM check_runs`. */
export function recordRun(store: StateStore, run: RunRecord): void {
  const db = store.db;
  const insertRun = db.prepare(
    `INSERT INTO check_runs (run_id, at, started_at, finished_at, dry_run, status, checks_total, checks_alerting, checks_errored)
     VALUES (@run_id, @at, @started_at, @finished_at, @dry_run, @status, @checks_total, @checks_alerting, @checks_errored)`,
  );
  const insertResult = db.prepare(
    `INSERT INTO check_results (run_id, check_name, type, status, severity, anomaly_count, duration_ms, error,
                                metrics_json, anomalies_json, chart_json)
     VALUES (@run_id, @check_name, @type, @status, @severity, @anomaly_count, @duration_ms, @error,
             @metrics_json, @anomalies_json, @chart_json)`,
  );
  db.transaction(() => {
    insertRun.run({
      run_id: run.runId,
      at: toDbTime(run.at),
      started_at: toDbTime(run.startedAt),
      finished_at: toDbTime(run.finishedAt),
      dry_run: run.dryRun ? 1 : 0,
      status: runStatus(run.results),
      checks_total: run.results.length,
      checks_alerting: run.results.filter((r) => r.status === 'alert').length,
      checks_errored: run.results.filter((r) => r.status === 'error').length,
    });
    for (const r of run.results) {
      insertResult.run({
        run_id: run.runId,
        check_name: r.check,
        type: r.type,
        status: r.status,
        severity: r.severity,
        anomaly_count: r.anomalies.length,
        duration_ms: Math.round(r.durationMs),
        error: r.error ?? null,
        metrics_json: JSON.stringify(r.metrics ?? {}),
        anomalies_json: JSON.stringify(r.anomalies),
        chart_json: r.chart === undefined ? null : JSON.stringify(r.chart),
      });
    }
  })();
}
