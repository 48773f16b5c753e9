import { describe, expect, it } from 'vitest';
import { groupRuns } from '../../src/detect/episodes.js';

const flags = (s: string): boolean[] => [...s].map((c) => c === 'x');
const id = (b: boolean): boolean => b;

describe('groupRuns', () => {
  it('merges consecutive alerting points into runs', () => {
    expect(groupRuns(flags('..xxx..x.xx'), id)).toEqual([
      { startIndex: 2, endIndex: 4 },
      { startIndex: 7, endIndex: 7 },
      { startIndex: 9, endIndex: 10 },
    ]);
  });

  it('bridges gaps of up to `gap` quiet points, never more', () => {
    const f = flags('xx.x..x...x');
    expect(groupRuns(f, id, 1)).toEqual([
      { startIndex: 0, endIndex: 3 },
      { startIndex: 6, endIndex: 6 },
      { startIndex: 10, endIndex: 10 },
    ]);
    expect(groupRuns(f, id, 2)).toEqual([
      { startIndex: 0, endIndex: 6 },
      { startIndex: 10, endIndex: 10 },
    ]);
    expect(groupRuns(f, id, 3)).toEqual([{ startIndex: 0, endIndex: 10 }]);
  });

  it('runs start and end on alerting points (trailing quiet points are not included)', () => {
    expect(groupRuns(flags('..x..'), id, 5)).toEqual([{ startIndex: 2, endIndex: 2 }]);
  });

  it('handles no alerts, all alerts and empty input', () => {
    expect(groupRuns(flags('....'), id)).toEqual([]);
    expect(groupRuns(flags('xxxx'), id)).toEqual([{ startIndex: 0, endIndex: 3 }]);
    expect(groupRuns([], id)).toEqual([]);
  });

  it('works on objects through the predicate', () => {
    const minutes = [
      { t: '14:32', z: 1 },
      { t: '14:33', z: 41 },
      { t: '14:34', z: 38 },
      { t: '14:35', z: 2 },
    ];
    const runs = groupRuns(minutes, (m) => m.z > 5);
    expect(runs.map((r) => `${minutes[r.startIndex]!.t}–${minutes[r.endIndex]!.t}`)).toEqual(['14:33–14:34']);
  });

  it('rejects a negative or fractional gap', () => {
    expect(() => groupRuns([true], id, -1)).toThrow(RangeError);
    expect(() => groupRuns([true], id, 0.5)).toThrow(RangeError);
  });
});
