import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTransactionsCsv } from '../../scripts/bench-init-db.js';
import { built, FIXTURES, REPO, query, runInitDb, sha256, tempDir, waitFor } from './cli-harness.js';

/**
 * SIGINT / SIGTERM in the middle of a load: the built CLI (`npm run build`) removes its temp file
 * and its lock, says so, and exits 130 / 143; the previous database is untouched and the next run
 * finds nothing stale. The signal is sent once rows are flowing into the temp database.
 */

describe.runIf(built)('init-db interrupted by a signal', () => {
  let big = '';
  beforeAll(async () => {
    big = join(tempDir(), 'big');
    mkdirSync(big);
    await writeTransactionsCsv(join(big, 'transactions.csv'), 1_500_000);
  }, 120_000);

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: removes the temp file and the lock, exits %i, keeps the database', async (signal, code) => {
    const dir = tempDir();
    const db = join(dir, 'anomaly.db');
    const first = await runInitDb(['--data-dir', join(FIXTURES, 'good/all'), '--db', db, '--date', '2023-01-10']);
    expect(first.code).toBe(0);
    const before = sha256(db);

    const child = spawn(process.execPath, [join(REPO, 'bin/anomaly.js'), 'init-db', '--data-dir', big, '--db', db, '--date', '2023-05-01'], {
      env: { ...process.env, ANOMALY_LOG_DIR: join(dir, 'logs'), ANOMALY_TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const tmp = `${db}.tmp-${child.pid}`;
    // Rows are flowing into the temp database and the second thread has its scratch files (a 67 MB
    // file in id order is written as B-tree pages by two threads: direct-load.ts).
    await waitFor(() => existsSync(tmp) && statSync(tmp).size > 1 << 20 && existsSync(`${tmp}.direct-r1-0`), 60_000);
    child.kill(signal);

    expect(await exited).toBe(code);
    expect(stderr).toBe(`anomaly: init-db interrupted by ${signal}; removed ${tmp} and the lock; ${db} was not changed\n`);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    // A pid lock file naming the interrupted run would be a lock left behind (a kernel-held lock file
    // may stay: it holds no pid).
    const lock = `${db}.init.lock`;
    expect(existsSync(lock) && readFileSync(lock, 'utf8').trim() === String(child.pid)).toBe(false);
    expect(sha256(db)).toBe(before);
    expect(query(db, 'SELECT count(*) AS n FROM transactions')[0]!.n).toBe(5);

    // The next run finds no stale temp to remove and no lock in its way.
    const next = await runInitDb(['--data-dir', join(FIXTURES, 'good/all'), '--db', db, '--date', '2023-01-11']);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
  }, 120_000);
});
