import { z } from 'zod';
import { formatNumber, formatZ } from '../detect/format.js';
import { judgeMetric } from '../detect/metric.js';
import { fromDbTime, parseDuration, toDbTime, toIso, DAY, MINUTE } from '../time.js';
import type { Anomaly } from '../types.js';
import type { CheckContext, CheckDefinition, CheckType, Evaluation } from './check-type.js';
import { durationParam, toNumber } from './param-helpers.js';

const params = z
  .object({
    /** Spacing of the points the SQL returns (1h for hourly buckets, 1m for minutes). */
    interval: durationParam('1h'),
    /** Earlier days compared at the same time of day (0: no daily rhythm, judge against the recent points). */
    days: z.number().int().min(0).max(56).default(7),
    /** Earlier days with a point needed for the same-time comparison (fewer: recent points only). */
    min_days: z.number().int().min(1).default(3),
    /** Recent points before the judged one that give today's level (or, alone, the expectation). */
    trend_points: z.number().int().min(3).max(1000).default(6),
    /** Which way is bad. */
    direction: z.enum(['up', 'down', 'both']).default('both'),
    /** Robust z (deviation / (1.4826 × MAD)) needed to start an alert. */
    z: z.number().positive().default(5),
    /** A firing alert stays while |z| ≥ stay_z (and half of min_relative_change persists). */
    stay_z: z.number().positive().default(2),
    /** |value − expected| / |expected| needed to start an alert (0.3 = 30 %). */
    min_relative_change: z.number().min(0).default(0.3),
    /** No alert unless the value or its expectation reaches this (tiny counts are noise). */
    min_volume: z.number().min(0).default(0),
    /** Word for the value in messages ("refunds", "ms"). */
    unit: z.string().default(''),
  })
  .strict();
type Params = z.infer<typeof params>;

/**
 * Any metric: the SQL returns `ts, value` (and optionally `series`) for `:from <= ts < :to`, one
 * row per point (per series). The latest complete point of each series is judged against the same
 * time of day on earlier days and the recent level (see src/detect/metric.ts).
 */
export class MetricCheck implements CheckType<Params> {
  readonly type = 'metric';
  readonly description = 'latest point of any series vs the same time on earlier days and the recent level (robust z)';
  readonly params = params;
  readonly sqlParameters = ['from', 'to'];
  /** Replay evaluates it every 5 minutes, like cron. */
  readonly replayCadenceMs = 5 * MINUTE;

  async evaluate(check: CheckDefinition<Params>, ctx: CheckContext): Promise<Evaluation> {
    const p = check.params;
    const intervalMs = parseDuration(p.interval)!;
    // Points are complete when their interval has ended; the latest such point is judged.
    const latestStart = Math.floor((ctx.at - intervalMs) / intervalMs) * intervalMs;
    const from = latestStart - p.days * DAY - (p.trend_points + 1) * intervalMs;
    const rows = await ctx.engine.query(check.sql, { from: toDbTime(from), to: toDbTime(latestStart + intervalMs) });
    const bySeries = new Map<string, Map<number, number>>();
    for (const row of rows) {
      if (!('ts' in row) || !('value' in row)) throw new Error(`${check.sqlSource}: a metric query returns columns ts, value (and optionally series)`);
      const ts = fromDbTime(String(row.ts));
      if (!Number.isFinite(ts)) throw new Error(`${check.sqlSource}: ts value ${JSON.stringify(row.ts)} is not a timestamp`);
      const value = toNumber(row.value);
      if (value === null) continue;
      const key = 'series' in row && row.series !== null ? String(row.series) : 'value';
      let points = bySeries.get(key);
      if (!points) bySeries.set(key, (points = new Map()));
      points.set(ts, value);
    }
    const metrics: Record<string, number | string | null> = { series: bySeries.size };
    const anomalies: Anomaly[] = [];
    let judged = 0;
    for (const [key, points] of bySeries) {
      if (!points.has(latestStart)) continue;
      const v = judgeMetric(points, latestStart, {
        intervalMs,
        days: p.days,
        minDays: p.min_days,
        trendPoints: p.trend_points,
        direction: p.direction,
        z: p.z,
        stayZ: p.stay_z,
        minRelativeChange: p.min_relative_change,
        minVolume: p.min_volume,
      });
      if (v.basis === 'none') continue;
      judged++;
      if (bySeries.size === 1) {
        metrics.value = v.value;
        metrics.expected = v.expected === null ? null : round(v.expected);
        metrics.z = v.z === null ? null : Math.round(v.z * 10) / 10;
      }
      if (v.evidence === null) continue;
      const unit = p.unit ? ` ${p.unit}` : '';
      const pct = v.relativeChange === null || !Number.isFinite(v.relativeChange) ? '' : ` (${v.relativeChange > 0 ? '+' : ''}${Math.round(v.relativeChange * 100)} %)`;
      anomalies.push({
        key,
        start: toIso(latestStart),
        end: toIso(latestStart + intervalMs),
        observed: round(v.value),
        expected: round(v.expected!),
        score: Math.round(v.z! * 10) / 10,
        ...(v.evidence === 'stay' ? { evidence: 'stay' as const } : {}),
        message: `${key === 'value' ? check.name : key}: ${formatNumber(round(v.value))}${unit} at ${toIso(latestStart)} vs ${formatNumber(round(v.expected!))}${unit} expected${pct}, from the ${v.basis} (${formatZ(v.z!)})${v.evidence === 'stay' ? ', still off normal' : ''}`,
      });
    }
    metrics.judged = judged;
    if (judged === 0) {
      return { status: 'skipped', anomalies: [], metrics, reason: rows.length ? 'not enough history before the latest point' : 'no points' };
    }
    return { status: anomalies.some((a) => a.evidence !== 'stay') ? 'alert' : 'ok', anomalies, metrics };
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
