import type { CheckResult } from '../types.js';
import { toIso } from '../time.js';

/** The `--json` document of `anomaly run` (documented in the README; scripts rely on it). */
export function runJson(at: number, runId: string, results: CheckResult[], notifications: object): string {
  return (
    JSON.stringify(
      {
        at: toIso(at),
        runId,
        checks: results.map((r) => ({
          name: r.check,
          type: r.type,
          status: r.status,
          severity: r.severity,
          durationMs: r.durationMs,
          ...(r.error ? { error: r.error } : {}),
          metrics: r.metrics,
          anomalies: r.anomalies.map((a) => ({
            key: a.key,
            start: a.start,
            end: a.end,
            observed: a.observed,
            expected: a.expected,
            score: a.score,
            severity: a.severity ?? r.severity,
            message: a.message,
          })),
        })),
        notifications,
      },
      null,
      2,
    ) + '\n'
  );
}

const STATUS_LABEL: Record<CheckResult['status'], string> = { ok: 'ok', alert: 'ALERT', error: 'ERROR', skipped: 'skipped' };

/** A compact table (check, type, status, anomalies, duration) and the anomalies in words. */
export function runTable(results: CheckResult[]): string {
  const header = ['CHECK', 'TYPE', 'STATUS', 'ANOMALIES', 'DURATION'];
  const rows = results.map((r) => [
    r.check,
    r.type,
    STATUS_LABEL[r.status],
    String(r.anomalies.length),
    `${Math.round(r.durationMs)} ms`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  const details: string[] = [];
  for (const r of results) {
    if (r.status === 'error') details.push(`  ✗ ${r.check}: ${r.error}`);
    else if (r.status === 'skipped') details.push(`  – ${r.check}: skipped (${r.error ?? 'nothing to judge'})`);
    for (const a of r.anomalies) {
      // Messages that already start with their key ("pos_b: sales dropped…") are not prefixed twice.
      const text = a.message.startsWith(`${a.key}:`) || a.message.startsWith(`${a.key} `) ? a.message : `${a.key}: ${a.message}`;
      details.push(`  ${icon(a.severity ?? r.severity)} ${r.check} · ${text}`);
    }
  }
  if (details.length) out.push('', ...details);
  return out.join('\n') + '\n';
}

function icon(severity: string): string {
  return severity === 'critical' ? '🔴' : severity === 'warning' ? '🟠' : '🔵';
}
