/**
 * Count-data checks: the share of a status (reversed, denied, failed…) in a window against its
 * share over a trailing baseline, and a collapse of total volume.
 */
import type { Evidence } from '../types.js';
import { evidenceLevel } from './hysteresis.js';
import { binomialZ, median, poissonZ, weightedMedian } from './stats.js';

export interface RateInput {
  /** Events of the watched status in the window. */
  count: number;
  /** All events in the window. */
  total: number;
  baselineCount: number;
  baselineTotal: number;
  /** Events normally expected in the window (all statuses); lets a firing alert outlast an outage's near-empty windows. */
  expectedTotal?: number;
  /**
   * Variance of the count relative to binomial (≥ 1; see dispersionFactor): z is divided by its
   * square root, so a status that is naturally bursty needs a proportionally larger rise. Default 1.
   */
  dispersion?: number;
}

export interface RateOptions {
  direction: 'up' | 'down' | 'both';
  /** Minimum count of the watched status (for 'up') or of its expected count (for 'down'). */
  minCount: number;
  zThreshold: number;
  /** The share must also be this many times the expected share (or, for drops, this many times smaller), e.g. 2. */
  minRatio?: number;
  /**
   * Minimum excess over normal, in events: |count − total × expectedShare| ≥ this. Scales with
   * both the baseline and the volume, so 2 failures in a quiet night minute never alert while a
   * rise from 0.1 % to 1.5 % of 2,500 transactions (≈ 35 extra) does.
   */
  minExcess?: number;
  /**
   * Hysteresis: the weaker bar an alert that already fires must clear to stay firing
   * (evidence `stay`). Omitted: no stay level.
   */
  stay?: { zThreshold: number; minExcess: number; minRatio?: number };
}

export interface RateVerdict {
  /** count / total (0 when total is 0). */
  share: number;
  /** Smoothed baseline share (baselineCount + ½) / (baselineTotal + 1). */
  expectedShare: number;
  /** Signed binomial z of count in total against expectedShare, with continuity correction, divided by √dispersion. */
  z: number;
  /** count − total × expectedShare, in events (negative for drops). */
  excess: number;
  /** True when the entry bar is cleared (evidence `enter`). */
  alert: boolean;
  /** `enter` (alert), `stay` (only the stay bar cleared: keeps a firing alert), or null. */
  evidence: Evidence | null;
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
  const dispersion = Math.max(1, input.dispersion ?? 1);
  const z = binomialZ(count, total, expectedShare, { pFloor: 0.5 / (baselineTotal + 1) }) / Math.sqrt(dispersion);
  const excess = count - total * expectedShare;
  const quiet = (reason: string): RateVerdict => ({ share, expectedShare, z, excess, alert: false, evidence: null, reason });

  // A window with under a quarter of its normal volume (the feed is collapsing) cannot refute a
  // firing alert: it stays (evidence `stay`) until there is data to judge again.
  // Only where, at its normal volume, the window could show the stay excess (not at night).
  const stay = opts.stay;
  const showable = (n: number) => n * expectedShare * Math.max((stay?.minRatio ?? 1) - 1, 0.5);
  const collapsed = stay !== undefined && input.expectedTotal !== undefined && total < input.expectedTotal / 4;
  if (collapsed && showable(total) < stay.minExcess && showable(input.expectedTotal!) >= stay.minExcess) {
    return { share, expectedShare, z, excess, alert: false, evidence: 'stay', reason: 'too little data to judge (stay level)' };
  }
  if (total === 0) return quiet('no data in window');
  if (z === 0) return quiet('as expected');
  const kind = z > 0 ? 'up' : 'down';
  if (opts.direction !== 'both' && opts.direction !== kind) return quiet(`${kind} ignored (direction ${opts.direction})`);

