import { CsvWriter } from './csv-writer.js';
import type { Rng } from './random.js';
import { hourlyCurve, isWeekend, minutePrefix } from './timefmt.js';
import { DAY, HOUR, MINUTE, WINDOWS, inWindow } from './timeline.js';
import type { Window } from './timeline.js';

export const ACQUIRER_HEADER = 'time,status,count';

export const ACQUIRER_STATUSES = [
  'approved',
  'denied',
  'reversed',
  'backend_reversed',
  'failed',
  'processing',
  'refunded',
] as const;
export type AcquirerStatus = (typeof ACQUIRER_STATUSES)[number];

/**
 * Transactions per minute by hour of day, shaped like the real acquirer export (shared/data/
 * cloudwalk/transactions_1.csv: ~10–40/min at night, 300–350/min by day) and scaled by 1.5 to the
 * ~500/min of the busier day in issue #11, where a low-base-rate status was caught late.
 */
const VOLUME_SCALE = 1.5;
const VOLUME_PER_MINUTE = [
  36, 25, 16, 13, 13, 18, 42, 100, 200, 300, 340, 350, 320, 305, 315, 325, 315, 300, 250, 205, 160, 118, 78, 52,
].map((v) => v * VOLUME_SCALE);
/** Denied share by hour: ~9 % by day, 13–22 % at night (small volumes, more risky traffic). */
const DENIED_SHARE = [
  0.16, 0.17, 0.2, 0.22, 0.2, 0.15, 0.11, 0.095, 0.09, 0.09, 0.09, 0.09, 0.09, 0.09, 0.09, 0.09, 0.09, 0.09, 0.095,
  0.1, 0.11, 0.12, 0.13, 0.145,
];
/** Normal shares of the rare statuses. */
const MINOR_SHARES: Partial<Record<AcquirerStatus, number>> = {
  reversed: 0.005,
  backend_reversed: 0.001,
  failed: 0.001,
  processing: 0.002,
  refunded: 0.003,
};
const WEEKEND_FACTOR = 0.85;

/** A status forced to a share of the minute's total volume during an incident. */
interface Surge {
  status: AcquirerStatus;
  window: Window;
  share: (minuteMs: number, rng: Rng) => number;
}

/** The demo incidents; shares are of the minute's whole volume. */
const DEMO_SURGES: Surge[] = [
  {
    // Climbs from ~12 % to ~21 % over the afternoon, like the real incident.
    status: 'reversed',
    window: WINDOWS.reversedSurge,
    share: (t, rng) => {
      const w = WINDOWS.reversedSurge;
      return 0.12 + (0.09 * (t - w.start)) / (w.end - w.start) + rng.uniform(-0.01, 0.01);
    },
  },
  { status: 'failed', window: WINDOWS.failedSpike, share: (_t, rng) => rng.uniform(0.07, 0.09) },
  // The low-base-rate shape of issue #11: failed from ~0.1 % to 1–2 % for hours (~5–10 a minute).
  { status: 'failed', window: WINDOWS.failedCreep, share: (_t, rng) => rng.uniform(0.01, 0.02) },
  { status: 'backend_reversed', window: WINDOWS.backendReversedBurst, share: (_t, rng) => rng.uniform(0.045, 0.055) },
  { status: 'denied', window: WINDOWS.deniedSurge, share: (_t, rng) => rng.uniform(0.32, 0.38) },
];

/** Minutes over which the rare statuses may not cluster (see RollingCap). */
const CLUSTER_WINDOW = 15;

/**
 * Caps a status's count so that no run of CLUSTER_WINDOW minutes holds more than its expected
 * total + 2 standard deviations (rounded up). Independent Poisson minutes occasionally bunch up (4
 * reversals in a quiet quarter hour at night); a detector would rightly flag that, and the demo
 * data must have no anomalies but the planted ones.
 */
class RollingCap {
  private readonly counts = new Array<number>(CLUSTER_WINDOW).fill(0);
  private readonly means = new Array<number>(CLUSTER_WINDOW).fill(0);
  private i = 0;

  apply(count: number, mean: number): number {
    const slot = this.i++ % CLUSTER_WINDOW;
    this.counts[slot] = 0;
    this.means[slot] = mean;
    const expected = this.means.reduce((a, b) => a + b, 0);
    const recent = this.counts.reduce((a, b) => a + b, 0);
    const capped = Math.max(0, Math.min(count, Math.ceil(expected + 2 * Math.sqrt(expected)) - recent));
    this.counts[slot] = capped;
    return capped;
  }
}

/** Normal per-minute counts, by status (index as ACQUIRER_STATUSES). */
class NormalTraffic {
  private readonly caps = ACQUIRER_STATUSES.map(() => new RollingCap());

  constructor(private readonly rng: Rng) {}

  minute(minuteMs: number, counts: number[]): void {
    const hour = (minuteMs % DAY) / HOUR;
    const volume = hourlyCurve(VOLUME_PER_MINUTE, hour) * (isWeekend(minuteMs) ? WEEKEND_FACTOR : 1);
    let rest = 1;
    for (let i = 1; i < ACQUIRER_STATUSES.length; i++) {
      const share = i === 1 ? hourlyCurve(DENIED_SHARE, hour) : (MINOR_SHARES[ACQUIRER_STATUSES[i]!] ?? 0);
      rest -= share;
      const mean = volume * share;
      counts[i] = this.caps[i]!.apply(this.rng.poissonClean(mean), mean);
    }
    // Never zero: a minute without rows must mean missing data, which only the incident has.
    counts[0] = Math.max(1, this.rng.poissonClean(volume * rest));
  }
}

/** Replaces the surging statuses' counts so each reaches its share of the new total. */
function applySurges(rng: Rng, minuteMs: number, counts: number[], surges: readonly Surge[]): void {
  const active = surges.filter((s) => inWindow(s.window, minuteMs));
  if (active.length === 0) return;
  const shares = active.map((s) => s.share(minuteMs, rng));
  const surging = new Set(active.map((s) => ACQUIRER_STATUSES.indexOf(s.status)));
  const base = counts.reduce((sum, c, i) => (surging.has(i) ? sum : sum + c), 0);
  const total = base / (1 - shares.reduce((a, b) => a + b, 0));
  active.forEach((s, k) => {
    counts[ACQUIRER_STATUSES.indexOf(s.status)] = Math.round(shares[k]! * total);
  });
}

export interface AcquirerOptions {
  path: string;
  rng: Rng;
  /** Minute-aligned [from, to). */
  from: number;
  to: number;
  /** Add the demo incidents (benchmark data has none). */
  incidents: boolean;
}

/** Writes the per-minute status counts; rows only where count > 0. Returns the row count. */
export function writeAcquirer(opts: AcquirerOptions): number {
  const out = new CsvWriter(opts.path, ACQUIRER_HEADER);
  const counts = new Array<number>(ACQUIRER_STATUSES.length).fill(0);
  const traffic = new NormalTraffic(opts.rng);
  for (let t = opts.from; t < opts.to; t += MINUTE) {
    traffic.minute(t, counts);
    if (opts.incidents) {
      if (inWindow(WINDOWS.missingMinutes, t)) continue;
      applySurges(opts.rng, t, counts, DEMO_SURGES);
    }
    const time = minutePrefix(t) + '00';
    for (let i = 0; i < counts.length; i++) {
      if (counts[i]! > 0) out.row(`${time},${ACQUIRER_STATUSES[i]},${counts[i]}`);
    }
  }
  out.close();
  return out.rows;
}
