import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareChecks } from '../../src/checks/prepare.js';
import { evaluateChecks } from '../../src/checks/run-checks.js';
import { formatAge, sourcesOf, staleNotice, tablesReadBy } from '../../src/checks/freshness.js';
import type { Params, QueryEngine, Row } from '../../src/db/engine.js';
import { silentLogger } from '../../src/log.js';
import { planNotifications, StateStore } from '../../src/alerts/index.js';
import { DAY, HOUR, MINUTE } from '../../src/time.js';
import type { CheckResult } from '../../src/types.js';
import { workspace } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A data database whose per-minute feed ends at 2026-11-20 23:59 and daily aggregate on 2026-11-20. */
function dataDb(): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stale-'));
  dirs.push(dir);
  const file = join(dir, 'anomaly.db');
  const db = new Database(file);
  db.exec(`
    CREATE TABLE transaction_status (minute TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, count INTEGER NOT NULL,
                                     PRIMARY KEY (minute, source, status)) WITHOUT ROWID;
    CREATE TABLE payments_aggregate (created_day TEXT NOT NULL, status TEXT, count_orders INTEGER NOT NULL);
    CREATE TABLE feed (ts TEXT NOT NULL, v INTEGER);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, created_date TEXT NOT NULL, merchant_id INTEGER NOT NULL);
    CREATE TABLE checkout_hourly (source TEXT NOT NULL, hour TEXT NOT NULL, today REAL, yesterday REAL, same_day_last_week REAL,
                                  avg_last_week REAL, avg_last_month REAL, PRIMARY KEY (source, hour));
    INSERT INTO checkout_hourly VALUES ('pos', '2026-11-19 23:00:00', 5, 5, 5, 5, 5);
  `);
  const ins = db.prepare(`INSERT INTO transaction_status VALUES (?, 'acq', 'approved', 10)`);
  for (let m = 0; m < 120; m++) ins.run(new Date(Date.UTC(2026, 10, 20, 22, m)).toISOString().slice(0, 19).replace('T', ' '));
  db.prepare(`INSERT INTO payments_aggregate VALUES ('2026-11-19', 'approved', 5), ('2026-11-20', 'approved', 7)`).run();
  db.close();
  return { dir, db: file };
}

function config(dir: string, text: string): string {
  const file = join(dir, 'checks.yaml');
  writeFileSync(file, text);
  return file;
}

const CHECKS = `
defaults:
  max_staleness: 1h
checks:
  - name: minutes_total
    type: threshold
    description: approved transactions in the last hour
    sql: SELECT 'all' AS "group", COALESCE(SUM(count), 0) AS value FROM transaction_status WHERE minute >= datetime(:at, '-1 hour') AND minute <= :at
    params: { min: 0 }
  - name: daily_orders
    type: threshold
    description: orders of the day in the aggregate
    sql: SELECT created_day AS "group", SUM(count_orders) AS value FROM payments_aggregate WHERE created_day = :day GROUP BY created_day
    params: { min: 0 }
    max_staleness: 2h
  - name: unmonitored
    type: threshold
    description: a check whose freshness is not checked
    sql: SELECT 'all' AS "group", COUNT(*) AS value FROM transaction_status
    params: { min: 0 }
    source: false
`;

async function evaluateAt(at: number, checks = CHECKS, engineWrap?: (e: QueryEngine) => QueryEngine) {
  const { dir, db } = dataDb();
  const prepared = await prepareChecks({ config: config(dir, checks), db });
  const engine = engineWrap ? engineWrap(prepared.engine) : prepared.engine;
  try {
    const cache = new Map<string, unknown>();
    const results = await evaluateChecks(prepared.checks, prepared.types, { engine, at, tz: 'UTC', log: silentLogger(), cache });
    return { results, byName: (n: string) => results.find((r) => r.check === n)! };
  } finally {
    await prepared.engine.close();
  }
}

