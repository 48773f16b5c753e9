import type { Anomaly, CheckResult, Severity } from '../types.js';
import { firesWith, resolvesAt } from '../detect/hysteresis.js';
import type { DigestAlert, Notification } from '../notify/types.js';
import { escapeMrkdwn } from '../notify/slack/format.js';
import { fromDbTime, toDbTime, toIso } from '../time.js';
import { CHECK_ERRORS_TAB, checkErrorAnomaly, isCheckErrorKey } from './check-errors.js';
import { formatElapsed } from './format.js';
import { enqueue } from './outbox.js';
import type { AlertPolicy } from './policy.js';
import { defaultPolicy } from './policy.js';
import { anomalyTabAppend, checkResultsAppend } from './sheets-rows.js';
import { activeSnoozeTargets } from './snooze.js';
import type { StateStore } from './store.js';

export interface PlanInput {
  runId: string;
  /** The instant the checks evaluated (drives first_seen, repeat intervals and resolution). */
  at: number;
  results: CheckResult[];
  /** By check name; a check without one gets defaultPolicy(). */
  policies: Map<string, AlertPolicy>;
  /** Only the destinations present here get items (a run without Slack credentials queues none). */
  destinations: { slack?: { defaultChannel: string }; sheets?: boolean };
  /** PNG (base64) by check name, uploaded into the thread of the digest that carries the check. */
  charts?: Map<string, string>;
  /** Wall-clock time, for snoozes and the outbox's created_at (default Date.now()). */
  now?: number;
  /**
   * Every check in the configuration (not only those run). Firing alerts of a check that is no
   * longer configured are resolved, instead of firing for ever.
   */
  configuredChecks?: ReadonlySet<string>;
}

export interface PlanSummary {
  /** Fingerprints that started firing in this run. */
  newAlerts: string[];
  /** Fingerprints notified in this run (new or repeat). */
  notified: string[];
  /** Fingerprints resolved in this run. */
  resolved: string[];
  /** Fingerprints due for notification but held back by a snooze. */
  snoozed: string[];
  /** Ids of the outbox items written, in order. */
  outboxIds: number[];
  digests: number;
}

interface AlertRow {
  fingerprint: string;
  check_name: string;
  key: string;
  state: 'firing' | 'resolved';
  severity: Severity;
  first_seen: string;
  last_seen: string;
  last_notified: string | null;
  clean_runs: number;
  resolved_at: string | null;
  anomaly_json: string;
  digest_outbox_id: number | null;
  suppressed: number;
}

interface DueAlert {
  fingerprint: string;
  check: string;
  description: string;
  policy: AlertPolicy;
  anomaly: Anomaly;
  severity: Severity;
  firstSeen: string;
}

