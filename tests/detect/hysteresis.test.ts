import { describe, expect, it } from 'vitest';
import { evidenceLevel, firesWith, resolvesAt } from '../../src/detect/hysteresis.js';

describe('hysteresis: enter on strong evidence, stay on moderate evidence', () => {
  it.each([
    // evidence, already firing → fires after
    ['enter', false, true],
    ['enter', true, true],
    [undefined, false, true], // anomalies without a level are entry-level (every other check type)
    [undefined, true, true],
    ['stay', true, true], // moderate evidence keeps a firing alert
    ['stay', false, false], // …but never starts one
  ] as const)('evidence %s, firing %s → fires %s', (evidence, firing, expected) => {
    expect(firesWith(evidence, firing)).toBe(expected);
  });

  it.each([
    [true, true, 'enter'],
    [true, false, 'enter'],
    [false, true, 'stay'],
    [false, false, null],
  ] as const)('entry bar %s, stay bar %s → %s', (enters, stays, expected) => {
    expect(evidenceLevel(enters, stays)).toBe(expected);
  });
});

describe('resolvesAt: resolve_after clean evaluations and a keep_firing_for quiet time', () => {
  const MIN = 60_000;
  it('without keep_firing_for, resolves after resolve_after clean evaluations', () => {
    expect(resolvesAt(10 * MIN, 9 * MIN, 1, { resolveAfter: 1 })).toBe(true);
    expect(resolvesAt(10 * MIN, 9 * MIN, 1, { resolveAfter: 2 })).toBe(false);
    expect(resolvesAt(11 * MIN, 9 * MIN, 2, { resolveAfter: 2, keepFiringForMs: 0 })).toBe(true);
  });

  it('with keep_firing_for, stays firing until the last alerting evaluation is that old, at any cadence', () => {
    const policy = { resolveAfter: 1, keepFiringForMs: 30 * MIN };
    // cron every minute: 29 clean minutes are not enough, the 30th resolves
    expect(resolvesAt(29 * MIN, 0, 29, policy)).toBe(false);
    expect(resolvesAt(30 * MIN, 0, 30, policy)).toBe(true);
    // cron every 5 minutes: the same wall-clock quiet time
    expect(resolvesAt(25 * MIN, 0, 5, policy)).toBe(false);
    expect(resolvesAt(30 * MIN, 0, 6, policy)).toBe(true);
    // both conditions must hold
    expect(resolvesAt(60 * MIN, 0, 1, { resolveAfter: 2, keepFiringForMs: 30 * MIN })).toBe(false);
  });
});
