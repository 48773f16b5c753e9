import { z } from 'zod';
import { judgeBaseline, judgeRunningHour } from '../detect/baseline.js';
import { formatNumber } from '../detect/format.js';
import { fromDbTime, toIso, wallClockAt, HOUR, MINUTE } from '../time.js';
import type { Anomaly, BaselinePoint, Evidence, Severity } from '../types.js';
import type { CheckContext, CheckDefinition, CheckType, Evaluation } from './check-type.js';
import { toNumber } from './param-helpers.js';
import { commonSqlParams, COMMON_SQL_PARAMETERS } from './sql-params.js';

const params = z
  .object({
    /** Which way is bad: fewer sales (drop), more (spike), or both. */
    direction: z.enum(['drop', 'spike', 'both']).default('drop'),
    /** Below this many (observed or expected) an hour is not judged: 3 vs 0.4 at 2 a.m. is noise. */
    min_volume: z.number().min(0).default(5),
    /** Relative change needed to alert (0.5 = 50 %). */
    min_relative_change: z.number().min(0).default(0.5),
    /** Poisson z needed to alert. */
    min_z: z.number().min(0).default(3),
    /** Relative change at which severity becomes warning / critical. */
    severity: z
      .object({ warning: z.number().min(0).default(0.5), critical: z.number().min(0).default(0.8) })
      .strict()
      .default({ warning: 0.5, critical: 0.8 }),
    /**
     * The running hour is judged too, against the expectation pro-rated by the elapsed share of the
     * hour, with this stricter Poisson z (a partial hour's small counts are the classic false alarm).
     * null: only complete hours are judged.
     */
    current_hour_min_z: z.number().min(0).nullable().default(3.5),
    /** Only hours completed within this many hours before the evaluation time are judged. */
    lookback_hours: z.number().int().min(1).max(48).default(24),
    /** Word for the counted thing in messages ("sales", "orders"). */
    unit: z.string().min(1).default('sales'),
  })
  .strict();
type Params = z.infer<typeof params>;

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * Today vs yesterday vs same day last week vs the weekly and monthly averages, per source and hour.
 * The SQL returns `source, hour, today, yesterday, same_day_last_week, avg_last_week, avg_last_month`
 * for the evaluation day; only hours that have completed by the evaluation time are judged.
 */
export class BaselineCheck implements CheckType<Params> {
  readonly type = 'baseline';
  readonly description = 'today vs yesterday, same day last week and the weekly / monthly averages, per source and hour';
  readonly params = params;
  readonly sqlParameters = COMMON_SQL_PARAMETERS;
  /** The running hour is judged too: replay re-evaluates every 5 minutes, like cron (live runs: every run). */
  readonly replayCadenceMs = 5 * MINUTE;

