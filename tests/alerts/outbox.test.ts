import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/alerts/index.js';
import { drainOutbox, pendingOutbox, planNotifications, recentOutbox } from '../../src/alerts/index.js';
import { DeliveryError } from '../../src/notify/types.js';
import { DAY, HOUR, MINUTE } from '../../src/time.js';
import type { Digest, SheetsAppend, SlackFile } from './helpers.js';
import { FakeNotifier, T0, alertRow, anomaly, drain, openTempStore, outboxRows, policies, policy, result, retryable } from './helpers.js';

const BOTH = { slack: { defaultChannel: '#alerts' }, sheets: true };

describe('outbox', () => {
  let store: StateStore;
  let slack: FakeNotifier;
  let sheets: FakeNotifier;

  beforeEach(() => {
    store = openTempStore().store;
    slack = new FakeNotifier('slack');
    sheets = new FakeNotifier('sheets');
  });
  afterEach(() => store.close());

  function plan(runId: string, at: number, keys: string[], extra: { charts?: Map<string, string>; destinations?: typeof BOTH } = {}) {
    return planNotifications(store, {
      runId,
      at,
      results: [result('status_rates', keys.map((k) => anomaly(k)))],
      policies: policies(policy('status_rates', { repeatIntervalMs: 0 })),
      destinations: extra.destinations ?? { slack: BOTH.slack },
      charts: extra.charts,
      now: at,
    });
  }

  it('a failed delivery stays queued; the next drain sends it first and exactly once', async () => {
    plan('run-1', T0, ['a']);
    slack.failWith = retryable();
    const failed = await drain(store, { slack }, T0);
    expect(failed).toMatchObject({ delivered: 0, pending: 1 });
    expect(failed.failed).toEqual([{ id: 1, destination: 'slack', error: 'slack is down (HTTP 503)' }]);
    expect(pendingOutbox(store, T0 + MINUTE)).toMatchObject([{ id: 1, attempts: 1, lastError: 'slack is down (HTTP 503)', ageMs: MINUTE }]);
    // The alert is not yet tied to a message.
    expect(alertRow(store, 'status_rates:a')).toMatchObject({ slack_ts: null });

    slack.failWith = undefined;
    plan('run-2', T0 + HOUR, ['a', 'b']);
    const ok = await drain(store, { slack }, T0 + HOUR);
    expect(ok).toEqual({ delivered: 2, failed: [], pending: 0 });
    expect(slack.sent.map((n) => (n as Digest).runId)).toEqual(['run-1', 'run-2']);
    expect((slack.sent[0] as Digest).alerts.map((a) => a.fingerprint)).toEqual(['status_rates:a']);
    // An alert points at the latest message that announced it.
    expect(alertRow(store, 'status_rates:a')).toMatchObject({ slack_channel: '#alerts', slack_ts: '1700000000.000002' });

    // Nothing is sent twice.
    expect(await drain(store, { slack }, T0 + 2 * HOUR)).toEqual({ delivered: 0, failed: [], pending: 0 });
    expect(slack.sent).toHaveLength(2);
    expect(outboxRows(store).map((r) => r.status)).toEqual(['sent', 'sent']);
  });

  it('after the first failure of a destination its later items wait, so order is kept', async () => {
    plan('run-1', T0, ['a']);
    plan('run-2', T0 + HOUR, ['a']);
    let calls = 0;
    const flaky = {
      destination: 'slack' as const,
      send: async (n: Parameters<FakeNotifier['send']>[0]) => {
        calls++;
        if (calls === 1) throw retryable('timeout');
        return slack.send(n);
      },
    };
    const first = await drainOutbox(store, { slack: flaky }, { deliver: (nt, n) => nt.send(n), now: () => T0 + HOUR });
    expect(first).toMatchObject({ delivered: 0, pending: 2 });
    expect(calls).toBe(1);
    await drainOutbox(store, { slack: flaky }, { deliver: (nt, n) => nt.send(n), now: () => T0 + 2 * HOUR });
    expect(slack.sent.map((n) => (n as Digest).runId)).toEqual(['run-1', 'run-2']);
  });

  it('Slack being down does not stop Sheets, and Sheets being down does not stop Slack', async () => {
    plan('run-1', T0, ['a'], { destinations: BOTH });
    slack.failWith = retryable();
    const r1 = await drain(store, { slack, sheets }, T0);
    expect(r1.delivered).toBe(1);
    expect(sheets.sent.map((n) => n.kind)).toEqual(['sheets.append']);
    expect(r1.failed.map((f) => f.destination)).toEqual(['slack']);

    slack.failWith = undefined;
    sheets.failWith = retryable('sheets quota exceeded');
    plan('run-2', T0 + HOUR, ['a'], { destinations: BOTH });
    const r2 = await drain(store, { slack, sheets }, T0 + HOUR);
    expect(slack.sent.map((n) => (n as Digest).runId)).toEqual(['run-1', 'run-2']);
    expect(r2.failed.map((f) => f.destination)).toEqual(['sheets']);
    expect(r2.pending).toBe(1);
  });

  it('a non-retryable failure stays pending and surfaces its fix', async () => {
    plan('run-1', T0, ['a']);
    slack.failWith = new DeliveryError('channel_not_found', false, { fix: 'invite the bot to the channel: /invite @bot' });
    const r = await drain(store, { slack }, T0);
    expect(r.failed).toEqual([
      { id: 1, destination: 'slack', error: 'channel_not_found', fix: 'invite the bot to the channel: /invite @bot' },
    ]);
    expect(pendingOutbox(store, T0)).toHaveLength(1);
  });

  it('secrets in a delivery error are not stored', async () => {
    plan('run-1', T0, ['a']);
    slack.failWith = retryable('request with token xoxb-123456-abcdef failed');
    const r = await drain(store, { slack }, T0);
    expect(r.failed[0]!.error).toBe('request with token [REDACTED] failed');
    expect(JSON.stringify(store.db.prepare('SELECT * FROM outbox').all())).not.toContain('xoxb');
  });

  it('a chart upload waits for its digest and is posted in the digest’s thread', async () => {
    plan('run-1', T0, ['a'], { charts: new Map([['status_rates', 'iVBORw0KGgo=']]) });
    const rows = outboxRows(store);
    expect(rows.map((r) => [r.id, r.kind, r.depends_on])).toEqual([
      [1, 'slack.digest', null],
      [2, 'slack.file', 1],
    ]);
    slack.failWith = retryable();
    await drain(store, { slack }, T0);
    expect(slack.attempts).toBe(1); // the chart did not go ahead of its message
    expect(pendingOutbox(store, T0).map((e) => e.id)).toEqual([1, 2]);

    slack.failWith = undefined;
    await drain(store, { slack }, T0 + MINUTE);
    const [digest, file] = slack.sent as [Digest, SlackFile];
    expect(digest.kind).toBe('slack.digest');
    expect(file).toMatchObject({ kind: 'slack.file', channel: '#alerts', threadTs: '1700000000.000001', filename: 'status_rates.png', pngBase64: 'iVBORw0KGgo=' });
  });

  it('no chart is uploaded for a check that is not in a digest', async () => {
    plan('run-1', T0, [], { charts: new Map([['status_rates', 'iVBORw0KGgo=']]) });
    expect(outboxRows(store)).toEqual([]);
  });

  it('items pending for more than 7 days become dead, with their dependents', async () => {
    plan('run-1', T0, ['a'], { charts: new Map([['status_rates', 'iVBORw0KGgo=']]) });
    slack.failWith = retryable();
    await drain(store, { slack }, T0 + 6 * DAY);
    expect(pendingOutbox(store, T0 + 6 * DAY)).toHaveLength(2);
    slack.failWith = undefined;
    const r = await drain(store, { slack }, T0 + 7 * DAY + MINUTE);
    expect(r).toEqual({ delivered: 0, failed: [], pending: 0 });
    expect(slack.sent).toHaveLength(0);
    const all = recentOutbox(store, T0 + 7 * DAY + MINUTE);
    expect(all.map((e) => [e.id, e.status])).toEqual([
      [1, 'dead'],
      [2, 'dead'],
    ]);
    expect(all[0]!.lastError).toContain('pending for more than 7 days');
  });

  it('items for a destination without a notifier are left queued', async () => {
    plan('run-1', T0, ['a'], { destinations: BOTH });
    const r = await drain(store, { sheets }, T0);
    expect(r).toEqual({ delivered: 1, failed: [], pending: 1 });
    expect(pendingOutbox(store, T0).map((e) => e.kind)).toEqual(['slack.digest']);
  });

  it('a resolve update queued while its digest is still undelivered is sent after it, to its ts', async () => {
    plan('run-1', T0, ['a']);
    slack.failWith = retryable();
    await drain(store, { slack }, T0);
    plan('run-2', T0 + HOUR, []); // resolves status_rates:a
    await drain(store, { slack }, T0 + HOUR);
    slack.failWith = undefined;
    await drain(store, { slack }, T0 + 2 * HOUR);
    expect(slack.sent.map((n) => n.kind)).toEqual(['slack.digest', 'slack.update']);
    expect(slack.sent[1]).toMatchObject({ ts: '1700000000.000001', channel: '#alerts' });
  });

  it('recentOutbox lists sent items with their status', async () => {
    plan('run-1', T0, ['a'], { destinations: BOTH });
    await drain(store, { slack, sheets }, T0);
    expect(pendingOutbox(store, T0)).toEqual([]);
    expect(recentOutbox(store, T0 + HOUR).map((e) => [e.kind, e.status, e.sentAt])).toEqual([
      ['slack.digest', 'sent', '2026-11-20T15:00:00Z'],
      ['sheets.append', 'sent', '2026-11-20T15:00:00Z'],
    ]);
    expect((sheets.sent[0] as SheetsAppend).deliveryId).toBe('run-1:Check results');
  });
});
