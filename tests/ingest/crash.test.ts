import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTransactionsCsv } from '../../scripts/bench-init-db.js';
import { built, FIXTURES, REPO, query, runInitDb, sha256, tempDir, waitFor } from './cli-harness.js';

/**
 * kill -9 in the middle of a big load: the previous database must still open with its old rows, and
 * the next init-db must succeed (taking over the dead run's lock, removing its temp file and saying so).
 * Runs the built CLI (`npm run build`; the pretest script builds).
 */

describe('init-db killed mid-load', () => {
  it.runIf(built)('leaves the previous database usable and the next run succeeds', async () => {
    const dir = tempDir();
    const db = join(dir, 'anomaly.db');
    const first = await runInitDb(['--data-dir', join(FIXTURES, 'good/all'), '--db', db, '--date', '2023-01-10']);
    expect(first.code).toBe(0);
    const before = sha256(db);

    const big = join(dir, 'big');
    mkdirSync(big);
    await writeTransactionsCsv(join(big, 'transactions.csv'), 1_500_000);
    const child = spawn(process.execPath, [join(REPO, 'bin/anomaly.js'), 'init-db', '--data-dir', big, '--db', db], {
      env: { ...process.env, ANOMALY_LOG_DIR: join(dir, 'logs') },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    const tmp = `${db}.tmp-${child.pid}`;
    // Kill once rows are flowing into the temp database.
    await waitFor(() => existsSync(tmp) && statSync(tmp).size > 4 << 20, 60_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    expect(existsSync(tmp)).toBe(true);
    const statSizeBefore = statSync(tmp).size;
    expect(sha256(db)).toBe(before);
    expect(query(db, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(query(db, 'SELECT count(*) AS n FROM transactions')[0]!.n).toBe(5);
    expect(query(db, 'SELECT count(*) AS n FROM orders')[0]!.n).toBe(4);

    const next = await runInitDb(['--data-dir', join(FIXTURES, 'good/all'), '--db', db, '--date', '2023-01-11']);
    // The dead run's temp file is removed, and the output says so.
    expect(next.stderr).toBe(`warning: removed ${tmp} (${(statSizeBefore / 1_048_576).toFixed(1)} MB), left by an earlier init-db that did not finish\n`);
    expect(next.code).toBe(0);
    expect(query(db, "SELECT value FROM meta WHERE key = 'day'")[0]!.value).toBe('2023-01-11');
    expect(readdirSync(dir).sort()).toEqual(['anomaly.db', 'big', 'logs']);
  }, 120_000);
});