describe('stale and missing data', () => {
  it('a check whose source stopped 2 d 3 h ago alerts with a `stale` anomaly that gives the age in words', async () => {
    const at = Date.UTC(2026, 10, 23, 3, 0);
    const { byName } = await evaluateAt(at);
    const minutes = byName('minutes_total');
    expect(minutes.status).toBe('alert');
    const stale = minutes.anomalies.find((a) => a.key === 'stale')!;
    expect(stale.message).toBe('no transaction_status rows since 2026-11-20 23:59, 2 d 3 h ago (max_staleness 1 h)');
    expect(stale.start).toBe('2026-11-20T23:59:00Z');
    expect(stale.end).toBe('2026-11-23T03:00:00Z');
    expect(stale.observed).toBe(2 * 24 * 60 + 3 * 60 + 1);
    expect(stale.expected).toBe(60);
    // A date-only column counts to the end of its day; the check's own max_staleness wins over defaults.
    const daily = byName('daily_orders');
    expect(daily.status).toBe('alert');
    expect(daily.anomalies.map((a) => a.key)).toEqual(['stale']);
    expect(daily.anomalies[0]!.message).toBe('no payments_aggregate rows after 2026-11-20, 2 d 3 h ago (max_staleness 2 h)');
    // source: false turns it off.
    expect(byName('unmonitored').status).toBe('ok');
  });

  it('fresh data: no stale anomaly, and the check says what it would say anyway', async () => {
    const { byName } = await evaluateAt(Date.UTC(2026, 10, 20, 23, 30));
    expect(byName('minutes_total')).toMatchObject({ status: 'ok', anomalies: [] });
    // The day's aggregate row exists and its day has not ended: fresh.
    expect(byName('daily_orders')).toMatchObject({ status: 'ok', anomalies: [] });
  });

  it('rows after --at do not count: replaying the past sees the data as it was then', async () => {
    // At 21:30 the feed (starting 22:00) has no row yet: "no rows at or before".
    const { byName } = await evaluateAt(Date.UTC(2026, 10, 20, 21, 30));
    const stale = byName('minutes_total').anomalies.find((a) => a.key === 'stale')!;
    expect(stale.message).toBe('no transaction_status rows at or before 2026-11-20 21:30 (max_staleness 1 h)');
    expect(stale.observed).toBeNull();
  });

  it('a check that reads an empty table alerts as stale', async () => {
    const checks = `
checks:
  - name: ages
    type: query_empty
    description: never empty here
    sql: SELECT id FROM orders WHERE created_date >= :since
    params: { lookback: 1d }
`;
    const { byName } = await evaluateAt(Date.UTC(2026, 10, 23), checks);
    const r = byName('ages');
    expect(r.status).toBe('alert');
    expect(r.anomalies.map((a) => a.message)).toEqual(['no orders rows at or before 2026-11-23 00:00 (max_staleness 6 h)']);
  });

  it('a check that would be skipped for want of rows alerts instead, keeping the reason in its metrics', async () => {
    const checks = `
checks:
  - name: pos_hourly
    type: baseline
    description: sales per hour
    sql: SELECT source, hour, today, yesterday, same_day_last_week, avg_last_week, avg_last_month FROM checkout_hourly WHERE hour >= :day_start AND hour < :day_end
`;
    const { byName } = await evaluateAt(Date.UTC(2026, 10, 20, 12), checks);
    const r = byName('pos_hourly');
    expect(r.status).toBe('alert');
    expect(r.anomalies[0]!.message).toBe('no checkout_hourly rows since 2026-11-19 23:00, 13 h ago (max_staleness 6 h)');
    expect(r.metrics.skipped_reason).toBe('no rows for the evaluation day');
    expect(r.error).toBeUndefined();
  });

  it('asks each source once per evaluation time, however many checks read it', async () => {
    const queries: string[] = [];
    const counting = (e: QueryEngine): QueryEngine => ({
      name: e.name,
      query: (sql: string, params?: Params): Promise<Row[]> => {
        queries.push(sql);
        return e.query(sql, params);
      },
      validate: (sql) => e.validate(sql),
      close: () => e.close(),
    });
    const twice = CHECKS.replace('checks:\n', `checks:\n  - name: minutes_again\n    type: threshold\n    description: same source\n    sql: SELECT 'all' AS "group", COUNT(*) AS value FROM transaction_status WHERE minute <= :at\n    params: { min: 0 }\n`);
    await evaluateAt(Date.UTC(2026, 10, 23), twice, counting);
    expect(queries.filter((q) => q.includes('MAX(minute)'))).toHaveLength(1);
    expect(queries.filter((q) => q.includes('MAX(created_day)'))).toHaveLength(1);
  });

  it('over successive steps (replay) asks again only when the cached answer could turn stale', async () => {
    const { dir, db } = dataDb();
    const prepared = await prepareChecks({ config: config(dir, CHECKS), db, only: 'minutes_total' });
    const queries: string[] = [];
    const engine: QueryEngine = {
      name: prepared.engine.name,
      query: (sql: string, params?: Params): Promise<Row[]> => {
        if (sql.includes('MAX(minute)')) queries.push(String(params?.at));
        return prepared.engine.query(sql, params);
      },
      validate: (sql) => prepared.engine.validate(sql),
      close: () => prepared.engine.close(),
    };
    const cache = new Map<string, unknown>();
    const verdicts: string[] = [];
    try {
      // Feed 22:00–23:59, max_staleness 1 h: one step every 10 minutes from 22:10 to 01:30.
      for (let at = Date.UTC(2026, 10, 20, 22, 10); at <= Date.UTC(2026, 10, 21, 1, 30); at += 10 * MINUTE) {
        const [r] = await evaluateChecks(prepared.checks, prepared.types, { engine, at, tz: 'UTC', log: silentLogger(), cache });
        verdicts.push(r!.anomalies.some((a) => a.key === 'stale') ? 'stale' : 'fresh');
      }
    } finally {
      await prepared.engine.close();
    }
    // Fresh until 00:59 (newest row 23:59), stale from 01:00 — the same verdicts as asking every step.
    expect(verdicts).toEqual([...Array(17).fill('fresh'), 'stale', 'stale', 'stale', 'stale']);
    // Asked at 22:10; again once that answer (22:10) is over an hour old (23:20), and that one
    // (23:20) at 00:30; then at 01:00, when 23:59 is over an hour old, and at every stale step.
    expect(queries).toEqual([
      '2026-11-20 22:10:00',
      '2026-11-20 23:20:00',
      '2026-11-21 00:30:00',
      '2026-11-21 01:00:00',
      '2026-11-21 01:10:00',
      '2026-11-21 01:20:00',
      '2026-11-21 01:30:00',
    ]);
  });

  it('alerts through the normal path as <check>:stale and resolves when fresh data arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stale-state-'));
    dirs.push(dir);
    const store = StateStore.open(join(dir, 'state.db'));
    try {
      const at = Date.UTC(2026, 10, 23, 3);
      const { results } = await evaluateAt(at);
      const first = planNotifications(store, { runId: 'r1', at, results, policies: new Map(), destinations: {}, now: at });
      expect(first.newAlerts).toEqual(expect.arrayContaining(['minutes_total:stale', 'daily_orders:stale']));
      const fresh: CheckResult[] = results.map((r) => ({ ...r, status: 'ok', anomalies: [] }));
      const second = planNotifications(store, { runId: 'r2', at: at + HOUR, results: fresh, policies: new Map(), destinations: {}, now: at + HOUR });
      expect(second.resolved).toEqual(expect.arrayContaining(['minutes_total:stale', 'daily_orders:stale']));
    } finally {
      store.close();
    }
  });

  it('a source that cannot be read is a configuration error (78) naming the check and the source', async () => {
    const { dir, db } = dataDb();
    const bad = `checks:\n  - name: x\n    type: threshold\n    description: d\n    sql: SELECT 'a' AS "group", 1 AS value FROM feed\n    params: { min: 0 }\n    source: { table: feed, time_column: created }\n`;
    await expect(prepareChecks({ config: config(dir, bad), db })).rejects.toThrow(/check "x": source: feed\.created cannot be read from .*no such column: created/);
  });
});

