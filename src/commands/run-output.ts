import type { CheckResult, CheckStatus } from '../types.js';
import { ExitCode } from '../errors.js';
import type { OutboxEntry } from '../alerts/outbox.js';
import { toIso } from '../time.js';
import { plural } from '../text.js';

/**
 * Version of the `anomaly run --json` document (docs/commands.md). Raised when a field changes
 * meaning or goes away; new fields may appear without a raise.
 */
export const RUN_JSON_SCHEMA_VERSION = 1;

/** The alert fingerprint of an anomaly: what `anomaly snooze` takes. */
export function fingerprintOf(check: string, key: string): string {
  return `${check}:${key}`;
}

/** What the notifications part of a run reports (the `notifications` field of `--json`). */
export type NotifyReport =
  | { mode: 'dry-run'; note: string }
  | {
      mode: 'live';
      off: string[];
      newAlerts: number;
      /** Alerts whose notification was queued in the outbox this run. */
      notified: number;
      resolved: number;
      snoozed: number;
      /** Outbox items delivered this run (older ones included). */
      delivered: number;
      /** Outbox items still queued after this run. */
      pending: number;
      failed: { destination: string; error: string; fix?: string }[];
      /** Outbox items given up in this run (pending for more than 7 days): exit 3 (docs/failures.md). */
      expired?: OutboxEntry[];
      /** Outbox items still pending after ANOMALY_OUTBOX_MAX_AGE: exit 3. */
      stuck?: OutboxEntry[];
      stuckAfterMs?: number;
      /** The Google key file is broken while Sheets is configured: its message (exit 78). */
      sheetsError?: string;
      /** Delivered, but with something to know (e.g. Slack's history scope missing: docs/exactly-once.md). */
      warnings?: string[];
    };

/**
 * The run's exit code: 78 the Google key file is broken, then 2 a check errored, then 3 a
 * notification failed, is stuck past ANOMALY_OUTBOX_MAX_AGE or was given up, then 1 an alert with
 * --fail-on-alert, else 0 (docs/failures.md).
 */
export function runExitCode(
  results: CheckResult[],
  notifications: { mode: string; failed?: unknown[]; stuck?: unknown[]; expired?: unknown[]; sheetsError?: string },
  failOnAlert: boolean,
): number {
  if (notifications.mode === 'live' && notifications.sheetsError) return ExitCode.badConfig;
  if (results.some((r) => r.status === 'error')) return ExitCode.checkErrored;
  const n = notifications;
  if (n.mode === 'live' && (n.failed?.length ?? 0) + (n.stuck?.length ?? 0) + (n.expired?.length ?? 0) > 0) return ExitCode.notifyFailed;
  if (failOnAlert && results.some((r) => r.status === 'alert')) return 1;
  return ExitCode.ok;
}

/** Checks per status and anomalies in all: the `summary` of `--json`. */
export function runSummary(results: CheckResult[], exitCode: number): {
  checks: number;
  byStatus: Record<CheckStatus, number>;
  anomalies: number;
  exitCode: number;
} {
  const byStatus: Record<CheckStatus, number> = { ok: 0, alert: 0, error: 0, skipped: 0 };
  for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  return { checks: results.length, byStatus, anomalies: results.reduce((n, r) => n + r.anomalies.length, 0), exitCode };
}

