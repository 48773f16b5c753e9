import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { StateStore } from '../alerts/store.js';
import type { CheckDefinition } from '../checks/check-type.js';
import { alertPolicies } from '../checks/alert-policies.js';
import { prepareChecks } from '../checks/prepare.js';
import { staleNotice } from '../checks/freshness.js';
import { evaluateChecks } from '../checks/run-checks.js';
import { databaseFileError, UsageError } from '../errors.js';
import type { OutboxEntry } from '../alerts/outbox.js';
import { OUTBOX_GIVE_UP_DAYS } from '../alerts/outbox-health.js';
import { formatElapsed } from '../alerts/format.js';
import { acquireLock } from '../lock.js';
import { HOUR, parseDuration, readInstant, toIso } from '../time.js';
import type { CheckResult } from '../types.js';
import type { CommandContext } from './context.js';
import { describeNotifications, runErrors, runExitCode, runJson, runTable, type NotifyReport } from './run-output.js';

export interface RunOptions {
  at?: string;
  only?: string;
  dryRun?: boolean;
  json?: boolean;
  config?: string;
  db?: string;
  failOnAlert?: boolean;
}

/** Parses `--at` (ISO 8601; without an offset it is wall-clock time in ANOMALY_TZ). */
export function resolveAt(text: string | undefined, ctx: CommandContext, flag = '--at'): number {
  if (text === undefined) return ctx.now();
  const r = readInstant(text, ctx.env.ANOMALY_TZ);
  if ('problem' in r) throw new UsageError(`${flag} ${JSON.stringify(text)} ${r.problem}`);
  return r.ms;
}

/**
 * `anomaly run`: evaluate the checks as of --at, record every result, update alert state and
 * deliver notifications through the outbox. Exit codes: see runExitCode (docs/failures.md).
 */
export async function runCommand(ctx: CommandContext, opts: RunOptions): Promise<number> {
  const at = resolveAt(opts.at, ctx);
  const startedAt = ctx.now();
  const statePath = resolve(ctx.env.ANOMALY_STATE_DB);
  mkdirSync(dirname(statePath), { recursive: true });
  const prepared = await prepareChecks({ config: opts.config ?? ctx.env.ANOMALY_CONFIG, db: opts.db ?? ctx.env.ANOMALY_DB, env: ctx.env, only: opts.only });
  const lock = acquireLock(statePath + '.run.lock', 'anomaly run');
  try {
    const cache = new Map<string, unknown>();
    const results = await evaluateChecks(prepared.checks, prepared.types, { engine: prepared.engine, at, tz: ctx.env.ANOMALY_TZ, log: ctx.log, cache });
    await prepared.engine.close();

    const { StateStore, stateRecovery } = await import('../alerts/store.js');
    const { newRunId, recordRun } = await import('../alerts/runs.js');
    const store = StateStore.open(statePath);
    if (store.created) {
      // A dry run announces nothing: say what the missing history means for the next live run.
      const consequence = opts.dryRun
        ? 'no alert history yet: this dry run announces nothing; the first live run announces every firing alert as new'
        : 'no alert history: every firing alert is announced as new';
      const warning = `state database ${statePath} did not exist: created a new one (${consequence})`;
      ctx.err(`warning: ${warning}\n`);
      ctx.log.warn({ stateDb: statePath }, warning);
    }
    try {
      const runId = newRunId(at, startedAt);
      recordRun(store, { runId, at, startedAt, finishedAt: ctx.now(), dryRun: Boolean(opts.dryRun), results });
      const notifications: NotifyReport = opts.dryRun
        ? { mode: 'dry-run', note: 'dry run: nobody notified, alert state unchanged' }
        : await notify(ctx, store, runId, at, results, prepared.checks, new Set(prepared.all.map((c) => c.name)));
      (await import('../alerts/retention.js')).pruneAfterRun(store, { now: ctx.now(), retentionMs: prepared.retentionMs, log: ctx.log });

      const exitCode = runExitCode(results, notifications, Boolean(opts.failOnAlert));
      if (opts.json) ctx.out(runJson(at, runId, results, notifications, exitCode));
      else {
        ctx.out(`anomaly run at ${toIso(at)} (${ctx.env.ANOMALY_TZ}) · run ${runId} · ${results.length} checks\n\n`);
        const stale = staleNotice(results);
        if (stale) ctx.out(`⚠ ${stale}\n\n`);
        ctx.out(runTable(results, { color: ctx.color }));
        ctx.out('\n' + describeNotifications(notifications) + '\n');
      }
      // Under --quiet the table is not printed, but a failure still is.
      if (ctx.quiet && !opts.json) ctx.error?.(runErrors(results) + failedDeliveries(notifications));
      if (notifications.mode === 'live') reportLoudFailures(ctx, notifications);
      ctx.log.info({ runId, at: toIso(at), checks: results.length, notifications, exitCode }, 'run finished');
      return exitCode;
    } catch (error) {
      // "database or disk is full" alone does not say which database.
      throw databaseFileError(error, 'state database', statePath, stateRecovery(statePath));
    } finally {
      store.close();
    }
  } finally {
    lock.release();
  }
}

