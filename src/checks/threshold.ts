import { z } from 'zod';
import { formatNumber } from '../detect/format.js';
import type { Anomaly, Severity } from '../types.js';
import { fromDbTime, toIso, HOUR } from '../time.js';
import type { CheckContext, CheckDefinition, CheckType, Evaluation } from './check-type.js';
import { toNumber } from './param-helpers.js';
import { commonSqlParams, COMMON_SQL_PARAMETERS, fillTemplate } from './sql-params.js';
import { groupLabel, humanLabel } from '../text.js';

const bounds = z
  .object({ min: z.number().optional(), max: z.number().optional() })
  .strict();

const params = z
  .object({
    /** Column holding the metric compared with the bounds. */
    value_column: z.string().min(1).default('value'),
    /** Columns naming the group (`card_brand`); its values become the anomaly key. */
    key: z.string().min(1).default('{group}'),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Bounds for particular groups, overriding min/max. */
    groups: z.record(z.string(), bounds).default({}),
    /** Optional columns shown as observed / expected in messages. */
    observed_column: z.string().min(1).optional(),
    expected_column: z.string().min(1).optional(),
    /** `{key}`, `{value}`, `{bound}` and the row's columns are filled in. */
    message: z.string().min(1).optional(),
    /** A breach this far past the bound (in units of the value) is critical. */
    critical_margin: z.number().positive().optional(),
    /** Columns giving the anomaly's time window (stored UTC text); default: the evaluation time. */
    start_column: z.string().min(1).optional(),
    end_column: z.string().min(1).optional(),
  })
  .strict()
  .refine((p) => p.min !== undefined || p.max !== undefined || Object.keys(p.groups).length > 0, 'set min, max or groups');
type Params = z.infer<typeof params>;

/** A metric per group compared with fixed bounds. */
export class ThresholdCheck implements CheckType<Params> {
  readonly type = 'threshold';
  readonly description = 'a metric per group compared with fixed min / max bounds';
  readonly params = params as unknown as z.ZodType<Params>;
  readonly sqlParameters = COMMON_SQL_PARAMETERS;
  readonly replayCadenceMs = HOUR;

  async evaluate(check: CheckDefinition<Params>, ctx: CheckContext): Promise<Evaluation> {
    const p = check.params;
    const rows = await ctx.engine.query(check.sql, commonSqlParams(ctx.at, ctx.tz));
    const anomalies: Anomaly[] = [];
    const bars: { group: string; value: number; alert: boolean }[] = [];
    for (const row of rows) {
      const raw = row[p.value_column];
      if (!(p.value_column in row)) {
        throw new Error(`${check.sqlSource}: the query returns no column "${p.value_column}" (params.value_column)`);
      }
      const key = fillTemplate(p.key, row);
      if (raw === null || raw === undefined) continue;
      const value = Number(raw);
      const b = p.groups[key] ?? { min: p.min, max: p.max };
      const below = b.min !== undefined && value < b.min;
      const above = b.max !== undefined && value > b.max;
      bars.push({ group: key, value, alert: below || above });
      if (!below && !above) continue;
      const bound = below ? b.min! : b.max!;
      const excess = Math.abs(value - bound);
      const severity: Severity =
        p.critical_margin !== undefined && excess >= p.critical_margin ? 'critical' : check.severity;
      const observed = p.observed_column ? toNumber(row[p.observed_column]) : value;
      const expected = p.expected_column ? toNumber(row[p.expected_column]) : bound;
      const message = p.message
        ? fillTemplate(p.message, row, { key, value: formatNumber(value), bound: formatNumber(bound) })
        : `${key}: ${p.value_column} ${formatNumber(value)} ${below ? 'below the minimum' : 'above the maximum'} ${formatNumber(bound)}`;
      anomalies.push({
        key,
        start: p.start_column && typeof row[p.start_column] === 'string' ? dbToIso(row[p.start_column] as string) : toIso(ctx.at),
        end: p.end_column && typeof row[p.end_column] === 'string' ? dbToIso(row[p.end_column] as string) : toIso(ctx.at),
        observed,
        expected,
        score: excess,
        message,
        severity,
        rows: [withoutColumns(row, [p.start_column, p.end_column])],
      });
    }
    return {
      status: anomalies.length ? 'alert' : 'ok',
      anomalies,
      metrics: { groups: rows.length, breaches: anomalies.length },
      chart: {
        kind: 'bars',
        title: `${check.name}: ${humanLabel(p.value_column).toLowerCase()} per ${groupLabel(p.key, 'group').toLowerCase()}`,
        measure: humanLabel(p.value_column),
        groupLabel: groupLabel(p.key, 'group'),
        bars,
        min: p.min,
        max: p.max,
      },
    };
  }
}


/** A stored timestamp (or a bare `YYYY-MM-DD` day) as ISO. */
function dbToIso(s: string): string {
  return toIso(fromDbTime(s.length <= 10 ? `${s} 00:00:00` : s));
}

/** The row as shown to people, without the columns that only carry the window. */
function withoutColumns(row: Record<string, unknown>, columns: (string | undefined)[]): Record<string, unknown> {
  const out = { ...row };
  for (const c of columns) if (c) delete out[c];
  return out;
}
