import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { prepareChecks } from '../checks/prepare.js';
import { evaluateChecks } from '../checks/run-checks.js';
import { fromDbTime, toIso } from '../time.js';
import type { CheckResult } from '../types.js';
import type { CommandContext } from './context.js';
import { resolveAt } from './run.js';

interface ResultRow {
  run_id: string;
  check_name: string;
  type: string;
  status: CheckResult['status'];
  severity: CheckResult['severity'];
  duration_ms: number;
  error: string | null;
  metrics_json: string | null;
  anomalies_json: string | null;
  chart_json: string | null;
  description?: string;
}

/**
 * `anomaly report`: a self-contained HTML page. With --at the checks are evaluated as of that time
 * (nothing recorded, nobody notified); otherwise the latest recorded run is shown. Each card has
 * the check's recent history from check_results.
 */
export async function reportCommand(ctx: CommandContext, opts: { at?: string; out?: string; config?: string; db?: string }): Promise<number> {
  // An explicit --out is the user's path (relative to where they are); the default lives in the project folder.
  const outPath = opts.out !== undefined ? resolve(opts.out) : resolve(ctx.env.ANOMALY_HOME ?? '.', 'reports/report.html');
  const statePath = resolve(ctx.env.ANOMALY_STATE_DB);
  const history: Record<string, { at: string; status: CheckResult['status']; anomalies: number }[]> = {};
  let results: CheckResult[] | undefined;
  let at = ctx.now();
  let runId: string | null = null;

  const { StateStore } = await import('../alerts/store.js');
  const store = existsSync(statePath) ? StateStore.open(statePath) : undefined;
  try {
    if (store) {
      const rows = store.db
        .prepare(
          `SELECT r.at, c.check_name, c.status, c.anomaly_count FROM check_results c JOIN check_runs r ON r.run_id = c.run_id
           WHERE r.run_id IN (SELECT run_id FROM check_runs ORDER BY at DESC, started_at DESC LIMIT 48) ORDER BY r.at`,
        )
        .all() as { at: string; check_name: string; status: CheckResult['status']; anomaly_count: number }[];
      for (const r of rows) (history[r.check_name] ??= []).push({ at: toIso(fromDbTime(r.at)), status: r.status, anomalies: r.anomaly_count });
    }
    if (opts.at === undefined && store) {
      const latest = store.db.prepare('SELECT run_id, at FROM check_runs ORDER BY at DESC, started_at DESC LIMIT 1').get() as { run_id: string; at: string } | undefined;
      if (latest) {
        runId = latest.run_id;
        at = fromDbTime(latest.at);
        const rows = store.db.prepare('SELECT * FROM check_results_full WHERE run_id = ? ORDER BY rowid').all(latest.run_id) as ResultRow[];
        results = rows.map((r) => ({
          check: r.check_name,
          type: r.type,
          description: '',
          status: r.status,
          severity: r.severity,
          durationMs: r.duration_ms,
          anomalies: r.anomalies_json ? JSON.parse(r.anomalies_json) : [],
          metrics: r.metrics_json ? JSON.parse(r.metrics_json) : {},
          ...(r.error ? { error: r.error } : {}),
          ...(r.chart_json ? { chart: JSON.parse(r.chart_json) } : {}),
        }));
      }
    }
  } finally {
    store?.close();
  }

  const prepared = await prepareChecks({ config: opts.config ?? ctx.env.ANOMALY_CONFIG, db: opts.db ?? ctx.env.ANOMALY_DB, env: ctx.env });
  try {
    const descriptions = new Map(prepared.all.map((c) => [c.name, c.description]));
    if (!results) {
      at = resolveAt(opts.at, ctx);
      results = await evaluateChecks(prepared.checks, prepared.types, { engine: prepared.engine, at, tz: ctx.env.ANOMALY_TZ, log: ctx.log, cache: new Map() });
    }
    for (const r of results) r.description ||= descriptions.get(r.check) ?? '';
  } finally {
    await prepared.engine.close();
  }

  const { renderReportHtml } = await import('../report/html.js');
  const html = await renderReportHtml({ generatedAt: toIso(ctx.now()), at: toIso(at), runId, tz: ctx.env.ANOMALY_TZ, results, history });
  mkdirSync(dirname(outPath), { recursive: true });
  // Written beside and renamed, so a browser never opens half a page.
  writeFileSync(outPath + '.tmp', html);
  renameSync(outPath + '.tmp', outPath);
  ctx.out(`report written to ${outPath} (${results.length} checks, ${runId ? `run ${runId}` : `evaluated as of ${toIso(at)}`})\n`);
  return 0;
}
