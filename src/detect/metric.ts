/**
 * Judge the latest point of any metric series (refund amount per hour, sign-ups per minute, p95
 * latency) against the same time of day on earlier days and the recent level, robustly (medians
 * and the median absolute deviation). Pure, no I/O.
 */
import type { Evidence } from '../types.js';
import { evidenceLevel } from './hysteresis.js';
import { median } from './stats.js';
import { DAY } from '../time.js';

export interface MetricOptions {
  /** Spacing of the series' points (ms). */
  intervalMs: number;
  /** Earlier days looked at for the same time of day. */
  days: number;
  /** At least this many of them must have a point for the seasonal expectation. */
  minDays: number;
  /** Recent points (before the judged one) that measure the current level. */
  trendPoints: number;
  direction: 'up' | 'down' | 'both';
  /** Robust z (deviation / spread) needed to start an alert… */
  z: number;
  /** …and to keep a firing one. */
  stayZ: number;
  /** |value − expected| / |expected| needed to start an alert (half of it to stay). */
  minRelativeChange: number;
  /** No alert unless max(|value|, |expected|) reaches this. */
  minVolume: number;
}

export interface MetricVerdict {
  value: number;
  expected: number | null;
  /** Robust spread (1.4826 × MAD, floored at 5 % of |expected|). */
  scale: number | null;
  z: number | null;
  relativeChange: number | null;
  basis: 'same time on earlier days' | 'recent points' | 'none';
  evidence: Evidence | null;
  reason: string;
}

const MAD_TO_SIGMA = 1.4826;

/**
 * `points`: ts (ms) → value of one series; `t0`: the judged point. Expected = the median of the
 * same time on earlier days, shifted by the median recent residual (the level the series runs at
 * today); with `days` 0 (a series without a daily rhythm), the median of the recent points.
 */
export function judgeMetric(points: ReadonlyMap<number, number>, t0: number, opts: MetricOptions): MetricVerdict {
  const value = points.get(t0);
  if (value === undefined) throw new RangeError('judgeMetric: no point at t0');
  const sameTime = (t: number) => {
    const xs: number[] = [];
    for (let d = 1; d <= opts.days; d++) {
      const v = points.get(t - d * DAY);
      if (v !== undefined && Number.isFinite(v)) xs.push(v);
    }
    return xs;
  };
  const recentTimes = Array.from({ length: opts.trendPoints }, (_, k) => t0 - (k + 1) * opts.intervalMs);
  const none = (reason: string): MetricVerdict => ({ value, expected: null, scale: null, z: null, relativeChange: null, basis: 'none', evidence: null, reason });

  let expected: number;
  let pool: number[];
  let basis: MetricVerdict['basis'];
  const season = sameTime(t0);
  if (season.length >= opts.minDays) {
    const seasonal = median(season);
    const residuals: number[] = [];
    for (const t of recentTimes) {
      const v = points.get(t);
      const s = sameTime(t);
      if (v !== undefined && s.length >= opts.minDays) residuals.push(v - median(s));
    }
    const level = residuals.length ? median(residuals) : 0;
    expected = seasonal + level;
    pool = [...season.map((x) => x - seasonal), ...residuals.map((r) => r - level)];
    basis = 'same time on earlier days';
  } else if (opts.days > 0) {
    // A series with a daily rhythm cannot be judged on its last few points (the evening ramp
    // would look like a drop): without enough earlier days, no verdict. days: 0 = no rhythm.
    return none('not enough earlier days');
  } else {
    const recent = recentTimes.map((t) => points.get(t)).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (recent.length < 3) return none('not enough history');
    expected = median(recent);
    pool = recent.map((x) => x - expected);
    basis = 'recent points';
  }
  const scale = Math.max(MAD_TO_SIGMA * median(pool.map(Math.abs)), 0.05 * Math.abs(expected), 1e-9);
  const z = (value - expected) / scale;
  const relativeChange = expected === 0 ? (value === 0 ? 0 : Infinity) : (value - expected) / Math.abs(expected);
  const verdict = { value, expected, scale, z, relativeChange, basis };
  const kind = z > 0 ? 'up' : 'down';
  if (z === 0 || (opts.direction !== 'both' && opts.direction !== kind)) return { ...verdict, evidence: null, reason: 'as expected or other direction' };
  if (Math.max(Math.abs(value), Math.abs(expected)) < opts.minVolume) return { ...verdict, evidence: null, reason: 'below min volume' };
  const rel = Math.abs(relativeChange);
  const level = evidenceLevel(Math.abs(z) >= opts.z && rel >= opts.minRelativeChange, Math.abs(z) >= opts.stayZ && rel >= opts.minRelativeChange / 2);
  return { ...verdict, evidence: level, reason: level === null ? 'within normal range' : kind };
}
