import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The cron line of docs/operations.md, run by /bin/sh against the built CLI: silent when all is well,
 * the checks run even when the load fails, and the line's exit code is the load's error then.
 */

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'bin/anomaly.js');

function cronLine(project: string): string {
  return `cd ${project} && { node ${CLI} --quiet init-db --append; l=$?; node ${CLI} --quiet run; r=$?; [ $l -ne 0 ] && [ $l -ne 75 ] && exit $l; exit $r; }`;
}

describe('the documented cron line', () => {
  it('loads and runs silently (0), then on a bad file still runs the checks and exits 65 with one line', () => {
    const project = realpathSync(mkdtempSync(join(tmpdir(), 'anomaly-cron-')));
    cpSync(join(REPO, 'anomaly.config.yaml'), join(project, 'anomaly.config.yaml'));
    cpSync(join(REPO, 'checks'), join(project, 'checks'), { recursive: true });
    cpSync(join(REPO, 'tests/fixtures/good/all'), join(project, 'data'), { recursive: true });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANOMALY_|SLACK_|GOOGLE|PATH_TO_GOOGLE)/.test(k)));
    const cron = () => spawnSync('/bin/sh', ['-c', cronLine(project)], { cwd: '/', encoding: 'utf8', env: { ...env, ANOMALY_TZ: 'UTC' } });
    const runs = () => {
      const db = new Database(join(project, 'data/state.db'), { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM check_runs').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };

    const ok = cron();
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(runs()).toBe(1);

    writeFileSync(join(project, 'data/transaction_status/tx_a.csv'), 'time,status,count\n10h 00,approved,-1\n');
    const bad = cron();
    expect(bad.status).toBe(65);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(`anomaly: ${join(project, 'data/transaction_status/tx_a.csv')}:2, column count (value "-1"): ${bad.stderr.split('): ')[1]}`);
    expect(runs()).toBe(2);
  });
});
