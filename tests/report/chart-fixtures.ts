/**
 * Realistic ChartData of each kind, generated deterministically (seeded) so goldens are stable.
 * Shapes follow the known incidents in the shared sample data: a checkout outage at 08h–09h and
 * a `reversed` surge from 14:33.
 */
import { mulberry32 } from '../../src/detect/random.js';
import type { BaselinePoint, ChartData } from '../../src/types.js';

/** The detectors' seeded PRNG, so the goldens are stable. */
const seeded = mulberry32;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const DAY0 = Date.UTC(2023, 4, 15); // 2023-05-15
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Hourly POS sales: a day-shaped curve, business hours busy, nights near zero. */
function dayCurve(hour: number, peak: number): number {
  if (hour < 6 || hour > 22) return Math.round(peak * 0.05);
  return Math.round(peak * Math.sin(((hour - 6) / 17) * Math.PI));
}

export function baselinePoints(source: string, peak: number, outage: number[], seed: number): BaselinePoint[] {
  const rnd = seeded(seed);
  const points: BaselinePoint[] = [];
  for (let h = 0; h < 24; h++) {
    const normal = dayCurve(h, peak);
    const jitter = () => Math.max(0, Math.round(normal * (0.8 + 0.4 * rnd())));
    const down = outage.includes(h);
    points.push({
      source,
      hour: iso(DAY0 + h * HOUR),
      today: down ? Math.round(normal * 0.05) : jitter(),
      yesterday: jitter(),
      same_day_last_week: jitter(),
      avg_last_week: Math.round(normal * 0.95 * 10) / 10,
      avg_last_month: Math.round(normal * 1.02 * 10) / 10,
      expected: normal,
      alert: down,
    });
  }
  return points;
}

export const baselineChart: ChartData = {
  kind: 'baseline',
  title: 'checkout_1 — hourly sales vs baseline',
  measure: 'sales per hour',
  points: baselinePoints('checkout_1', 30, [8, 9], 1),
};

export const baselineFacetChart: ChartData = {
  kind: 'baseline',
  title: 'POS sales by checkout',
  points: [...baselinePoints('checkout_1', 30, [8, 9], 2), ...baselinePoints('checkout_2', 120, [], 3)],
};

/** Per-minute share of reversed / failed / denied transactions 14:00–16:00, reversed surging at 14:33. */
export function statusRateChart(): ChartData {
  const rnd = seeded(7);
  const start = DAY0 + 14 * HOUR;
  const points: { time: string; status: string; share: number }[] = [];
  for (let m = 0; m < 120; m++) {
    const time = iso(start + m * MINUTE);
    const surge = m >= 33 && m < 100;
    points.push({ time, status: 'reversed', share: surge ? 0.11 + 0.1 * rnd() : 0.003 + 0.006 * rnd() });
    points.push({ time, status: 'failed', share: 0.001 + 0.003 * rnd() });
    points.push({ time, status: 'denied', share: 0.07 + 0.04 * rnd() });
  }
  return {
    kind: 'status_rate',
    title: 'Share of reversed, failed and denied transactions',
    points,
    bands: [
      { status: 'reversed', expected: 0.005, upper: 0.02 },
      { status: 'failed', expected: 0.002, upper: 0.008 },
      { status: 'denied', expected: 0.09, upper: 0.13 },
    ],
    window: { start: iso(start + 33 * MINUTE), end: iso(start + 38 * MINUTE) },
  };
}

/** Isolation-forest scores per minute over two hours, with a burst of anomalies. */
export function isolationChart(): Extract<ChartData, { kind: 'isolation_forest' }> {
  const rnd = seeded(11);
  const start = DAY0 + 13 * HOUR;
  const threshold = 0.62;
  const points = Array.from({ length: 120 }, (_, m) => {
    const burst = m >= 93 && m < 99;
    const score = burst ? 0.66 + 0.12 * rnd() : 0.38 + 0.14 * rnd();
    return { time: iso(start + m * MINUTE), score: Math.round(score * 1000) / 1000, anomaly: score > threshold };
  });
  return { kind: 'isolation_forest', title: 'Transaction mix anomaly score', points, threshold };
}

export const barsChart: Extract<ChartData, { kind: 'bars' }> = {
  kind: 'bars',
  title: 'Unfinished orders per merchant (authorised, not settled in 7 days)',
  measure: 'Orders not settled',
  groupLabel: 'Merchant',
  bars: [
    { group: 'merchant 1', value: 2, alert: false },
    { group: 'merchant 2', value: 0, alert: false },
    { group: 'merchant 3', value: 1, alert: false },
    { group: 'merchant 4', value: 9, alert: true },
    { group: 'merchant 5', value: 3, alert: false },
    { group: 'merchant 6', value: 12, alert: true },
    { group: 'merchant 7', value: 4, alert: false },
  ],
  max: 5,
};

/** Every fixture, by golden-file name. */
export function allCharts(): Record<string, ChartData> {
  return {
    baseline: baselineChart,
    baseline_facet: baselineFacetChart,
    status_rate: statusRateChart(),
    isolation_forest: isolationChart(),
    bars: barsChart,
  };
}
