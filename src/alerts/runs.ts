import { createHash, randomBytes } from 'node:crypto';
import type { CheckResult } from '../types.js';
import { toDbTime } from '../time.js';
import type Database from 'better-sqlite3';
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

/**
 * Writes the run and every check result (one transaction) for `SELECT ... FROM check_runs`.
 * Anomalies and chart data go to `payloads`, stored once however many results share them; chart
 * data of non-alerting results is kept only for the latest run (`anomaly report` draws it), so
 * the previous runs' copies are dropped here.
 */
export function recordRun(store: StateStore, run: RunRecord): void {
  const db = store.db;
  const insertRun = db.prepare(
    `INSERT INTO check_runs (run_id, at, started_at, finished_at, dry_run, status, checks_total, checks_alerting, checks_errored)
     VALUES (@run_id, @at, @started_at, @finished_at, @dry_run, @status, @checks_total, @checks_alerting, @checks_errored)`,
  );
  const insertResult = db.prepare(
    `INSERT INTO check_results (run_id, check_name, type, status, severity, anomaly_count, duration_ms, error,
                                metrics_json, anomalies_json, chart_json, anomalies_id, chart_id)
     VALUES (@run_id, @check_name, @type, @status, @severity, @anomaly_count, @duration_ms, @error,
             @metrics_json, '', NULL, @anomalies_id, @chart_id)`,
  );
  const transientCharts = db.prepare(
    `SELECT run_id, check_name, chart_id FROM check_results WHERE chart_id IS NOT NULL AND status <> 'alert' AND run_id <> ?`,
  );
  const dropChart = db.prepare(`UPDATE check_results SET chart_id = NULL WHERE run_id = ? AND check_name = ?`);
  db.transaction(() => {
    const dropped = transientCharts.all(run.runId) as { run_id: string; check_name: string; chart_id: number }[];
    for (const d of dropped) dropChart.run(d.run_id, d.check_name);
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
        anomalies_id: storePayload(store, JSON.stringify(r.anomalies)),
        chart_id: r.chart === undefined ? null : storePayload(store, JSON.stringify(r.chart)),
      });
    }
    deleteUnusedPayloads(store, dropped.map((d) => d.chart_id));
  })();
}

const statements = new WeakMap<object, Map<string, Database.Statement>>();
/** Prepared once per connection: these run for every result of every run. */
function prepared(store: StateStore, sql: string): Database.Statement {
  let byText = statements.get(store.db);
  if (!byText) statements.set(store.db, (byText = new Map()));
  let stmt = byText.get(sql);
  if (!stmt) byText.set(sql, (stmt = store.db.prepare(sql)));
  return stmt;
}

/** The id of the payload holding `json`, inserting it when new (content-addressed by sha256). */
export function storePayload(store: StateStore, json: string): number {
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 32);
  const row = prepared(store, `INSERT INTO payloads (hash, json) VALUES (?, ?) ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash RETURNING id`).get(
    hash,
    json,
  ) as { id: number };
  return row.id;
}

/** Deletes the payloads among `ids` that no result references any more. Returns how many. */
export function deleteUnusedPayloads(store: StateStore, ids: Iterable<number | null>): number {
  const del = prepared(
    store,
    `DELETE FROM payloads WHERE id = @id
       AND NOT EXISTS (SELECT 1 FROM check_results WHERE anomalies_id = @id)
       AND NOT EXISTS (SELECT 1 FROM check_results WHERE chart_id = @id)`,
  );
  let n = 0;
  for (const id of new Set(ids)) if (id !== null) n += del.run({ id }).changes;
  return n;
}
