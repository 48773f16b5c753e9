import { z } from 'zod';
import { formatNumber, formatPercent, formatTimeRange, formatZ } from '../detect/format.js';
import { dispersionFactor, judgeRate, judgeVolume, normalShare, rateAlertShare } from '../detect/rate.js';
import { evidenceLevel } from '../detect/hysteresis.js';
import { median, weightedMedian } from '../detect/stats.js';
import { parseDuration, toIso, DAY, HOUR, MINUTE } from '../time.js';
import type { Anomaly, ChartData, Severity } from '../types.js';
import type { CheckContext, CheckDefinition, CheckType, Evaluation } from './check-type.js';
import { completeMinutesWindow, minuteSeriesFor } from './minute-series.js';
import { durationParam } from './param-helpers.js';


const statusRule = z
  .object({
    /** Binomial z (window count vs the normal share × window total) needed to start an alert. */
    z: z.number().positive().default(5),
    /** A firing alert stays while z ≥ stay_z (and half of min_excess and of min_ratio's rise persist). */
    stay_z: z.number().positive().default(2),
    /** At least this many more transactions of the status in the window than normal (the night-time guard). */
    min_excess: z.number().min(0).default(10),
    /** Minimum count of this status in the window (kept for old configs; min_excess is the better gate). */
    min_count: z.number().int().min(0).default(0),
    /** The share must also be at least this many times its normal level. */
    min_ratio: z.number().min(1).default(2),
    /** Absolute share floor (0.02 = 2 %). Default 0: a floor stops a 20× rise from 0.1 % being seen. */
    min_share: z.number().min(0).max(1).default(0),
    direction: z.enum(['up', 'down', 'both']).default('up'),
    severity: z.enum(['info', 'warning', 'critical']).optional(),
  })
  .strict();

const params = z
  .object({
    /** The window judged: the last N complete minutes before the evaluation time. */
    window: durationParam('5m'),
    /** Normal level from the trailing hours before the window (one chunk per hour)… */
    trailing: durationParam('6h'),
    /** …and the same time of day on up to this many earlier days, when the data has them. */
    days: z.number().int().min(0).max(28).default(7),
    /** The statuses watched and how sensitive each is. */
    statuses: z.record(z.string(), statusRule.partial().strict()).default({
      failed: {},
      reversed: {},
      denied: { min_ratio: 1.5 },
    }),
    /** A collapse of volume: this status (or all, when null) far below its normal count. */
    volume: z
      .object({
        status: z.string().nullable().default('approved'),
        max_drop_ratio: z.number().gt(0).lt(1).default(0.5),
        min_expected: z.number().min(0).default(100),
        z: z.number().positive().default(5),
        /** A firing volume alert stays while z ≤ −stay_z and volume is under halfway back to normal. */
        stay_z: z.number().positive().default(2),
        severity: z.enum(['info', 'warning', 'critical']).optional(),
      })
      .strict()
      .nullable()
      .default({ status: 'approved', max_drop_ratio: 0.5, min_expected: 100, z: 5, stay_z: 2 }),
    /** Minutes with no rows at all while normally there is traffic. */
    missing: z
      .object({
        min_minutes: z.number().int().min(1).default(3),
        /** Transactions normally expected in the empty minutes: at night a quiet minute is no outage. */
        min_expected: z.number().min(0).default(20),
        severity: z.enum(['info', 'warning', 'critical']).optional(),
      })
      .strict()
      .nullable()
      .default({ min_minutes: 3, min_expected: 20 }),
    /** Hours of history drawn in the chart. */
    chart_hours: z.number().min(1).max(48).default(3),
  })
  .strict();
type Params = z.infer<typeof params>;
type Rule = z.infer<typeof statusRule>;

interface Chunk {
  from: number;
  to: number;
}

/**
 * Failed / denied / reversed (any configured status) above normal, on per-minute counts.
 * The SQL returns `minute, status, count` for `:from <= minute < :to`.
 */
