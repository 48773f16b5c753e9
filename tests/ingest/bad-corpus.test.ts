import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, query, runInitDb, sha256, tempDir } from './cli-harness.js';

/**
 * The bad-input corpus (tests/fixtures/bad/<case>/, expectations in cases.json): each case must
 * exit with its code (65 bad data, default; 66 a known path that is not a regular readable file)
 * and one stderr line naming file, line, column and value, quoting none of `unquoted`, and leave the
 * previous database byte-identical with no temporary files beside it. `make` builds what cannot be
 * committed (a named pipe, a file over 1 MiB) in a copy of the case's folder; `tz` / `date` set
 * ANOMALY_TZ and --date.
 */

interface BadCase {
  case: string;
  file: string;
  line: number | null;
  column: string | number | null;
  value?: string;
  phrase: string;
  code?: number;
  unquoted?: string[];
  make?: 'fifo' | 'long-line' | 'long-quoted-field';
  tz?: string;
  date?: string;
}

/** A copy of the case's folder with what `make` asks for added. */
function materialise(c: BadCase): string {
  const source = join(FIXTURES, 'bad', c.case);
  if (c.make === undefined) return source;
  const dir = join(tempDir('bad-make-'), c.case);
  cpSync(source, dir, { recursive: true });
  const path = join(dir, c.file);
  const long = 'x'.repeat((1 << 20) + 10);
  if (c.make === 'fifo') expect(spawnSync('mkfifo', [path]).status).toBe(0);
  else if (c.make === 'long-line') writeFileSync(path, `id,created_date,merchant_id\n1,2023-05-15 10:00,1\n2,2023-05-15 10:00,${long}`);
  else writeFileSync(path, `id,created_date,merchant_id\n1,2023-05-15 10:00,1\n2,"2023-05-15\n${long}\n",1\n3,2023-05-15 10:00,1\n`);
  return dir;
}

const cases = JSON.parse(readFileSync(join(FIXTURES, 'bad/cases.json'), 'utf8')) as BadCase[];
let template = '';

beforeAll(async () => {
  const dir = tempDir();
  template = join(dir, 'template.db');
  const r = await runInitDb(['--data-dir', join(FIXTURES, 'good/all'), '--db', template, '--date', '2023-01-10']);
  expect(r.code).toBe(0);
});

describe('init-db rejects bad input (exit 65 / 66) and keeps the old database', () => {
  it('has a corpus of at least 30 cases, each with its own data directory', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const dirs = readdirSync(join(FIXTURES, 'bad')).filter((n) => n !== 'cases.json');
    expect(dirs.sort()).toEqual(cases.map((c) => c.case).sort());
  });

  it.each(cases.map((c) => [c.case, c] as const))('%s', async (_name, c) => {
    const dir = tempDir();
    const db = join(dir, 'anomaly.db');
    copyFileSync(template, db);
    const before = sha256(db);
    const dataDir = materialise(c);

    const r = await runInitDb(['--data-dir', dataDir, '--db', db, '--date', c.date ?? '2023-01-10'], { env: c.tz ? { ANOMALY_TZ: c.tz } : {} });

    expect(r.code).toBe(c.code ?? 65);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const message = lines[0]!;
    expect(message).toContain(c.line === null ? `anomaly: ${join(dataDir, c.file)} ` : `${join(dataDir, c.file)}:${c.line}`);
    if (c.column !== null) expect(message).toContain(`, column ${c.column}`);
    if (c.value !== undefined) expect(message).toContain(`(value ${JSON.stringify(c.value)})`);
    for (const secret of c.unquoted ?? []) expect(message).not.toContain(secret);
    expect(message).toContain(c.phrase);

    expect(sha256(db)).toBe(before);
    expect(readdirSync(dir)).toEqual(['anomaly.db']);
    expect(query(db, 'SELECT count(*) AS n FROM orders')[0]!.n).toBe(4);
  });
});
