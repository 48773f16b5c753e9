import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StateStore, planNotifications, recordRun } from '../../src/alerts/index.js';
import { bytesOnDisk, prune, pruneAfterRun, spaceOf, vacuumIfWorthwhile } from '../../src/alerts/retention.js';
import { storePayload } from '../../src/alerts/runs.js';
import { silentLogger } from '../../src/log.js';
import { DAY, HOUR, toDbTime } from '../../src/time.js';
import type { ChartData, CheckResult } from '../../src/types.js';
import { REPO, workspace } from '../helpers/cli.js';
import { T0, anomaly, openTempStore, policies, policy, result, tempDir } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function temp(): { store: StateStore; file: string } {
  const t = openTempStore();
  dirs.push(t.dir);
  return t;
}

const chart = (title: string): ChartData => ({ kind: 'bars', title, bars: [{ group: 'a', value: 1, alert: true }] });

function record(store: StateStore, runId: string, at: number, results: CheckResult[]): void {
  recordRun(store, { runId, at, startedAt: at, finishedAt: at + 1000, dryRun: false, results });
}

const count = (store: StateStore, table: string): number => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('run history storage', () => {
  it('stores identical anomalies once however many runs share them; check_results_full shows them in every row', () => {
    const { store } = temp();
    const big = [anomaly('merchant 7', { rows: Array.from({ length: 200 }, (_, i) => ({ order_id: i, problem: 'never finished' })) })];
    for (let i = 0; i < 5; i++) record(store, `r${i}`, T0 + i * 300_000, [result('unfinished_orders', big)]);
    const payloads = store.db.prepare(`SELECT json FROM payloads`).all() as { json: string }[];
    expect(payloads).toHaveLength(1);
    const rows = store.db.prepare(`SELECT anomalies_json FROM check_results_full ORDER BY run_id`).all() as { anomalies_json: string }[];
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(JSON.parse(r.anomalies_json)[0].rows).toHaveLength(200);
  });

  it('keeps chart data for alerting results and for the latest run only', () => {
    const { store } = temp();
    record(store, 'r1', T0, [result('a', [anomaly('x')], { chart: chart('a1') }), result('b', [], { chart: chart('b1') })]);
    record(store, 'r2', T0 + 300_000, [result('a', [], { chart: chart('a2') }), result('b', [], { chart: chart('b2') })]);
    const charts = store.db
      .prepare(`SELECT run_id, check_name, json_extract(chart_json, '$.title') AS title FROM check_results_full ORDER BY run_id, check_name`)
      .all();
    expect(charts).toEqual([
      { run_id: 'r1', check_name: 'a', title: 'a1' }, // alerting: kept
      { run_id: 'r1', check_name: 'b', title: null }, // ok, superseded: dropped
      { run_id: 'r2', check_name: 'a', title: 'a2' },
      { run_id: 'r2', check_name: 'b', title: 'b2' },
    ]);
    // The dropped chart's payload is gone, not orphaned.
    const titles = (store.db.prepare(`SELECT json FROM payloads`).all() as { json: string }[]).map((p) => JSON.parse(p.json).title).filter(Boolean);
    expect(titles.sort()).toEqual(['a1', 'a2', 'b2']);
  });

  it('upgrades a version-1 state database in place: old rows stay readable, new rows use payloads', () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir, 'state.db');
    const v1 = new Database(file);
    v1.exec(readFileSync(join(REPO, 'src/alerts/state.sql'), 'utf8'));
    v1.prepare(`INSERT INTO check_runs VALUES ('old', '2026-11-20 15:00:00', '2026-11-20 15:00:00', '2026-11-20 15:00:01', 0, 'alert', 1, 1, 0)`).run();
    v1.prepare(`INSERT INTO check_results (run_id, check_name, type, status, severity, anomaly_count, duration_ms, error, metrics_json, anomalies_json, chart_json)
                VALUES ('old', 'a', 'threshold', 'alert', 'warning', 1, 3, NULL, '{}', '[{"key":"k"}]', '{"kind":"bars","title":"t"}')`).run();
    v1.close();
    const store = StateStore.open(file);
    try {
      expect(store.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get()).toEqual({ value: '2' });
      record(store, 'new', T0 + HOUR, [result('a', [anomaly('k2')])]);
      const rows = store.db.prepare(`SELECT run_id, anomalies_json, chart_json FROM check_results_full ORDER BY run_id DESC`).all() as {
        run_id: string;
        anomalies_json: string;
        chart_json: string | null;
      }[];
      expect(rows[0]!.run_id).toBe('old');
      expect(JSON.parse(rows[0]!.anomalies_json)).toEqual([{ key: 'k' }]);
      expect(JSON.parse(rows[0]!.chart_json!).title).toBe('t');
      expect(JSON.parse(rows[1]!.anomalies_json)[0].key).toBe('k2');
    } finally {
      store.close();
    }
    // Opening again does not re-apply the migration.
    StateStore.open(file).close();
  });
});

