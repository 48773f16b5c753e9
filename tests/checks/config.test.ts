import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, SHARED, workspace } from '../helpers/cli.js';

/** A checks file in the workspace; `sql/` beside it. */
function configIn(dir: string, yaml: string, sqlFiles: Record<string, string> = {}): string {
  mkdirSync(join(dir, 'sql'), { recursive: true });
  for (const [name, text] of Object.entries(sqlFiles)) writeFileSync(join(dir, 'sql', name), text);
  const path = join(dir, 'checks.yaml');
  writeFileSync(path, yaml);
  return path;
}

const GOOD_CHECK = `
  - name: late_orders
    type: query_empty
    description: a check
    sql: SELECT id FROM orders WHERE created_date < :at
`;

async function loadedWorkspace() {
  const ws = workspace();
  ws.put(join(SHARED, 'pbilinskyi/orders.csv'), 'orders.csv');
  ws.put(join(SHARED, 'pbilinskyi/transactions.csv'), 'transactions.csv');
  expect((await ws.cli('init-db')).code).toBe(0);
  return ws;
}

describe('checks file validation (exit 78, naming file, line, check and key)', () => {
  it('an unknown key', async () => {
    const ws = await loadedWorkspace();
    const cfg = configIn(ws.dir, `checks:\n  - name: c1\n    type: query_empty\n    description: d\n    sql: SELECT 1\n    severty: critical\n`);
    const r = await ws.cli('run', '--config', cfg, '--dry-run');
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/checks\.yaml:6: check "c1": severty: unknown key/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a wrong type for a parameter', async () => {
    const ws = await loadedWorkspace();
    const cfg = configIn(ws.dir, `checks:${GOOD_CHECK}  - name: c2\n    type: baseline\n    description: d\n    sql: SELECT 1\n    params:\n      min_volume: lots\n`);
    const r = await ws.cli('checks', '--config', cfg);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/checks\.yaml:11: check "c2": params\.min_volume: .*number/i);
  });

  it('an unknown check type lists the known ones', async () => {
    const ws = await loadedWorkspace();
    const cfg = configIn(ws.dir, `checks:\n  - name: c3\n    type: zscore\n    description: d\n    sql: SELECT 1\n`);
    const r = await ws.cli('run', '--config', cfg);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/check "c3": type: unknown check type "zscore" \(known: query_empty, threshold, baseline, status_rate, isolation_forest, metric\)/);
  });

  it('a missing SQL file', async () => {
    const ws = await loadedWorkspace();
    const cfg = configIn(ws.dir, `checks:\n  - name: c4\n    type: query_empty\n    description: d\n    sql_file: sql/nope.sql\n`);
    const r = await ws.cli('run', '--config', cfg);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/checks\.yaml:5: check "c4": sql_file: sql\/nope\.sql not found/);
  });

  it('SQL that does not prepare against the database', async () => {
    const ws = await loadedWorkspace();
    const cfg = configIn(ws.dir, `checks:\n  - name: c5\n    type: query_empty\n    description: d\n    sql_file: sql/bad.sql\n`, {
      'bad.sql': 'SELECT id FROM ordrs',
    });
    const r = await ws.cli('run', '--config', cfg);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/check "c5": sql_file \(.*bad\.sql\): the SQL does not prepare .*no such table: ordrs/);
  });

  it('SQL using a parameter its check type does not provide', async () => {
    const ws = await loadedWorkspace();
    const cfg = configIn(ws.dir, `checks:\n  - name: c6\n    type: status_rate\n    description: d\n    sql: SELECT minute, status, count FROM transaction_status WHERE minute < :at\n`);
    const r = await ws.cli('run', '--config', cfg, '--dry-run');
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/check "c6": sql: uses :at, which a status_rate check does not provide \(it provides :from, :to\)/);
  });

  it('duplicate names and invalid YAML', async () => {
    const ws = await loadedWorkspace();
    const dup = configIn(ws.dir, `checks:${GOOD_CHECK}${GOOD_CHECK}`);
    expect((await ws.cli('checks', '--config', dup)).stderr).toMatch(/check "late_orders": name: used by another check/);
    const broken = configIn(ws.dir, `checks:\n  - name: [unclosed\n`);
    const r = await ws.cli('checks', '--config', broken);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/checks\.yaml:\d+:\d+: invalid YAML/);
  });

  it('--only with an unknown check is a usage error (64)', async () => {
    const ws = await loadedWorkspace();
    const r = await ws.cli('run', '--only', 'nope', '--dry-run');
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/no check named "nope"/);
  });

  it('a new check of an existing type needs only YAML and SQL', async () => {
    const ws = await loadedWorkspace();
    const cfg = configIn(
      ws.dir,
      `checks:\n  - name: merchant_order_count\n    type: threshold\n    description: orders per merchant\n    sql_file: sql/per_merchant.sql\n    params:\n      key: "merchant {merchant_id}"\n      max: 1\n`,
      { 'per_merchant.sql': 'SELECT merchant_id, COUNT(*) AS value FROM orders GROUP BY merchant_id' },
    );
    const list = await ws.cli('checks', '--config', cfg);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/merchant_order_count\s+\[threshold, warning\]/);
    const r = await ws.cli('run', '--config', cfg, '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    // Run at the wall clock, long after the fixture's orders: the check says its source is stale, too.
    expect(doc.checks[0].anomalies.map((a: { key: string }) => a.key)).toEqual(['stale', 'merchant 2']);
    expect(doc.checks[0].anomalies[1].message).toBe('merchant 2: value 2 above the maximum 1');
  });

  it('the shipped checks file is valid', async () => {
    const ws = workspace();
    const r = await ws.cli('checks', '--config', join(REPO, 'anomaly.config.yaml'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const names = JSON.parse(r.stdout).checks.map((c: { name: string }) => c.name);
    expect(names).toEqual([
      'unfinished_orders',
      'checkout_hourly',
      'orders_hourly',
      'transaction_status_rates',
      'transaction_mix_iforest',
      'approval_rate_by_brand',
      'error_code_share',
    ]);
  });
});
