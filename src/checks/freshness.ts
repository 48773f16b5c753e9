import type { QueryEngine } from '../db/engine.js';
import { readSqlFile } from '../sql-file.js';
import { fromDbTime, parseInstant, toDbTime, toIso, wallClockAt, DAY, HOUR, MINUTE } from '../time.js';
import type { Anomaly } from '../types.js';
import type { CheckDefinition } from './check-type.js';

/**
 * Stale and missing data. A check reads one or more source tables; when a source's newest row at
 * or before the evaluation time is older than the check's `max_staleness` (or there is no such
 * row), the check cannot vouch for anything: a feed that stopped must alert, not read as "ok".
 */

export interface Source {
  table: string;
  time_column: string;
}

/**
 * The data tables `anomaly init-db` builds (src/db/schema.sql) and the column that says how
 * recent a row is. A check whose SQL reads one of them gets it as a source without configuration.
 */
export const KNOWN_SOURCES: Readonly<Record<string, string>> = {
  transaction_status: 'minute',
  checkout_hourly: 'hour',
  orders: 'created_date',
  transactions: 'created_date',
  payments_aggregate: 'created_day',
};

export const STALE_KEY = 'stale';

/** The query per engine: standard SQL, and a ClickHouse twin for Date columns. */
const TEMPLATES: Record<string, string> = {};
function template(engineName: string): string {
  const file = engineName === 'clickhouse' ? 'freshness.clickhouse.sql' : 'freshness.sql';
  return (TEMPLATES[file] ??= readSqlFile(file, import.meta.url));
}
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The freshness query for one source (identifiers are validated: they are spliced into the SQL). */
export function freshnessSql(source: Source, engineName = 'sqlite'): string {
  for (const name of [source.table, source.time_column]) {
    if (!IDENTIFIER.test(name)) throw new Error(`source ${JSON.stringify(name)} is not a plain SQL identifier`);
  }
  return template(engineName).replaceAll('{table}', source.table).replaceAll('{time_column}', source.time_column);
}

