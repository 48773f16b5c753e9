/** Plain descriptive statistics and significance scores. Pure functions, no I/O. */

function finiteSorted(xs: readonly number[]): number[] {
  return xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

/** Median of the finite values; NaN when there are none. */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Arithmetic mean of the finite values; NaN when there are none. */
export function mean(xs: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const x of xs) {
    if (Number.isFinite(x)) {
      sum += x;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of the finite values with linear interpolation between order
 * statistics — numpy's default ("linear", position (n-1)·q). NaN when there are no values.
 */
export function quantile(xs: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const s = finiteSorted(xs);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo]!;
  const b = s[hi]!;
  return a + (b - a) * (pos - lo);
}

/** Median absolute deviation from the median, unscaled (multiply by 1.4826 for a normal σ). */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  if (Number.isNaN(m)) return NaN;
  return median(xs.filter((x) => Number.isFinite(x)).map((x) => Math.abs(x - m)));
}

/**
 * Signed z-score of a Poisson count against its expected value, using Anscombe's
 * variance-stabilising transform: z = 2·(√(obs + 3/8) − √(exp + 3/8)).
 * Unlike (obs − exp)/√exp it stays finite when exp is 0 and is close to normal for small counts.
 * Negative = fewer than expected.
 */
export function poissonZ(observed: number, expected: number): number {
  if (!(observed >= 0) || !(expected >= 0)) throw new RangeError(`poissonZ: counts must be ≥ 0 (got ${observed}, ${expected})`);
  return 2 * (Math.sqrt(observed + 0.375) - Math.sqrt(expected + 0.375));
}

export interface BinomialZOptions {
  /**
   * Floor (and 1 − ceiling) applied to p so that p = 0 or 1 does not give zero variance.
   * Default 0.5 / n: half an event in the window.
   */
  pFloor?: number;
}

/**
 * Signed z-score of k successes in n trials against success probability p, with a continuity
 * correction of ½ towards the expectation (0 when |k − np| ≤ ½). 0 when n is 0.
 */
export function binomialZ(k: number, n: number, p: number, opts: BinomialZOptions = {}): number {
  if (!(n >= 0) || !(k >= 0) || k > n) throw new RangeError(`binomialZ: need 0 ≤ k ≤ n (got k=${k}, n=${n})`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomialZ: p must be in [0, 1], got ${p}`);
  if (n === 0) return 0;
  const floor = Math.min(0.5, Math.max(opts.pFloor ?? 0.5 / n, Number.MIN_VALUE));
  const pp = Math.min(1 - floor, Math.max(floor, p));
  const diff = k - n * pp;
  const corrected = Math.max(0, Math.abs(diff) - 0.5);
  if (corrected === 0) return 0;
  return (Math.sign(diff) * corrected) / Math.sqrt(n * pp * (1 - pp));
}


/**
 * Weighted median: the smallest value whose cumulative weight reaches half the total weight
 * (the mean of two values when it is reached exactly between them). Pairs with a non-finite
 * value or a weight ≤ 0 are ignored; NaN when none remain.
 */
export function weightedMedian(values: readonly number[], weights: readonly number[]): number {
  if (values.length !== weights.length) throw new RangeError('weightedMedian: values and weights differ in length');
  const pairs = values
    .map((v, i) => [v, weights[i]!] as const)
    .filter(([v, w]) => Number.isFinite(v) && Number.isFinite(w) && w > 0)
    .sort((a, b) => a[0] - b[0]);
  if (pairs.length === 0) return NaN;
  const half = pairs.reduce((s, [, w]) => s + w, 0) / 2;
  let cum = 0;
  for (let i = 0; i < pairs.length; i++) {
    cum += pairs[i]![1];
    if (Math.abs(cum - half) < 1e-12 * half && i + 1 < pairs.length) return (pairs[i]![0] + pairs[i + 1]![0]) / 2;
    if (cum > half) return pairs[i]![0];
  }
  return pairs[pairs.length - 1]![0];
}