/** The `--json` document of `anomaly run` (docs/commands.md; scripts rely on it). */
export function runJson(at: number, runId: string, results: CheckResult[], notifications: object, exitCode: number = runExitCode(results, notifications as { mode: string }, false)): string {
  return (
    JSON.stringify(
      {
        schemaVersion: RUN_JSON_SCHEMA_VERSION,
        at: toIso(at),
        runId,
        summary: runSummary(results, exitCode),
        checks: results.map((r) => ({
          name: r.check,
          type: r.type,
          status: r.status,
          severity: r.severity,
          durationMs: r.durationMs,
          ...(r.error ? { error: r.error } : {}),
          metrics: r.metrics,
          anomalies: r.anomalies.map((a) => ({
            fingerprint: fingerprintOf(r.check, a.key),
            key: a.key,
            start: a.start,
            end: a.end,
            observed: a.observed,
            expected: a.expected,
            score: a.score,
            severity: a.severity ?? r.severity,
            message: a.message,
            // `stay`: keeps a firing alert alive, starts none (hysteresis, docs/detection.md).
            ...(a.evidence ? { evidence: a.evidence } : {}),
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
/** SGR colours of the STATUS column on a terminal: red alert, magenta error, dim skipped, green ok. */
const STATUS_COLOR: Record<CheckResult['status'], string> = { ok: '32', alert: '1;31', error: '1;35', skipped: '2' };

export interface TableOptions {
  /** ANSI colours in the STATUS column (a terminal without NO_COLOR / --no-color). */
  color?: boolean;
}

/** A compact table (check, type, status, anomalies, duration) and the anomalies in words. */
export function runTable(results: CheckResult[], opts: TableOptions = {}): string {
  const header = ['CHECK', 'TYPE', 'STATUS', 'ANOMALIES', 'DURATION'];
  const rows = results.map((r) => [
    r.check,
    r.type,
    STATUS_LABEL[r.status],
    anomalyCount(r),
    `${Math.round(r.durationMs)} ms`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], status?: CheckStatus) =>
    cells
      .map((c, i) => {
        const padded = i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
        // Padding first, then colour: escape codes take no columns on screen.
        return i === 2 && status && opts.color ? `\x1b[${STATUS_COLOR[status]}m${c}\x1b[0m${padded.slice(c.length)}` : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map((r, i) => line(r, results[i]!.status))];
  const details: string[] = [];
  for (const r of results) {
    if (r.status === 'error') details.push(`  ✗ ${r.check}: ${r.error}`);
    else if (r.status === 'skipped') details.push(`  – ${r.check}: skipped (${r.error ?? 'nothing to judge'})`);
    for (const a of r.anomalies) {
      // Messages that already start with their key ("pos_b: sales dropped…") are not prefixed twice.
      const text = a.message.startsWith(`${a.key}:`) || a.message.startsWith(`${a.key} `) ? a.message : `${a.key}: ${a.message}`;
      // A stay-level anomaly keeps a firing alert open but starts none (hysteresis): say so.
      details.push(`  ${icon(a.severity ?? r.severity)} ${r.check} · ${text}${a.evidence === 'stay' ? ' [stay level: keeps a firing alert open, starts none]' : ''}`);
    }
  }
  if (details.length) out.push('', ...details);
  return out.join('\n') + '\n';
}

/** The ANOMALIES cell: the count, and how many of them are stay level ("3 (1 stay)"). */
function anomalyCount(r: CheckResult): string {
  const stay = r.anomalies.filter((a) => a.evidence === 'stay').length;
  return stay === 0 ? String(r.anomalies.length) : `${r.anomalies.length} (${stay} stay)`;
}

/** The errored checks alone, one line each: what --quiet still prints (to stderr). */
export function runErrors(results: CheckResult[]): string {
  return results
    .filter((r) => r.status === 'error')
    .map((r) => `anomaly: check ${r.check} failed: ${r.error ?? 'unknown error'}\n`)
    .join('');
}

function icon(severity: string): string {
  return severity === 'critical' ? '🔴' : severity === 'warning' ? '🟠' : '🔵';
}

/**
 * What happened to the notifications, in words that stay true: a notification is "queued" when
 * it is written to the outbox and "delivered" only once the destination accepted it.
 */
export function describeNotifications(n: NotifyReport): string {
  if (n.mode === 'dry-run') return `Notifications: ${n.note}.`;
  const lines: string[] = [];
  for (const o of n.off) lines.push(`Notifications: ${o}: not notified.`);
  const alerts = `Alerts: ${n.newAlerts} new, ${n.resolved} resolved, ${n.snoozed} snoozed`;
  let outbox: string;
  if (n.notified === 0 && n.delivered === 0 && n.pending === 0) outbox = 'nothing to send';
  else {
    outbox = `${plural(n.notified, 'alert')} queued for notification; ${plural(n.delivered, 'message')} delivered`;
    if (n.pending > 0) outbox += `, ${n.pending} still queued (\`anomaly outbox\`; the next run sends ${n.pending === 1 ? 'it' : 'them'} first)`;
  }
  lines.push(`${alerts} · ${outbox}`);
  for (const f of n.failed) lines.push(`  ✗ ${f.destination}: ${f.error}${f.fix ? ` — fix: ${f.fix}` : ''}`);
  for (const w of n.warnings ?? []) lines.push(`  ⚠ ${w}`);
  return lines.join('\n');
}
