import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProjectDir, installDir, loadEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/errors.js';

/**
 * Project folder discovery: ANOMALY_HOME, anomaly.config.yaml from the current directory upward, or
 * the installation's folder; default paths relative to it; nothing created in an unrelated cwd.
 */

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'bin/anomaly.js');

const temp = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));

/** A project folder: the repository's checks file and SQL, and the good fixtures as data. */
function project(): string {
  const dir = temp('anomaly-project-');
  cpSync(join(REPO, 'anomaly.config.yaml'), join(dir, 'anomaly.config.yaml'));
  cpSync(join(REPO, 'checks'), join(dir, 'checks'), { recursive: true });
  cpSync(join(REPO, 'tests/fixtures/good/all'), join(dir, 'data'), { recursive: true });
  return dir;
}

/** The built CLI as cron starts it: a clean environment (no ANOMALY_* from the test runner). */
function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANOMALY_') && !k.startsWith('SLACK_') && !k.startsWith('GOOGLE')));
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...clean, ANOMALY_TZ: 'UTC', ...env } });
}

describe('findProjectDir', () => {
  it('finds anomaly.config.yaml in the current directory or above it', () => {
    const dir = project();
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    expect(findProjectDir(join(dir, 'a/b'), undefined, null)).toEqual({ dir, how: 'cwd' });
    expect(findProjectDir(dir, undefined, null)).toEqual({ dir, how: 'cwd' });
  });

  it('takes ANOMALY_HOME first, and refuses one that is not a directory', () => {
    const dir = project();
    const other = project();
    expect(findProjectDir(other, dir, null)).toEqual({ dir, how: 'ANOMALY_HOME' });
    expect(() => findProjectDir(other, join(dir, 'nope'), null)).toThrow(/ANOMALY_HOME: .*nope is not a directory/);
  });

  it('falls back to the installation folder, and fails with a clear message when there is none', () => {
    const dir = project();
    const elsewhere = temp('anomaly-elsewhere-');
    expect(findProjectDir(elsewhere, undefined, dir)).toEqual({ dir, how: 'install' });
    let error: unknown;
    try {
      findProjectDir(elsewhere, undefined, null);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(78);
    expect((error as Error).message).toBe(
      `no project folder: anomaly.config.yaml is in neither ${elsewhere} nor any folder above it; run from the project folder or set ANOMALY_HOME to it`,
    );
  });

  it('does not take a copy installed under node_modules for a project folder', () => {
    const dir = temp('anomaly-install-');
    mkdirSync(join(dir, 'node_modules/anomaly-monitoring/dist/src/config'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/anomaly-monitoring/package.json'), '{"name":"anomaly-monitoring"}');
    expect(installDir('file://' + join(dir, 'node_modules/anomaly-monitoring/dist/src/config/env.js'))).toBeUndefined();
    expect(installDir('file://' + join(REPO, 'src/config/env.ts'))).toBe(REPO);
  });
});

describe('loadEnv paths', () => {
  it('resolves default and relative paths against the project folder, and reads its .env', () => {
    const dir = project();
    writeFileSync(join(dir, '.env'), 'ANOMALY_STATE_DB=var/state.db\nANOMALY_LOG_LEVEL=warn\n');
    mkdirSync(join(dir, 'sub'));
    const env = loadEnv({ ANOMALY_DB: 'db/x.db', ANOMALY_LOG_DIR: '/var/log/anomaly' }, join(dir, 'sub'));
    expect(env.ANOMALY_HOME).toBe(dir);
    expect(env.ANOMALY_DB).toBe(join(dir, 'db/x.db'));
    expect(env.ANOMALY_STATE_DB).toBe(join(dir, 'var/state.db'));
    expect(env.ANOMALY_DATA_DIR).toBe(join(dir, 'data'));
    expect(env.ANOMALY_CONFIG).toBe(join(dir, 'anomaly.config.yaml'));
    expect(env.ANOMALY_LOG_DIR).toBe('/var/log/anomaly');
    expect(env.ANOMALY_LOG_LEVEL).toBe('warn');
    // A URL is not a path.
    expect(loadEnv({ ANOMALY_DB: 'clickhouse://localhost:8123/anomaly' }, dir).ANOMALY_DB).toBe('clickhouse://localhost:8123/anomaly');
  });
});

describe('the built CLI started from another directory', () => {
  it('with ANOMALY_HOME loads and runs inside the project and leaves the current directory empty', () => {
    const dir = project();
    const cwd = temp('anomaly-cwd-');
    const load = cli(cwd, ['init-db', '--append', '--date', '2023-05-16'], { ANOMALY_HOME: dir });
    expect(load.stderr).toBe('');
    expect(load.status).toBe(0);
    expect(existsSync(join(dir, 'data/anomaly.db'))).toBe(true);
    const run = cli(cwd, ['run', '--dry-run', '--at', '2023-05-16T12:00:00Z'], { ANOMALY_HOME: dir });
    expect(run.status, run.stderr).not.toBe(78);
    expect(run.stdout).toMatch(/unfinished_orders/);
    expect(readdirSync(join(dir, 'logs'))).toContain('anomaly.log');
    // The report's default place is the project's reports/ folder, not the current directory.
    const report = cli(cwd, ['report', '--at', '2023-05-16T12:00:00Z'], { ANOMALY_HOME: dir });
    expect(report.status, report.stderr).toBe(0);
    expect(existsSync(join(dir, 'reports/report.html'))).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('finds the project from a folder below it', () => {
    const dir = project();
    const cwd = join(dir, 'exports/today');
    mkdirSync(cwd, { recursive: true });
    const r = cli(cwd, ['checks']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/unfinished_orders/);
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync(join(dir, 'logs/anomaly.log'))).toBe(true);
  });

  it('from / uses the installation folder (`/srv/app/bin/anomaly.js checks`), creating nothing in the cwd', () => {
    const cwd = temp('anomaly-cwd-');
    const logs = temp('anomaly-logs-');
    const r = cli(cwd, ['checks'], { ANOMALY_LOG_DIR: logs });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/unfinished_orders/);
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(logs)).toEqual(['anomaly.log']);
  });
});
