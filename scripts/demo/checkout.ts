import { join } from 'node:path';
import { CsvWriter } from './csv-writer.js';
import type { Rng } from './random.js';
import { minutePrefix } from './timefmt.js';
import { DEMO_DAY, HOUR } from './timeline.js';

export const CHECKOUT_HEADER = 'time,today,yesterday,same_day_last_week,avg_last_week,avg_last_month';

/**
 * Mean POS sales per hour of day, after the real checkout export (shared/data/cloudwalk/
 * checkout_1.csv): 0–4 at night, ~30 from late morning through the afternoon.
 */
const SALES_PER_HOUR = [3, 1.5, 0.6, 0.4, 0.4, 1, 2.5, 7, 19, 28, 34, 35, 31, 30, 30, 32, 31, 26, 22, 24, 21, 20, 16, 10];

/** Days of history kept per source: D−28 … D. */
const HISTORY_DAYS = 28;

export interface PosSpec {
  name: string;
  scale: number;
  /** Hourly values replaced on a given day (0 = D, 1 = yesterday, …). */
  overrides: { daysBack: number; hour: number; value: number }[];
}

export const POS_SOURCES: PosSpec[] = [
  // Normal today; yesterday had a one-hour outage at 13h, which must not make today look high.
  { name: 'pos_a', scale: 1, overrides: [{ daysBack: 1, hour: 13, value: 1 }] },
  // Outage today at 08h–09h.
  {
    name: 'pos_b',
    scale: 1.1,
    overrides: [
      { daysBack: 0, hour: 8, value: 0 },
      { daysBack: 0, hour: 9, value: 2 },
    ],
  },
];

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * One POS source: simulates hourly sales for D and the 28 days before it, then derives every
 * column from those days, so yesterday, same_day_last_week and the averages agree with each other.
 */
function writePos(outDir: string, rng: Rng, spec: PosSpec): void {
  // days[k][h]: sales k days before D in hour h. Noise is kept within one standard deviation so
  // that no hour looks like an outage except the planted ones.
  const days = Array.from({ length: HISTORY_DAYS + 1 }, () =>
    SALES_PER_HOUR.map((m) => rng.poissonClean(m * spec.scale, 1)),
  );
  // Night hours stay tiny (0–4) whatever the noise.
  for (const day of days) for (let h = 0; h <= 6; h++) day[h] = Math.min(4, day[h]!);
  for (const o of spec.overrides) days[o.daysBack]![o.hour] = o.value;

  const out = new CsvWriter(join(outDir, 'checkout', `${spec.name}.csv`), CHECKOUT_HEADER);
  for (let h = 0; h < 24; h++) {
    const at = (k: number): number => days[k]![h]!;
    const lastWeek = [1, 2, 3, 4, 5, 6, 7].map(at);
    const lastMonth = Array.from({ length: HISTORY_DAYS }, (_, i) => at(i + 1));
    out.row(
      [
        minutePrefix(DEMO_DAY + h * HOUR) + '00',
        at(0),
        at(1),
        at(7),
        mean(lastWeek).toFixed(2),
        mean(lastMonth).toFixed(2),
      ].join(','),
    );
  }
  out.close();
}

export function generateCheckout(outDir: string, rng: Rng): void {
  for (const spec of POS_SOURCES) writePos(outDir, rng, spec);
}
