import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StateStore } from '../../src/alerts/index.js';
import { planNotifications } from '../../src/alerts/index.js';
import type { CheckDefinition, CheckType, Evaluation } from '../../src/checks/check-type.js';
import type { QueryEngine } from '../../src/db/engine.js';
import { silentLogger } from '../../src/log.js';
import { replay } from '../../src/replay/replay.js';
import { scoreEpisodes } from '../../src/replay/score.js';
import { MINUTE, toIso } from '../../src/time.js';
import type { Evidence } from '../../src/types.js';
import { T0, alertRow, anomaly, openTempStore, policies, policy, result } from '../alerts/helpers.js';

/** Evidence of one sustained incident whose window wobbles: enter, stay, stay, enter, stay, none. */
const SCRIPT: (Evidence | null)[] = [null, 'stay', 'enter', 'stay', 'stay', 'enter', 'stay', null, 'stay', null];

describe('live runs: a stay-level anomaly keeps a firing alert, starts none', () => {
  let store: StateStore;
  beforeEach(() => (store = openTempStore().store));
  afterEach(() => store.close());

  it('one sustained incident is one alert, notified once', () => {
    const notified: string[] = [];
    SCRIPT.forEach((evidence, i) => {
      const anomalies = evidence === null ? [] : [anomaly('failed', evidence === 'stay' ? { evidence } : {})];
      const at = T0 + i * 5 * MINUTE;
      const summary = planNotifications(store, {
        runId: `run-${i}`,
        at,
        results: [result('rates', anomalies)],
        policies: policies(policy('rates')),
        destinations: { slack: { defaultChannel: '#alerts' } },
        now: at,
      });
      notified.push(...summary.notified);
      const row = alertRow(store, 'rates:failed');
      if (i === 1) expect(row, 'stay before any entry starts nothing').toBeUndefined();
      if (i >= 2 && i <= 6) expect(row).toMatchObject({ state: 'firing', first_seen: expect.stringContaining('') });
      if (i === 7) expect(row).toMatchObject({ state: 'resolved' });
      if (i === 8) expect(row, 'stay after resolution does not re-open').toMatchObject({ state: 'resolved' });
    });
    expect(notified).toEqual(['rates:failed']);
  });
});

describe('replay applies the same rule to its episodes', () => {
  it('stay steps extend an episode but never open one', async () => {
    const from = Date.parse('2026-11-20T14:00:00Z');
    const type: CheckType<Record<string, never>> = {
      type: 'scripted',
      description: 'replays SCRIPT',
      params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
      sqlParameters: [],
      replayCadenceMs: 0,
      async evaluate(_check, ctx): Promise<Evaluation> {
        const evidence = SCRIPT[Math.round((ctx.at - from) / MINUTE)] ?? null;
        if (evidence === null) return { status: 'ok', anomalies: [], metrics: {} };
        return { status: 'alert', anomalies: [anomaly('failed', evidence === 'stay' ? { evidence } : {})], metrics: {} };
      },
    };
    const check = { name: 'rates', type: 'scripted', sql: 'SELECT 1', sqlSource: 'inline sql', params: {} } as unknown as CheckDefinition;
    const r = await replay({
      from,
      to: from + (SCRIPT.length - 1) * MINUTE,
      stepMs: MINUTE,
      checks: [check],
      types: new Map([['scripted', type as unknown as CheckType<unknown>]]),
      engine: {} as QueryEngine,
      tz: 'UTC',
      log: silentLogger(),
    });
    expect(r.episodes.map((e) => [toIso(e.start), toIso(e.end), e.steps])).toEqual([['2026-11-20T14:02:00Z', '2026-11-20T14:06:00Z', 5]]);
  });
});

describe('scoring: related keys, fragmentation, max delay', () => {
  const ep = (key: string, start: string, end: string) => ({ check: 'rates', type: 'status_rate', key, start: Date.parse(start), end: Date.parse(end), maxScore: null, steps: 1 });
  const incident = { id: 'surge', kind: 'status_rate', key: 'reversed', start: '2026-11-20T14:00:00Z', end: '2026-11-20T16:00:00Z', related: ['volume'] };

  it('counts episodes per incident and treats related keys during the incident as neither hit nor false', () => {
    const s = scoreEpisodes(
      [ep('reversed', '2026-11-20T14:02:00Z', '2026-11-20T14:40:00Z'), ep('reversed', '2026-11-20T14:45:00Z', '2026-11-20T15:00:00Z'), ep('volume', '2026-11-20T14:10:00Z', '2026-11-20T14:20:00Z'), ep('volume', '2026-11-20T20:00:00Z', '2026-11-20T20:10:00Z')],
      [incident],
      { graceMs: 0, types: new Set(['status_rate']) },
    );
    expect(s.incidents[0]).toMatchObject({ detected: true, delayMs: 2 * MINUTE, episodes: 2 });
    expect(s.fragmentation).toBe(2);
    expect(s.maxDelayMs).toBe(2 * MINUTE);
    expect(s.falseEpisodes.map((e) => e.key)).toEqual(['volume']); // only the one outside the incident
    expect(s.falseEpisodes[0]!.start).toBe(Date.parse('2026-11-20T20:00:00Z'));
  });
});

