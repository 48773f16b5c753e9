import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEngine } from '../../src/db/sqlite-engine.js';
import { checkTypes } from '../../src/checks/registry.js';
import type { CheckDefinition } from '../../src/checks/check-type.js';
import { silentLogger } from '../../src/log.js';
import { mulberry32 } from '../../src/detect/random.js';
import { toDbTime, DAY, HOUR, MINUTE } from '../../src/time.js';
import { REPO } from '../helpers/cli.js';

/** An in-memory database with the real schema; each test inserts the rows it needs. */
function memoryDb(): Database.Database {
  const db = new Database(':memory:');
  db.exec(readFileSync(join(REPO, 'src/db/schema.sql'), 'utf8'));
  return db;
}

function definition(type: string, sql: string, params: Record<string, unknown>): CheckDefinition {
  const t = checkTypes().get(type)!;
  return {
    name: `test_${type}`,
    type,
    description: type,
    severity: 'warning',
    sql,
    sqlSource: 'test.sql',
    params: t.params.parse(params),
    slack: { enabled: true, criticalSeparately: false },
    repeatIntervalMs: 4 * HOUR,
    resolveAfter: 1,
    enabled: true,
  };
}

async function evaluate(db: Database.Database, def: CheckDefinition, at: number) {
  const type = checkTypes().get(def.type)!;
  return type.evaluate(def, { engine: new SqliteEngine(db), at, tz: 'UTC', log: silentLogger(), cache: new Map() });
}

const MINUTES_SQL = readFileSync(join(REPO, 'checks/transaction_status_minutes.sql'), 'utf8');
const D = Date.parse('2026-11-20T00:00:00Z');

/** Per-minute counts: volume follows the clock (quiet at night), `shares` per status, Poisson-ish noise. */
function fillMinutes(
  db: Database.Database,
  from: number,
  to: number,
  shares: (t: number) => Record<string, number>,
  seed = 1,
  volumeAt: (hour: number) => number = (hour) => (hour < 6 ? 30 : 300),
) {
  const rnd = mulberry32(seed);
  const insert = db.prepare('INSERT INTO transaction_status (minute, source, status, count) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let t = from; t < to; t += MINUTE) {
      const volume = volumeAt(new Date(t).getUTCHours());
      for (const [status, share] of Object.entries(shares(t))) {
        const mean = volume * share;
        const count = Math.max(0, Math.round(mean + (rnd() - 0.5) * 2 * Math.sqrt(mean)));
        if (count > 0) insert.run(toDbTime(t), 'acq', status, count);
      }
    }
  })();
}

const NORMAL = { approved: 0.9, denied: 0.09, reversed: 0.005, failed: 0.005 };

describe('status_rate', () => {
  const def = definition('status_rate', MINUTES_SQL, {
    statuses: { reversed: { z: 5, min_count: 10, min_ratio: 3 }, failed: { z: 5, min_count: 10, min_ratio: 3 } },
  });

  it('uses the same time on earlier days when there are enough of them', async () => {
    const db = memoryDb();
    fillMinutes(db, D - 7 * DAY, D + 15 * HOUR, () => NORMAL);
    const r = await evaluate(db, def, D + 15 * HOUR);
    expect(r.status).toBe('ok');
    expect(r.metrics.baseline).toBe('same time on earlier days');
    expect(r.metrics.reversed_expected_share).toBeCloseTo(0.005, 2);
  });

  it('falls back on the trailing hours with a single day of data', async () => {
    const db = memoryDb();
    fillMinutes(db, D, D + 15 * HOUR, () => NORMAL);
    const r = await evaluate(db, def, D + 15 * HOUR);
    expect(r.metrics.baseline).toBe('trailing hours');
  });

  it('flags a surge of one status over the last 5 complete minutes, not the partial current one', async () => {
    const db = memoryDb();
    const surge = D + 14 * HOUR + 33 * MINUTE;
    fillMinutes(db, D - 3 * DAY, D + 16 * HOUR, (t) => (t >= surge ? { ...NORMAL, reversed: 0.15 } : NORMAL));
    // At 14:33:40 the surge minute is still filling: nothing to say yet.
    expect((await evaluate(db, def, surge + 40_000)).anomalies).toEqual([]);
    const r = await evaluate(db, def, surge + 3 * MINUTE + 40_000);
    expect(r.anomalies.map((a) => a.key)).toEqual(['reversed']);
    const a = r.anomalies[0]!;
    expect(a.start).toBe('2026-11-20T14:31:00Z');
    expect(a.end).toBe('2026-11-20T14:36:00Z');
    expect(a.message).toMatch(/^reversed \d+\.\d % of transactions 14:31–14:36 \(.* of .*\), normal 0\.\d % \(z = \d+\)$/);
  });

  it('flags minutes with no data only when traffic was expected in them', async () => {
    const db = memoryDb();
    fillMinutes(db, D - 3 * DAY, D + 10 * HOUR, () => NORMAL);
    // A daytime gap 10:00–10:10 with normally ~300 a minute.
    fillMinutes(db, D + 10 * HOUR + 10 * MINUTE, D + 11 * HOUR, () => NORMAL);
    const gap = await evaluate(db, def, D + 10 * HOUR + 6 * MINUTE);
    // Alerting (enter-level) only missing_data; the statuses merely may not resolve on an empty window.
    expect(gap.anomalies.filter((a) => a.evidence !== 'stay').map((a) => a.key)).toEqual(['missing_data']);
    expect(gap.anomalies.filter((a) => a.evidence === 'stay').every((a) => /too little data to judge/.test(a.message))).toBe(true);
    expect(gap.anomalies[0]!.message).toMatch(/^no data for 5 of the last 5 minutes/);
    // At night (~30 a minute, one quiet minute is plausible) two empty minutes say nothing.
    const night = memoryDb();
    fillMinutes(night, D - 3 * DAY, D + 3 * HOUR, () => NORMAL);
    fillMinutes(night, D + 3 * HOUR + 2 * MINUTE, D + 4 * HOUR, () => NORMAL);
    const quiet = await evaluate(night, def, D + 3 * HOUR + 5 * MINUTE);
    expect(quiet.status).toBe('ok');
    expect(quiet.anomalies.filter((a) => a.evidence !== 'stay')).toEqual([]);
  });

  it('flags a collapse of approved volume', async () => {
    const db = memoryDb();
    const drop = D + 12 * HOUR;
    fillMinutes(db, D - 3 * DAY, D + 13 * HOUR, (t) => (t >= drop ? { ...NORMAL, approved: 0.2 } : NORMAL));
    const r = await evaluate(db, def, drop + 6 * MINUTE);
    expect(r.anomalies.map((a) => a.key)).toContain('volume');
    expect(r.anomalies.find((a) => a.key === 'volume')!.message).toMatch(/approved transactions collapsed to/);
  });

  it('with no history it is skipped, not ok', async () => {
    const db = memoryDb();
    // Data starts with the window itself: nothing before it to compare with.
    fillMinutes(db, D + 10 * HOUR + MINUTE, D + 10 * HOUR + 10 * MINUTE, () => NORMAL);
    const r = await evaluate(db, def, D + 10 * HOUR + 6 * MINUTE);
    expect(r.status).toBe('skipped');
    expect(r.reason).toMatch(/no history/);
  });
});

