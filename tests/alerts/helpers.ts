import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AlertPolicy } from '../../src/alerts/index.js';
import { StateStore, drainOutbox } from '../../src/alerts/index.js';
import type { DeliveryReceipt, Destination, Notification, Notifier } from '../../src/notify/types.js';
import { DeliveryError } from '../../src/notify/types.js';
import type { Anomaly, CheckResult, Severity } from '../../src/types.js';
import { HOUR } from '../../src/time.js';

export const T0 = Date.UTC(2026, 10, 20, 15, 0, 0);

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-test-'));
}

export function openTempStore(): { store: StateStore; dir: string; file: string } {
  const dir = tempDir();
  const file = path.join(dir, 'state', 'state.db');
  return { store: StateStore.open(file), dir, file };
}

export function anomaly(key: string, extra: Partial<Anomaly> = {}): Anomaly {
  return {
    key,
    start: '2026-11-20T14:00:00Z',
    end: '2026-11-20T15:00:00Z',
    observed: 10,
    expected: 2,
    score: 5,
    message: `${key} is 10, normal 2`,
    ...extra,
  };
}

export function result(check: string, anomalies: Anomaly[], extra: Partial<CheckResult> = {}): CheckResult {
  return {
    check,
    type: 'sql',
    description: `${check} description`,
    status: anomalies.length ? 'alert' : 'ok',
    severity: 'warning',
    anomalies,
    metrics: { rows: 42 },
    durationMs: 12,
    ...extra,
  };
}

export function policy(check: string, extra: Partial<AlertPolicy> = {}): AlertPolicy {
  return {
    check,
    description: `${check} description`,
    severity: 'warning' as Severity,
    repeatIntervalMs: 4 * HOUR,
    resolveAfter: 1,
    slack: { enabled: true },
    ...extra,
  };
}

export function policies(...list: AlertPolicy[]): Map<string, AlertPolicy> {
  return new Map(list.map((p) => [p.check, p]));
}

/**
 * An in-memory destination that records what it was sent. `failWith` makes every send fail until
 * cleared; Slack receipts carry increasing message timestamps.
 */
export class FakeNotifier implements Notifier {
  readonly sent: Notification[] = [];
  failWith: DeliveryError | undefined;
  attempts = 0;
  private seq = 0;

  constructor(readonly destination: Destination) {}

  async send(n: Notification): Promise<DeliveryReceipt> {
    this.attempts++;
    if (this.failWith) throw this.failWith;
    this.sent.push(n);
    this.seq++;
    if (n.kind === 'slack.digest') return { slack: { channel: n.channel, ts: `1700000000.${String(this.seq).padStart(6, '0')}` } };
    if (n.kind === 'slack.update') return { slack: { channel: n.channel, ts: n.ts } };
    if (n.kind === 'slack.file') return { slack: { channel: n.channel, ts: n.threadTs } };
    return { sheets: { tab: n.tab } };
  }
}

export const retryable = (msg = 'slack is down (HTTP 503)') => new DeliveryError(msg, true);

export function drain(store: StateStore, notifiers: Partial<Record<Destination, Notifier>>, now: number) {
  return drainOutbox(store, notifiers, { deliver: (notifier, n) => notifier.send(n), now: () => now });
}

export function alertRow(store: StateStore, fingerprint: string): Record<string, unknown> | undefined {
  return store.db.prepare('SELECT * FROM alerts WHERE fingerprint = ?').get(fingerprint) as Record<string, unknown> | undefined;
}

export function outboxRows(store: StateStore): { id: number; kind: string; status: string; depends_on: number | null; payload: Notification }[] {
  return (store.db.prepare('SELECT id, kind, status, depends_on, payload_json FROM outbox ORDER BY id').all() as {
    id: number;
    kind: string;
    status: string;
    depends_on: number | null;
    payload_json: string;
  }[]).map((r) => ({ id: r.id, kind: r.kind, status: r.status, depends_on: r.depends_on, payload: JSON.parse(r.payload_json) as Notification }));
}

export type Digest = Extract<Notification, { kind: 'slack.digest' }>;
export type Update = Extract<Notification, { kind: 'slack.update' }>;
export type SlackFile = Extract<Notification, { kind: 'slack.file' }>;
export type SheetsAppend = Extract<Notification, { kind: 'sheets.append' }>;