interface ResolvedAlert {
  fingerprint: string;
  check: string;
  key: string;
  firstSeen: string;
  resolvedAt: string;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export function fingerprintOf(check: string, key: string): string {
  return `${check}:${key}`;
}

/**
 * Updates alert state from this run's results and writes the notifications that follow into the
 * outbox, all in one transaction: either both happen or neither does.
 */
export function planNotifications(store: StateStore, input: PlanInput): PlanSummary {
  return store.db.transaction(() => plan(store, input))();
}

function plan(store: StateStore, input: PlanInput): PlanSummary {
  const db = store.db;
  const atDb = toDbTime(input.at);
  const now = input.now ?? Date.now();
  const snoozed = activeSnoozeTargets(store, now);
  const slack = input.destinations.slack;
  const sheets = input.destinations.sheets === true;
  const summary: PlanSummary = { newAlerts: [], notified: [], resolved: [], snoozed: [], outboxIds: [], digests: 0 };

  const getAlert = db.prepare(`SELECT * FROM alerts WHERE fingerprint = ?`);
  const upsertNew = db.prepare(
    `INSERT INTO alerts (fingerprint, check_name, key, state, severity, first_seen, last_seen, last_notified, clean_runs,
                         resolved_at, anomaly_json, slack_channel, slack_ts, notify_count, digest_outbox_id, suppressed)
     VALUES (@fingerprint, @check, @key, 'firing', @severity, @at, @at, NULL, 0, NULL, @anomaly, NULL, NULL, 0, NULL, 0)
     ON CONFLICT (fingerprint) DO UPDATE SET
       state = 'firing', severity = excluded.severity, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
       last_notified = NULL, clean_runs = 0, resolved_at = NULL, anomaly_json = excluded.anomaly_json,
       slack_channel = NULL, slack_ts = NULL, notify_count = 0, digest_outbox_id = NULL, suppressed = 0`,
  );
  const stillFiring = db.prepare(
    `UPDATE alerts SET last_seen = ?, clean_runs = 0, severity = ?, anomaly_json = ? WHERE fingerprint = ?`,
  );
  const markSuppressed = db.prepare(`UPDATE alerts SET suppressed = 1 WHERE fingerprint = ?`);
  const markNotified = db.prepare(
    `UPDATE alerts SET last_notified = ?, notify_count = notify_count + 1, suppressed = 0 WHERE fingerprint = ?`,
  );
  const firingOfCheck = db.prepare(`SELECT * FROM alerts WHERE check_name = ? AND state = 'firing' ORDER BY fingerprint`);
  const countClean = db.prepare(`UPDATE alerts SET clean_runs = clean_runs + 1 WHERE fingerprint = ?`);
  const resolve = db.prepare(`UPDATE alerts SET state = 'resolved', resolved_at = ?, suppressed = 0 WHERE fingerprint = ?`);

  const due: DueAlert[] = [];
  const resolvedByDigest = new Map<number, ResolvedAlert[]>();

  /** Fires (or keeps firing) one anomaly's alert and queues it when it is due. */
  const fire = (result: CheckResult, anomaly: Anomaly, policy: AlertPolicy): void => {
    const fingerprint = fingerprintOf(result.check, anomaly.key);
    const severity = anomaly.severity ?? policy.severity;
    const anomalyJson = JSON.stringify(anomaly);
    const row = getAlert.get(fingerprint) as AlertRow | undefined;
    const isNew = !row || row.state === 'resolved';
    if (isNew) {
      upsertNew.run({ fingerprint, check: result.check, key: anomaly.key, severity, at: atDb, anomaly: anomalyJson });
      summary.newAlerts.push(fingerprint);
    } else {
      // Flapping back before resolution keeps first_seen and its message.
      stillFiring.run(atDb, severity, anomalyJson, fingerprint);
    }
    const lastNotified = isNew ? null : row.last_notified;
    const isDue =
      lastNotified === null ||
      input.at - fromDbTime(lastNotified) >= policy.repeatIntervalMs ||
      (!isNew && row.suppressed === 1);
    if (!isDue) return;
    if (snoozed.has(result.check) || snoozed.has(fingerprint)) {
      markSuppressed.run(fingerprint);
      summary.snoozed.push(fingerprint);
      return;
    }
    due.push({
      fingerprint,
      check: result.check,
      description: policy.description || result.description,
      policy,
      anomaly,
      severity,
      firstSeen: isNew ? atDb : row.first_seen,
    });
  };

  for (const result of [...input.results, ...removedChecks(store, input.configuredChecks)]) {
    const policy = input.policies.get(result.check) ?? defaultPolicy(result);
    // A check that could not run says nothing about its other alerts: they neither fire nor
    // resolve. The failure itself is an alert (`<check>:__error__`), resolved by the next clean run.
    if (result.status === 'error') {
      fire(result, checkErrorAnomaly(result, input.at), policy);
      continue;
    }
    if (result.status !== 'ok' && result.status !== 'alert') continue;
    const seen = new Set<string>();

    for (const anomaly of result.anomalies) {
      const fingerprint = fingerprintOf(result.check, anomaly.key);
      if (seen.has(fingerprint)) continue;
      const row = getAlert.get(fingerprint) as AlertRow | undefined;
      // Hysteresis: `stay`-level evidence keeps a firing alert alive but starts none.
      if (!firesWith(anomaly.evidence, row?.state === 'firing')) continue;
      seen.add(fingerprint);
      fire(result, anomaly, policy);
    }

    for (const row of firingOfCheck.all(result.check) as AlertRow[]) {
      if (seen.has(row.fingerprint)) continue;
      countClean.run(row.fingerprint);
      if (!resolvesAt(input.at, fromDbTime(row.last_seen), row.clean_runs + 1, policy)) continue;
      resolve.run(atDb, row.fingerprint);
      summary.resolved.push(row.fingerprint);
      if (slack && row.digest_outbox_id !== null && digestCanBeEdited(store, row.digest_outbox_id)) {
        const list = resolvedByDigest.get(row.digest_outbox_id) ?? [];
        list.push({ fingerprint: row.fingerprint, check: row.check_name, key: row.key, firstSeen: row.first_seen, resolvedAt: atDb });
        resolvedByDigest.set(row.digest_outbox_id, list);
      }
    }
  }

  const createdAt = now;
  const add = (notification: Notification, dependsOn?: number): number => {
    const id = enqueue(store, { createdAt, runId: input.runId, notification, dependsOn });
    summary.outboxIds.push(id);
    return id;
  };

  // Slack: one digest per channel (critical alerts of criticalSeparately checks in their own).
  const slackDue = slack ? due.filter((d) => d.policy.slack.enabled) : [];
  if (slack) {
    for (const group of groupDigests(slackDue, slack.defaultChannel)) {
      const alerts = group.alerts.map((d) => toDigestAlert(d));
      const digestId = add({ kind: 'slack.digest', channel: group.channel, runId: input.runId, at: toIso(input.at), alerts });
      summary.digests++;
      db.prepare(`INSERT INTO slack_messages (outbox_id, run_id, channel, ts, alerts_json) VALUES (?, ?, ?, NULL, ?)`).run(
        digestId,
        input.runId,
        group.channel,
        JSON.stringify(alerts),
      );
      const setDigest = db.prepare(`UPDATE alerts SET digest_outbox_id = ? WHERE fingerprint = ?`);
      for (const d of group.alerts) setDigest.run(digestId, d.fingerprint);
      const chartChecks = [...new Set(group.alerts.map((d) => d.check))];
      for (const check of chartChecks) {
        const png = input.charts?.get(check);
        if (!png) continue;
        const description = group.alerts.find((d) => d.check === check)!.description;
        add(
          {
            kind: 'slack.file',
            channel: group.channel,
            threadTs: '', // filled in from the digest's receipt when it is sent
            filename: `${check.replace(/[^\w.-]+/g, '_')}.png`,
            title: description || check,
            pngBase64: png,
          },
          digestId,
        );
      }
    }
    for (const [digestId, resolved] of resolvedByDigest) add(resolutionUpdate(store, digestId, resolved, input), digestId);
  }

  // Sheets: the run's results every run, each notified check's anomalies to its own tab, and
  // each notified check error to the Check errors tab.
  const sheetsDue = sheets ? due.filter((d) => d.policy.sheetTab && !isCheckErrorKey(d.anomaly.key)) : [];
  const errorsDue = sheets ? due.filter((d) => isCheckErrorKey(d.anomaly.key)) : [];
  if (sheets) {
    add(checkResultsAppend(input.runId, input.at, input.results));
    if (errorsDue.length) {
      add(anomalyTabAppend(input.runId, input.at, CHECK_ERRORS_TAB, errorsDue.map((d) => ({ check: d.check, anomaly: d.anomaly }))));
    }
    const byTab = new Map<string, DueAlert[]>();
    for (const d of sheetsDue) {
      const tab = d.policy.sheetTab!;
      byTab.set(tab, [...(byTab.get(tab) ?? []), d]);
    }
    for (const [tab, list] of byTab) {
      add(anomalyTabAppend(input.runId, input.at, tab, list.map((d) => ({ check: d.check, anomaly: d.anomaly }))));
    }
  }

  // An alert counts as notified only when some destination actually got it.
  const notified = new Set([...slackDue, ...sheetsDue, ...errorsDue].map((d) => d.fingerprint));
  for (const fingerprint of notified) markNotified.run(atDb, fingerprint);
  summary.notified = due.filter((d) => notified.has(d.fingerprint)).map((d) => d.fingerprint);
  return summary;
}

/** False when the digest was given up (dead): an edit of a message that never existed cannot be sent. */
function digestCanBeEdited(store: StateStore, digestId: number): boolean {
  const row = store.db.prepare(`SELECT status FROM outbox WHERE id = ?`).get(digestId) as { status: string } | undefined;
  return row !== undefined && row.status !== 'dead';
}

function toDigestAlert(d: DueAlert): DigestAlert {
  return {
    fingerprint: d.fingerprint,
    check: d.check,
    description: d.description,
    severity: d.severity,
    state: 'firing',
    anomaly: d.anomaly,
    firstSeen: toIso(fromDbTime(d.firstSeen)),
  };
}

/** Critical-only messages first (they matter most), then one digest per channel in order of appearance. */
function groupDigests(due: DueAlert[], defaultChannel: string): { channel: string; alerts: DueAlert[] }[] {
  const groups = new Map<string, { channel: string; alerts: DueAlert[]; own: boolean }>();
  for (const d of due) {
    const channel = d.policy.slack.channel ?? defaultChannel;
    const own = d.policy.slack.criticalSeparately === true && d.severity === 'critical';
    const groupKey = own ? `${channel}\u0000critical\u0000${d.check}` : channel;
    const group = groups.get(groupKey) ?? { channel, alerts: [], own };
    group.alerts.push(d);
    groups.set(groupKey, group);
  }
  for (const g of groups.values()) {
    g.alerts.sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        a.check.localeCompare(b.check) ||
        a.anomaly.key.localeCompare(b.anomaly.key),
    );
  }
  return [...groups.values()].sort((a, b) => Number(b.own) - Number(a.own));
}