export class StatusRateCheck implements CheckType<Params> {
  readonly type = 'status_rate';
  readonly description = 'share of each watched status over the last minutes vs its normal level (binomial z)';
  readonly params = params;
  readonly sqlParameters = ['from', 'to'];
  readonly replayCadenceMs = 0;

  async evaluate(check: CheckDefinition<Params>, ctx: CheckContext): Promise<Evaluation> {
    const p = check.params;
    const windowMs = parseDuration(p.window)!;
    const trailingMs = parseDuration(p.trailing)!;
    const { start: windowStart, end: windowEnd } = completeMinutesWindow(ctx.at, windowMs);
    const chartFrom = windowEnd - p.chart_hours * HOUR;

    const chunks: Chunk[] = [];
    for (let end = windowStart; end > windowStart - trailingMs; end -= HOUR) {
      chunks.push({ from: Math.max(end - HOUR, windowStart - trailingMs), to: end });
    }
    for (let d = 1; d <= p.days; d++) {
      chunks.push({ from: windowStart - d * DAY - 30 * MINUTE, to: windowEnd - d * DAY + 30 * MINUTE });
    }

    const series = minuteSeriesFor(ctx.cache, check.name, ctx.engine, check.sql, check.sqlSource);
    await series.load(Math.min(windowStart - trailingMs, chartFrom), windowEnd);
    for (let d = 1; d <= p.days; d++) await series.load(chunks[chunks.length - p.days + d - 1]!.from, chunks[chunks.length - p.days + d - 1]!.to);

    const win = series.sum(windowStart, windowEnd);
    const summed = chunks.map((c, i) => ({ c, s: series.sum(c.from, c.to), sameTime: i >= chunks.length - p.days }));
    const trailing = summed.filter((x) => !x.sameTime && x.s.total > 0);
    const sameTime = summed.filter((x) => x.sameTime && x.s.total > 0);
    // Traffic is strongly diurnal: with enough earlier days, normal = the same time on those days
    // (plus the hour just before the window, for recency); otherwise the trailing hours.
    const usable = sameTime.length >= 3 ? [...sameTime, ...trailing.slice(0, 1)] : trailing;
    const metrics: Record<string, number | string | null> = {
      window_total: win.total,
      baseline_chunks: usable.length,
      baseline: sameTime.length >= 3 ? 'same time on earlier days' : 'trailing hours',
      empty_minutes: win.emptyMinutes.length,
    };
    if (usable.length === 0) {
      const noData = win.total === 0;
      return {
        status: 'skipped',
        anomalies: [],
        metrics,
        reason: noData ? 'no data in the window or before it' : 'no history before the window to compare with',
      };
    }

    const range = formatTimeRange(toIso(windowStart), toIso(windowEnd), ctx.tz);
    const anomalies: Anomaly[] = [];
    const bands: { status: string; expected: number; upper: number }[] = [];
    // Volume follows the time of day: the same time on earlier days, or else only the hour just
    // before the window (the quiet night hours must not borrow the evening's traffic).
    const volumeChunks = sameTime.length >= 3 ? sameTime : trailing.slice(0, 1);
    const expectedPerMinute = median(volumeChunks.map(({ c, s }) => s.total / ((c.to - c.from) / MINUTE)));

    // Missing minutes: no rows at all while there is normally traffic.
    // Hysteresis: a firing missing-data alert stays while any of the window's minutes is empty.
    const missingRule = p.missing;
    const missingExpected = expectedPerMinute * win.emptyMinutes.length;
    const missingLevel =
      missingRule === null
        ? null
        : evidenceLevel(
            win.emptyMinutes.length >= missingRule.min_minutes && missingExpected >= missingRule.min_expected,
            win.emptyMinutes.length >= 1 && missingExpected >= missingRule.min_expected / 2,
          );
    const missingFires = missingLevel === 'enter';
    if (missingRule !== null && missingLevel !== null) {
      const first = win.emptyMinutes[0]!;
      const last = win.emptyMinutes[win.emptyMinutes.length - 1]! + MINUTE;
      anomalies.push({
        key: 'missing_data',
        start: toIso(first),
        end: toIso(last),
        observed: win.emptyMinutes.length,
        expected: 0,
        score: win.emptyMinutes.length,
        severity: missingRule.severity ?? check.severity,
        ...(missingLevel === 'stay' ? { evidence: 'stay' as const } : {}),
        message: `no data for ${win.emptyMinutes.length} of the last ${win.minutes} minutes (${formatTimeRange(toIso(first), toIso(last), ctx.tz)}); normally ${formatNumber(expectedPerMinute)} transactions a minute`,
      });
    }

    // normalShare reads trailing hours oldest first; its keptIndices point into this same list.
    const trailingOldestFirst = [...trailing].reverse();

    // The baseline chunks cut into pieces as long as the window, for the overdispersion of each
    // status at the scale judged (see dispersionFactor).
    const piecesOf = new Map<Chunk, ReturnType<typeof series.sum>[]>();
    const pieces = (c: Chunk) => {
      let list = piecesOf.get(c);
      if (!list) {
        list = [];
        for (let t = c.from; t + windowMs <= c.to; t += windowMs) list.push(series.sum(t, t + windowMs));
        piecesOf.set(c, list);
      }
      return list;
    };

    for (const [status, partial] of Object.entries(p.statuses)) {
      const rule: Rule = statusRule.parse(partial);
      const opts = {
        direction: rule.direction,
        minCount: rule.min_count,
        zThreshold: rule.z,
        minRatio: rule.min_ratio,
        minExcess: rule.min_excess,
        stay: { zThreshold: rule.stay_z, minExcess: rule.min_excess / 2, minRatio: 1 + (rule.min_ratio - 1) / 2 },
      };
      // Normal share: the volume-weighted median over the baseline chunks; from trailing hours,
      // hours that would themselves have alerted are left out (see normalShare).
      const chunksOf = (list: typeof usable) => list.map(({ s }) => ({ count: s.byStatus.get(status) ?? 0, total: s.total }));
      const normal = sameTime.length >= 3
        ? { share: weightedMedian(chunksOf(usable).map((c) => c.count / c.total), usable.map(({ s }) => s.total)), total: usable.reduce((sum, { s }) => sum + s.total, 0) }
        : normalShare(chunksOf(trailingOldestFirst), opts);
      const expectedShare = normal.share;
      const baselineTotal = normal.total;
      const count = win.byStatus.get(status) ?? 0;
      // Overdispersion from the baseline chunks the normal share rests on (incident hours left out).
      const baseChunks = 'keptIndices' in normal ? normal.keptIndices.map((i) => trailingOldestFirst[i]!.c) : usable.map(({ c }) => c);
      const dispersion = dispersionFactor(
        baseChunks.map((c) => pieces(c).map((x) => ({ count: x.byStatus.get(status) ?? 0, total: x.total }))),
        expectedShare,
      );
      const verdict = judgeRate(
        { count, total: win.total, baselineCount: expectedShare * baselineTotal, baselineTotal, expectedTotal: expectedPerMinute * win.minutes, dispersion },
        opts,
      );
      metrics[`${status}_dispersion`] = Math.round(dispersion * 100) / 100;
      metrics[`${status}_share`] = round4(verdict.share);
      metrics[`${status}_expected_share`] = round4(verdict.expectedShare);
      metrics[`${status}_z`] = Math.round(verdict.z * 10) / 10;
      // The band reaches up to the lowest share that would start an alert over this window.
      const excessShare = win.total > 0 ? verdict.expectedShare + rule.min_excess / win.total : 1;
      const upper = Math.max(rateAlertShare(verdict.expectedShare, win.total, rule.z * Math.sqrt(dispersion), rule.min_ratio), excessShare, rule.min_share);
      bands.push({ status, expected: verdict.expectedShare, upper: Math.min(1, upper) });
      if (verdict.evidence === null || (verdict.evidence === 'enter' && verdict.share < rule.min_share)) continue;
      const severity: Severity = rule.severity ?? (verdict.z >= 2 * rule.z && verdict.share >= 5 * verdict.expectedShare ? 'critical' : check.severity);
      anomalies.push({
        key: status,
        start: toIso(windowStart),
        end: toIso(windowEnd),
        observed: round4(verdict.share),
        expected: round4(verdict.expectedShare),
        unit: 'share',
        score: Math.round(verdict.z * 10) / 10,
        severity,
        ...(verdict.evidence === 'stay' ? { evidence: 'stay' as const } : {}),
        message: verdict.reason.startsWith('too little data')
          ? `${status}: too little data to judge ${range} (${formatNumber(win.total)} transactions, normally ${formatNumber(Math.round(expectedPerMinute * win.minutes))}); still alerting`
          : `${status} ${formatPercent(verdict.share)} of transactions ${range} (${formatNumber(count)} of ${formatNumber(win.total)}), normal ${formatPercent(verdict.expectedShare)} (${formatZ(verdict.z)})${verdict.evidence === 'stay' ? ', still above normal' : ''}`,
        rows: [{ status, count, total: win.total, share: round4(verdict.share), normal_share: round4(verdict.expectedShare), z: Math.round(verdict.z * 10) / 10 }],
      });
    }

    // A collapse of volume (approved far below normal); missing data already explains a collapse.
    if (p.volume && !missingFires) {
      const vs = p.volume.status;
      const countOf = (s: { byStatus: Map<string, number>; total: number }) => (vs === null ? s.total : s.byStatus.get(vs) ?? 0);
      const normalPerMinute = median(volumeChunks.map(({ c, s }) => countOf(s) / ((c.to - c.from) / MINUTE)));
      const observed = countOf(win);
      const expected = normalPerMinute * win.minutes;
      const verdict = judgeVolume(
        { observed, expected },
        {
          minExpected: p.volume.min_expected,
          maxDropRatio: p.volume.max_drop_ratio,
          zThreshold: p.volume.z,
          // Stays while volume is still below halfway back to normal and clearly low.
          stay: { maxDropRatio: (1 + p.volume.max_drop_ratio) / 2, zThreshold: p.volume.stay_z },
        },
      );
      metrics.volume_observed = observed;
      metrics.volume_expected = Math.round(expected);
      if (verdict.evidence !== null) {
        const what = vs === null ? 'transactions' : `${vs} transactions`;
        anomalies.push({
          key: 'volume',
          start: toIso(windowStart),
          end: toIso(windowEnd),
          observed,
          expected: Math.round(expected),
          score: Math.round(verdict.z * 10) / 10,
          severity: p.volume.severity ?? check.severity,
          ...(verdict.evidence === 'stay' ? { evidence: 'stay' as const } : {}),
          message: `${what} collapsed to ${formatNumber(observed)} ${range}, normal ${formatNumber(Math.round(expected))} (${formatPercent(verdict.ratio, 0)} of normal, ${formatZ(verdict.z)})`,
        });
      }
    }

    return {
      // Stay-level anomalies alone keep a firing alert alive but do not make the check alert.
      status: anomalies.some((a) => a.evidence !== 'stay') ? 'alert' : 'ok',
      anomalies,
      metrics,
      ...(ctx.charts === false ? {} : { chart: this.chart(check, series, chartFrom, windowEnd, windowStart, bands) }),
    };
  }

  private chart(
    check: CheckDefinition<Params>,
    series: ReturnType<typeof minuteSeriesFor>,
    from: number,
    to: number,
    windowStart: number,
    bands: { status: string; expected: number; upper: number }[],
  ): ChartData {
    const watched = Object.keys(check.params.statuses);
    const points: { time: string; status: string; share: number }[] = [];
    for (let t = from; t < to; t += MINUTE) {
      const m = series.at(t);
      if (!m) continue;
      let total = 0;
      for (const c of m.values()) total += c;
      if (total === 0) continue;
      for (const s of watched) points.push({ time: toIso(t), status: s, share: round4((m.get(s) ?? 0) / total) });
    }
    return {
      kind: 'status_rate',
      title: `${check.name}: share of transactions by status`,
      points,
      bands,
      window: { start: toIso(windowStart), end: toIso(to) },
    };
  }
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
