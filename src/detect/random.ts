/**
 * Small seeded pseudo-random helpers so that every randomised detector (Isolation Forest) and
 * every test is reproducible. Not for cryptography.
 */

/** Mulberry32: a fast 32-bit seeded generator returning uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in 0..n-1 (n ≥ 1). */
export function randomInt(rng: () => number, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`randomInt: n must be a positive integer, got ${n}`);
  // min() guards against an rng that (wrongly) returns exactly 1.
  return Math.min(n - 1, Math.floor(rng() * n));
}

/**
 * k distinct indices drawn uniformly from 0..n-1, in random order (partial Fisher–Yates).
 * Uses a sparse swap map so drawing 256 of 1,000,000 does not allocate a million slots.
 */
export function shuffleSample(rng: () => number, n: number, k: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`shuffleSample: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`shuffleSample: k must be an integer in 0..${n}, got ${k}`);
  const swapped = new Map<number, number>();
  const out: number[] = new Array<number>(k);
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(rng, n - i);
    const vj = swapped.get(j) ?? j;
    const vi = swapped.get(i) ?? i;
    swapped.set(j, vi);
    out[i] = vj;
  }
  return out;
}

/** A standard normal deviate (Box–Muller), handy for seeded synthetic data. */
export function randomNormal(rng: () => number): number {
  // 1 - rng() is in (0, 1], so log() never sees 0.
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
