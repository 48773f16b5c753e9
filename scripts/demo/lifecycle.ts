import { DAY, HOUR } from '../../src/time.js';
import type { Rng } from './random.js';
import { eventCode } from './scheduler.js';

/** Schedules one transaction of the order being planned. */
export type ScheduleFn = (atMs: number, code: number) => void;

export interface LifecycleRates {
  /** Auth declined: the order then has no other transaction. */
  authFail: number;
  /** Voided (successfully) instead of settled. */
  void: number;
  /** A failed settle followed by a successful one a few hours later. */
  failedRetry: number;
  /** Refunded after its settle. */
  refund: number;
  /** Settled slowly (3–6 days): still pending, but not overdue, at demo time. */
  slow: number;
}

export const DEMO_RATES: LifecycleRates = { authFail: 0.03, void: 0.05, failedRetry: 0.02, refund: 0.01, slow: 0.01 };

/**
 * Benchmark rates: more retries and refunds give ≈ 2.3 transactions per order, so that
 * N / 2.2 orders are sure to yield N transactions (the ratio the benchmarks size inputs by).
 */
export const BENCH_RATES: LifecycleRates = { authFail: 0.03, void: 0.05, failedRetry: 0.1, refund: 0.25, slow: 0.01 };

/** Longest delay a normal lifecycle schedules after the auth (slow settle + retry + refund). */
export const NORMAL_MAX_DELAY = 6 * DAY + 6 * HOUR + 3 * DAY;

/** Whole seconds, so every timestamp in the CSV is exact. */
const seconds = (ms: number): number => Math.round(ms / 1000) * 1000;

/** Delay from auth to settle: mostly within 24 h, the rest up to 72 h, a few slow ones. */
function settleDelay(rng: Rng, rates: LifecycleRates): number {
  if (rng.chance(rates.slow)) return seconds(rng.uniform(3 * DAY, 6 * DAY));
  if (rng.chance(0.8)) return seconds(HOUR + 23 * HOUR * rng.next() ** 1.5);
  return seconds(rng.uniform(24 * HOUR, 72 * HOUR));
}

/** The normal life of an order whose auth happens at `authMs`; every finish lands within 7 days. */
export function normalLifecycle(rng: Rng, rates: LifecycleRates, authMs: number, schedule: ScheduleFn): void {
  if (rng.chance(rates.authFail)) {
    schedule(authMs, eventCode('auth', true));
    return;
  }
  schedule(authMs, eventCode('auth', false));
  if (rng.chance(rates.void)) {
    schedule(authMs + seconds(rng.uniform(HOUR, 48 * HOUR)), eventCode('void', false));
    return;
  }
  let settledAt = authMs + settleDelay(rng, rates);
  if (rng.chance(rates.failedRetry)) {
    schedule(settledAt, eventCode('settle', true));
    settledAt += seconds(rng.uniform(2 * HOUR, 6 * HOUR));
  }
  schedule(settledAt, eventCode('settle', false));
  if (rng.chance(rates.refund)) {
    schedule(settledAt + seconds(rng.uniform(DAY, 3 * DAY)), eventCode('refund', false));
  }
}
