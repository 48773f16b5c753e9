import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTransactionsCsv } from '../../scripts/bench-init-db.js';
import { dumpAll, runInitDb, sha256, tempDir } from './cli-harness.js';

/**
 * Files of 4 MiB and more are parsed in a worker thread by the built CLI (`npm run build`; the
 * pretest script builds). In-process tests run the TypeScript sources, which load in-thread, so
 * here the two paths are compared on the same file.
 */
const repo = new URL('../../', import.meta.url).pathname;
const built = existsSync(join(repo, 'dist/src/ingest/parse-worker.js'));
const ROWS = 120_000;

function cli(args: string[], logDir: string) {
  const r = spawnSync(process.execPath, [join(repo, 'bin/anomaly.js'), 'init-db', ...args], {
    env: { ...process.env, ANOMALY_LOG_DIR: logDir, ANOMALY_TZ: 'UTC' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(built)('init-db on a big file (worker-thread parsing)', () => {
  let dir = '';
  let data = '';
  beforeAll(async () => {
    dir = tempDir();
    data = join(dir, 'data');
    mkdirSync(data);
    await writeTransactionsCsv(join(data, 'transactions.csv'), ROWS);
    expect(statSync(join(data, 'transactions.csv')).size).toBeGreaterThan(4 << 20);
  });

  it('stores exactly what the in-thread loader stores', async () => {
    const viaWorker = join(dir, 'worker.db');
    const r = cli(['--data-dir', data, '--db', viaWorker, '--date', '2023-05-01'], join(dir, 'logs'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`transactions: ${ROWS} rows (transactions.csv)`);

    const inThread = join(dir, 'thread.db');
    const t = await runInitDb(['--data-dir', data, '--db', inThread, '--date', '2023-05-01'], { env: { ANOMALY_TZ: 'UTC' } });
    expect(t.code).toBe(0);
    const a = dumpAll(viaWorker);
    const b = dumpAll(inThread);
    for (const row of [a, b]) row.loads = row.loads!.map((l) => String(l).replace(/"loaded_at":"[^"]*"/, ''));
    expect(a).toEqual(b);
  });

  it('reports a bad value and a duplicate id with their lines, keeping the old database', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const db = join(dir, 'keep.db');
    expect(cli(['--data-dir', data, '--db', db, '--date', '2023-05-01'], join(dir, 'logs')).code).toBe(0);
    const before = sha256(db);

    copyFileSync(join(data, 'transactions.csv'), join(bad, 'transactions.csv'));
    appendFileSync(join(bad, 'transactions.csv'), `${ROWS + 1},2023-06-01 10:00:00,auth,1,success\n77,2023-06-01 10:00:00,auth,1,success\n`);
    const dup = cli(['--data-dir', bad, '--db', db, '--date', '2023-05-01'], join(dir, 'logs'));
    expect(dup.code).toBe(65);
    expect(dup.stderr).toContain(`transactions.csv:${ROWS + 3}, column id (value "77"): duplicate id: the same key is already on line 78`);

    copyFileSync(join(data, 'transactions.csv'), join(bad, 'transactions.csv'));
    appendFileSync(join(bad, 'transactions.csv'), `${ROWS + 1},2023-06-31 10:00:00,auth,1,success\n`);
    const date = cli(['--data-dir', bad, '--db', db, '--date', '2023-05-01'], join(dir, 'logs'));
    expect(date.code).toBe(65);
    expect(date.stderr.trim().split('\n')).toHaveLength(1);
    expect(date.stderr).toContain(`transactions.csv:${ROWS + 2}, column created_date (value "2023-06-31 10:00:00"): unparseable or impossible date`);

    expect(sha256(db)).toBe(before);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-') || n.endsWith('.lock'))).toEqual([]);
  });
});
