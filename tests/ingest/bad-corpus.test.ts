import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, query, runInitDb, sha256, tempDir } from './cli-harness.js';

/**
 * The bad-input corpus (tests/fixtures/bad/<case>/, expectations in cases.json): each case must
 * exit 65 with one stderr line naming file, line, column and value, and leave the previous
 * database byte-identical with no temporary files beside it.
 */

interface BadCase {
  case: string;
  file: string;
  line: number;
  column: string | number | null;
  value?: string;
  phrase: string;
}

const cases = JSON.parse(readFileSync(join(FIXTURES, 'bad/cases.json'), 'utf8')) as BadCase[];
let template = '';

beforeAll(async () => {
  const dir = tempDir();
  template = join(dir, 'template.db');
  const r = await runInitDb(['--data-dir', join(FIXTURES, 'good/all'), '--db', template, '--date', '2023-01-10']);
  expect(r.code).toBe(0);
});

describe('init-db rejects bad input with exit 65 and keeps the old database', () => {
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
    const dataDir = join(FIXTURES, 'bad', c.case);

    const r = await runInitDb(['--data-dir', dataDir, '--db', db, '--date', '2023-01-10']);

    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const message = lines[0]!;
    expect(message).toContain(`${join(dataDir, c.file)}:${c.line}`);
    if (c.column !== null) expect(message).toContain(`, column ${c.column}`);
    if (c.value !== undefined) expect(message).toContain(`(value ${JSON.stringify(c.value)})`);
    expect(message).toContain(c.phrase);

    expect(sha256(db)).toBe(before);
    expect(readdirSync(dir)).toEqual(['anomaly.db']);
    expect(query(db, 'SELECT count(*) AS n FROM orders')[0]!.n).toBe(4);
  });
});
