import { z } from 'zod';
import { formatPercent, formatTimeRange } from '../detect/format.js';
import { IsolationForest } from '../detect/isolation-forest.js';
import { mad, mean, median } from '../detect/stats.js';
import { parseDuration, toIso, HOUR, MINUTE } from '../time.js';
import type { Anomaly } from '../types.js';
import type { CheckContext, CheckDefinition, CheckType, Evaluation } from './check-type.js';
import { completeMinutesWindow, minuteSeriesFor } from './minute-series.js';
import type { MinuteSeries } from './minute-series.js';
import { durationParam } from './param-helpers.js';


const params = z
  .object({
    n_trees: z.number().int().min(1).max(1000).default(100),
    sample_size: z.union([z.number().int().min(2), z.literal('auto')]).default('auto'),
    /** Share of training minutes taken as anomalous: sets the score threshold. */
    contamination: z.union([z.number().gt(0).max(0.5), z.literal('auto')]).default(0.01),
    seed: z.number().int().default(42),
    /** Trailing history the forest is fitted on. */
    history: durationParam('1d'),
    /** The most recent minutes scored. */
    window: durationParam('5m'),
    /** How many scored minutes must be beyond the threshold to alert (one odd minute is noise). */
    min_minutes: z.number().int().min(1).default(3),
    /** Refit at most this often (replay reuses the model between refits). */
    refit: durationParam('1h'),
    /** Statuses used as features (counts and shares); default: every status in the history. */
    statuses: z.array(z.string()).min(1).optional(),
    /** Fewer training minutes than this: skipped. */
    min_history_minutes: z.number().int().min(10).default(360),
    chart_hours: z.number().min(1).max(48).default(3),
  })
  .strict();
type Params = z.infer<typeof params>;

interface Model {
  forest: IsolationForest;
  statuses: string[];
  medians: number[];
  spreads: number[];
  /** Mean of each feature over the training minutes (a rare status's median share is 0). */
  means: number[];
}

/** Score-based detection: an Isolation Forest over per-minute status counts and shares. */
export class IsolationForestCheck implements CheckType<Params> {
  readonly type = 'isolation_forest';
  readonly description = 'Isolation Forest score of each minute’s mix of statuses against the trailing history';
  readonly params = params;
  readonly sqlParameters = ['from', 'to'];
  readonly replayCadenceMs = 0;

