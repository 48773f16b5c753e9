import { describe, expect, it } from 'vitest';
import { judgeMetric, type MetricOptions } from '../../src/detect/metric.js';
import { mulberry32 } from '../../src/detect/random.js';
import { DAY, HOUR } from '../../src/time.js';

const T0 = Date.parse('2026-11-20T15:00:00Z');
const opts: MetricOptions = { intervalMs: HOUR, days: 7, minDays: 3, trendPoints: 6, direction: 'both', z: 5, stayZ: 2, minRelativeChange: 0.3, minVolume: 10 };

/** Hourly refunds with a daily rhythm (low at night), ±5 % noise, over `days` days up to T0. */
function series(days: number, level = 1, seed = 7): Map<number, number> {
  const rnd = mulberry32(seed);
  const m = new Map<number, number>();
  for (let t = T0 - days * DAY; t <= T0; t += HOUR) {
    const hour = new Date(t).getUTCHours();
    m.set(t, level * (100 + 80 * Math.sin(((hour - 6) / 24) * 2 * Math.PI)) * (0.95 + 0.1 * rnd()));
  }
  return m;
}

describe('judgeMetric', () => {
  it('a normal point is no anomaly; the same point halved is (enter), a third down is only stay level', () => {
    const s = series(8);
    expect(judgeMetric(s, T0, opts).evidence).toBeNull();
    const normal = judgeMetric(s, T0, opts).expected!;
    s.set(T0, normal * 0.5);
    const drop = judgeMetric(s, T0, opts);
    expect(drop.evidence).toBe('enter');
    expect(drop.basis).toBe('same time on earlier days');
    expect(drop.z!).toBeLessThan(-5);
    s.set(T0, normal * 0.8);
    expect(judgeMetric(s, T0, opts).evidence).toBe('stay');
  });

  it('follows the recent level: a day running 40 % higher throughout is not an anomaly at its latest hour', () => {
    const s = series(8);
    for (let t = T0 - 8 * HOUR; t <= T0; t += HOUR) s.set(t, s.get(t)! * 1.4);
    const v = judgeMetric(s, T0, opts);
    expect(v.evidence).toBeNull();
    expect(v.expected!).toBeGreaterThan(1.3 * series(8).get(T0 - DAY)!);
  });

  it('respects direction and min volume', () => {
    const s = series(8);
    s.set(T0, 3 * s.get(T0)!);
    expect(judgeMetric(s, T0, opts).evidence).toBe('enter');
    expect(judgeMetric(s, T0, { ...opts, direction: 'down' }).evidence).toBeNull();
    expect(judgeMetric(s, T0, { ...opts, minVolume: 1e6 }).evidence).toBeNull();
  });

  it('without enough earlier days a rhythmic series is not judged; days: 0 judges against recent points', () => {
    const s = series(1);
    s.set(T0, 0);
    expect(judgeMetric(s, T0, opts)).toMatchObject({ evidence: null, basis: 'none' });
    const flat = new Map<number, number>();
    for (let k = 0; k <= 6; k++) flat.set(T0 - k * HOUR, 200 + (k % 2));
    flat.set(T0, 20);
    expect(judgeMetric(flat, T0, { ...opts, days: 0 })).toMatchObject({ evidence: 'enter', basis: 'recent points' });
  });
});