  async evaluate(check: CheckDefinition<Params>, ctx: CheckContext): Promise<Evaluation> {
    const p = check.params;
    const rows = await ctx.engine.query(check.sql, commonSqlParams(ctx.at, ctx.tz));
    const points: BaselinePoint[] = [];
    const bySource = new Map<
      string,
      { hour: number; point: BaselinePoint; verdict: ReturnType<typeof judgeBaseline>; evidence: Evidence; partial: boolean; elapsed: number }[]
    >();
    let judged = 0;
    for (const row of rows) {
      for (const col of ['source', 'hour', 'today']) {
        if (!(col in row)) throw new Error(`${check.sqlSource}: the query returns no column "${col}" (a baseline query returns source, hour, today, yesterday, same_day_last_week, avg_last_week, avg_last_month)`);
      }
      const hour = fromDbTime(String(row.hour));
      if (!Number.isFinite(hour)) throw new Error(`${check.sqlSource}: column "hour" value ${JSON.stringify(row.hour)} is not a timestamp`);
      if (hour >= ctx.at) continue; // not started yet
      const complete = hour + HOUR <= ctx.at;
      const input = {
        observed: toNumber(row.today),
        yesterday: toNumber(row.yesterday),
        sameDayLastWeek: toNumber(row.same_day_last_week),
        avgLastWeek: toNumber(row.avg_last_week),
        avgLastMonth: toNumber(row.avg_last_month),
      };
      const opts = { direction: p.direction, minVolume: p.min_volume, minRelativeChange: p.min_relative_change, minZ: p.min_z, severity: p.severity };
      // With no non-zero baseline (the first days of data) there is nothing to compare with.
      const hasBaseline = [input.yesterday, input.sameDayLastWeek, input.avgLastWeek, input.avgLastMonth].some((v) => v !== null && v > 0);
      let verdict = judgeBaseline(input, opts);
      let evidence: Evidence | null = verdict.alert ? 'enter' : null;
      let partial = false;
      if (!complete) {
        if (p.current_hour_min_z === null) {
          evidence = null;
        } else {
          partial = true;
          const judged = judgeRunningHour(input, (ctx.at - hour) / HOUR, opts, p.current_hour_min_z);
          verdict = judged.verdict;
          evidence = judged.evidence;
        }
      }
      const inLookback = hasBaseline && hour + HOUR > ctx.at - p.lookback_hours * HOUR;
      const alert = inLookback && evidence !== null;
      if (inLookback && (complete || partial)) judged++;
      const source = String(row.source);
      const point: BaselinePoint = {
        source,
        hour: toIso(hour),
        today: input.observed,
        yesterday: input.yesterday,
        same_day_last_week: input.sameDayLastWeek,
        avg_last_week: input.avgLastWeek,
        avg_last_month: input.avgLastMonth,
        expected: verdict.expected,
        alert,
      };
      points.push(point);
      let list = bySource.get(source);
      if (!list) bySource.set(source, (list = []));
      if (alert) list.push({ hour, point, verdict, evidence: evidence!, partial, elapsed: Math.min(ctx.at, hour + HOUR) - hour });
    }

    const anomalies: Anomaly[] = [];
    for (const [source, alerts] of bySource) {
      if (!alerts.length) continue;
      alerts.sort((a, b) => a.hour - b.hour);
      const first = alerts[0]!;
      const last = alerts[alerts.length - 1]!;
      const worst = alerts.reduce((w, a) => (RANK[a.verdict.severity ?? 'info'] > RANK[w.verdict.severity ?? 'info'] ? a : w));
      const hours = alerts.map((a) => hourLabel(a.hour, ctx.tz));
      const observed = alerts.reduce((s, a) => s + (a.point.today ?? 0), 0);
      const expected = alerts.reduce((s, a) => s + (a.verdict.expected ?? 0), 0);
      const change = expected > 0 ? (observed - expected) / expected : null;
      const detail = alerts
        .map((a) => `${hourLabel(a.hour, ctx.tz)}${a.partial ? ` (first ${Math.round(a.elapsed / 60_000)} min)` : ''} ${formatNumber(a.point.today ?? 0)} vs ${formatNumber(a.verdict.expected ?? 0)}`)
        .join(', ');
      anomalies.push({
        key: source,
        start: toIso(first.hour),
        end: toIso(last.hour + last.elapsed),
        // Only a running hour at the weaker (complete-hour) bar: keeps a firing alert, starts none.
        ...(alerts.every((a) => a.evidence === 'stay') ? { evidence: 'stay' as const } : {}),
        observed,
        expected: round2(expected),
        score: change === null ? null : round2(change),
        severity: worst.verdict.severity ?? check.severity,
        message:
          `${source}: ${p.unit} ${change !== null && change < 0 ? 'dropped' : 'rose'} ${change === null ? '' : `${Math.round(Math.abs(change) * 100)} % `}` +
          `at ${hours.join(', ')} (${detail}; expected = median of yesterday, same day last week and the averages)`,
        rows: alerts.map((a) => ({
          hour: hourLabel(a.hour, ctx.tz),
          today: a.point.today,
          yesterday: a.point.yesterday,
          same_day_last_week: a.point.same_day_last_week,
          avg_last_week: a.point.avg_last_week,
          avg_last_month: a.point.avg_last_month,
          expected: a.verdict.expected === null ? null : round2(a.verdict.expected),
        })),
      });
    }
    if (rows.length === 0) {
      return { status: 'skipped', anomalies: [], metrics: { hours: 0 }, reason: 'no rows for the evaluation day' };
    }
    return {
      status: anomalies.some((a) => a.evidence !== 'stay') ? 'alert' : 'ok',
      anomalies,
      metrics: { hours: points.length, judged, alerting_sources: anomalies.length },
      chart: { kind: 'baseline', title: `${check.name}: today vs baselines`, points, measure: `${p.unit} per hour` },
    };
  }
}


function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function hourLabel(ms: number, tz: string): string {
  return `${String(wallClockAt(ms, tz).hour).padStart(2, '0')}h`;
}
