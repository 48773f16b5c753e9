/** A latest run with alerts, an ok check, an error and hostile text, plus recent history. */
import type { CheckResult, CheckStatus } from '../../src/types.js';
import type { ReportInput } from '../../src/report/html.js';
import { barsChart, baselineChart, isolationChart, statusRateChart } from './chart-fixtures.js';

export const HOSTILE_NAME = 'merchant<script>alert("x")</script>&co';

export function reportResults(): CheckResult[] {
  return [
    {
      check: 'unfinished_orders',
      type: 'sql_threshold',
      description: 'Orders authorised but not settled or voided within 7 days, per merchant.',
      status: 'ok',
      severity: 'warning',
      anomalies: [],
      metrics: { merchants: 7 },
      durationMs: 12,
      chart: { ...barsChart, bars: barsChart.bars.map((b) => ({ ...b, alert: false, value: Math.min(b.value, 4) })) },
    },
    {
      check: 'checkout_volume',
      type: 'baseline',
      description: 'Hourly POS sales compared with yesterday, last week and last month.',
      status: 'alert',
      severity: 'critical',
      anomalies: [
        {
          key: 'checkout_1 08h',
          start: '2023-05-15T08:00:00Z',
          end: '2023-05-15T09:00:00Z',
          observed: 1,
          expected: 12.4,
          score: -0.92,
          message: 'checkout_1 sold 1 at 08h, expected about 12 (−92 %)',
        },
        {
          key: 'checkout_1 09h',
          start: '2023-05-15T09:00:00Z',
          end: '2023-05-15T10:00:00Z',
          observed: 1,
          expected: 16.8,
          score: -0.94,
          message: 'checkout_1 sold 1 at 09h, expected about 17 (−94 %)',
        },
      ],
      metrics: {},
      durationMs: 48,
      chart: baselineChart,
    },
    {
      check: 'reversed_rate',
      type: 'status_rate',
      description: 'Share of reversed, failed and denied transactions per minute against the normal band.',
      status: 'alert',
      severity: 'critical',
      anomalies: [
        {
          key: 'reversed',
          start: '2023-05-15T14:33:00Z',
          end: '2023-05-15T14:38:00Z',
          observed: 0.187,
          expected: 0.005,
          unit: 'share',
          score: 41.2,
          message: 'reversed 18.7 % of transactions 14:33–14:38, normal 0.5 % (z = 41)',
          rows: [{ minute: '14:33', reversed: 61 }],
        },
      ],
      metrics: { reversed_share: 0.187 },
      durationMs: 230,
      chart: statusRateChart(),
    },
    {
      check: 'transaction_mix',
      type: 'isolation_forest',
      description: 'Isolation forest over the per-minute status mix.',
      status: 'alert',
      severity: 'warning',
      anomalies: [
        {
          key: 'minute 14:33',
          start: '2023-05-15T14:33:00Z',
          end: '2023-05-15T14:39:00Z',
          observed: null,
          expected: null,
          score: 0.768,
          message: 'unusual status mix for 6 minutes (score 0.77 > 0.62)',
          severity: 'critical',
        },
      ],
      metrics: {},
      durationMs: 1520,
      chart: isolationChart(),
    },
    {
      check: HOSTILE_NAME,
      type: 'sql_threshold',
      description: 'Description with <b>markup</b> & "quotes" from user config.',
      status: 'error',
      severity: 'info',
      anomalies: [],
      metrics: {},
      durationMs: 3,
      error: 'SqliteError: no such table: merchants <img src=x onerror=alert(1)>\n    at query (checks.sql:3)',
    },
  ];
}

function historyOf(statuses: CheckStatus[]): { at: string; status: CheckStatus; anomalies: number }[] {
  const start = Date.UTC(2023, 4, 14, 15);
  return statuses.map((status, i) => ({
    at: new Date(start + i * 3_600_000).toISOString().replace('.000Z', 'Z'),
    status,
    anomalies: status === 'alert' ? 1 + (i % 3) : 0,
  }));
}

export function reportInput(): ReportInput {
  return {
    generatedAt: '2023-05-15T15:00:12Z',
    at: '2023-05-15T15:00:00Z',
    runId: 'run-2023-05-15T15:00:00Z-7f3a',
    results: reportResults(),
    history: {
      checkout_volume: historyOf([...Array<CheckStatus>(16).fill('ok'), 'alert', 'alert', 'ok', 'ok', 'ok', 'ok', 'ok', 'alert']),
      reversed_rate: historyOf([...Array<CheckStatus>(22).fill('ok'), 'alert', 'alert']),
      unfinished_orders: historyOf(['ok', 'ok', 'skipped', 'ok', 'ok']),
      transaction_mix: historyOf(['ok', 'error', 'ok', 'alert']),
      // HOSTILE_NAME has no history: a newly added check.
    },
  };
}
