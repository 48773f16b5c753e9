import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, SHARED, workspace } from './helpers/cli.js';

const COMMANDS = ['init-db', 'run', 'checks', 'snooze', 'snoozes', 'unsnooze', 'outbox', 'prune', 'doctor', 'replay', 'report'];

describe('the anomaly command line', () => {
  it('--help lists every command and each has its own help', async () => {
    const ws = workspace();
    const help = await ws.cli('--help');
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toContain(c);
    for (const c of COMMANDS) {
      const r = await ws.cli(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(new RegExp(`Usage: anomaly ${c}`));
    }
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    const r = await workspace().cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('an unknown command or flag is a usage error (64)', async () => {
    const ws = workspace();
    expect((await ws.cli('frobnicate')).code).toBe(64);
    const r = await ws.cli('run', '--no-such-flag');
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('a bad environment variable is a configuration error (78) naming it', async () => {
    const ws = workspace({ ANOMALY_TZ: 'Mars/Olympus' });
    const r = await ws.cli('checks');
    expect(r.code).toBe(78);
    expect(r.stderr).toBe('anomaly: environment variable ANOMALY_TZ: must be an IANA time zone such as UTC or America/Sao_Paulo (see .env.example)\n');
  });

  it('reads .env from the project folder (here ANOMALY_HOME), and the real environment wins', async () => {
    const ws = workspace();
    ws.env.ANOMALY_HOME = ws.dir;
    writeFileSync(join(ws.dir, '.env'), 'ANOMALY_TZ=Not/AZone\nANOMALY_LOG_LEVEL=debug\n');
    const bad = await ws.cli('checks');
    // ws.env sets ANOMALY_TZ=UTC, which wins over .env.
    expect(bad.code).toBe(0);
    delete ws.env.ANOMALY_TZ;
    const r = await ws.cli('checks');
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/ANOMALY_TZ/);
  });

  it('logs JSON lines to the log directory (created if missing), at the configured level', async () => {
    const ws = workspace({ ANOMALY_LOG_LEVEL: 'debug' });
    ws.put(join(SHARED, 'pbilinskyi/orders.csv'), 'orders.csv');
    ws.put(join(SHARED, 'pbilinskyi/transactions.csv'), 'transactions.csv');
    expect(existsSync(ws.env.ANOMALY_LOG_DIR!)).toBe(false);
    await ws.cli('init-db');
    await ws.cli('run', '--dry-run', '--only', 'unfinished_orders', '--at', '2023-06-01T00:00:00Z');
    const lines = readFileSync(join(ws.env.ANOMALY_LOG_DIR!, 'anomaly.log'), 'utf8').trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(records.some((r) => r.msg === 'run finished')).toBe(true);
    expect(records.some((r) => r.level === 20)).toBe(true); // debug lines present
    const quiet = workspace({ ANOMALY_LOG_LEVEL: 'debug' });
    quiet.put(join(SHARED, 'pbilinskyi/orders.csv'), 'orders.csv');
    await quiet.cli('--log-level', 'warn', 'init-db');
    const text = existsSync(join(quiet.env.ANOMALY_LOG_DIR!, 'anomaly.log')) ? readFileSync(join(quiet.env.ANOMALY_LOG_DIR!, 'anomaly.log'), 'utf8') : '';
    expect(text.split('\n').filter(Boolean).every((l) => JSON.parse(l).level >= 40)).toBe(true);
  });

  it('errors are one line without a stack trace unless --verbose', async () => {
    const ws = workspace();
    const r = await ws.cli('run');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const v = await ws.cli('--verbose', 'run');
    expect(v.stderr).toMatch(/\n\s+at /);
  });

  it('the installed bin runs as a process (what cron calls)', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin/anomaly.js'), '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