  async evaluate(check: CheckDefinition<Params>, ctx: CheckContext): Promise<Evaluation> {
    const p = check.params;
    const historyMs = parseDuration(p.history)!;
    const windowMs = parseDuration(p.window)!;
    const refitMs = parseDuration(p.refit)!;
    const { start: windowStart, end: windowEnd } = completeMinutesWindow(ctx.at, windowMs);
    const chartFrom = windowEnd - p.chart_hours * HOUR;
    // Fit on history ending at a refit boundary, so consecutive replay steps share one model.
    const fitEnd = Math.floor(windowStart / refitMs) * refitMs;
    const fitStart = fitEnd - historyMs;

    const series = minuteSeriesFor(ctx.cache, check.name, ctx.engine, check.sql, check.sqlSource);
    await series.load(Math.min(fitStart, chartFrom), windowEnd);

    const modelKey = `iforest:${check.name}:${fitStart}`;
    let model = ctx.cache.get(modelKey) as Model | null | undefined;
    if (model === undefined) {
      model = fitModel(series, fitStart, fitEnd, p);
      for (const k of ctx.cache.keys()) if (k.startsWith(`iforest:${check.name}:`)) ctx.cache.delete(k);
      ctx.cache.set(modelKey, model);
    }
    if (model === null) {
      return { status: 'skipped', anomalies: [], metrics: {}, reason: `fewer than ${p.min_history_minutes} minutes of history to fit on` };
    }

    const scoreRange = (from: number, to: number) => {
      const times: number[] = [];
      const rows: number[][] = [];
      for (let t = from; t < to; t += MINUTE) {
        const v = features(series, t, model!.statuses);
        if (v) {
          times.push(t);
          rows.push(v);
        }
      }
      return { times, rows, scores: rows.length ? model!.forest.score(rows) : [] };
    };
    const recent = scoreRange(windowStart, windowEnd);
    const threshold = model.forest.threshold;
    const hot = recent.times.map((t, i) => ({ t, score: recent.scores[i]!, row: recent.rows[i]! })).filter((x) => x.score > threshold);
    const maxScore = recent.scores.length ? Math.max(...recent.scores) : null;
    const metrics = {
      threshold: round3(threshold),
      max_score: maxScore === null ? null : round3(maxScore),
      minutes_scored: recent.times.length,
      minutes_beyond: hot.length,
    };

    const anomalies: Anomaly[] = [];
    if (hot.length >= p.min_minutes) {
      const worst = hot.reduce((a, b) => (b.score > a.score ? b : a));
      const reason = explain(worst.row, model);
      const start = hot[0]!.t;
      const end = hot[hot.length - 1]!.t + MINUTE;
      anomalies.push({
        key: 'score',
        start: toIso(start),
        end: toIso(end),
        observed: round3(worst.score),
        expected: round3(threshold),
        score: round3(worst.score),
        message: `unusual mix of transactions ${formatTimeRange(toIso(start), toIso(end), ctx.tz)}: ${hot.length} of ${recent.times.length} minutes scored above ${round3(threshold)} (max ${round3(worst.score)})${reason ? `; most unusual: ${reason}` : ''}`,
        rows: hot.map((h) => ({ minute: toIso(h.t), score: round3(h.score) })),
      });
    }

    if (ctx.charts === false) return { status: anomalies.length ? 'alert' : 'ok', anomalies, metrics };
    const chart = scoreRange(chartFrom, windowEnd);
    return {
      status: anomalies.length ? 'alert' : 'ok',
      anomalies,
      metrics,
      chart: {
        kind: 'isolation_forest',
        title: `${check.name}: anomaly score per minute`,
        points: chart.times.map((t, i) => ({ time: toIso(t), score: round3(chart.scores[i]!), anomaly: chart.scores[i]! > threshold })),
        threshold: round3(threshold),
      },
    };
  }
}

/** Feature vector of one minute: log counts and shares per status (null when the minute has no rows). */
function features(series: MinuteSeries, t: number, statuses: string[]): number[] | null {
  const m = series.at(t);
  if (!m) return null;
  let total = 0;
  for (const c of m.values()) total += c;
  const v: number[] = [Math.log1p(total)];
  for (const s of statuses) {
    const c = m.get(s) ?? 0;
    v.push(Math.log1p(c), total > 0 ? c / total : 0);
  }
  return v;
}

function fitModel(series: MinuteSeries, from: number, to: number, p: Params): Model | null {
  const statuses = p.statuses ?? [...series.statuses].sort();
  const rows: number[][] = [];
  for (let t = from; t < to; t += MINUTE) {
    const v = features(series, t, statuses);
    if (v) rows.push(v);
  }
  if (rows.length < p.min_history_minutes) return null;
  const forest = new IsolationForest({
    nTrees: p.n_trees,
    sampleSize: p.sample_size,
    contamination: p.contamination,
    seed: p.seed,
  }).fit(rows);
  const width = rows[0]!.length;
  const medians: number[] = [];
  const spreads: number[] = [];
  const means: number[] = [];
  for (let j = 0; j < width; j++) {
    const col = rows.map((r) => r[j]!);
    medians.push(median(col));
    means.push(mean(col));
    spreads.push(Math.max(mad(col) * 1.4826, 1e-3));
  }
  return { forest, statuses, medians, spreads, means };
}

/** Names the share that deviates most from its training median. */
function explain(row: number[], model: Model): string {
  let best = -1;
  let bestZ = 0;
  model.statuses.forEach((_, i) => {
    const j = 2 + 2 * i; // share feature
    const z = Math.abs(row[j]! - model.medians[j]!) / model.spreads[j]!;
    if (z > bestZ) {
      bestZ = z;
      best = i;
    }
  });
  if (best < 0) return '';
  const j = 2 + 2 * best;
  return `${model.statuses[best]} ${formatPercent(row[j]!)} (normal ${formatPercent(model.means[j]!)})`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
