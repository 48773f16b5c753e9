import type { Logger } from '../log.js';
import { scrubSecrets } from '../log.js';
import type { DeliveryReceipt, Destination, Notification, Notifier } from '../notify/types.js';
import { DeliveryError, destinationOf } from '../notify/types.js';
import { DAY, fromDbTime, toDbTime, toIso } from '../time.js';
import { journaledNotifier } from './delivery-attempts.js';
import type { StateStore } from './store.js';

/** Items still pending after this long are given up as `dead` (shown by `anomaly outbox`). */
export const OUTBOX_MAX_AGE_MS = 7 * DAY;

export type OutboxStatus = 'pending' | 'sent' | 'dead';

interface OutboxRow {
  id: number;
  created_at: string;
  run_id: string;
  destination: Destination;
  kind: Notification['kind'];
  payload_json: string;
  depends_on: number | null;
  status: OutboxStatus;
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
  receipt_json: string | null;
}

/** Adds one notification to the outbox; call inside the transaction that changes the state it reports. */
export function enqueue(
  store: StateStore,
  item: { createdAt: number; runId: string; notification: Notification; dependsOn?: number },
): number {
  const info = store.db
    .prepare(
      `INSERT INTO outbox (created_at, run_id, destination, kind, payload_json, depends_on)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(
      toDbTime(item.createdAt),
      item.runId,
      destinationOf(item.notification),
      item.notification.kind,
      JSON.stringify(item.notification),
      item.dependsOn ?? null,
    );
  return Number(info.lastInsertRowid);
}

/** Marks items pending for longer than OUTBOX_MAX_AGE_MS, and items whose parent died, as dead. */
export function expireOutbox(store: StateStore, now: number): number {
  const db = store.db;
  return db.transaction(() => {
    let changed = db
      .prepare(
        `UPDATE outbox SET status = 'dead',
           last_error = COALESCE(last_error || '; ', '') || 'gave up: pending for more than 7 days'
         WHERE status = 'pending' AND created_at < ?`,
      )
      .run(toDbTime(now - OUTBOX_MAX_AGE_MS)).changes;
    // A chart or an edit of a digest that will never be posted can never be sent either.
    for (;;) {
      const n = db
        .prepare(
          `UPDATE outbox SET status = 'dead', last_error = 'gave up: the message it belongs to (outbox #' || depends_on || ') was never delivered'
           WHERE status = 'pending' AND depends_on IN (SELECT id FROM outbox WHERE status = 'dead')`,
        )
        .run().changes;
      if (n === 0) break;
      changed += n;
    }
    return changed;
  })();
}

export interface DrainResult {
  delivered: number;
  failed: { id: number; destination: Destination; error: string; fix?: string }[];
  pending: number;
  /** Present when a delivery succeeded with something to say (e.g. Slack's history scope missing). */
  warnings?: string[];
}

export interface DrainOptions {
  /** Sends one notification (the lead passes deliverWithRetry with the configured policy). */
  deliver: (notifier: Notifier, n: Notification) => Promise<DeliveryReceipt>;
  log?: Logger;
  now: () => number;
}

/**
 * Sends pending items oldest first, each exactly once. A destination's first failure stops that
 * destination for this drain (so its messages stay in order) but never the other destination.
 * Items whose destination has no notifier are left pending (they expire after 7 days).
 */
export async function drainOutbox(
  store: StateStore,
  notifiers: Partial<Record<Destination, Notifier>>,
  opts: DrainOptions,
): Promise<DrainResult> {
  const db = store.db;
  expireOutbox(store, opts.now());
  const items = db.prepare(`SELECT * FROM outbox WHERE status = 'pending' ORDER BY id`).all() as OutboxRow[];
  const getItem = db.prepare(`SELECT * FROM outbox WHERE id = ?`);
  const blocked = new Set<Destination>();
  const result: DrainResult = { delivered: 0, failed: [], pending: 0 };

  for (const item of items) {
    const notifier = notifiers[item.destination];
    if (!notifier || blocked.has(item.destination)) continue;
    let notification = JSON.parse(item.payload_json) as Notification;
    if (item.depends_on !== null) {
      const parent = getItem.get(item.depends_on) as OutboxRow | undefined;
      if (!parent || parent.status === 'pending') {
        // Its digest failed earlier in this drain (or in a destination we cannot reach): wait, in order.
        blocked.add(item.destination);
        continue;
      }
      const parentSlack = parent.receipt_json ? (JSON.parse(parent.receipt_json) as DeliveryReceipt).slack : undefined;
      if (parent.status === 'dead' || !parentSlack) {
        markDead(store, item.id, `the message it belongs to (outbox #${parent.id}) was never delivered`);
        continue;
      }
      notification = withParentMessage(notification, parentSlack);
    }

    try {
      // Every attempt is journaled before it starts, so a retry (now or after a crash) knows to look first.
      const receipt = await opts.deliver(journaledNotifier(store, item.id, notifier, opts.now), withDeliveryId(notification, item));
      markSent(store, item, receipt, opts.now());
      result.delivered++;
      if (receipt.warnings?.length) (result.warnings ??= []).push(...receipt.warnings);
      opts.log?.info({ outboxId: item.id, destination: item.destination, kind: item.kind }, 'notification delivered');
    } catch (error) {
      blocked.add(item.destination);
      const message = scrubSecrets(error instanceof Error ? error.message : String(error));
      const fix = error instanceof DeliveryError ? error.fix : undefined;
      db.prepare(`UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`).run(message, item.id);
      result.failed.push({ id: item.id, destination: item.destination, error: message, ...(fix ? { fix } : {}) });
      opts.log?.warn(
        { outboxId: item.id, destination: item.destination, kind: item.kind, err: message, fix },
        'notification not delivered; it stays queued for the next run',
      );
    }
  }
  result.pending = (db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'`).get() as { n: number }).n;
  return result;
}

