import { describe, expect, it } from 'vitest';
import { evidenceLevel, firesWith } from '../../src/detect/hysteresis.js';

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
