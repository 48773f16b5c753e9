import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SHARED, workspace } from '../helpers/cli.js';
import { holdLock } from '../helpers/hold-lock.js';

async function cloudwalk() {
  const ws = workspace();
  ws.put(join(SHARED, 'cloudwalk/checkout_1.csv'), 'checkout/checkout_1.csv');
  ws.put(join(SHARED, 'cloudwalk/transactions_1.csv'), 'transaction_status/transactions_1.csv');
  ws.put(join(SHARED, 'pbilinskyi/orders.csv'), 'orders.csv');
  ws.put(join(SHARED, 'pbilinskyi/transactions.csv'), 'transactions.csv');
  const r = await ws.cli('init-db', '--date', '2023-01-10');
  expect(r.code, r.stderr).toBe(0);
  return ws;
}

describe('anomaly run', () => {
  it('--json prints the documented document', async () => {
    const ws = await cloudwalk();
    const r = await ws.cli('run', '--at', '2023-01-10T14:40:00Z', '--json', '--dry-run', '--only', 'transaction_status_rates,checkout_hourly');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.at).toBe('2023-01-10T14:40:00Z');
    expect(doc.checks.map((c: { name: string }) => c.name)).toEqual(['checkout_hourly', 'transaction_status_rates']);
    const rates = doc.checks[1];
    expect(Object.keys(rates)).toEqual(expect.arrayContaining(['name', 'type', 'status', 'severity', 'durationMs', 'anomalies']));
    const reversed = rates.anomalies.find((a: { key: string }) => a.key === 'reversed');
    expect(Object.keys(reversed)).toEqual(expect.arrayContaining(['key', 'start', 'end', 'observed', 'expected', 'score', 'message']));
    expect(reversed.start).toBe('2023-01-10T14:35:00Z');
    expect(reversed.end).toBe('2023-01-10T14:40:00Z');
    expect(reversed.observed).toBeGreaterThan(0.2);
    expect(reversed.expected).toBeLessThan(0.01);
    expect(reversed.score).toBeGreaterThan(40);
  });

  it('prints a table and the anomalies in words, and says nobody was notified', async () => {
    const ws = await cloudwalk();
    const r = await ws.cli('run', '--at', '2023-01-10T10:00', '--only', 'checkout_hourly');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/CHECK\s+TYPE\s+STATUS\s+ANOMALIES\s+DURATION/);
    expect(r.stdout).toMatch(/checkout_hourly\s+baseline\s+ALERT\s+1\s+\d+ ms/);
    expect(r.stdout).toMatch(/sales dropped \d+ % at 08h, 09h/);
    expect(r.stdout).toMatch(/Slack not configured \(SLACK_ALERT_BOT_TOKEN unset\): nobody notified/);
    expect(r.stdout).toMatch(/Google Sheets not configured/);
  });

  it('a failing check is an error, the others still run, and the run exits 2', async () => {
    const ws = await cloudwalk();
    const cfg = join(ws.dir, 'checks.yaml');
    writeFileSync(
      cfg,
      `checks:
  - name: broken
    type: threshold
    description: returns no value column
    sql: SELECT 1 AS other
    params: { max: 1 }
  - name: orders_exist
    type: threshold
    description: at least one order
    sql: SELECT 'all' AS "group", COUNT(*) AS value FROM orders
    params: { min: 1 }
    source: false # run at the wall clock, long after the fixture's orders
`,
    );
    const r = await ws.cli('run', '--config', cfg, '--json', '--dry-run');
    expect(r.code, r.stderr).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.checks[0]).toMatchObject({ name: 'broken', status: 'error' });
    expect(doc.checks[0].error).toMatch(/returns no column "value"/);
    expect(doc.checks[1]).toMatchObject({ name: 'orders_exist', status: 'ok' });
  });

  it('stores every run and result in check_runs / check_results', async () => {
    const ws = await cloudwalk();
    await ws.cli('run', '--at', '2023-01-10T10:00', '--dry-run');
    await ws.cli('run', '--at', '2023-01-10T15:00', '--dry-run');
    const db = new Database(ws.env.ANOMALY_STATE_DB!, { readonly: true });
    const runs = db.prepare('SELECT at, dry_run, checks_total FROM check_runs ORDER BY at').all();
    expect(runs).toEqual([
      { at: '2023-01-10 10:00:00', dry_run: 1, checks_total: 7 },
      { at: '2023-01-10 15:00:00', dry_run: 1, checks_total: 7 },
    ]);
    const alerting = db
      .prepare(`SELECT check_name, anomaly_count FROM check_results r JOIN check_runs u USING (run_id) WHERE u.at = '2023-01-10 15:00:00' AND r.status = 'alert' ORDER BY check_name`)
      .all() as { check_name: string }[];
    expect(alerting.map((a) => a.check_name)).toEqual([
      // No payments_aggregate rows, and the orders sample starts in May 2023: stale at this --at.
      'approval_rate_by_brand',
      'checkout_hourly',
      'error_code_share',
      'orders_hourly',
      'transaction_mix_iforest',
      'transaction_status_rates',
      'unfinished_orders',
    ]);
    db.close();
  });

  it('a second run while one holds the lock exits 75', async () => {
    const ws = await cloudwalk();
    const holder = await holdLock(ws.env.ANOMALY_STATE_DB + '.run.lock');
    try {
      const r = await ws.cli('run', '--dry-run');
      expect(r.code).toBe(75);
      expect(r.stderr).toMatch(/another anomaly run is running \(pid \d+/);
    } finally {
      // A holder that dies (however it dies) frees the lock.
      await holder.stop('SIGKILL');
    }
    const r2 = await ws.cli('run', '--dry-run', '--at', '2023-01-10T10:00');
    expect(r2.code).toBe(0);
  });

  it('a missing database says to run init-db (exit 66); a bad --at is a usage error (64)', async () => {
    const ws = workspace();
    const r = await ws.cli('run', '--dry-run');
    expect(r.code).toBe(66);
    expect(r.stderr).toMatch(/anomaly init-db/);
    const ws2 = await cloudwalk();
    const bad = await ws2.cli('run', '--at', 'yesterday');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--at "yesterday" is not an ISO 8601 time/);
  });
});
