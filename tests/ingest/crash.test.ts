import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeShuffled, writeTransactionsCsv } from '../../scripts/bench-init-db.js';
import { built, FIXTURES, REPO, query, runInitDb, sha256, tempDir, waitFor } from './cli-harness.js';

/**
 * kill -9 in the middle of a big load: the previous database must still open with its old rows, and
 * the next init-db must succeed (taking over the dead run's lock, removing its temp file and saying so).
 * Runs the built CLI (`npm run build`; the pretest script builds). 600,000 rows (27 MB) load in one
 * thread. 1,500,000 rows (67 MB) load in two: in id order, as B-tree pages written directly
 * (direct-load.ts), killed once the temp database grows and the second thread has its scratch
 * files; shuffled,
 * through two SQLite connections (parallel-load.ts), killed once the temp database and the second
 * thread's part file grow.
 */

describe('init-db killed mid-load', () => {
  it.runIf(built).each([
    ['one thread', 600_000, false, undefined],
    ['two threads writing B-tree pages', 1_500_000, false, '.direct-r1-0'],
    ['two threads inserting through SQLite', 1_500_000, true, '.part1'],
  ] as const)('%s: leaves the previous database usable and the next run succeeds', async (_what, rows, shuffled, second) => {
    const dir = tempDir();
    const db = join(dir, 'anomaly.db');
    const first = await runInitDb(['--data-dir', join(FIXTURES, 'good/all'), '--db', db, '--date', '2023-01-10']);
    expect(first.code).toBe(0);
    const before = sha256(db);

    const big = join(dir, 'big');
    mkdirSync(big);
    await writeTransactionsCsv(join(big, shuffled ? 'ordered.csv' : 'transactions.csv'), rows);
    if (shuffled) {
      writeShuffled(join(big, 'ordered.csv'), join(big, 'transactions.csv'));
      rmSync(join(big, 'ordered.csv'));
    }
    const child = spawn(process.execPath, [join(REPO, 'bin/anomaly.js'), 'init-db', '--data-dir', big, '--db', db], {
      env: { ...process.env, ANOMALY_LOG_DIR: join(dir, 'logs') },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    const tmp = `${db}.tmp-${child.pid}`;
    // Kill once rows are flowing into the temp database (and the second thread writes its file).
    const flowing = (path: string, bytes = 4 << 20) => existsSync(path) && statSync(path).size > bytes;
    await waitFor(() => flowing(tmp) && (second === undefined || flowing(tmp + second, second === '.part1' ? 4 << 20 : 0)), 60_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    expect(existsSync(tmp)).toBe(true);
    const left = readdirSync(dir)
      .filter((n) => n.includes('.tmp-'))
      .map((n) => ({ path: join(dir, n), size: statSync(join(dir, n)).size }));
    if (second !== undefined) expect(left.map((f) => f.path)).toContain(tmp + second);
    expect(sha256(db)).toBe(before);
    expect(query(db, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(query(db, 'SELECT count(*) AS n FROM transactions')[0]!.n).toBe(5);
    expect(query(db, 'SELECT count(*) AS n FROM orders')[0]!.n).toBe(4);

    const next = await runInitDb(['--data-dir', join(FIXTURES, 'good/all'), '--db', db, '--date', '2023-01-11']);
    // The dead run's temp file (and part file) is removed, and the output says so.
    // Sizes as init-db words them: MB from 1 MiB, else bytes (a scratch file of sorted runs is small).
    const size = (n: number) => (n >= 1_048_576 ? `${(n / 1_048_576).toFixed(1)} MB` : `${n} bytes`);
    const warnings = left.map((f) => `warning: removed ${f.path} (${size(f.size)}), left by an earlier init-db that did not finish`);
    expect(next.stderr.trimEnd().split('\n').sort()).toEqual(warnings.sort());
    expect(next.code).toBe(0);
    expect(query(db, "SELECT value FROM meta WHERE key = 'day'")[0]!.value).toBe('2023-01-11');
    expect(readdirSync(dir).sort()).toEqual(['anomaly.db', 'big', 'logs']);
  }, 180_000);
});
