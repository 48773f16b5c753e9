import { describe, expect, it } from 'vitest';
import { formatNumber, formatPercent, formatShare, formatTimeRange, formatZ } from '../../src/detect/format.js';

describe('formatPercent', () => {
  it('formats a fraction with a space before the sign', () => {
    expect(formatPercent(0.187)).toBe('18.7 %');
    expect(formatPercent(0.005)).toBe('0.5 %');
    expect(formatPercent(0.18734, 2)).toBe('18.73 %');
    expect(formatPercent(1)).toBe('100.0 %');
    expect(formatPercent(0.5, 0)).toBe('50 %');
    expect(formatPercent(-0.25)).toBe('-25.0 %');
  });

  it('never prints "-0.0 %" and survives non-numbers', () => {
    expect(formatPercent(-0.00001)).toBe('0.0 %');
    expect(formatPercent(NaN)).toBe('n/a');
    expect(formatPercent(Infinity)).toBe('n/a');
  });
});

describe('formatNumber', () => {
  it('uses thousands separators and at most two decimals', () => {
    expect(formatNumber(4069)).toBe('4,069');
    expect(formatNumber(1234567.891)).toBe('1,234,567.89');
    expect(formatNumber(8.7)).toBe('8.7');
    expect(formatNumber(0.125)).toBe('0.13');
    expect(formatNumber(-1500)).toBe('-1,500');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-0.001)).toBe('0');
    expect(formatNumber(NaN)).toBe('n/a');
    expect(formatNumber(Infinity)).toBe('∞');
  });
});

describe('formatZ', () => {
  it('shows whole numbers from 10 on and one decimal below', () => {
    expect(formatZ(41.3)).toBe('z = 41');
    expect(formatZ(-6.14)).toBe('z = -6.1');
    expect(formatZ(3)).toBe('z = 3');
    expect(formatZ(9.96)).toBe('z = 10');
    expect(formatZ(-0.01)).toBe('z = 0');
    expect(formatZ(Infinity)).toBe('z = ∞');
    expect(formatZ(NaN)).toBe('z = n/a');
  });
});

describe('formatTimeRange', () => {
  it('shows wall-clock minutes of a range within a day', () => {
    expect(formatTimeRange('2023-05-15T14:33:00Z', '2023-05-15T14:38:00Z')).toBe('14:33–14:38');
  });

  it('accepts the stored UTC text form', () => {
    expect(formatTimeRange('2023-05-15 14:33:00', '2023-05-15 14:38:59')).toBe('14:33–14:38');
  });

  it('shows the date when asked or when the range spans days', () => {
    expect(formatTimeRange('2023-05-15T14:33:00Z', '2023-05-15T14:38:00Z', 'UTC', { withDate: true })).toBe('2023-05-15 14:33–14:38');
    expect(formatTimeRange('2023-05-15T23:50:00Z', '2023-05-16T00:10:00Z')).toBe('2023-05-15 23:50 – 2023-05-16 00:10');
  });

  it('converts to the given time zone, which can move the date', () => {
    // São Paulo is UTC−3 (no DST since 2019).
    expect(formatTimeRange('2023-05-15T14:33:00Z', '2023-05-15T14:38:00Z', 'America/Sao_Paulo')).toBe('11:33–11:38');
    expect(formatTimeRange('2023-05-16T01:00:00Z', '2023-05-16T02:00:00Z', 'America/Sao_Paulo')).toBe('22:00–23:00');
    expect(formatTimeRange('2023-05-16T02:30:00Z', '2023-05-16T03:30:00Z', 'America/Sao_Paulo')).toBe('2023-05-15 23:30 – 2023-05-16 00:30');
    // Offsets in the input are honoured.
    expect(formatTimeRange('2023-05-15T16:33:00+02:00', '2023-05-15T16:38:00+02:00')).toBe('14:33–14:38');
  });

  it('reads a range inside one minute as a moment ("at 14:33", never "14:33–14:33")', () => {
    expect(formatTimeRange('2023-05-15T14:33:00Z', '2023-05-15T14:33:59Z')).toBe('at 14:33');
    expect(formatTimeRange('2023-05-15T14:33:00Z', '2023-05-15T14:33:00Z', 'UTC', { withDate: true })).toBe('at 2023-05-15 14:33');
  });

  it('formats shares as percentages, with two decimals below 1 %', () => {
    expect(formatShare(0.0778)).toBe('7.8 %');
    expect(formatShare(0.0031)).toBe('0.31 %');
    expect(formatShare(0)).toBe('0.0 %');
  });

  it('rejects what is not a timestamp and unknown zones', () => {
    expect(() => formatTimeRange('yesterday', '2023-05-15T14:33:00Z')).toThrow(RangeError);
    expect(() => formatTimeRange('2023-05-15T14:33:00Z', '2023-05-15T14:38:00Z', 'Mars/Olympus')).toThrow(RangeError);
  });
});
