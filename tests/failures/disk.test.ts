import { describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { databaseFileError, IoError } from '../../src/errors.js';
import { workspace } from '../helpers/cli.js';

/** Disk full and unwritable files: the message names the file; a full log never stops a run. */
describe('disk full and unwritable files', () => {
  it('SQLite "database or disk is full" becomes 74 naming the database and what to do', () => {
    const ws = workspace();
    const path = join(ws.dir, 'tiny.db');
    const db = new Database(path);
    db.exec('CREATE TABLE t (x)');
    db.pragma('max_page_count = 3'); // the quota SQLite enforces like a full disk
    let raised: unknown;
    try {
      db.prepare('INSERT INTO t SELECT randomblob(100000)').run();
    } catch (error) {
      raised = error;
    }
    db.close();
    expect((raised as { code: string }).code).toBe('SQLITE_FULL');
    const mapped = databaseFileError(raised, 'state database', path, 'restore it');
    expect(mapped).toBeInstanceOf(IoError);
    expect((mapped as IoError).exitCode).toBe(74);
    expect((mapped as IoError).message).toBe(
      `state database ${path}: database or disk is full (SQLITE_FULL); the disk (or its quota) is full: free space on that file system and run again`,
    );
    // Anything that is not about the file passes through unchanged.
    const other = new Error('no such table: x');
    expect(databaseFileError(other, 'state database', path, 'x')).toBe(other);
  });

  it.runIf(existsSync('/dev/full'))('a log file on a full disk (ENOSPC) is said once, naming it, and the run still works', async () => {
    const ws = workspace();
    ws.write('orders.csv', 'id,created_date,merchant_id\n1,12/20/22 9:00,1\n');
    ws.write('transactions.csv', 'id,created_date,transaction_type,order_id,transaction_status\n1,12/20/22 9:00,auth,1,success\n');
    expect((await ws.cli('init-db', '--date', '2023-01-10')).code).toBe(0);
    const logs = join(ws.dir, 'full-logs');
    mkdirSync(logs);
    symlinkSync('/dev/full', join(logs, 'anomaly.log'));
    const cfg = join(ws.dir, 'checks.yaml');
    writeFileSync(cfg, `checks:\n  - name: orders_count\n    type: threshold\n    description: d\n    sql: SELECT 'all' AS "group", COUNT(*) AS value FROM orders\n    params: { min: 1 }\n`);
    ws.env.ANOMALY_LOG_DIR = logs;
    const r = await ws.cli('run', '--config', cfg, '--at', '2023-01-10T10:00:00Z');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`anomaly: cannot write the log file ${join(logs, 'anomaly.log')} (ENOSPC)`);
    expect(r.stderr.match(/cannot write the log file/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/orders_count/);
  });

  it('a log file that cannot be opened is 74 naming it and ANOMALY_LOG_DIR', async () => {
    const ws = workspace();
    const logs = join(ws.dir, 'logs-blocked');
    mkdirSync(join(logs, 'anomaly.log'), { recursive: true }); // a directory where the file should be
    ws.env.ANOMALY_LOG_DIR = logs;
    const r = await ws.cli('outbox');
    expect(r.code).toBe(74);
    expect(r.stderr).toBe(`anomaly: cannot open the log file ${join(logs, 'anomaly.log')}: EISDIR; make it writable or set ANOMALY_LOG_DIR to a writable folder\n`);
  });
});