describe('isolation_forest', () => {
  it('scores an unusual mix of statuses above the threshold and names the status', async () => {
    const db = memoryDb();
    const start = D + 14 * HOUR;
    // Reversals and failures replace approvals: the mix moves on several features at once, as in
    // the real incident. (A forest cannot score one feature's excursion past the training range
    // above the training extremes; status_rate is the check for a single status.)
    // Steady volume: with a hard night/day step in synthetic data the forest's most unusual
    // training minutes are the noisy night ones, which sets the threshold above such a mix.
    const incident = { approved: 0.6, denied: 0.09, reversed: 0.2, failed: 0.1 };
    fillMinutes(db, D - DAY, D + 15 * HOUR, (t) => (t >= start ? incident : NORMAL), 3, () => 300);
    const def = definition('isolation_forest', MINUTES_SQL, { contamination: 0.01, min_minutes: 3 });
    const quiet = await evaluate(db, def, start - 30 * MINUTE);
    expect(quiet.anomalies).toEqual([]);
    const r = await evaluate(db, def, start + 6 * MINUTE);
    expect(r.anomalies).toHaveLength(1);
    expect(r.anomalies[0]!.message).toMatch(/most unusual: reversed \d+\.\d %/);
    expect(r.anomalies[0]!.score!).toBeGreaterThan(r.metrics.threshold as number);
  });

  it('is deterministic for a seed', async () => {
    const db = memoryDb();
    fillMinutes(db, D - DAY, D + 12 * HOUR, () => NORMAL, 5);
    const def = definition('isolation_forest', MINUTES_SQL, { seed: 7 });
    const a = await evaluate(db, def, D + 12 * HOUR);
    const b = await evaluate(db, def, D + 12 * HOUR);
    expect(a.metrics).toEqual(b.metrics);
  });
});

describe('baseline', () => {
  const sql = 'SELECT source, hour, today, yesterday, same_day_last_week, avg_last_week, avg_last_month FROM checkout_hourly WHERE hour >= :day_start AND hour < :day_end';
  function hours(db: Database.Database, rows: [number, number, number, number, number, number][]) {
    const insert = db.prepare('INSERT INTO checkout_hourly VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const [h, ...v] of rows) insert.run('pos', toDbTime(D + h * HOUR), ...v);
  }

  it('is robust to one bad baseline, gates on volume, and follows the direction', async () => {
    const db = memoryDb();
    hours(db, [
      [2, 3, 0, 0, 0.4, 0.4], // 3 sales vs 0.4 at 2 a.m.: below min volume
      [10, 30, 1, 31, 29, 30], // yesterday was an outage, today is normal
      [11, 2, 30, 31, 29, 30], // today collapses
      [12, 90, 30, 31, 29, 30], // today spikes
    ]);
    const drop = await evaluate(db, definition('baseline', sql, { direction: 'drop' }), D + 13 * HOUR);
    expect(drop.anomalies).toHaveLength(1);
    expect(drop.anomalies[0]!.start).toBe('2026-11-20T11:00:00Z');
    expect(drop.anomalies[0]!.severity).toBe('critical');
    const both = await evaluate(db, definition('baseline', sql, { direction: 'both' }), D + 13 * HOUR);
    expect(both.anomalies[0]!.rows!.map((r) => r.hour)).toEqual(['11h', '12h']);
    const spike = await evaluate(db, definition('baseline', sql, { direction: 'spike' }), D + 13 * HOUR);
    expect(spike.anomalies[0]!.message).toMatch(/rose/);
  });
});

describe('threshold', () => {
  it('applies per-group bounds and escalates past the critical margin', async () => {
    const db = memoryDb();
    const sql = "SELECT 'visa' AS brand, 91 AS value UNION ALL SELECT 'elo', 70 UNION ALL SELECT 'amex', 40";
    const def = definition('threshold', sql, { key: '{brand}', min: 80, groups: { amex: { min: 30 } }, critical_margin: 5 });
    const r = await evaluate(db, def, D);
    expect(r.anomalies.map((a) => [a.key, a.severity])).toEqual([['elo', 'critical']]);
    expect(r.anomalies[0]!.message).toBe('elo: value 70 below the minimum 80');
  });
});