  // Drops are gated on the expected count: a status that normally happens 3 times cannot "vanish".
  const evidence = kind === 'up' ? count : total * expectedShare;
  if (evidence < opts.minCount) return quiet('below min count');
  const ratio = kind === 'up' ? share / expectedShare : share === 0 ? Infinity : expectedShare / share;
  const clears = (bar: { zThreshold: number; minExcess?: number; minRatio?: number }): boolean =>
    Math.abs(z) >= bar.zThreshold && Math.abs(excess) >= (bar.minExcess ?? 0) && ratio >= (bar.minRatio ?? 1);
  const level = evidenceLevel(clears(opts), opts.stay !== undefined && clears(opts.stay));
  if (level === null) {
    if (Math.abs(z) < opts.zThreshold) return quiet('z below threshold');
    if (Math.abs(excess) < (opts.minExcess ?? 0)) return quiet('excess below min excess');
    return quiet('ratio below min ratio');
  }
  if (level === 'stay') return { share, expectedShare, z, excess, alert: false, evidence: 'stay', reason: `${kind} (stay level)` };
  return { share, expectedShare, z, excess, alert: true, evidence: 'enter', reason: kind };
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
  /** Hysteresis: the weaker bar a firing alert must clear to stay (evidence `stay`). */
  stay?: { maxDropRatio: number; zThreshold: number };
}