async function notify(
  ctx: CommandContext,
  store: StateStore,
  runId: string,
  at: number,
  results: CheckResult[],
  checks: CheckDefinition[],
  configuredChecks: ReadonlySet<string>,
): Promise<NotifyReport> {
  const { createNotifiers } = await import('../notify/index.js');
  const { deliverWithRetry, retryPolicyFromEnv } = await import('../notify/retry.js');
  const { planNotifications } = await import('../alerts/plan.js');
  const { drainOutbox } = await import('../alerts/outbox.js');
  const { expireOutboxLoudly, stuckOutbox } = await import('../alerts/outbox-health.js');

  const notifiers = await createNotifiers(ctx.env, ctx.log);
  const stuckAfterMs = parseDuration(ctx.env.ANOMALY_OUTBOX_MAX_AGE) ?? HOUR;
  const slackChannel = ctx.env.SLACK_ALERT_CHANNEL_ID;
  const slackOn = Boolean(notifiers.slack && slackChannel);
  const off = [...notifiers.missing];
  if (notifiers.slack && !slackChannel) off.push('Slack: SLACK_ALERT_CHANNEL_ID unset');

  const policies = alertPolicies(checks);

  // Charts are rendered only when Slack will carry them (rendering loads vega and resvg).
  let charts: Map<string, string> | undefined;
  if (slackOn) charts = await renderAlertCharts(ctx, results);

  const plan = planNotifications(store, {
    runId,
    at,
    results,
    policies,
    // A broken Sheets key still queues the rows: they go out once the key is fixed.
    destinations: {
      ...(slackOn ? { slack: { defaultChannel: slackChannel! } } : {}),
      ...(notifiers.sheets || notifiers.sheetsError ? { sheets: true } : {}),
    },
    charts,
    now: ctx.now(),
    configuredChecks,
  });
  const policy = retryPolicyFromEnv(ctx.env);
  const expired = expireOutboxLoudly(store, ctx.now());
  const drained = await drainOutbox(
    store,
    { ...(slackOn ? { slack: notifiers.slack } : {}), ...(notifiers.sheets ? { sheets: notifiers.sheets } : {}) },
    { deliver: (n, item) => deliverWithRetry(n, item, policy, { log: ctx.log }), log: ctx.log, now: ctx.now },
  );
  return {
    mode: 'live',
    off,
    newAlerts: plan.newAlerts.length,
    notified: plan.notified.length,
    resolved: plan.resolved.length,
    snoozed: plan.snoozed.length,
    delivered: drained.delivered,
    pending: drained.pending,
    failed: drained.failed.map((f) => ({ destination: f.destination, error: f.error, ...(f.fix ? { fix: f.fix } : {}) })),
    expired,
    stuck: stuckOutbox(store, ctx.now(), stuckAfterMs),
    stuckAfterMs,
    ...(notifiers.sheetsError ? { sheetsError: notifiers.sheetsError.message } : {}),
    warnings: drained.warnings ?? [],
  };
}

async function renderAlertCharts(ctx: CommandContext, results: CheckResult[]): Promise<Map<string, string>> {
  const charts = new Map<string, string>();
  const alerting = results.filter((r) => r.status === 'alert' && r.chart);
  if (!alerting.length) return charts;
  const { renderPng } = await import('../report/render.js');
  for (const r of alerting) {
    try {
      charts.set(r.check, (await renderPng(r.chart!, { tz: ctx.env.ANOMALY_TZ })).toString('base64'));
    } catch (error) {
      ctx.log.warn({ check: r.check, err: (error as Error).message }, 'chart could not be rendered; the alert goes without it');
    }
  }
  return charts;
}

/**
 * Says on stderr and in the log what must not pass quietly: notifications given up or stuck in
 * the outbox, and a broken Google key file (docs/failures.md).
 */
function reportLoudFailures(ctx: CommandContext, n: Extract<NotifyReport, { mode: 'live' }>): void {
  const describe = (e: OutboxEntry) =>
    `#${e.id} ${e.kind} (queued ${formatElapsed(e.ageMs)} ago, ${e.attempts} attempt(s)${e.lastError ? `, last error: ${e.lastError.slice(0, 200)}` : ''})`;
  for (const e of n.expired ?? []) {
    ctx.err(`anomaly: notification given up undelivered after ${OUTBOX_GIVE_UP_DAYS} days: ${describe(e)}\n`);
    ctx.log.error({ outboxId: e.id, destination: e.destination, kind: e.kind, createdAt: e.createdAt, lastError: e.lastError }, 'notification given up');
  }
  const stuck = n.stuck ?? [];
  if (stuck.length) {
    ctx.err(
      `anomaly: ${stuck.length} notification(s) undelivered for more than ${formatElapsed(n.stuckAfterMs ?? 0)} (ANOMALY_OUTBOX_MAX_AGE): ` +
        `${stuck.slice(0, 5).map(describe).join('; ')}${stuck.length > 5 ? '; …' : ''} — see \`anomaly outbox\`\n`,
    );
    ctx.log.error({ stuck: stuck.map((e) => ({ id: e.id, kind: e.kind, createdAt: e.createdAt, lastError: e.lastError })) }, 'notifications stuck in the outbox');
  }
  if (n.sheetsError) ctx.err(`anomaly: ${n.sheetsError} (the Sheets rows stay queued until it is fixed)\n`);
}

function failedDeliveries(n: NotifyReport): string {
  if (n.mode !== 'live') return '';
  return n.failed.map((f) => `anomaly: ${f.destination}: ${f.error}${f.fix ? ` — fix: ${f.fix}` : ''}\n`).join('');
}
