import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/alerts/index.js';
import { planNotifications } from '../../src/alerts/index.js';
import type { CheckResult } from '../../src/types.js';
import { HOUR } from '../../src/time.js';
import { FakeNotifier, T0, anomaly, drain, openTempStore, outboxRows, policies, policy, result, retryable } from './helpers.js';

/** Six hourly runs: alerts start, repeat, resolve and start again. */
const RUNS: CheckResult[][] = [
  [result('status_rates', [anomaly('reversed')]), result('unfinished_orders', [])],
  [result('status_rates', [anomaly('reversed'), anomaly('refunded')]), result('unfinished_orders', [anomaly('merchant 4')])],
  [result('status_rates', [anomaly('refunded')]), result('unfinished_orders', [anomaly('merchant 4')])],
  [result('status_rates', [anomaly('refunded')]), result('unfinished_orders', [], { status: 'error', error: 'timeout' })],
  [result('status_rates', []), result('unfinished_orders', [])],
  [result('status_rates', [anomaly('reversed')]), result('unfinished_orders', [anomaly('merchant 4')])],
];

const POLICIES = policies(
  policy('status_rates', { repeatIntervalMs: 2 * HOUR }),
  policy('unfinished_orders', { sheetTab: 'Unfinished orders', slack: { enabled: true, channel: '#ops' } }),
);

async function replay(failingRuns: Set<number>) {
  const { store } = openTempStore();
  const slack = new FakeNotifier('slack');
  const sheets = new FakeNotifier('sheets');
  const drains = [];
  for (const [i, results] of RUNS.entries()) {
    const at = T0 + i * HOUR;
    planNotifications(store, {
      runId: `run-${i + 1}`,
      at,
      results,
      policies: POLICIES,
      destinations: { slack: { defaultChannel: '#alerts' }, sheets: true },
      charts: new Map([['status_rates', 'iVBORw0KGgo=']]),
      now: at,
    });
    slack.failWith = failingRuns.has(i + 1) ? retryable() : undefined;
    sheets.failWith = failingRuns.has(i + 1) ? retryable('sheets 500') : undefined;
    drains.push(await drain(store, { slack, sheets }, at));
  }
  return { store, slack, sheets, drains };
}

function close(store: StateStore) {
  store.close();
}

describe('six runs with delivery failing on runs 2 and 3', () => {
  it('delivers every notification exactly once, in the order it was queued', async () => {
    const control = await replay(new Set());
    const flaky = await replay(new Set([2, 3]));

    expect(flaky.drains.map((d) => d.failed.length > 0)).toEqual([false, true, true, false, false, false]);
    expect(flaky.drains[3]!.pending).toBe(0);

    // What each destination received is exactly what a run without failures would have sent.
    expect(flaky.slack.sent).toEqual(control.slack.sent);
    expect(flaky.sheets.sent).toEqual(control.sheets.sent);
    expect(flaky.slack.sent.length).toBeGreaterThan(5);

    // Every queued item was sent, once, in id order.
    const rows = outboxRows(flaky.store);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    const slackPayloads = rows.filter((r) => r.kind.startsWith('slack.')).map((r) => r.payload.kind);
    expect(flaky.slack.sent.map((n) => n.kind)).toEqual(slackPayloads);
    const sheetIds = flaky.sheets.sent.map((n) => (n.kind === 'sheets.append' ? n.deliveryId : ''));
    expect(new Set(sheetIds).size).toBe(sheetIds.length);
    expect(sheetIds).toEqual(rows.filter((r) => r.kind === 'sheets.append').map((r) => (r.payload.kind === 'sheets.append' ? r.payload.deliveryId : '')));

    // The story the channel tells: new, repeat, resolution edits and a new message for a re-fire.
    const story = flaky.slack.sent.map((n) =>
      n.kind === 'slack.digest'
        ? `${n.runId} digest ${n.channel} ${n.alerts.map((a) => a.fingerprint).join(',')}`
        : n.kind === 'slack.update'
          ? `${n.runId} update ${n.ts} ${n.threadReply}`
          : n.kind === 'slack.file'
            ? `file ${n.threadTs}`
            : 'unexpected ' + n.kind,
    );
    expect(story).toEqual([
      'run-1 digest #alerts status_rates:reversed',
      'file 1700000000.000001',
      'run-2 digest #alerts status_rates:refunded',
      'file 1700000000.000003',
      'run-2 digest #ops unfinished_orders:merchant 4',
      'run-3 update 1700000000.000001 ✅ resolved: status_rates reversed after 2h',
      'run-4 digest #alerts status_rates:refunded',
      'file 1700000000.000007',
      // The check that timed out is announced once, and resolved by its next clean run.
      'run-4 digest #ops unfinished_orders:__error__',
      'run-5 update 1700000000.000007 ✅ resolved: status_rates refunded after 3h',
      // The key is escaped like any data in Slack text (docs/exactly-once.md): `_` that could format becomes ＿.
      'run-5 update 1700000000.000009 ✅ unfinished_orders runs cleanly again, after failing for 1h',
      'run-5 update 1700000000.000005 ✅ resolved: unfinished_orders merchant 4 after 3h',
      'run-6 digest #alerts status_rates:reversed',
      'file 1700000000.000013',
      'run-6 digest #ops unfinished_orders:merchant 4',
    ]);
    close(control.store);
    close(flaky.store);
  });
});