describe('retention', () => {
  /** 10 runs a day apart (started_at = at), the last at T0. */
  function history(store: StateStore): void {
    for (let d = 9; d >= 0; d--) {
      record(store, `run-${9 - d}`, T0 - d * DAY, [
        result('a', [anomaly(`day ${d}`)], { chart: chart(`a ${d}`) }),
        result('b', [anomaly('same every day')]),
      ]);
    }
  }

  it('deletes runs older than the cutoff with their results and the payloads nothing else uses', () => {
    const { store } = temp();
    history(store);
    const before = count(store, 'payloads');
    const counts = prune(store, { cutoff: T0 - 4.5 * DAY });
    expect(counts).toMatchObject({ runs: 5, results: 10, more: false });
    expect(count(store, 'check_runs')).toBe(5);
    // 5 'a' anomalies + 5 'a' charts went; 'same every day' is still used by the kept runs.
    expect(counts.payloads).toBe(10);
    expect(count(store, 'payloads')).toBe(before - 10);
    const kept = store.db.prepare(`SELECT anomalies_json FROM check_results_full WHERE check_name = 'b'`).all() as { anomalies_json: string }[];
    expect(kept.map((k) => JSON.parse(k.anomalies_json)[0].key)).toEqual(Array(5).fill('same every day'));
  });

  it('works in bounded batches: one batch per run, `more` until done', () => {
    const { store } = temp();
    history(store);
    const first = prune(store, { cutoff: T0 + 1000, limits: { runs: 3, rows: 3 }, maxBatches: 1 });
    expect(first).toMatchObject({ runs: 3, more: true });
    const rest = prune(store, { cutoff: T0 + 1000, limits: { runs: 3, rows: 3 } });
    expect(rest).toMatchObject({ runs: 7, more: false });
    expect(count(store, 'check_runs')).toBe(0);
    expect(count(store, 'payloads')).toBe(0);
  });

  it('--dry-run counts exactly what would go and changes nothing', () => {
    const { store } = temp();
    history(store);
    const dry = prune(store, { cutoff: T0 - 4.5 * DAY, dryRun: true, limits: { runs: 2, rows: 2 } });
    expect(dry).toMatchObject({ runs: 5, results: 10, payloads: 10, more: false });
    expect(count(store, 'check_runs')).toBe(10);
    expect(count(store, 'check_results')).toBe(20);
  });

  it('prunes resolved alerts and delivered notifications, never firing alerts, pending items or a digest an alert still points at', () => {
    const { store } = temp();
    const pol = policies(policy('a'), policy('b', { repeatIntervalMs: 100 * DAY }));
    const dest = { slack: { defaultChannel: 'C1' }, sheets: true };
    const at0 = T0 - 40 * DAY;
    // Day 0: a and b fire (one digest + one sheets row batch), everything delivered.
    const r0 = planNotifications(store, { runId: 'r0', at: at0, results: [result('a', [anomaly('x')]), result('b', [anomaly('y')])], policies: pol, destinations: dest, now: at0 });
    store.db.prepare(`UPDATE outbox SET status = 'sent', sent_at = ?`).run(toDbTime(at0));
    // Day 1: a resolves (its digest gets an update item); b keeps firing. The update stays pending.
    const at1 = at0 + DAY;
    planNotifications(store, { runId: 'r1', at: at1, results: [result('a', []), result('b', [anomaly('y')])], policies: pol, destinations: dest, now: at1 });
    const pending = store.db.prepare(`SELECT id, kind, depends_on FROM outbox WHERE status = 'pending' ORDER BY id`).all() as {
      id: number;
      kind: string;
      depends_on: number | null;
    }[];
    expect(pending.map((p) => p.kind)).toEqual(['slack.update', 'sheets.append']);

    const counts = prune(store, { cutoff: T0 - 30 * DAY });
    expect(counts.alerts).toBe(1); // a: resolved 39 days ago
    expect((store.db.prepare(`SELECT fingerprint, state FROM alerts`).all())).toEqual([{ fingerprint: 'b:y', state: 'firing' }]);
    // The digest stays: firing b points at it (and the pending update waits on it); pending items stay.
    const left = store.db.prepare(`SELECT id, status FROM outbox ORDER BY id`).all() as { id: number; status: string }[];
    expect(left.map((l) => l.id)).toContain(r0.outboxIds[0]);
    expect(left.filter((l) => l.status === 'pending')).toHaveLength(2);
    // The day-0 sheets row batch, delivered 40 days ago and needed by nothing, is gone.
    expect(counts.outbox).toBe(1);

    // Once b resolves too and the update is delivered, later prunes take the digest and its slack_messages row.
    const at2 = at1 + DAY;
    planNotifications(store, { runId: 'r2', at: at2, results: [result('b', [])], policies: pol, destinations: dest, now: at2 });
    store.db.prepare(`UPDATE outbox SET status = 'sent', sent_at = ?`).run(toDbTime(at2));
    prune(store, { cutoff: at2 + 31 * DAY });
    expect(count(store, 'outbox')).toBe(0);
    expect(count(store, 'slack_messages')).toBe(0);
    expect(count(store, 'alerts')).toBe(0);
  });

  it('keeps chart data of alerting results for 7 days, then drops it (the results stay)', () => {
    const { store } = temp();
    history(store); // runs at T0 - 9 d … T0, every result of 'a' alerting with a chart
    const counts = pruneAfterRun(store, { now: T0 + HOUR, retentionMs: 30 * DAY, log: silentLogger() })!;
    expect(counts).toMatchObject({ runs: 0, charts: 3 }); // the runs of 9, 8 and 7 days (+1 h) ago
    const left = store.db
      .prepare(`SELECT run_id FROM check_results WHERE check_name = 'a' AND chart_id IS NOT NULL ORDER BY run_id`)
      .all() as { run_id: string }[];
    expect(left.map((r) => r.run_id)).toEqual(['run-3', 'run-4', 'run-5', 'run-6', 'run-7', 'run-8', 'run-9']);
    expect(count(store, 'check_results')).toBe(20);
    const titles = (store.db.prepare(`SELECT json FROM payloads`).all() as { json: string }[]).map((p) => JSON.parse(p.json).title).filter(Boolean);
    expect(titles.sort()).toEqual(['a 0', 'a 1', 'a 2', 'a 3', 'a 4', 'a 5', 'a 6']);
  });

  it('drops the content of notifications delivered over a day ago, keeping row and receipt', () => {
    const { store } = temp();
    const at = T0;
    planNotifications(store, {
      runId: 'r0',
      at,
      results: [result('a', [anomaly('x')])],
      policies: policies(policy('a')),
      destinations: { slack: { defaultChannel: 'C1' } },
      charts: new Map([['a', 'iVBORw0KGgo'.repeat(1000)]]),
      now: at,
    });
    store.db.prepare(`UPDATE outbox SET status = 'sent', sent_at = ?, receipt_json = '{"slack":{"ts":"1.2"}}'`).run(toDbTime(at));
    expect(pruneAfterRun(store, { now: at + HOUR, retentionMs: 30 * DAY, log: silentLogger() })!.compacted).toBe(0);
    expect(pruneAfterRun(store, { now: at + 25 * HOUR, retentionMs: 30 * DAY, log: silentLogger() })!.compacted).toBe(2);
    const rows = store.db.prepare(`SELECT kind, payload_json, receipt_json FROM outbox ORDER BY id`).all();
    expect(rows).toEqual([
      { kind: 'slack.digest', payload_json: '{}', receipt_json: '{"slack":{"ts":"1.2"}}' },
      { kind: 'slack.file', payload_json: '{}', receipt_json: '{"slack":{"ts":"1.2"}}' },
    ]);
  });

  it('VACUUMs only when free pages are both ≥ 25 % of the file and ≥ 8 MB', () => {
    const { store, file } = temp();
    for (let i = 0; i < 12; i++) storePayload(store, JSON.stringify({ i, pad: 'x'.repeat(1024 * 1024) }));
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    // 3 MB free of ~12 MB: not worth it.
    store.db.prepare(`DELETE FROM payloads WHERE id <= 3`).run();
    const small = vacuumIfWorthwhile(store);
    expect(small.vacuumed).toBe(false);
    expect(small.freeBytes).toBeGreaterThan(2.5 * 1024 * 1024);
    // 10 MB free of ~12 MB: worth it; the file shrinks on disk.
    store.db.prepare(`DELETE FROM payloads WHERE id <= 10`).run();
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const before = bytesOnDisk(file).db;
    const big = vacuumIfWorthwhile(store);
    expect(big.vacuumed).toBe(true);
    expect(spaceOf(store).freeBytes).toBe(0);
    expect(bytesOnDisk(file).db).toBeLessThan(before / 3);
    expect(bytesOnDisk(file).wal).toBe(0);
  });
});

