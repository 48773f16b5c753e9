import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTransactionsCsv } from '../../scripts/bench-init-db.js';
import { PARALLEL_MIN_BYTES } from '../../src/ingest/parallel-load.js';
import { built, REPO, query, runInitDb, sha256, tempDir } from './cli-harness.js';

/**
 * Files from PARALLEL_MIN_BYTES (32 MiB) are loaded by two threads of the built CLI, each parsing
 * half the file: in id order, written as B-tree pages directly (src/ingest/direct-load.ts); else
 * each half into its own database file, merged at the end (src/ingest/parallel-load.ts). The
 * in-process tests run the TypeScript sources, which load in one thread; here they are compared on
 * the same file, and bad rows in either half must be reported exactly as the one-thread loader
 * reports them (exit 65, file, line, column, value), leaving the old database byte-identical and
 * no temp, part or scratch file behind.
 */

const ROWS = 800_000;

function cli(args: string[], logDir: string) {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/anomaly.js'), 'init-db', ...args], {
    env: { ...process.env, ANOMALY_LOG_DIR: logDir, ANOMALY_LOG_LEVEL: 'debug', ANOMALY_TZ: 'UTC' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** sha256 of a query's rows in order, without holding them all. */
function digest(db: string, sql: string): string {
  const conn = new Database(db, { readonly: true });
  try {
    const hash = createHash('sha256');
    for (const row of conn.prepare(sql).raw(true).iterate() as Iterable<unknown[]>) hash.update(JSON.stringify(row) + '\n');
    return hash.digest('hex');
  } finally {
    conn.close();
  }
}

/** The init-db log's line for the loaded file. */
function loadedLine(logDir: string): { phases?: { mergeMs: number }; direct?: true | string } | undefined {
  const lines = readdirSync(logDir).flatMap((f) => readFileSync(join(logDir, f), 'utf8').split('\n'));
  const line = lines.find((l) => l.includes('"file loaded"'));
  return line === undefined ? undefined : (JSON.parse(line) as { phases?: { mergeMs: number }; direct?: true | string });
}

/** The init-db log says the file went through two threads. */
function loadedInParts(logDir: string): boolean {
  return loadedLine(logDir)?.phases?.mergeMs !== undefined;
}

describe.runIf(built)('init-db on a file split between two threads', () => {
  let dir = '';
  let data = '';
  let csv = '';
  let keep = '';
  let before = '';
  beforeAll(async () => {
    dir = tempDir();
    data = join(dir, 'data');
    mkdirSync(data);
    csv = join(data, 'transactions.csv');
    await writeTransactionsCsv(csv, ROWS);
    expect(statSync(csv).size).toBeGreaterThan(PARALLEL_MIN_BYTES);
    keep = join(dir, 'keep.db');
    expect(cli(['--data-dir', data, '--db', keep, '--date', '2023-05-01'], join(dir, 'logs')).code).toBe(0);
    before = sha256(keep);
  }, 60_000);

  it('stores exactly what the one-thread loader stores, with the same indexes', async () => {
    const logs = join(dir, 'logs-equal');
    const parallel = join(dir, 'parallel.db');
    const r = cli(['--data-dir', data, '--db', parallel, '--date', '2023-05-01'], logs);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`transactions: ${ROWS} rows (transactions.csv)`);
    expect(loadedInParts(logs)).toBe(true);
    expect(loadedLine(logs)?.direct).toBe(true);

    const single = join(dir, 'single.db');
    const t = await runInitDb(['--data-dir', data, '--db', single, '--date', '2023-05-01'], { env: { ANOMALY_TZ: 'UTC' } });
    expect(t.code).toBe(0);
    for (const sql of [
      'SELECT * FROM transactions ORDER BY id',
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
      'SELECT table_name, file, source, bytes, rows, sha256, day FROM loads ORDER BY table_name, file',
    ]) {
      expect(digest(parallel, sql), sql).toBe(digest(single, sql));
    }
    expect(query(parallel, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    // The index is used by the checks' time windows.
    const plan = query(parallel, "EXPLAIN QUERY PLAN SELECT count(*) FROM transactions WHERE created_date >= '2023-05-02'");
    expect(JSON.stringify(plan)).toContain('transactions_created_date');
  }, 60_000);

  it('loads a file whose ids are not in order through two SQLite connections, with the same rows', () => {
    const swapped = join(dir, 'swapped');
    mkdirSync(swapped);
    // Lines 11 and 12 (ids 10 and 11) change places: the direct writer gives up at once.
    const lines = readFileSync(csv, 'utf8').split('\n');
    [lines[10], lines[11]] = [lines[11]!, lines[10]!];
    writeFileSync(join(swapped, 'transactions.csv'), lines.join('\n'));
    const logs = join(dir, 'logs-swapped');
    const db = join(dir, 'swapped.db');
    const r = cli(['--data-dir', swapped, '--db', db, '--date', '2023-05-01'], logs);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(loadedInParts(logs)).toBe(true);
    expect(loadedLine(logs)?.direct).toBe('ids not in ascending order (10 after 11)');
    for (const sql of ['SELECT * FROM transactions ORDER BY id', "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"]) {
      expect(digest(db, sql), sql).toBe(digest(keep, sql));
    }
    expect(query(db, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  }, 60_000);

  /** Runs init-db on `csv` as changed by `change`, expecting exit 65 and `message`; the old database must be untouched. */
  function expectRefused(change: (text: string) => string, message: string) {
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'transactions.csv'), change(readFileSync(csv, 'utf8')));
    const logs = join(dir, 'logs-bad');
    const r = cli(['--data-dir', bad, '--db', keep, '--date', '2023-05-01'], logs);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(65);
    expect(sha256(keep)).toBe(before);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-') || n.endsWith('.part1'))).toEqual([]);
  }

  /** Replaces line `line` (1-based) of the file's text. */
  const setLine = (line: number, to: string) => (text: string) => {
    let at = 0;
    for (let l = 1; l < line; l++) at = text.indexOf('\n', at) + 1;
    return text.slice(0, at) + to + text.slice(text.indexOf('\n', at));
  };

  it('names the line of a bad value in the second half, counted from the top of the file', () => {
    const line = ROWS; // near the end: in the second thread's range
    expectRefused(setLine(line, `${line - 1},2023-06-31 10:00:00,auth,1,success`), `transactions.csv:${line}, column created_date (value "2023-06-31 10:00:00"): unparseable or impossible date`);
  });

  it('with bad values in both halves, names the first one', () => {
    expectRefused(
      (text) => setLine(ROWS - 10, `${ROWS - 11},2023-05-02 10:00:00,capture,1,success`)(setLine(100, `99,2023-05-01 10:00:00,auth,x1,success`)(text)),
      `transactions.csv:100, column order_id (value "x1"): not a whole number; expected an integer`,
    );
  });

  it('names both lines of an id repeated across the halves', () => {
    expectRefused(setLine(ROWS - 5, `77,2023-06-01 10:00:00,auth,1,success`), `transactions.csv:${ROWS - 5}, column id (value "77"): duplicate id: the same key is already on line 78`);
  });

  it('names both lines of an id repeated within the second half', () => {
    expectRefused(setLine(ROWS - 5, `${ROWS - 100},2023-06-01 10:00:00,auth,1,success`), `transactions.csv:${ROWS - 5}, column id (value "${ROWS - 100}"): duplicate id: the same key is already on line ${ROWS - 99}`);
  });

  it('loads a file with quotes near the middle in one thread, with the same rows', () => {
    const quoted = join(dir, 'quoted');
    mkdirSync(quoted);
    const text = readFileSync(csv, 'utf8');
    // A line start a little before the middle: the cut (the first line end after the middle) may
    // then fall inside the quoted field, as far as a look at the bytes near it can tell.
    const mid = text.lastIndexOf('\n', (text.length >> 1) - 200) + 1;
    writeFileSync(join(quoted, 'transactions.csv'), text.slice(0, mid) + `${ROWS + 1},"2023-06-01 10:00:00",auth,1,"success"\n` + text.slice(mid));
    const logs = join(dir, 'logs-quoted');
    const db = join(dir, 'quoted.db');
    const r = cli(['--data-dir', quoted, '--db', db, '--date', '2023-05-01'], logs);
    expect(r.code).toBe(0);
    expect(loadedInParts(logs)).toBe(false);
    expect(query(db, `SELECT transaction_status FROM transactions WHERE id = ${ROWS + 1}`)).toEqual([{ transaction_status: 'success' }]);
    expect(existsSync(`${db}.tmp-`)).toBe(false);
  });

  it('loads a last row without a final line end in the second half', () => {
    const more = join(dir, 'more');
    mkdirSync(more);
    copyFileSync(csv, join(more, 'transactions.csv'));
    appendFileSync(join(more, 'transactions.csv'), `${ROWS + 1},2023-06-01 10:00:00,auth,1,success`); // no final line end
    const db = join(dir, 'more.db');
    const r = cli(['--data-dir', more, '--db', db, '--date', '2023-05-01'], join(dir, 'logs-more'));
    expect(r.code).toBe(0);
    expect(query(db, 'SELECT count(*) AS n, max(id) AS m FROM transactions')).toEqual([{ n: ROWS + 1, m: ROWS + 1 }]);
  });
});