describe('freshness helpers', () => {
  it('derives sources from the tables the SQL reads, ignoring comments, strings and CTE names', () => {
    const sql = `-- FROM orders is only a comment\nWITH x AS (SELECT * FROM transactions) SELECT 'from payments_aggregate' FROM x JOIN orders o ON 1`;
    expect(tablesReadBy(sql)).toEqual(['transactions', 'x', 'orders']);
    expect(sourcesOf({ sql, source: undefined })).toEqual([
      { table: 'transactions', time_column: 'created_date' },
      { table: 'orders', time_column: 'created_date' },
    ]);
    expect(sourcesOf({ sql, source: [{ table: 'feed', time_column: 'ts' }] })).toEqual([{ table: 'feed', time_column: 'ts' }]);
    expect(sourcesOf({ sql, source: false })).toEqual([]);
  });

  it('says ages in words with the two largest units', () => {
    expect(formatAge(2 * DAY + 3 * HOUR + 59 * MINUTE)).toBe('2 d 3 h');
    expect(formatAge(2 * DAY + 5 * MINUTE)).toBe('2 d');
    expect(formatAge(3 * HOUR + 12 * MINUTE)).toBe('3 h 12 min');
    expect(formatAge(45 * MINUTE)).toBe('45 min');
    expect(formatAge(20_000)).toBe('under 1 min');
  });

  it('the run notice names each stale source once, with the checks that read it', () => {
    const stale = (check: string, table: string) => ({
      check,
      anomalies: [{ key: 'stale', start: '', end: '', observed: 1, expected: 1, score: 1, message: '', rows: [{ table, detail: `no ${table} rows since X, 2 d ago` }] }],
    });
    const notice = staleNotice([stale('a', 'orders'), stale('b', 'orders'), stale('c', 'feed'), { check: 'd', anomalies: [] }])!;
    expect(notice.split('\n')).toEqual([
      'Stale data: the checks that read it report "stale", and what else they say describes old data:',
      '  no orders rows since X, 2 d ago (read by a, b)',
      '  no feed rows since X, 2 d ago (read by c)',
    ]);
    expect(staleNotice([{ check: 'd', anomalies: [] }])).toBeUndefined();
  });
});

