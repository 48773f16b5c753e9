import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt, randomNormal, shuffleSample } from '../../src/detect/random.js';

describe('mulberry32', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const sa = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(sa);
  });

  it('returns numbers in [0, 1) with a roughly uniform mean and spread', () => {
    const rng = mulberry32(1);
    const xs = Array.from({ length: 20000 }, () => rng());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(m).toBeCloseTo(0.5, 1);
    const tenths = new Array<number>(10).fill(0);
    for (const x of xs) tenths[Math.floor(x * 10)]!++;
    for (const count of tenths) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });
});

describe('randomInt', () => {
  it('covers 0..n-1 and nothing else', () => {
    const rng = mulberry32(5);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(randomInt(rng, 7));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('stays in range even for a generator returning exactly 1', () => {
    expect(randomInt(() => 0.9999999999999999, 3)).toBe(2);
    expect(randomInt(() => 1, 3)).toBe(2);
  });

  it('rejects n < 1', () => {
    expect(() => randomInt(mulberry32(1), 0)).toThrow(RangeError);
  });
});

describe('shuffleSample', () => {
  it('returns k distinct indices within 0..n-1', () => {
    const rng = mulberry32(9);
    const s = shuffleSample(rng, 1_000_000, 256);
    expect(s).toHaveLength(256);
    expect(new Set(s).size).toBe(256);
    for (const i of s) expect(i >= 0 && i < 1_000_000 && Number.isInteger(i)).toBe(true);
  });

  it('k = n is a permutation', () => {
    const s = shuffleSample(mulberry32(3), 50, 50);
    expect([...s].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(s).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('draws every index about equally often', () => {
    const rng = mulberry32(11);
    const counts = new Array<number>(10).fill(0);
    for (let r = 0; r < 5000; r++) for (const i of shuffleSample(rng, 10, 3)) counts[i]!++;
    // 15000 draws over 10 indices: 1500 each.
    for (const c of counts) expect(Math.abs(c - 1500)).toBeLessThan(150);
  });

  it('handles k = 0 and rejects k > n', () => {
    expect(shuffleSample(mulberry32(1), 5, 0)).toEqual([]);
    expect(() => shuffleSample(mulberry32(1), 5, 6)).toThrow(RangeError);
  });
});

describe('randomNormal', () => {
  it('has mean ≈ 0 and standard deviation ≈ 1', () => {
    const rng = mulberry32(123);
    const xs = Array.from({ length: 20000 }, () => randomNormal(rng));
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    expect(xs.every(Number.isFinite)).toBe(true);
  });
});
