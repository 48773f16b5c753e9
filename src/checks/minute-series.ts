import type { QueryEngine } from '../db/engine.js';
import { fromDbTime, toDbTime, MINUTE } from '../time.js';

/**
 * Per-minute counts by status, read through a check's SQL (`minute, status, count` rows for
 * `:from <= minute < :to`). Ranges already read are kept, so replaying a day minute by minute
 * reads each minute once instead of re-reading hours of history at every step.
 */
export class MinuteSeries {
  /** minute (UTC ms) → status → count; a loaded minute with no entry had no rows. */
  private readonly minutes = new Map<number, Map<string, number>>();
  /** Loaded [from, to) intervals, sorted and disjoint. */
  private loaded: [number, number][] = [];
  readonly statuses = new Set<string>();

  constructor(
    private readonly engine: QueryEngine,
    private readonly sql: string,
    private readonly sqlSource: string,
    private readonly extraParams: Record<string, string | number | null> = {},
  ) {}

  /** Makes sure every minute in [from, to) is loaded. */
  async load(from: number, to: number): Promise<void> {
    for (const [gapFrom, gapTo] of this.gaps(from, to)) {
      const rows = await this.engine.query(this.sql, {
        ...this.extraParams,
        from: toDbTime(gapFrom),
        to: toDbTime(gapTo),
      });
      for (const row of rows) {
        if (!('minute' in row) || !('status' in row) || !('count' in row)) {
          throw new Error(`${this.sqlSource}: the query must return columns minute, status, count`);
        }
        const minute = fromDbTime(String(row.minute));
        if (!Number.isFinite(minute)) throw new Error(`${this.sqlSource}: minute value ${JSON.stringify(row.minute)} is not a timestamp`);
        const status = String(row.status);
        this.statuses.add(status);
        let m = this.minutes.get(minute);
        if (!m) this.minutes.set(minute, (m = new Map()));
        m.set(status, (m.get(status) ?? 0) + Number(row.count));
      }
      this.markLoaded(gapFrom, gapTo);
    }
  }

  /** Counts for one minute (undefined: no rows at all in that minute). */
  at(minute: number): ReadonlyMap<string, number> | undefined {
    return this.minutes.get(minute);
  }

  /** Sums over [from, to): per status, the total, and how many minutes had no rows. */
  sum(from: number, to: number): { byStatus: Map<string, number>; total: number; minutes: number; emptyMinutes: number[] } {
    const byStatus = new Map<string, number>();
    let total = 0;
    const emptyMinutes: number[] = [];
    let minutes = 0;
    for (let t = from; t < to; t += MINUTE) {
      minutes++;
      const m = this.minutes.get(t);
      if (!m) {
        emptyMinutes.push(t);
        continue;
      }
      for (const [s, c] of m) {
        byStatus.set(s, (byStatus.get(s) ?? 0) + c);
        total += c;
      }
    }
    return { byStatus, total, minutes, emptyMinutes };
  }



  private gaps(from: number, to: number): [number, number][] {
    const out: [number, number][] = [];
    let cursor = from;
    for (const [a, b] of this.loaded) {
      if (b <= cursor) continue;
      if (a >= to) break;
      if (a > cursor) out.push([cursor, Math.min(a, to)]);
      cursor = Math.max(cursor, b);
      if (cursor >= to) break;
    }
    if (cursor < to) out.push([cursor, to]);
    return out;
  }

  private markLoaded(from: number, to: number): void {
    const all = [...this.loaded, [from, to] as [number, number]].sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const iv of all) {
      const last = merged[merged.length - 1];
      if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
      else merged.push([iv[0], iv[1]]);
    }
    this.loaded = merged;
  }
}

/** The series for a check, kept in the context cache so replay steps share it. */
export function minuteSeriesFor(
  cache: Map<string, unknown>,
  checkName: string,
  engine: QueryEngine,
  sql: string,
  sqlSource: string,
): MinuteSeries {
  const key = `minute-series:${checkName}`;
  let series = cache.get(key) as MinuteSeries | undefined;
  if (!series) {
    series = new MinuteSeries(engine, sql, sqlSource);
    cache.set(key, series);
  }
  return series;
}

/** The last `windowMs` of complete minutes before `at` (the current minute is still filling). */
export function completeMinutesWindow(at: number, windowMs: number): { start: number; end: number } {
  const end = Math.floor(at / MINUTE) * MINUTE;
  return { start: end - windowMs, end };
}