describe('keep_firing_for: a quiet spell shorter than it does not end the alert, live and in replay', () => {
  // Per minute: alerting at 0–2, quiet 3–12 (10 minutes), alerting at 13, then quiet to the end.
  const alerting = (minute: number) => minute <= 2 || minute === 13;
  const MINUTES = 50;
  const keepFiringForMs = 15 * MINUTE;

  it('live runs every minute: one alert, notified once, resolved 15 minutes after its last evidence', () => {
    const store = openTempStore().store;
    try {
      const notified: string[] = [];
      let resolvedAt: number | null = null;
      for (let m = 0; m < MINUTES; m++) {
        const at = T0 + m * MINUTE;
        const summary = planNotifications(store, {
          runId: `run-${m}`,
          at,
          results: [result('rates', alerting(m) ? [anomaly('failed')] : [])],
          policies: policies(policy('rates', { keepFiringForMs })),
          destinations: { slack: { defaultChannel: '#alerts' } },
          now: at,
        });
        notified.push(...summary.notified);
        if (summary.resolved.length && resolvedAt === null) resolvedAt = m;
        if (m === 12) expect(alertRow(store, 'rates:failed')).toMatchObject({ state: 'firing' });
      }
      expect(notified).toEqual(['rates:failed']);
      expect(resolvedAt).toBe(13 + 15);
    } finally {
      store.close();
    }
  });

  it('without it, the same evidence is two alerts (the old behaviour)', () => {
    const store = openTempStore().store;
    try {
      const notified: string[] = [];
      for (let m = 0; m < MINUTES; m++) {
        const at = T0 + m * MINUTE;
        notified.push(
          ...planNotifications(store, {
            runId: `run-${m}`,
            at,
            results: [result('rates', alerting(m) ? [anomaly('failed')] : [])],
            policies: policies(policy('rates')),
            destinations: { slack: { defaultChannel: '#alerts' } },
            now: at,
          }).notified,
        );
      }
      expect(notified).toEqual(['rates:failed', 'rates:failed']);
    } finally {
      store.close();
    }
  });

  const cases: [number, number, string[][]][] = [
    [MINUTE, keepFiringForMs, [['2026-11-20T14:00:00Z', '2026-11-20T14:13:00Z']]],
    [5 * MINUTE, keepFiringForMs, [['2026-11-20T14:00:00Z', '2026-11-20T14:10:00Z']]],
    [MINUTE, 0, [['2026-11-20T14:00:00Z', '2026-11-20T14:02:00Z'], ['2026-11-20T14:13:00Z', '2026-11-20T14:13:00Z']]],
  ];
  it.each(cases)('replay at a %d ms step, keep_firing_for %d ms: episodes %j', async (stepMs, keep, expected) => {
    const from = Date.parse('2026-11-20T14:00:00Z');
    const type: CheckType<Record<string, never>> = {
      type: 'scripted',
      description: 'alerting at minutes 0–2 and 13',
      params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
      sqlParameters: [],
      replayCadenceMs: 0,
      async evaluate(_check, ctx): Promise<Evaluation> {
        // At a 5-minute step (cron-style) the incident is seen at 14:00 and 14:10, quiet at 14:05.
        const m = Math.round((ctx.at - from) / MINUTE);
        const hit = stepMs === MINUTE ? alerting(m) : [0, 10].includes(m);
        return hit ? { status: 'alert', anomalies: [anomaly('failed')], metrics: {} } : { status: 'ok', anomalies: [], metrics: {} };
      },
    };
    const check = { name: 'rates', type: 'scripted', sql: 'SELECT 1', sqlSource: 'inline sql', params: {}, resolveAfter: 1, keepFiringForMs: keep } as unknown as CheckDefinition;
    const r = await replay({
      from,
      to: from + (MINUTES - 1) * MINUTE,
      stepMs,
      checks: [check],
      types: new Map([['scripted', type as unknown as CheckType<unknown>]]),
      engine: {} as QueryEngine,
      tz: 'UTC',
      log: silentLogger(),
    });
    expect(r.episodes.map((e) => [toIso(e.start), toIso(e.end)])).toEqual(expected);
  });
});
