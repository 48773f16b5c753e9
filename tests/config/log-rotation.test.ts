import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { createLogger } from '../../src/log.js';
import { rotateIfFull, sizeInBytes } from '../../src/log-rotation.js';

/**
 * logs/anomaly.log rotates by size when a command opens it, keeping a bounded number of old files;
 * each command's lines are on disk when it returns; secrets never reach a file.
 */

const SECRET = 'xoxb-1234-very-secret';
const temp = () => mkdtempSync(join(tmpdir(), 'anomaly-logs-'));

/** One short command's worth of logging, as the CLI does it: open (maybe rotate), log. */
function command(logDir: string, lines: number, tag: string) {
  const log = createLogger({ level: 'info', logDir, pretty: false, secrets: [SECRET], rotate: { maxBytes: 1024, keep: 2 } });
  for (let i = 0; i < lines; i++) log.info({ tag, i, token: SECRET }, `line ${i} of ${tag} with ${SECRET}`);
}

const tagsIn = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { tag: string }).tag);

describe('log rotation', () => {
  it('appends while the file is below the size, then rotates at the next start and keeps `keep` old files', () => {
    const dir = temp();
    command(dir, 1, 'a');
    command(dir, 1, 'b');
    expect(readdirSync(dir)).toEqual(['anomaly.log']);
    expect(tagsIn(join(dir, 'anomaly.log'))).toEqual(['a', 'b']);
    // ~120 bytes a line: 8 more lines take the file over 1 KB; the next command starts a new file.
    command(dir, 8, 'c');
    command(dir, 1, 'd');
    expect(readdirSync(dir).sort()).toEqual(['anomaly.log', 'anomaly.log.1']);
    expect(tagsIn(join(dir, 'anomaly.log'))).toEqual(['d']);
    expect(tagsIn(join(dir, 'anomaly.log.1'))).toEqual(['a', 'b', ...new Array(8).fill('c')]);
    for (let run = 0; run < 6; run++) command(dir, 9, `r${run}`);
    expect(readdirSync(dir).sort()).toEqual(['anomaly.log', 'anomaly.log.1', 'anomaly.log.2']);
    expect(tagsIn(join(dir, 'anomaly.log'))[0]).toBe('r5');
    expect(tagsIn(join(dir, 'anomaly.log.1'))[0]).toBe('r4');
    expect(tagsIn(join(dir, 'anomaly.log.2'))[0]).toBe('r3');
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f), 'utf8')).not.toContain(SECRET);
  });

  it('removes numbers beyond `keep` left by a larger setting', () => {
    const dir = temp();
    const file = join(dir, 'anomaly.log');
    writeFileSync(file, 'x'.repeat(2000));
    for (const n of [1, 2, 3, 7]) writeFileSync(`${file}.${n}`, `old ${n}`);
    writeFileSync(join(dir, 'anomaly.log.bak'), 'not ours');
    expect(rotateIfFull(file, { maxBytes: 1024, keep: 2 })).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['anomaly.log.1', 'anomaly.log.2', 'anomaly.log.bak']);
    expect(readFileSync(`${file}.2`, 'utf8')).toBe('old 1');
    expect(rotateIfFull(file, { maxBytes: 1024, keep: 2 })).toBe(false);
  });

  it('reads sizes in k, m, g (1024-based), a plain number as MB', () => {
    expect(sizeInBytes('1k')).toBe(1024);
    expect(sizeInBytes('10m')).toBe(10 * 1024 ** 2);
    expect(sizeInBytes('2')).toBe(2 * 1024 ** 2);
    expect(sizeInBytes('1G')).toBe(1024 ** 3);
    expect(() => sizeInBytes('ten')).toThrow(/not a size/);
  });

  it('is configured by ANOMALY_LOG_MAX_SIZE and ANOMALY_LOG_FILES through the CLI, quietly', async () => {
    const dir = temp();
    const logs = join(dir, 'logs');
    const cli = async (env: Record<string, string>) => {
      let stdout = '';
      let stderr = '';
      const code = await main(['node', 'anomaly', 'init-db', '--append', '--data-dir', new URL('../fixtures/good/all', import.meta.url).pathname, '--db', join(dir, 'a.db')], {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        env: { ANOMALY_LOG_DIR: logs, ANOMALY_LOG_LEVEL: 'debug', ...env },
        cwd: dir,
        interactive: false,
        now: () => Date.UTC(2023, 0, 10, 12),
      });
      return { code, stdout, stderr };
    };
    for (let i = 0; i < 4; i++) {
      const r = await cli({ ANOMALY_LOG_MAX_SIZE: '1k', ANOMALY_LOG_FILES: '1' });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
    }
    // The first run logged ~2.5 KB (one debug line per file); each later run starts a new file.
    expect(readdirSync(logs).sort()).toEqual(['anomaly.log', 'anomaly.log.1']);
    expect(readFileSync(join(logs, 'anomaly.log'), 'utf8')).toContain('init-db --append finished');
    const off = await cli({ ANOMALY_LOG_MAX_SIZE: 'off' });
    expect(off.code).toBe(0);
    expect(readdirSync(logs).sort()).toEqual(['anomaly.log', 'anomaly.log.1']);
    const bad = await cli({ ANOMALY_LOG_MAX_SIZE: 'huge' });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/ANOMALY_LOG_MAX_SIZE: must be a size such as 500k, 10m or 1g, or off/);
  });
});
