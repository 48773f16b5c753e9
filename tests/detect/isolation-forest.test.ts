import { describe, expect, it } from 'vitest';
import { IsolationForest, averagePathLength } from '../../src/detect/isolation-forest.js';
import { mulberry32, randomNormal } from '../../src/detect/random.js';

/** n seeded standard-normal points in d dimensions, then the planted outliers appended. */
function cloudWithOutliers(seed: number, n: number, d: number, outliers: number[][]): number[][] {
  const rng = mulberry32(seed);
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => randomNormal(rng)));
  return [...X, ...outliers];
}

function topK(scores: number[], k: number): number[] {
  return scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

const planted2d = [
  [8, 8],
  [-9, 2],
  [-7, -8],
  [7, -7],
  [-6, 7],
];

describe('averagePathLength', () => {
  it('has the known values', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(10.2445, 3);
    // 2(ln 2 + γ) − 4/3
    expect(averagePathLength(3)).toBeCloseTo(2 * (Math.log(2) + 0.5772156649) - 4 / 3, 12);
  });

  it('increases with n, like 2 ln n', () => {
    let prev = averagePathLength(1);
    for (let n = 2; n <= 5000; n++) {
      const c = averagePathLength(n);
      expect(c).toBeGreaterThan(prev);
      prev = c;
    }
    expect(averagePathLength(1e6) / (2 * Math.log(1e6))).toBeCloseTo(1, 1);
  });
});