/** Slack items carry `<run id>/<outbox id>`, unique across state databases, in their message metadata. */
function withDeliveryId(n: Notification, item: OutboxRow): Notification {
  return n.kind === 'sheets.append' ? n : { ...n, deliveryId: `${item.run_id}/${item.id}` };
}

/** Points a chart upload or a message edit at the digest message its parent item created. */
function withParentMessage(n: Notification, parent: { channel: string; ts: string }): Notification {
  if (n.kind === 'slack.file') return { ...n, channel: parent.channel, threadTs: parent.ts };
  if (n.kind === 'slack.update') return { ...n, channel: parent.channel, ts: parent.ts };
  return n;
}

function markDead(store: StateStore, id: number, reason: string): void {
  store.db.prepare(`UPDATE outbox SET status = 'dead', last_error = ? WHERE id = ?`).run('gave up: ' + reason, id);
}

/** Marks the item sent and, for a digest, remembers which message announced its alerts: one transaction. */
function markSent(store: StateStore, item: OutboxRow, receipt: DeliveryReceipt, now: number): void {
  const db = store.db;
  db.transaction(() => {
    db.prepare(
      `UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, receipt_json = ? WHERE id = ?`,
    ).run(toDbTime(now), JSON.stringify(receipt), item.id);
    if (item.kind === 'slack.digest' && receipt.slack) {
      db.prepare(`UPDATE slack_messages SET channel = ?, ts = ? WHERE outbox_id = ?`).run(
        receipt.slack.channel,
        receipt.slack.ts,
        item.id,
      );
      db.prepare(`UPDATE alerts SET slack_channel = ?, slack_ts = ? WHERE digest_outbox_id = ?`).run(
        receipt.slack.channel,
        receipt.slack.ts,
        item.id,
      );
    }
  })();
}

export interface OutboxEntry {
  id: number;
  /** ISO. */
  createdAt: string;
  ageMs: number;
  runId: string;
  destination: Destination;
  kind: Notification['kind'];
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  /** ISO, for sent items. */
  sentAt: string | null;
  dependsOn: number | null;
}

function toEntry(r: OutboxRow, now: number): OutboxEntry {
  const created = fromDbTime(r.created_at);
  return {
    id: r.id,
    createdAt: toIso(created),
    ageMs: Math.max(0, now - created),
    runId: r.run_id,
    destination: r.destination,
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    sentAt: r.sent_at ? toIso(fromDbTime(r.sent_at)) : null,
    dependsOn: r.depends_on,
  };
}

/** Items waiting to be sent, oldest first. */
export function pendingOutbox(store: StateStore, now: number = Date.now()): OutboxEntry[] {
  const rows = store.db.prepare(`SELECT * FROM outbox WHERE status = 'pending' ORDER BY id`).all() as OutboxRow[];
  return rows.map((r) => toEntry(r, now));
}

/**
 * Pending and dead items plus sent ones created in the last `recentMs` (default 7 days), oldest
 * first. Dead items stay listed because each is a notification that never arrived.
 */
export function recentOutbox(store: StateStore, now: number, recentMs: number = OUTBOX_MAX_AGE_MS): OutboxEntry[] {
  const rows = store.db
    .prepare(`SELECT * FROM outbox WHERE status <> 'sent' OR created_at >= ? ORDER BY id`)
    .all(toDbTime(now - recentMs)) as OutboxRow[];
  return rows.map((r) => toEntry(r, now));
}
