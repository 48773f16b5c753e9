/**
 * Three detectors a user might write instead of this project's checks, run on the same
 * per-minute status counts and the same replay steps (see scripts/evaluate.ts):
 * - fixed percentage thresholds on each status's share of the minute's total;
 * - NAB's windowed Gaussian on each status's count (Numenta Anomaly Benchmark, `windowedGaussian`);
 * - an Isolation Forest on the per-minute count vectors with `contamination`.
 * Evaluation code, not product code: nothing in src/ imports it.
 */
import { IsolationForest } from '../../src/detect/isolation-forest.js';
import { MINUTE } from '../../src/time.js';
import type { Episode } from '../../src/replay/replay.js';

/** Per-minute counts by status over a contiguous range of minutes (a minute without rows = all 0). */
export interface MinuteCounts {
  from: number;
  statuses: string[];
  /** counts[i][k]: status k in minute from + i·MINUTE. */
  counts: number[][];
}

/** A detector's verdict for one minute: the keys it flags. */
export type MinuteDetector = (minuteIndex: number) => string[];

/** Fixed share thresholds an analyst would write by hand (status → share, e.g. failed: 0.01). */
export function fixedShareDetector(data: MinuteCounts, thresholds: Record<string, number>): MinuteDetector {
  return (i) => {
    const row = data.counts[i];
    if (!row) return [];
    const total = row.reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    return data.statuses.filter((s, k) => thresholds[s] !== undefined && row[k]! / total > thresholds[s]!);
  };
}

/**
 * NAB's windowedGaussian on each status's per-minute count: mean and standard deviation of the
 * previous `windowSize` minutes; score = 1 − the Gaussian tail probability of |x − mean| (NAB's
 * normalProbability); a minute is flagged when the score reaches `threshold`.
 */
export function windowedGaussianDetector(data: MinuteCounts, opts: { windowSize: number; threshold: number; statuses: string[] }): MinuteDetector {
  const n = data.counts.length;
  const prefix = data.statuses.map((_, k) => {
    const s1 = new Float64Array(n + 1);
    const s2 = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const x = data.counts[i]![k]!;
      s1[i + 1] = s1[i]! + x;
      s2[i + 1] = s2[i]! + x * x;
    }
    return { s1, s2 };
  });
  return (i) => {
    if (i < 2 || i >= n) return [];
    const lo = Math.max(0, i - opts.windowSize);
    const m = i - lo;
    const out: string[] = [];
    data.statuses.forEach((status, k) => {
      if (!opts.statuses.includes(status)) return;
      const { s1, s2 } = prefix[k]!;
      const mean = (s1[i]! - s1[lo]!) / m;
      const variance = Math.max(0, (s2[i]! - s2[lo]!) / m - mean * mean);
      const std = Math.sqrt(variance) || 0.000001; // NAB's floor for a flat window
      const z = Math.abs(data.counts[i]![k]! - mean) / std;
      const score = 1 - 0.5 * erfc(z / Math.SQRT2);
      if (score >= opts.threshold) out.push(status);
    });
    return out;
  };
}

/**
 * Isolation Forest fitted on every minute of [fitFrom, fitTo) (as the seed analyst test did: the
 * whole period at once, incident included) and flagging the `contamination` share of minutes
 * that isolate fastest. Key `score`, matched to any per-minute incident it overlaps.
 */
export function isolationForestDetector(data: MinuteCounts, opts: { contamination: number; seed: number; fitFrom: number; fitTo: number }): MinuteDetector {
  const lo = Math.max(0, Math.floor((opts.fitFrom - data.from) / MINUTE));
  const hi = Math.min(data.counts.length, Math.floor((opts.fitTo - data.from) / MINUTE));
  const rows = data.counts.slice(lo, hi);
  const forest = new IsolationForest({ nTrees: 100, contamination: opts.contamination, seed: opts.seed }).fit(rows);
  const flagged = forest.predict(rows);
  return (i) => (i >= lo && i < hi && flagged[i - lo] ? ['score'] : []);
}

/**
 * Replays a per-minute detector at `stepMs` steps like `anomaly replay`: each step looks at the
 * complete minutes since the previous step (a cron-run script checks every minute it has not
 * seen) and a key alerts at the step when any of them flags it. Consecutive alerting steps form
 * one episode.
 */
export function replayDetector(
  data: MinuteCounts,
  detect: MinuteDetector,
  opts: { from: number; to: number; stepMs: number; check: string; type: string },
): Episode[] {
  const open = new Map<string, Episode>();
  const done: Episode[] = [];
  for (let at = opts.from; at <= opts.to; at += opts.stepMs) {
    const end = Math.floor(at / MINUTE) * MINUTE;
    const keys = new Set<string>();
    for (let t = end - Math.max(opts.stepMs, MINUTE); t < end; t += MINUTE) {
      for (const k of detect(Math.round((t - data.from) / MINUTE))) keys.add(k);
    }
    for (const key of keys) {
      const ep = open.get(key);
      if (ep) {
        ep.end = at;
        ep.steps++;
      } else open.set(key, { check: opts.check, type: opts.type, key, start: at, end: at, maxScore: null, steps: 1 });
    }
    for (const [key, ep] of open) {
      if (!keys.has(key)) {
        done.push(ep);
        open.delete(key);
      }
    }
  }
  done.push(...open.values());
  return done.sort((a, b) => a.start - b.start);
}

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
