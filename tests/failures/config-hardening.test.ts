import { describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from '../helpers/cli.js';

/** Hostile checks files are refused with 78 naming the file and key, quickly and without reading outside. */
function check(sqlFile: string): string {
  return `checks:\n  - name: c1\n    type: query_empty\n    description: d\n    sql_file: ${JSON.stringify(sqlFile)}\n`;
}

describe('checks file hardening', () => {
  it('sql_file outside the checks file folder (.., absolute, symlink) is refused naming the key; inside is fine', async () => {
    const ws = workspace();
    const dir = join(ws.dir, 'conf');
    mkdirSync(join(dir, 'sql'), { recursive: true });
    writeFileSync(join(dir, 'sql', 'ok.sql'), 'SELECT 1 AS merchant_id WHERE 0');
    writeFileSync(join(ws.dir, 'secret.sql'), 'SELECT "top secret"');
    symlinkSync(join(ws.dir, 'secret.sql'), join(dir, 'sql', 'escape.sql'));
    symlinkSync(join(dir, 'sql', 'ok.sql'), join(dir, 'inside.sql'));
    const cfg = join(dir, 'checks.yaml');
    const cases: [string, RegExp][] = [
      ['../../../../../../etc/passwd', /sql_file: \.\.\/.*etc\/passwd is outside the checks file's folder/],
      ['/etc/passwd', /sql_file: \/etc\/passwd is outside the checks file's folder/],
      ['sql/escape.sql', /sql_file: sql\/escape\.sql is outside the checks file's folder .*\(it leads to .*secret\.sql\)/],
    ];
    for (const [path, message] of cases) {
      writeFileSync(cfg, check(path));
      const r = await ws.cli('checks', '--config', cfg);
      expect(r.code, path).toBe(78);
      expect(r.stderr, path).toMatch(message);
      expect(r.stderr, path).toMatch(/checks\.yaml:5: check "c1"/);
      expect(r.stderr + r.stdout, path).not.toMatch(/root:|top secret/);
    }
    for (const path of ['sql/ok.sql', 'inside.sql', './sql/../sql/ok.sql']) {
      writeFileSync(cfg, check(path));
      const r = await ws.cli('checks', '--config', cfg);
      expect(r.code, `${path}: ${r.stderr}`).toBe(0);
    }
  });

  it('a YAML alias bomb is 78 naming the file, not a crash', async () => {
    const ws = workspace();
    const cfg = join(ws.dir, 'bomb.yaml');
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(9).fill(i === 1 ? '*a' : `*l${i - 1}`).join(',')}]`);
    writeFileSync(cfg, levels.join('\n') + '\nchecks: [*l8]\n');
    const r = await ws.cli('checks', '--config', cfg);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/bomb\.yaml: invalid YAML: Excessive alias count/);
  });

  it('a checks file over 1 MiB is 78 with its size, without parsing it', async () => {
    const ws = workspace();
    const cfg = join(ws.dir, 'huge.yaml');
    writeFileSync(cfg, check('x.sql') + `# ${'x'.repeat(2 << 20)}\n`);
    const r = await ws.cli('checks', '--config', cfg);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/checks file .*huge\.yaml is 2\.0 MiB, more than the 1 MiB limit/);
  });
});
