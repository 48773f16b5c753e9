import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync, statSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { workspace } from '../helpers/cli.js';
import type { Workspace } from '../helpers/cli.js';

/** The state database is never silently recreated; a damaged data database names itself and the fix. */
const D = '2023-01-10';
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function dataWorkspace(): Promise<Workspace> {
  const ws = workspace();
  ws.write('orders.csv', 'id,created_date,merchant_id\n1,12/20/22 9:00,1\n2,12/21/22 10:00,2\n');
  ws.write('transactions.csv', 'id,created_date,transaction_type,order_id,transaction_status\n1,12/20/22 9:00,auth,1,success\n');
  const r = await ws.cli('init-db', '--date', D);
  expect(r.code, r.stderr).toBe(0);
  const cfg = join(ws.dir, 'checks.yaml');
  writeFileSync(
    cfg,
    `checks:\n  - name: orders_count\n    type: threshold\n    description: at most one order\n    sql: SELECT 'all' AS "group", COUNT(*) AS value FROM orders\n    params: { max: 1 }\n`,
  );
  ws.env.ANOMALY_CONFIG = cfg;
  return ws;
}

describe('state database integrity', () => {
  it('a missing state database is created with a warning in the output and the log', async () => {
    const ws = await dataWorkspace();
    const r = await ws.cli('run', '--at', `${D}T10:00:00Z`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: state database ${ws.env.ANOMALY_STATE_DB} did not exist: created a new one`);
    expect(readFileSync(join(ws.env.ANOMALY_LOG_DIR!, 'anomaly.log'), 'utf8')).toMatch(/"level":40.*did not exist: created a new one/);
    const again = await ws.cli('run', '--at', `${D}T10:05:00Z`);
    expect(again.stderr).not.toContain('warning');
  });

  it('a dry run on a missing state database does not claim it announces anything', async () => {
    const ws = await dataWorkspace();
    const r = await ws.cli('run', '--dry-run', '--at', `${D}T10:00:00Z`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('did not exist: created a new one (no alert history yet: this dry run announces nothing; the first live run announces every firing alert as new)');
    expect(r.stderr).not.toContain('every firing alert is announced as new');
  });

  it('a garbage, truncated, emptied or foreign state file is refused untouched (74 / 78), naming the path and the recovery', async () => {
    const ws = await dataWorkspace();
    expect((await ws.cli('run', '--at', `${D}T10:00:00Z`)).code).toBe(0);
    const state = ws.env.ANOMALY_STATE_DB!;
    const good = join(ws.dir, 'good-state.db');
    // Grow it past a page or two so that cutting it off leaves a valid header.
    const db = new Database(state);
    db.exec(`CREATE TABLE IF NOT EXISTS padding (x); INSERT INTO padding SELECT randomblob(1000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) SELECT i FROM n);`);
    db.pragma('journal_mode = DELETE');
    db.close();
    copyFileSync(state, good);

    const cases: [string, () => void, number, RegExp][] = [
      ['garbage', () => writeFileSync(state, Buffer.from('this is not a database at all, just some bytes '.repeat(100))), 74, /is not a SQLite database/],
      ['emptied', () => writeFileSync(state, ''), 74, /is empty \(truncated\?\)/],
      ['truncated', () => { copyFileSync(good, state); truncateSync(state, 8192); }, 74, /is truncated/],
      ['the data database', () => copyFileSync(ws.env.ANOMALY_DB!, state), 78, /not an anomaly state database.*must not point at the data database/],
    ];
    for (const [what, damage, code, message] of cases) {
      damage();
      const before = sha(state);
      const r = await ws.cli('run', '--at', `${D}T11:00:00Z`);
      expect(r.code, what).toBe(code);
      expect(r.stderr, what).toMatch(message);
      expect(r.stderr, what).toContain(state);
      expect(r.stderr, what).toMatch(/restore .* from a backup, or move it aside/);
      expect(sha(state), what).toBe(before);
      expect(statSync(state).size, what).toBe(readFileSync(state).length);
    }
  });

  it('a state database from a newer version is refused (78)', async () => {
    const ws = await dataWorkspace();
    expect((await ws.cli('run', '--at', `${D}T10:00:00Z`)).code).toBe(0);
    const db = new Database(ws.env.ANOMALY_STATE_DB!);
    db.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run();
    db.close();
    const r = await ws.cli('run', '--at', `${D}T11:00:00Z`);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/schema version 99, newer than this program's/);
  });
});

describe('doctor', () => {
  it('reports a damaged state database as a problem, as `run` would refuse it, and a missing one as fine', async () => {
    const ws = await dataWorkspace();
    const fresh = await ws.cli('doctor');
    expect(fresh.stdout).toMatch(/✓ state database: .*state\.db does not exist yet: the first `anomaly run` creates it/);
    expect((await ws.cli('run', '--at', `${D}T10:00:00Z`)).code).toBe(0);
    expect((await ws.cli('doctor')).stdout).toMatch(/✓ state database: .*state\.db/);
    writeFileSync(ws.env.ANOMALY_STATE_DB!, 'garbage'.repeat(100));
    const before = sha(ws.env.ANOMALY_STATE_DB!);
    const r = await ws.cli('doctor');
    expect(r.code).toBe(78);
    expect(r.stdout).toMatch(/✗ state database: state database .*state\.db is not a SQLite database/);
    expect(sha(ws.env.ANOMALY_STATE_DB!)).toBe(before);
  });
});

describe('data database integrity', () => {
  it('a garbage data database is 74 naming its path and `anomaly init-db`, not a config error', async () => {
    const ws = await dataWorkspace();
    writeFileSync(ws.env.ANOMALY_DB!, Buffer.alloc(8192, 0x41));
    const r = await ws.cli('run', '--at', `${D}T10:00:00Z`);
    expect(r.code).toBe(74);
    expect(r.stderr).toContain(`data database ${ws.env.ANOMALY_DB}`);
    expect(r.stderr).toContain('anomaly init-db');
  });
});
