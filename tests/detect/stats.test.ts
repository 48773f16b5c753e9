import { describe, expect, it } from 'vitest';
import { binomialZ, mad, mean, median, poissonZ, quantile, weightedMedian } from '../../src/detect/stats.js';

describe('median / mean / quantile / mad', () => {
  it('median of odd and even counts, unsorted input untouched', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([1, 18, 8.71, 10.42])).toBeCloseTo((8.71 + 10.42) / 2, 10);
  });

  it('ignores non-finite values and gives NaN for no values', () => {
    expect(median([NaN, 2, 4, Infinity])).toBe(3);
    expect(mean([1, NaN, 3])).toBe(2);
    expect(median([])).toBeNaN();
    expect(mean([])).toBeNaN();
    expect(mad([])).toBeNaN();
  });

  it('quantile interpolates linearly like numpy', () => {
    // numpy.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 2.5, 3.7, 4]
    const xs = [4, 1, 3, 2];
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile(xs, 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile(xs, 0.5)).toBeCloseTo(2.5, 12);
    expect(quantile(xs, 0.9)).toBeCloseTo(3.7, 12);
    expect(quantile(xs, 1)).toBe(4);
    expect(quantile([7], 0.3)).toBe(7);
    expect(() => quantile(xs, 1.5)).toThrow(RangeError);
  });

  it('mad is the median absolute deviation and shrugs off an outlier', () => {
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    expect(mad([2, 2, 2])).toBe(0);
  });
});


describe('poissonZ (Anscombe)', () => {
  it('is 2(√(obs+3/8) − √(exp+3/8)), signed', () => {
    expect(poissonZ(0, 9.565)).toBeCloseTo(2 * (Math.sqrt(0.375) - Math.sqrt(9.94)), 10);
    expect(poissonZ(0, 9.565)).toBeLessThan(-5);
    expect(poissonZ(50, 20)).toBeGreaterThan(4);
    expect(poissonZ(12, 12)).toBe(0);
  });

  it('stays finite when the expectation is 0', () => {
    expect(Number.isFinite(poissonZ(3, 0))).toBe(true);
    expect(poissonZ(3, 0)).toBeCloseTo(2 * (Math.sqrt(3.375) - Math.sqrt(0.375)), 10);
  });

  it('grows with the size of the deviation', () => {
    expect(Math.abs(poissonZ(0, 30))).toBeGreaterThan(Math.abs(poissonZ(10, 30)));
    expect(() => poissonZ(-1, 3)).toThrow(RangeError);
  });
});

describe('binomialZ', () => {
  it('applies the continuity correction', () => {
    // 60 of 100 at p = 0.5: (60 − 50 − 0.5) / 5 = 1.9.
    expect(binomialZ(60, 100, 0.5)).toBeCloseTo(1.9, 12);
    expect(binomialZ(40, 100, 0.5)).toBeCloseTo(-1.9, 12);
    // Within half an event of the expectation: no evidence at all.
    expect(binomialZ(50, 100, 0.5)).toBe(0);
    expect(binomialZ(5, 100, 0.0503)).toBe(0);
  });

  it('is finite when p is 0 or 1, using the floor', () => {
    const z0 = binomialZ(3, 1000, 0);
    expect(Number.isFinite(z0)).toBe(true);
    expect(z0).toBeGreaterThan(0);
    // With an explicit floor of 1e-4: (3 − 0.1 − 0.5) / √(0.1·0.9999).
    expect(binomialZ(3, 1000, 0, { pFloor: 1e-4 })).toBeCloseTo(2.4 / Math.sqrt(1000 * 1e-4 * (1 - 1e-4)), 10);
    expect(binomialZ(990, 1000, 1)).toBeLessThan(0);
    expect(binomialZ(0, 0, 0.3)).toBe(0);
  });

  it('rejects impossible inputs', () => {
    expect(() => binomialZ(5, 3, 0.5)).toThrow(RangeError);
    expect(() => binomialZ(1, 3, 1.2)).toThrow(RangeError);
  });
});


describe('weightedMedian', () => {
  it('is the value where half the weight is reached; equal weights give the median', () => {
    expect(weightedMedian([3, 1, 2], [1, 1, 1])).toBe(2);
    expect(weightedMedian([1, 2, 3, 4], [1, 1, 1, 1])).toBe(2.5);
    expect(weightedMedian([0, 0.005, 0.19], [80, 20_000, 19_000])).toBe(0.005);
    expect(weightedMedian([0, 0.005, 0.19], [80, 19_000, 20_000])).toBe(0.19);
  });
  it('ignores zero weights and non-finite values; NaN when nothing is left', () => {
    expect(weightedMedian([5, 1, NaN], [0, 2, 3])).toBe(1);
    expect(Number.isNaN(weightedMedian([], []))).toBe(true);
    expect(() => weightedMedian([1], [])).toThrow(RangeError);
  });
});