/** Tables named after FROM / JOIN in the SQL (comments and quoted text ignored), in order. */
export function tablesReadBy(sql: string): string[] {
  const stripped = sql
    .replace(/--[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/'(?:[^']|'')*'/g, "''");
  const names: string[] = [];
  for (const m of stripped.matchAll(/\b(?:from|join)\s+[`"]?([A-Za-z_][A-Za-z0-9_]*)/gi)) {
    const name = m[1]!.toLowerCase();
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** The check's sources: `source:` from the checks file, else the known tables its SQL reads. */
export function sourcesOf(check: Pick<CheckDefinition, 'source' | 'sql'>): Source[] {
  if (check.source === false) return [];
  if (check.source) return check.source;
  return tablesReadBy(check.sql)
    .filter((t) => t in KNOWN_SOURCES)
    .map((table) => ({ table, time_column: KNOWN_SOURCES[table]! }));
}

export interface Freshness {
  source: Source;
  /** The newest value as stored (null: no row at or before the evaluation time). */
  newest: string | null;
  /** When the data of that newest row ends (UTC ms): a date-only value covers its whole day. */
  coveredUntil: number | null;
}

/**
 * The newest row of each source at `at`, kept per source in the context cache: checks sharing a
 * table ask once per run or replay step. Later steps ask again only when the answer could change
 * the verdict: the newest row at a later time is at least as new, so while the cached one is
 * within `maxStalenessMs` of `at` the source is fresh without a query (replay on live data asks
 * about once per max_staleness, not at every step).
 */
export async function freshnessOf(
  sources: Source[],
  env: { engine: QueryEngine; at: number; tz: string; cache: Map<string, unknown> },
  maxStalenessMs = 0,
): Promise<Freshness[]> {
  const out: Freshness[] = [];
  for (const source of sources) {
    const key = `freshness:${source.table}.${source.time_column}`;
    const cached = env.cache.get(key) as { at: number; value: Freshness } | undefined;
    const stillFresh =
      cached !== undefined && cached.at <= env.at && cached.value.coveredUntil !== null && env.at - cached.value.coveredUntil <= maxStalenessMs;
    if (cached && (cached.at === env.at || stillFresh)) {
      out.push(cached.value);
      continue;
    }
    let rows;
    try {
      rows = await env.engine.query(freshnessSql(source, env.engine.name), { at: toDbTime(env.at) });
    } catch (error) {
      throw new Error(`source ${source.table}.${source.time_column}: the freshness query failed: ${(error as Error).message}`);
    }
    const raw = rows[0]?.newest;
    const newest = typeof raw === 'string' && raw !== '' ? raw : null;
    const value: Freshness = { source, newest, coveredUntil: newest === null ? null : coveredUntil(newest, env.tz) };
    env.cache.set(key, { at: env.at, value });
    out.push(value);
  }
  return out;
}

/**
 * When the data of a newest value ends: `2026-11-20` (a day) → the end of that day in `tz`;
 * a timestamp → itself. An engine's "no rows" default (epoch 0, as ClickHouse returns) is null.
 */
function coveredUntil(newest: string, tz: string): number | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(newest)) {
    const start = parseInstant(newest, tz);
    if (start === undefined || start <= 0) return null;
    return parseInstant(dayAfter(newest), tz) ?? start + DAY;
  }
  const ms = fromDbTime(newest.slice(0, 19));
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

function dayAfter(day: string): string {
  return new Date(Date.parse(day + 'T00:00:00Z') + DAY).toISOString().slice(0, 10);
}

/**
 * The `stale` anomaly for a check, or undefined when every source is fresh enough. Its message
 * names the stalest source: "no transaction_status rows since 2026-11-20 23:59, 2 d 3 h ago".
 */
export function staleAnomaly(freshness: Freshness[], maxStalenessMs: number, at: number, tz: string): Anomaly | undefined {
  const stale = freshness
    .map((f) => ({ f, age: f.coveredUntil === null ? Infinity : Math.max(0, at - f.coveredUntil) }))
    .filter((x) => x.age > maxStalenessMs)
    .sort((a, b) => b.age - a.age);
  if (!stale.length) return undefined;
  const worst = stale[0]!;
  const message = stale.map((x) => describe(x.f, at, tz)).join('; ');
  return {
    key: STALE_KEY,
    start: worst.f.coveredUntil === null ? toIso(at) : toIso(Math.min(worst.f.coveredUntil, at)),
    end: toIso(at),
    observed: Number.isFinite(worst.age) ? Math.round(worst.age / MINUTE) : null,
    expected: Math.round(maxStalenessMs / MINUTE),
    score: Number.isFinite(worst.age) ? Math.round((worst.age / maxStalenessMs) * 100) / 100 : null,
    message: `${message} (max_staleness ${formatAge(maxStalenessMs)})`,
    rows: stale.map((x) => ({
      table: x.f.source.table,
      time_column: x.f.source.time_column,
      newest: x.f.newest,
      age: Number.isFinite(x.age) ? formatAge(x.age) : null,
      detail: describe(x.f, at, tz),
    })),
  };
}

/**
 * One line for the top of `anomaly run`'s output when any source is stale, e.g.
 * `Stale data: no transaction_status rows since 2026-11-20 23:59, 2 d 3 h ago (checks: a, b) — …`.
 */
export function staleNotice(results: { check: string; anomalies: Anomaly[] }[]): string | undefined {
  const bySource = new Map<string, { detail: string; checks: string[] }>();
  for (const r of results) {
    for (const a of r.anomalies) {
      if (a.key !== STALE_KEY) continue;
      for (const row of a.rows ?? []) {
        const detail = String(row.detail ?? '');
        const entry = bySource.get(String(row.table)) ?? { detail, checks: [] };
        if (!entry.checks.includes(r.check)) entry.checks.push(r.check);
        bySource.set(String(row.table), entry);
      }
    }
  }
  if (!bySource.size) return undefined;
  const lines = [...bySource.values()].map((e) => `  ${e.detail} (read by ${e.checks.join(', ')})`);
  return `Stale data: the checks that read it report "stale", and what else they say describes old data:\n${lines.join('\n')}`;
}

/** One source's staleness in words. */
export function describe(f: Freshness, at: number, tz: string): string {
  if (f.newest === null || f.coveredUntil === null) return `no ${f.source.table} rows at or before ${wallTime(at, tz)}`;
  const since = /^\d{4}-\d{2}-\d{2}$/.test(f.newest) ? `after ${f.newest}` : `since ${wallTime(f.coveredUntil, tz)}`;
  return `no ${f.source.table} rows ${since}, ${formatAge(Math.max(0, at - f.coveredUntil))} ago`;
}

/** `2026-11-20 23:59` in `tz`. */
function wallTime(ms: number, tz: string): string {
  const w = wallClockAt(ms, tz);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
}

/** An age in words, the two largest units: `2 d 3 h`, `3 h 12 min`, `45 min`, `under 1 min`. */
export function formatAge(ms: number): string {
  if (ms < MINUTE) return 'under 1 min';
  const parts: string[] = [];
  let rest = Math.floor(ms / MINUTE) * MINUTE;
  for (const [unit, size] of [['d', DAY], ['h', HOUR], ['min', MINUTE]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length) parts.push(`${n} ${unit}`);
  }
  return parts
    .slice(0, 2)
    .filter((p) => !p.startsWith('0 '))
    .join(' ');
}
