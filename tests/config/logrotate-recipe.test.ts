import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';

/**
 * The documented logrotate recipe (docs/operations.md), run by the real logrotate: with the
 * built-in rotation off, logrotate renames anomaly.log and the next command starts a new one, since
 * every command opens the log afresh. CI installs logrotate; elsewhere the test needs it too.
 */
const LOGROTATE = ['/usr/sbin/logrotate', '/usr/bin/logrotate'].find((p) => existsSync(p));
const mustRun = Boolean(process.env.CI);

/** The recipe from docs/operations.md, with the log folder and a size trigger for the test. */
function recipe(logDir: string): string {
  return `${logDir}/anomaly.log {
  daily
  size 1
  rotate 2
  missingok
  notifempty
  nocompress
}
`;
}

describe.runIf(LOGROTATE || mustRun)('the logrotate recipe', () => {
  it('rotates anomaly.log, keeps `rotate` old files, and the next command writes a new log', async () => {
    if (!LOGROTATE) throw new Error('logrotate is not installed (apt-get install logrotate); .ci/run installs it');
    const dir = mkdtempSync(join(tmpdir(), 'anomaly-logrotate-'));
    const logs = join(dir, 'logs');
    const conf = join(dir, 'anomaly.logrotate');
    const state = join(dir, 'logrotate.state');
    const command = async (tag: string) => {
      const code = await main(['node', 'anomaly', 'init-db', '--append', '--data-dir', new URL('../fixtures/good/all', import.meta.url).pathname, '--db', join(dir, `${tag}.db`)], {
        stdout: () => {},
        stderr: () => {},
        env: { ANOMALY_LOG_DIR: logs, ANOMALY_LOG_LEVEL: 'info', ANOMALY_LOG_MAX_SIZE: 'off' },
        cwd: dir,
        interactive: false,
        now: () => Date.UTC(2023, 0, 10, 12),
      });
      expect(code).toBe(0);
    };
    const rotate = () => execFileSync(LOGROTATE!, ['--state', state, conf], { encoding: 'utf8' });
    const dbsIn = (file: string) => [...readFileSync(join(logs, file), 'utf8').matchAll(/"db":"[^"]*\/(\w+)\.db"/g)].map((m) => m[1]);
    writeFileSync(conf, recipe(logs));

    await command('first');
    rotate();
    expect(readdirSync(logs).sort()).toEqual(['anomaly.log.1']);
    await command('second');
    expect(readdirSync(logs).sort()).toEqual(['anomaly.log', 'anomaly.log.1']);
    expect(new Set(dbsIn('anomaly.log'))).toEqual(new Set(['second']));
    expect(new Set(dbsIn('anomaly.log.1'))).toEqual(new Set(['first']));

    // Two more rotations: `rotate 2` keeps two old files, the oldest (first) is gone.
    rotate();
    await command('third');
    rotate();
    expect(readdirSync(logs).sort()).toEqual(['anomaly.log.1', 'anomaly.log.2']);
    expect(new Set(dbsIn('anomaly.log.1'))).toEqual(new Set(['third']));
    expect(new Set(dbsIn('anomaly.log.2'))).toEqual(new Set(['second']));
  });
});