export interface VolumeVerdict {
  alert: boolean;
  evidence: Evidence | null;
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
  const quiet = (reason: string): VolumeVerdict => ({ alert: false, evidence: null, ratio, z, reason });
  if (expected < opts.minExpected) return quiet('below min expected');
  const clears = (bar: { maxDropRatio: number; zThreshold: number }) => ratio < bar.maxDropRatio && -z >= bar.zThreshold;
  const level = evidenceLevel(clears(opts), opts.stay !== undefined && clears(opts.stay));
  if (level === 'enter') return { alert: true, evidence: 'enter', ratio, z, reason: 'volume collapse' };
  if (level === 'stay') return { alert: false, evidence: 'stay', ratio, z, reason: 'volume low (stay level)' };
  return quiet(ratio >= opts.maxDropRatio ? 'drop too small' : 'z below threshold');
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

/**
 * Overdispersion of a status's count at the scale of the judged window. Each baseline chunk (an
 * hour) is cut into pieces as long as the window; per chunk, φ = Σ (cᵢ − nᵢp)² / Σ nᵢp(1 − p)
 * (a quasi-binomial moment estimate, as a ratio of sums so that a night piece with 0.01 expected
 * and 1 seen does not dominate); the result is the median over the chunks, floored at 1, so one
 * incident hour left in the baseline does not blunt the test for hours. Binomial counts give
 * φ ≈ 1; a rare status whose events come in clusters (one merchant's batch of reversals) gives
 * φ > 1, and its z is divided by √φ. Chunks with under one expected event are not used; with
 * fewer than 3 usable chunks the factor is 1 (too little to estimate).
 */
export function dispersionFactor(chunks: readonly (readonly ShareChunk[])[], share: number): number {
  if (!(share > 0 && share < 1)) return 1;
  const perChunk: number[] = [];
  for (const pieces of chunks) {
    let num = 0;
    let den = 0;
    for (const { count, total } of pieces) {
      if (!(total > 0)) continue;
      const e = total * share;
      num += (count - e) ** 2;
      den += e * (1 - share);
    }
    if (den >= 1) perChunk.push(num / den);
  }
  if (perChunk.length < 3) return 1;
  return Math.max(1, median(perChunk));
}

export interface ShareChunk {
  /** Events of the watched status in the chunk (e.g. one hour). */
  count: number;
  /** All events in the chunk. */
  total: number;
}

/**
 * The normal share of a status from trailing chunks (hours), oldest first: the volume-weighted
 * median of the chunks' shares, leaving out every chunk that would itself have started an alert
 * against the chunks kept before it. An incident hours long therefore does not become "normal"
 * while it lasts (a plain median over 6 hours gives way after 3), and a quiet night hour's 0 of
 * 80 weighs less than a day hour's 90 of 20,000. For one direction, the latest chunk's share (when
 * kept) bounds the result from the safe side. Returns the share and the total it rests on.
 *
 * The first chunk kept (the anchor) is, for one direction, the least alarming one — for `up` the
 * lowest share with one event added, (count + 1) / total, so a small chunk cannot look lowest by
 * chance — not simply the oldest: hours after a long incident, the oldest trailing hour is an
 * incident hour, and anchoring there made the incident the normal level (on the real cloudwalk
 * day, reversed "normal" at 19 % from 20:00, blind to a second surge).
 */
export function normalShare(chunks: readonly ShareChunk[], opts: RateOptions): { share: number; total: number; kept: number; keptIndices: number[] } {
  const kept: ShareChunk[] = [];
  const keptIndices: number[] = [];
  const median = () => weightedMedian(kept.map((c) => c.count / c.total), kept.map((c) => c.total));
  const order = chunks.map((_, i) => i).filter((i) => chunks[i]!.total > 0);
  const anchor = anchorChunk(chunks, order, opts.direction);
  if (anchor !== undefined) {
    order.splice(order.indexOf(anchor), 1);
    order.unshift(anchor);
  }
  for (const i of order) {
    const c = chunks[i]!;
    if (kept.length > 0 && chunkStandsOut(c, median(), kept.reduce((s, k) => s + k.total, 0), opts)) continue;
    kept.push(c);
    keptIndices.push(i);
  }
  keptIndices.sort((a, b) => a - b);
  if (kept.length === 0) return { share: NaN, total: 0, kept: 0, keptIndices };
  // Shares drift with the time of day (denied rises every evening): when the latest chunk is
  // normal, its share bounds the expectation so a lagging median does not read the drift as a rise.
  let share = median();
  const latest = chunks.length ? chunks[chunks.length - 1]! : undefined;
  if (latest && keptIndices[keptIndices.length - 1] === chunks.length - 1) {
    const s = latest.count / latest.total;
    if (opts.direction === 'up') share = Math.max(share, s);
    else if (opts.direction === 'down') share = Math.min(share, s);
  }
  return { share, total: kept.reduce((s, k) => s + k.total, 0), kept: kept.length, keptIndices };
}

/** The least alarming chunk for one direction (see normalShare); none for `both` (the oldest leads). */
function anchorChunk(chunks: readonly ShareChunk[], order: readonly number[], direction: RateOptions['direction']): number | undefined {
  if (direction === 'both' || order.length === 0) return undefined;
  const key = (c: ShareChunk) => (direction === 'up' ? (c.count + 1) / c.total : -Math.max(0, c.count - 1) / c.total);
  return order.reduce((best, i) => (key(chunks[i]!) < key(chunks[best]!) ? i : best), order[0]!);
}

/**
 * Whether a chunk's share stands out from a reference share measured on `refTotal` events by the
 * entry bar (z, excess, ratio), with a two-proportion z so that a small reference (a quiet night
 * hour) carries its own uncertainty instead of anchoring the normal level at 0.
 */
function chunkStandsOut(c: ShareChunk, refShare: number, refTotal: number, opts: RateOptions): boolean {
  const share = c.count / c.total;
  const pooled = (c.count + refShare * refTotal) / (c.total + refTotal);
  const se = Math.sqrt(Math.max(pooled * (1 - pooled), 1e-12) * (1 / c.total + 1 / refTotal));
  const z = (share - refShare) / se;
  const excess = c.count - c.total * refShare;
  const ratio = refShare > 0 ? share / refShare : Infinity;
  if (opts.direction === 'up' || opts.direction === 'both') {
    if (z >= opts.zThreshold && excess >= (opts.minExcess ?? 0) && ratio >= (opts.minRatio ?? 1)) return true;
  }
  if (opts.direction === 'down' || opts.direction === 'both') {
    const down = share > 0 ? refShare / share : Infinity;
    if (-z >= opts.zThreshold && -excess >= (opts.minExcess ?? 0) && down >= (opts.minRatio ?? 1)) return true;
  }
  return false;
}
