/**
 * Count-data checks: the share of a status (reversed, denied, failed…) in a window against its
 * share over a trailing baseline, and a collapse of total volume.
 */
import { binomialZ, poissonZ } from './stats.js';

export interface RateInput {
  /** Events of the watched status in the window. */
  count: number;
  /** All events in the window. */
  total: number;
  baselineCount: number;
  baselineTotal: number;
}

export interface RateOptions {
  direction: 'up' | 'down' | 'both';
  /** Minimum count of the watched status (for 'up') or of its expected count (for 'down'). */
  minCount: number;
  zThreshold: number;
  /** The share must also be this many times the expected share (or, for drops, this many times smaller), e.g. 2. */
  minRatio?: number;
}

export interface RateVerdict {
  /** count / total (0 when total is 0). */
  share: number;
  /** Smoothed baseline share (baselineCount + ½) / (baselineTotal + 1). */
  expectedShare: number;
  /** Signed binomial z of count in total against expectedShare, with continuity correction. */
  z: number;
  alert: boolean;
  reason: string;
}

/**
 * The baseline share, smoothed by half an event so a status never seen in the baseline has a
 * small non-zero expectation instead of an infinite z for its first occurrence.
 */
export function smoothedShare(count: number, total: number): number {
  return (count + 0.5) / (total + 1);
}

/** Decide whether a status's share in the window is abnormally high (or low). */
export function judgeRate(input: RateInput, opts: RateOptions): RateVerdict {
  const { count, total, baselineCount, baselineTotal } = input;
  if (!(total >= 0 && count >= 0 && count <= total)) throw new RangeError(`judgeRate: need 0 ≤ count ≤ total (got ${count}, ${total})`);
  if (!(baselineTotal >= 0 && baselineCount >= 0 && baselineCount <= baselineTotal)) {
    throw new RangeError(`judgeRate: need 0 ≤ baselineCount ≤ baselineTotal (got ${baselineCount}, ${baselineTotal})`);
  }
  const share = total === 0 ? 0 : count / total;
  const expectedShare = smoothedShare(baselineCount, baselineTotal);
  // The smoothing already keeps the share off 0 and 1; a floor at that same half event stops
  // binomialZ from applying its own (window-sized) default floor on top.
  const z = binomialZ(count, total, expectedShare, { pFloor: 0.5 / (baselineTotal + 1) });
  const quiet = (reason: string): RateVerdict => ({ share, expectedShare, z, alert: false, reason });

  if (total === 0) return quiet('no data in window');
  if (z === 0) return quiet('as expected');
  const kind = z > 0 ? 'up' : 'down';
  if (opts.direction !== 'both' && opts.direction !== kind) return quiet(`${kind} ignored (direction ${opts.direction})`);

  // Drops are gated on the expected count: a status that normally happens 3 times cannot "vanish".
  const evidence = kind === 'up' ? count : total * expectedShare;
  if (evidence < opts.minCount) return quiet('below min count');
  if (Math.abs(z) < opts.zThreshold) return quiet('z below threshold');
  if (opts.minRatio !== undefined) {
    const ratio = kind === 'up' ? share / expectedShare : share === 0 ? Infinity : expectedShare / share;
    if (ratio < opts.minRatio) return quiet('ratio below min ratio');
  }
  return { share, expectedShare, z, alert: true, reason: kind };
}

export interface VolumeInput {
  observed: number;
  expected: number;
}

export interface VolumeOptions {
  /** No alert when the expected volume is below this (too little to judge). */
  minExpected: number;
  /** Alert when observed < maxDropRatio × expected, e.g. 0.5. */
  maxDropRatio: number;
  /** …and the Poisson z is at most −zThreshold. */
  zThreshold: number;
}

export interface VolumeVerdict {
  alert: boolean;
  /** observed / expected (1 when both are 0, Infinity when only expected is 0). */
  ratio: number;
  /** Signed Anscombe Poisson z (see poissonZ). */
  z: number;
  reason: string;
}

/** Decide whether total volume (e.g. approved payments) collapsed far below normal. */
export function judgeVolume(input: VolumeInput, opts: VolumeOptions): VolumeVerdict {
  const { observed, expected } = input;
  const z = poissonZ(observed, expected);
  const ratio = expected === 0 ? (observed === 0 ? 1 : Infinity) : observed / expected;
  if (expected < opts.minExpected) return { alert: false, ratio, z, reason: 'below min expected' };
  if (ratio >= opts.maxDropRatio) return { alert: false, ratio, z, reason: 'drop too small' };
  if (-z < opts.zThreshold) return { alert: false, ratio, z, reason: 'z below threshold' };
  return { alert: true, ratio, z, reason: 'volume collapse' };
}

/**
 * The smallest window share that judgeRate would flag as 'up' for a window of `total` events:
 * where the corrected binomial z reaches zThreshold, and at least minRatio × expectedShare.
 * For charts (the "upper" band) and messages ("alerting above 2.1 %"). Ignores minCount.
 */
export function rateAlertShare(expectedShare: number, total: number, zThreshold: number, minRatio = 0): number {
  if (!(total > 0)) return 1;
  const p = expectedShare;
  const k = total * p + 0.5 + zThreshold * Math.sqrt(total * p * (1 - p));
  return Math.min(1, Math.max(k / total, p * minRatio));
}
