import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/alerts/index.js';
import { planNotifications, snooze, unsnooze } from '../../src/alerts/index.js';
import type { CheckResult } from '../../src/types.js';
import { HOUR, MINUTE } from '../../src/time.js';
import type { AlertPolicy } from '../../src/alerts/index.js';
import type { Digest, Update } from './helpers.js';
import { FakeNotifier, T0, alertRow, anomaly, drain, openTempStore, outboxRows, policies, policy, result } from './helpers.js';

const SLACK = { slack: { defaultChannel: '#alerts' } };

describe('alert state across runs', () => {
  let store: StateStore;
  let slack: FakeNotifier;
  let run = 0;

  beforeEach(() => {
    store = openTempStore().store;
    slack = new FakeNotifier('slack');
    run = 0;
  });
  afterEach(() => store.close());

  /** One run at `at`: plan then drain to the fake Slack; returns what Slack received in this run. */
  async function runAt(at: number, results: CheckResult[], pol: Map<string, AlertPolicy> = policies(policy('status_rates'))) {
    const before = slack.sent.length;
    const summary = planNotifications(store, { runId: `run-${++run}`, at, results, policies: pol, destinations: SLACK, now: at });
    await drain(store, { slack }, at);
    return { summary, sent: slack.sent.slice(before) };
  }

  it('notifies a firing alert once, then again only after repeat_interval', async () => {
    const firing = [result('status_rates', [anomaly('reversed')])];
    const r1 = await runAt(T0, firing);
    expect(r1.sent).toHaveLength(1);
    expect((r1.sent[0] as Digest).alerts.map((a) => a.fingerprint)).toEqual(['status_rates:reversed']);

    for (const minutes of [5, 60, 239]) {
      const r = await runAt(T0 + minutes * MINUTE, firing);
      expect(r.sent, `run at +${minutes}m`).toHaveLength(0);
    }
    const repeat = await runAt(T0 + 4 * HOUR, firing);
    expect(repeat.sent).toHaveLength(1);
    expect((repeat.sent[0] as Digest).alerts[0]!.firstSeen).toBe('2026-11-20T15:00:00Z');
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ notify_count: 2, last_notified: '2026-11-20 19:00:00' });
    expect((await runAt(T0 + 5 * HOUR, firing)).sent).toHaveLength(0);
  });

  it('honours a per-check repeat interval', async () => {
    const pol = policies(policy('status_rates', { repeatIntervalMs: 30 * MINUTE }));
    const firing = [result('status_rates', [anomaly('reversed')])];
    expect((await runAt(T0, firing, pol)).sent).toHaveLength(1);
    expect((await runAt(T0 + 20 * MINUTE, firing, pol)).sent).toHaveLength(0);
    expect((await runAt(T0 + 30 * MINUTE, firing, pol)).sent).toHaveLength(1);
  });

  it('a snooze by check name holds notifications back and they resume once it ends', async () => {
    snooze(store, 'status_rates', T0 + 2 * HOUR, 'deploy in progress', T0);
    const firing = [result('status_rates', [anomaly('reversed')])];
    const r1 = await runAt(T0, firing);
    expect(r1.sent).toHaveLength(0);
    expect(r1.summary.snoozed).toEqual(['status_rates:reversed']);
    // State is still kept while snoozed.
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'firing', first_seen: '2026-11-20 15:00:00', notify_count: 0 });
    expect((await runAt(T0 + HOUR, firing)).sent).toHaveLength(0);

    const after = await runAt(T0 + 2 * HOUR, firing);
    expect(after.sent).toHaveLength(1);
    expect((after.sent[0] as Digest).alerts[0]!.firstSeen).toBe('2026-11-20T15:00:00Z');
    // Then the normal repeat interval applies again.
    expect((await runAt(T0 + 3 * HOUR, firing)).sent).toHaveLength(0);
  });

  it('a snooze by fingerprint silences that alert only', async () => {
    snooze(store, 'status_rates:reversed', T0 + HOUR, undefined, T0);
    const r = await runAt(T0, [result('status_rates', [anomaly('reversed'), anomaly('refunded')])]);
    expect(r.sent).toHaveLength(1);
    expect((r.sent[0] as Digest).alerts.map((a) => a.fingerprint)).toEqual(['status_rates:refunded']);
  });

  it('unsnoozing lets a held-back alert through at the next run', async () => {
    snooze(store, 'status_rates', T0 + 24 * HOUR, undefined, T0);
    const firing = [result('status_rates', [anomaly('reversed')])];
    expect((await runAt(T0, firing)).sent).toHaveLength(0);
    expect(unsnooze(store, 'status_rates')).toBe(true);
    expect(unsnooze(store, 'status_rates')).toBe(false);
    expect((await runAt(T0 + 10 * MINUTE, firing)).sent).toHaveLength(1);
  });

  it('resolves after N clean runs: edits the message that announced it and replies in its thread', async () => {
    const pol = policies(policy('status_rates', { resolveAfter: 2 }));
    const first = await runAt(T0, [result('status_rates', [anomaly('reversed'), anomaly('refunded')])], pol);
    const digestTs = alertRow(store, 'status_rates:reversed')!.slack_ts;
    expect(digestTs).toBe('1700000000.000001');
    expect(first.sent).toHaveLength(1);

    // `refunded` keeps firing; `reversed` is clean once: not resolved yet.
    const still = [result('status_rates', [anomaly('refunded')])];
    const clean1 = await runAt(T0 + HOUR, still, pol);
    expect(clean1.sent).toHaveLength(0);
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'firing', clean_runs: 1 });

    const clean2 = await runAt(T0 + 2 * HOUR + 10 * MINUTE, still, pol);
    expect(clean2.summary.resolved).toEqual(['status_rates:reversed']);
    expect(clean2.sent).toHaveLength(1);
    const update = clean2.sent[0] as Update;
    expect(update.kind).toBe('slack.update');
    expect(update.channel).toBe('#alerts');
    expect(update.ts).toBe(digestTs);
    expect(update.threadReply).toBe('✅ resolved: status_rates reversed after 2h 10m');
    // The digest's original alerts, with only the resolved one marked.
    expect(update.alerts.map((a) => [a.fingerprint, a.state])).toEqual([
      ['status_rates:refunded', 'firing'],
      ['status_rates:reversed', 'resolved'],
    ]);
    expect(update.alerts[1]!.resolvedAt).toBe('2026-11-20T17:10:00Z');
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'resolved', resolved_at: '2026-11-20 17:10:00' });

    // Later the second one resolves: the same message, now with both marked resolved.
    const clean3 = await runAt(T0 + 3 * HOUR, [result('status_rates', [])], pol);
    expect(clean3.sent).toHaveLength(0);
    const clean4 = await runAt(T0 + 4 * HOUR, [result('status_rates', [])], pol);
    const update2 = clean4.sent[0] as Update;
    expect(update2.ts).toBe(digestTs);
    expect(update2.alerts.map((a) => a.state)).toEqual(['resolved', 'resolved']);
    expect(update2.threadReply).toBe('✅ resolved: status_rates refunded after 4h');
  });

  it('flapping (firing again before resolve_after clean runs) sends nothing new and keeps first_seen', async () => {
    const pol = policies(policy('status_rates', { resolveAfter: 3 }));
    const firing = [result('status_rates', [anomaly('reversed')])];
    const clean = [result('status_rates', [])];
    expect((await runAt(T0, firing, pol)).sent).toHaveLength(1);
    for (const [i, results] of [clean, firing, clean, clean, firing, clean].entries()) {
      const r = await runAt(T0 + (i + 1) * 20 * MINUTE, results, pol);
      expect(r.sent, `run ${i + 2}`).toHaveLength(0);
    }
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({
      state: 'firing',
      first_seen: '2026-11-20 15:00:00',
      notify_count: 1,
    });
  });

  it('an alert that fires again after being resolved is new: a new message', async () => {
    const firing = [result('status_rates', [anomaly('reversed')])];
    await runAt(T0, firing);
    const resolved = await runAt(T0 + 10 * MINUTE, [result('status_rates', [])]);
    expect(resolved.sent.map((n) => n.kind)).toEqual(['slack.update']);
    const again = await runAt(T0 + 20 * MINUTE, firing);
    expect(again.sent.map((n) => n.kind)).toEqual(['slack.digest']);
    expect((again.sent[0] as Digest).alerts[0]!.firstSeen).toBe('2026-11-20T15:20:00Z');
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'firing', notify_count: 1, slack_ts: '1700000000.000003' });
  });

  it('error and skipped results neither resolve nor fire their check’s alerts; the error is an alert of its own, sent once', async () => {
    const pol = policies(policy('status_rates'), policy('volume'));
    await runAt(T0, [result('status_rates', [anomaly('reversed')]), result('volume', [])], pol);
    const broken = [
      result('status_rates', [], { status: 'error', error: 'no such table: transactions' }),
      result('volume', [anomaly('checkout_1 08h')], { status: 'skipped', error: 'no data yet' }),
    ];
    for (let i = 1; i <= 3; i++) {
      const r = await runAt(T0 + i * 10 * MINUTE, broken, pol);
      if (i === 1) {
        expect(r.sent.map((n) => n.kind)).toEqual(['slack.digest']);
        const [errorAlert] = (r.sent[0] as Digest).alerts;
        expect(errorAlert).toMatchObject({ fingerprint: 'status_rates:__error__', check: 'status_rates' });
        expect(errorAlert!.anomaly.message).toBe('check errored: no such table: transactions');
        expect(r.summary.newAlerts).toEqual(['status_rates:__error__']);
      } else {
        expect(r.sent).toHaveLength(0); // deduplicated like any alert until repeat_interval
        expect(r.summary.newAlerts).toEqual([]);
      }
      expect(r.summary.resolved).toEqual([]);
    }
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'firing', clean_runs: 0 });
    expect(alertRow(store, 'status_rates:__error__')).toMatchObject({ state: 'firing', notify_count: 1 });
    expect(alertRow(store, 'volume:checkout_1 08h')).toBeUndefined();
  });

  it('one digest per channel holds every due alert of the run', async () => {
    const pol = policies(policy('status_rates'), policy('volume'), policy('unfinished_orders', { slack: { enabled: true, channel: '#payments' } }));
    const r = await runAt(T0, [
      result('status_rates', [anomaly('reversed'), anomaly('refunded')]),
      result('volume', [anomaly('checkout_1 08h', { severity: 'critical' })]),
      result('unfinished_orders', [anomaly('merchant 4'), anomaly('merchant 7')]),
    ], pol);
    const digests = r.sent as Digest[];
    expect(digests.map((d) => d.channel)).toEqual(['#alerts', '#payments']);
    // Most severe first.
    expect(digests[0]!.alerts.map((a) => a.fingerprint)).toEqual(['volume:checkout_1 08h', 'status_rates:refunded', 'status_rates:reversed']);
    expect(digests[1]!.alerts.map((a) => a.fingerprint)).toEqual(['unfinished_orders:merchant 4', 'unfinished_orders:merchant 7']);
    expect(digests[0]!.runId).toBe('run-1');
    expect(digests[0]!.at).toBe('2026-11-20T15:00:00Z');
  });

  it('critical alerts of a criticalSeparately check get a message of their own', async () => {
    const pol = policies(
      policy('status_rates', { slack: { enabled: true, criticalSeparately: true } }),
      policy('volume'),
    );
    const r = await runAt(T0, [
      result('status_rates', [anomaly('reversed', { severity: 'critical' }), anomaly('refunded')]),
      result('volume', [anomaly('checkout_1 08h', { severity: 'critical' })]),
    ], pol);
    const digests = r.sent as Digest[];
    expect(digests).toHaveLength(2);
    expect(digests.map((d) => d.channel)).toEqual(['#alerts', '#alerts']);
    expect(digests.map((d) => d.alerts.map((a) => a.fingerprint))).toEqual([
      ['status_rates:reversed'],
      ['volume:checkout_1 08h', 'status_rates:refunded'],
    ]);
  });

  it('a check with Slack disabled keeps state but sends no digest', async () => {
    const pol = policies(policy('status_rates', { slack: { enabled: false } }));
    const r = await runAt(T0, [result('status_rates', [anomaly('reversed')])], pol);
    expect(r.sent).toHaveLength(0);
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'firing', notify_count: 0 });
  });

  it('destinations that are not configured get nothing enqueued', () => {
    const summary = planNotifications(store, {
      runId: 'r1',
      at: T0,
      results: [result('status_rates', [anomaly('reversed')])],
      policies: policies(policy('status_rates', { sheetTab: 'Status' })),
      destinations: {},
      now: T0,
    });
    expect(summary.outboxIds).toEqual([]);
    expect(outboxRows(store)).toEqual([]);
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'firing' });
  });

  it('a check without a policy uses the defaults (Slack on, 4h repeat, resolve after 1)', async () => {
    const firing = [result('new_check', [anomaly('x')])];
    expect((await runAt(T0, firing, new Map())).sent).toHaveLength(1);
    expect((await runAt(T0 + 3 * HOUR, firing, new Map())).sent).toHaveLength(0);
    const r = await runAt(T0 + 3 * HOUR + 5 * MINUTE, [result('new_check', [])], new Map());
    expect(r.sent.map((n) => n.kind)).toEqual(['slack.update']);
  });

  it('alerts of a check removed from the configuration are resolved, not left firing', async () => {
    const firing = [result('status_rates', [anomaly('reversed')])];
    await runAt(T0, firing);
    // The check is gone from the config: the next run has no result for it.
    const before = slack.sent.length;
    planNotifications(store, {
      runId: 'run-removed',
      at: T0 + 5 * MINUTE,
      results: [],
      policies: new Map(),
      destinations: SLACK,
      now: T0 + 5 * MINUTE,
      configuredChecks: new Set(['other_check']),
    });
    await drain(store, { slack }, T0 + 5 * MINUTE);
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'resolved' });
    expect(slack.sent.slice(before).map((n) => n.kind)).toEqual(['slack.update']);
    // With --only, a configured check that did not run keeps its alerts firing.
    await runAt(T0 + 10 * MINUTE, firing);
    planNotifications(store, { runId: 'run-only', at: T0 + 15 * MINUTE, results: [], policies: new Map(), destinations: SLACK, now: T0 + 15 * MINUTE, configuredChecks: new Set(['status_rates']) });
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'firing' });
  });
});