describe('anomaly run with data that ends long before --at', () => {
  it('says so once, at the top of its output', async () => {
    const { dir, db } = dataDb();
    const ws = workspace({ ANOMALY_DB: db, ANOMALY_CONFIG: config(dir, CHECKS) });
    dirs.push(ws.dir);
    const r = await ws.cli('run', '--at', '2026-11-23T03:00:00Z', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[2]).toBe('⚠ Stale data: the checks that read it report "stale", and what else they say describes old data:');
    expect(lines[3]).toBe('  no transaction_status rows since 2026-11-20 23:59, 2 d 3 h ago (read by minutes_total)');
    expect(lines[4]).toBe('  no payments_aggregate rows after 2026-11-20, 2 d 3 h ago (read by daily_orders)');
    expect(r.stdout.match(/Stale data/g)).toHaveLength(1);
    const fresh = await ws.cli('run', '--at', '2026-11-20T23:30:00Z', '--dry-run');
    expect(fresh.stdout).not.toMatch(/Stale data/);
  });

  it('bad max_staleness, retention or source values are configuration errors (78) with the line', async () => {
    const ws = workspace();
    dirs.push(ws.dir);
    const cases: [string, RegExp][] = [
      [`defaults:\n  max_staleness: soon\nchecks:\n  - name: a\n    type: threshold\n    description: d\n    sql: SELECT 1\n`, /checks\.yaml:2: defaults\.max_staleness: must be a duration/],
      [`defaults:\n  retention: 0d\nchecks:\n  - name: a\n    type: threshold\n    description: d\n    sql: SELECT 1\n`, /checks\.yaml:2: defaults\.retention: must be longer than 0/],
      [`checks:\n  - name: a\n    type: threshold\n    description: d\n    sql: SELECT 1\n    source: { table: "x; DROP TABLE y", time_column: ts }\n`, /checks\.yaml:6: check "a": source\.table: must be a plain SQL identifier/],
    ];
    for (const [text, message] of cases) {
      const r = await ws.cli('checks', '--config', config(ws.dir, text));
      expect(r.code, text).toBe(78);
      expect(r.stderr).toMatch(message);
    }
  });
});