/**
 * The edit of an earlier digest: its original alerts, with those resolved now (and any resolved
 * earlier, or since replaced by a newer firing) marked resolved, plus a thread reply per alert.
 */
function resolutionUpdate(store: StateStore, digestId: number, resolved: ResolvedAlert[], input: PlanInput): Notification {
  const db = store.db;
  const message = db.prepare(`SELECT channel, ts, alerts_json FROM slack_messages WHERE outbox_id = ?`).get(digestId) as
    | { channel: string; ts: string | null; alerts_json: string }
    | undefined;
  if (!message) throw new Error(`outbox item #${digestId} has no stored digest to re-render`);
  const nowResolved = new Map(resolved.map((r) => [r.fingerprint, r]));
  const getAlert = db.prepare(`SELECT state, first_seen, resolved_at FROM alerts WHERE fingerprint = ?`);
  const alerts = (JSON.parse(message.alerts_json) as DigestAlert[]).map((a): DigestAlert => {
    if (a.state === 'resolved') return a;
    const r = nowResolved.get(a.fingerprint);
    if (r) return { ...a, state: 'resolved', resolvedAt: toIso(fromDbTime(r.resolvedAt)) };
    const row = getAlert.get(a.fingerprint) as { state: string; first_seen: string; resolved_at: string | null } | undefined;
    const sameIncarnation = row && toIso(fromDbTime(row.first_seen)) === a.firstSeen;
    if (!row || !sameIncarnation) return { ...a, state: 'resolved' };
    if (row.state === 'resolved') {
      return { ...a, state: 'resolved', ...(row.resolved_at ? { resolvedAt: toIso(fromDbTime(row.resolved_at)) } : {}) };
    }
    return a;
  });
  db.prepare(`UPDATE slack_messages SET alerts_json = ? WHERE outbox_id = ?`).run(JSON.stringify(alerts), digestId);
  const threadReply = resolved
    .map((r) => {
      const after = formatElapsed(fromDbTime(r.resolvedAt) - fromDbTime(r.firstSeen));
      return isCheckErrorKey(r.key)
        ? `✅ ${escapeMrkdwn(r.check)} runs cleanly again, after failing for ${after}`
        : `✅ resolved: ${escapeMrkdwn(r.check)} ${escapeMrkdwn(r.key)} after ${after}`;
    })
    .join('\n');
  return {
    kind: 'slack.update',
    channel: message.channel,
    ts: message.ts ?? '', // filled in from the digest's receipt when it is sent
    runId: input.runId,
    at: toIso(input.at),
    alerts,
    threadReply,
  };
}

/** A clean result for each check that has firing alerts but is gone from the configuration. */
function removedChecks(store: StateStore, configured: ReadonlySet<string> | undefined): CheckResult[] {
  if (!configured) return [];
  const firing = store.db.prepare(`SELECT DISTINCT check_name FROM alerts WHERE state = 'firing'`).all() as { check_name: string }[];
  return firing
    .filter((r) => !configured.has(r.check_name))
    .map((r) => ({
      check: r.check_name,
      type: 'removed',
      description: 'check removed from the configuration',
      status: 'ok' as const,
      severity: 'info' as const,
      anomalies: [],
      metrics: {},
      durationMs: 0,
    }));
}