describe('anomaly prune', () => {
  it('--dry-run reports, then prune deletes; --older-than takes a duration; a bad one is exit 64', async () => {
    const now = T0 + 60 * DAY;
    const ws = workspace({}, () => now);
    dirs.push(ws.dir);
    expect((await ws.cli('prune')).stdout).toMatch(/nothing to prune: .*state\.db does not exist yet/);
    const store = StateStore.open(ws.env.ANOMALY_STATE_DB!);
    history(store);
    store.close();

    const dry = await ws.cli('prune', '--older-than', '55d', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would delete what is older than 55d \(before 2026-11-25T15:00:00Z\): 5 runs with 5 check results/);
    expect(dry.stdout).toMatch(/no VACUUM \(worthwhile from 25 % and 8\.0 MB free/);

    const real = await ws.cli('prune', '--older-than', '55d');
    expect(real.stdout).toMatch(/^deleted what is older than 55d .*: 5 runs with 5 check results/);
    // Without --older-than: defaults.retention of the checks file (30d): the other 5 go.
    const byConfig = await ws.cli('prune');
    expect(byConfig.stdout).toMatch(/older than 30d \(before .*, defaults\.retention of .*anomaly\.config\.yaml\): 5 runs/);

    const bad = await ws.cli('prune', '--older-than', 'soon');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--older-than "soon": use a duration such as 12h, 30d or 8w/);
  });

  function history(store: StateStore): void {
    for (let d = 0; d < 10; d++) record(store, `run-${d}`, T0 + d * DAY, [result('a', [anomaly(`day ${d}`)])]);
  }
});