describe('IsolationForest', () => {
  const X = cloudWithOutliers(7, 1000, 2, planted2d);
  const plantedIdx = planted2d.map((_, i) => 1000 + i);

  it('ranks the planted outliers first', () => {
    const forest = new IsolationForest({ seed: 1 }).fit(X);
    const scores = forest.score(X);
    expect(topK(scores, 5)).toEqual(plantedIdx);
    for (const i of plantedIdx) expect(scores[i]!).toBeGreaterThan(0.6);
    const inliers = scores.slice(0, 1000).sort((a, b) => a - b);
    expect(inliers[500]!).toBeLessThan(0.5);
  });

  it('finds outliers in higher dimensions too', () => {
    const rng = mulberry32(99);
    const outliers = Array.from({ length: 4 }, () => Array.from({ length: 10 }, () => 6 + randomNormal(rng)));
    const X10 = cloudWithOutliers(3, 2000, 10, outliers);
    const scores = new IsolationForest({ seed: 4 }).fit(X10).score(X10);
    expect(topK(scores, 4)).toEqual([2000, 2001, 2002, 2003]);
  });

  it('gives scores in (0, 1]', () => {
    const scores = new IsolationForest({ seed: 2 }).fit(X).score([...X, [1e9, -1e9], [0, 0]]);
    for (const s of scores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('scores unseen points: far away is more anomalous than the centre', () => {
    const forest = new IsolationForest({ seed: 2 }).fit(X);
    const [centre, far] = forest.score([[0, 0], [20, 20]]);
    expect(far!).toBeGreaterThan(centre!);
    expect(forest.predict([[0, 0], [20, 20]])).toEqual([false, true]);
  });

  it('is deterministic for a seed; another seed grows other trees but finds the same outliers', () => {
    const a = new IsolationForest({ seed: 11 }).fit(X).score(X);
    const b = new IsolationForest({ seed: 11 }).fit(X).score(X);
    const c = new IsolationForest({ seed: 12 }).fit(X).score(X);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(topK(c, 5)).toEqual(topK(a, 5));
  });

  it('contamination 0.05 flags about 5 % of the training points', () => {
    const forest = new IsolationForest({ seed: 5, contamination: 0.05 }).fit(X);
    const flagged = forest.predict(X).filter(Boolean).length;
    expect(flagged).toBeGreaterThanOrEqual(48);
    expect(flagged).toBeLessThanOrEqual(53);
    expect(forest.threshold).toBeGreaterThan(0.4);
    expect(forest.trainingScores).toHaveLength(X.length);
    for (const i of plantedIdx) expect(forest.predict([X[i]!])).toEqual([true]);
  });

  it("contamination 'auto' puts the threshold at 0.5", () => {
    const forest = new IsolationForest({ seed: 5 }).fit(X);
    expect(forest.threshold).toBe(0.5);
    const scores = forest.score(X);
    expect(forest.predict(X)).toEqual(scores.map((s) => s > 0.5));
  });

  it('copes with a constant feature and with all-constant data', () => {
    const withConstant = X.map((row) => [row[0]!, 3, row[1]!]);
    const scores = new IsolationForest({ seed: 6 }).fit(withConstant).score(withConstant);
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(topK(scores, 5)).toEqual(plantedIdx);
    // Nothing can be isolated: every tree is a single leaf and every score is exactly 0.5.
    const flat = Array.from({ length: 50 }, () => [1, 2]);
    for (const s of new IsolationForest().fit(flat).score(flat)) expect(s).toBeCloseTo(0.5, 12);
  });

  it('handles tiny data sets and a sample size larger than the data', () => {
    expect(new IsolationForest().fit([[1, 2]]).score([[1, 2], [5, 5]])).toEqual([0.5, 0.5]);
    const small = [[0], [0.1], [0.2], [0.15], [0.05], [10]];
    const scores = new IsolationForest({ sampleSize: 256, seed: 3 }).fit(small).score(small);
    expect(topK(scores, 1)).toEqual([5]);
  });

  it('with maxFeatures below 1 each tree sees a subset and still finds the outliers', () => {
    const rng = mulberry32(21);
    const outliers = [Array.from({ length: 6 }, () => 7 + randomNormal(rng)), Array.from({ length: 6 }, () => -7 + randomNormal(rng))];
    const X6 = cloudWithOutliers(8, 800, 6, outliers);
    const scores = new IsolationForest({ seed: 9, maxFeatures: 0.5 }).fit(X6).score(X6);
    expect(topK(scores, 2)).toEqual([800, 801]);
    const differs = new IsolationForest({ seed: 9, maxFeatures: 1.0 }).fit(X6).score(X6);
    expect(differs).not.toEqual(scores);
  });

  it('rejects bad input and use before fit', () => {
    expect(() => new IsolationForest().score([[1]])).toThrow(/fit/);
    expect(() => new IsolationForest().threshold).toThrow(/fit/);
    expect(() => new IsolationForest().fit([])).toThrow(RangeError);
    expect(() => new IsolationForest().fit([[1, 2], [3]])).toThrow(/row 1/);
    expect(() => new IsolationForest().fit([[1, NaN]])).toThrow(/finite/);
    const forest = new IsolationForest().fit([[1, 2], [3, 4]]);
    expect(() => forest.score([[1, 2, 3]])).toThrow(RangeError);
    expect(forest.score([])).toEqual([]);
    expect(() => new IsolationForest({ contamination: 0.7 })).toThrow(RangeError);
    expect(() => new IsolationForest({ nTrees: 0 })).toThrow(RangeError);
    expect(() => new IsolationForest({ sampleSize: 1.5 })).toThrow(RangeError);
    expect(() => new IsolationForest({ maxFeatures: 2.5 })).toThrow(RangeError);
  });

  it('agrees with scikit-learn 1.2.1 on the same data', () => {
    // Reference: mean of -IsolationForest(random_state=s).fit(X).score_samples(X) over s = 0..199
    // (sklearn 1.2.1, default options) on exactly this data set, written out from the generator.
    // Averaging over seeds removes the randomness of either implementation.
    const data = cloudWithOutliers(7, 1000, 2, [[7, 7], [-8, 1], [0, -9], [6, -6], [-5, 6]]);
    const reference: Record<number, number> = { 1000: 0.7797, 1001: 0.7125, 1002: 0.6878, 1003: 0.7785, 1004: 0.7821, 92: 0.6743, 312: 0.389 };
    const avg = new Array<number>(data.length).fill(0);
    for (let seed = 1; seed <= 20; seed++) {
      new IsolationForest({ seed }).fit(data).score(data).forEach((s, i) => (avg[i]! += s / 20));
    }
    for (const [i, expected] of Object.entries(reference)) expect(Math.abs(avg[Number(i)]! - expected)).toBeLessThan(0.01);
    expect(Math.abs(avg.reduce((a, b) => a + b, 0) / avg.length - 0.444)).toBeLessThan(0.005);
  });

  it('fits and scores 10,000 × 20 with 100 trees × 256 samples quickly', () => {
    const rng = mulberry32(1234);
    const big = Array.from({ length: 10000 }, () => Array.from({ length: 20 }, () => randomNormal(rng)));
    const t0 = performance.now();
    const forest = new IsolationForest({ seed: 1 }).fit(big);
    const scores = forest.score(big);
    const ms = performance.now() - t0;
    expect(scores).toHaveLength(10000);
    // Typically ~0.2 s; the bound leaves room for a busy CI machine.
    expect(ms).toBeLessThan(1500);
  });
});
