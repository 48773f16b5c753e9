import { z } from 'zod';
import { fromDbTime, toDbTime, toIso, parseDuration, DAY, HOUR } from '../time.js';
import type { Anomaly } from '../types.js';
import type { CheckContext, CheckDefinition, CheckType, Evaluation } from './check-type.js';
import { durationParam } from './param-helpers.js';
import { commonSqlParams, COMMON_SQL_PARAMETERS, fillTemplate } from './sql-params.js';
import { groupLabel } from '../text.js';

const params = z
  .object({
    /** Groups rows into anomalies: `merchant {merchant_id}` → one anomaly per merchant. */
    key: z.string().min(1).optional(),
    /** The anomaly in words; `{count}` and the first row's columns are filled in. */
    message: z.string().min(1).optional(),
    /** A timestamp column (stored UTC form) giving each anomaly's start and end. */
    time_column: z.string().min(1).optional(),
    /** How far back the SQL looks (`:since` = at − lookback), so it reads a bounded window. */
    lookback: durationParam('30d'),
    /** Rows shown per anomaly in Slack/Sheets. */
    max_rows: z.number().int().min(1).max(10_000).default(500),
  })
  .strict();
type Params = z.infer<typeof params>;

/** The query returns the anomalies; no rows means healthy (the original tool's model). */
export class QueryEmptyCheck implements CheckType<Params> {
  readonly type = 'query_empty';
  readonly description = 'the query returns problem rows; empty means healthy';
  readonly params = params;
  readonly sqlParameters = [...COMMON_SQL_PARAMETERS, 'since'];
  readonly replayCadenceMs = HOUR;

  async evaluate(check: CheckDefinition<Params>, ctx: CheckContext): Promise<Evaluation> {
    const p = check.params;
    const since = ctx.at - (parseDuration(p.lookback) ?? 30 * DAY);
    const rows = await ctx.engine.query(check.sql, { ...commonSqlParams(ctx.at, ctx.tz), since: toDbTime(since) });
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const row of rows) {
      const key = p.key ? fillTemplate(p.key, row) : check.name;
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push(row);
    }
    const anomalies: Anomaly[] = [];
    for (const [key, list] of groups) {
      const times = p.time_column
        ? list.map((r) => r[p.time_column!]).filter((v): v is string => typeof v === 'string').map(fromDbTime).filter(Number.isFinite)
        : [];
      const start = times.length ? Math.min(...times) : ctx.at;
      const end = times.length ? Math.max(...times) : ctx.at;
      const message = p.message
        ? fillTemplate(p.message, list[0]!, { count: list.length, key })
        : `${key}: ${list.length} row${list.length === 1 ? '' : 's'}`;
      anomalies.push({
        key,
        start: toIso(start),
        end: toIso(end),
        observed: list.length,
        expected: 0,
        score: list.length,
        message,
        rows: list.slice(0, p.max_rows),
      });
    }
    anomalies.sort((a, b) => (b.observed ?? 0) - (a.observed ?? 0) || a.key.localeCompare(b.key));
    return {
      status: anomalies.length ? 'alert' : 'ok',
      anomalies,
      metrics: { rows: rows.length, groups: groups.size },
      chart: {
        kind: 'bars',
        title: `${check.name}: rows found per ${groupLabel(p.key, 'key')}`,
        measure: 'Rows found',
        groupLabel: groupLabel(p.key, 'key'),
        bars: anomalies.map((a) => ({ group: a.key, value: a.observed ?? 0, alert: true })),
        max: 0,
      },
    };
  }
}
