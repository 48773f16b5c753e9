import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSqlFile } from '../src/sql-file.js';

/**
 * Benchmark of `anomaly init-db --append`: 10k new rows into a database that already holds
 * `rows` transactions and `rows` per-minute status rows (indexes included). Four cases, each a
 * whole `init-db --append` process (best of 3, each time with new files so every append has work):
 *   transactions  10k new ids;  transactions re-exported  10k stored ids replaced;
 *   status day    one day of a source (1,440 minutes × 7 statuses = 10,080 rows), new;
 *   status again  the same day re-exported with other counts (10,080 rows replaced).
 * The base database is built once with SQL (no CSV) and kept in the scratch folder.
 */

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');
const cli = join(repoRoot, 'bin/anomaly.js');

const STATUSES = ['approved', 'denied', 'reversed', 'backend_reversed', 'failed', 'processing', 'refunded'];
const START = Date.UTC(2020, 0, 1);
const SECONDS_PER_ROW = 3;

export interface AppendCase {
  what: string;
  rows: number;
  /** The whole `init-db --append` process. */
  ms: number;
  /** The append itself (the `ms` of its log line: hashing, loading, merging, commit). */
  appendMs: number;
  replaced: number;
}

export interface AppendBench {
  baseRows: number;
  buildSeconds: number | null;
  dbMb: number;
  cases: AppendCase[];
}

const dbTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const dayText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The data database with `rows` transactions (+ orders) and `rows` status rows, built with SQL. */
function buildBase(db: string, rows: number): void {
  rmSync(db, { force: true });
  const d = new Database(db);
  d.pragma('journal_mode = OFF');
  d.pragma('synchronous = OFF');
  d.exec(readSqlFile('../src/db/schema.sql', import.meta.url));
  d.exec(readSqlFile('../src/db/indexes.sql', import.meta.url));
  const start = START / 1000;
  // ids and times ascending, orders referenced a little before their transactions, as in real exports.
  d.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
    INSERT INTO transactions SELECT i, datetime(${start} + i * ${SECONDS_PER_ROW}, 'unixepoch'),
      CASE i % 4 WHEN 0 THEN 'auth' WHEN 1 THEN 'settle' WHEN 2 THEN 'void' ELSE 'refund' END,
      max(1, i / 3 - (i * 7919) % 500), CASE WHEN i % 14 = 0 THEN 'fail' ELSE 'success' END FROM n`);
  d.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${Math.ceil(rows / 3)})
    INSERT INTO orders SELECT i, datetime(${start} + i * ${SECONDS_PER_ROW * 3}, 'unixepoch'), i % 50 FROM n`);
  const statuses = STATUSES.map((s, i) => `SELECT ${i} AS k, '${s}' AS status`).join(' UNION ALL ');
  d.exec(`WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < ${Math.ceil(rows / STATUSES.length) - 1}),
    s AS (${statuses})
    INSERT INTO transaction_status SELECT datetime(${start} + m.i * 60, 'unixepoch'), 'pos_a', s.status, 1 + (m.i * 31 + s.k * 17) % 90
    FROM m, s ORDER BY 1, 2, 3`);
  d.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', '1');
  d.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('tz', 'UTC');
  d.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('day', dayText(START));
  d.exec('ANALYZE');
  d.close();
}

function transactionsCsv(firstId: number, count: number, statusText: string): string {
  let out = 'id,created_date,transaction_type,order_id,transaction_status\n';
  for (let id = firstId; id < firstId + count; id++) out += `${id},${dbTime(START + id * SECONDS_PER_ROW * 1000)},settle,${Math.floor(id / 3)},${statusText}\n`;
  return out;
}

function statusDayCsv(seed: number): string {
  let out = 'time,status,count\n';
  for (let m = 0; m < 1440; m++) {
    const time = `${String(Math.floor(m / 60)).padStart(2, '0')}h ${String(m % 60).padStart(2, '0')}`;
    STATUSES.forEach((s, k) => (out += `${time},${s},${1 + ((m * 13 + k * 7 + seed) % 80)}\n`));
  }
  return out;
}

/** One `init-db --append` process; returns its wall time and what it printed. */
function appendOnce(dataDir: string, db: string, scratch: string): { ms: number; appendMs: number; stdout: string } {
  const logDir = join(scratch, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, 'init-db', '--append', '--data-dir', dataDir, '--db', db], {
    encoding: 'utf8',
    env: { ...process.env, ANOMALY_LOG_DIR: logDir, ANOMALY_LOG_LEVEL: 'info', ANOMALY_TZ: 'UTC' },
  });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`init-db --append exited ${r.status}: ${r.stderr}`);
  const finished = readFileSync(join(logDir, 'anomaly.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('init-db --append finished'))
    .map((l) => JSON.parse(l) as { ms: number })[0];
  return { ms, appendMs: finished?.ms ?? NaN, stdout: r.stdout };
}

const replacedOf = (stdout: string) => Number(/(\d+) stored rows? replaced/.exec(stdout)?.[1] ?? 0);

export function benchAppend(opts: { rows: number; newRows: number; dir: string; runs?: number }): AppendBench {
  const { rows, newRows, dir } = opts;
  const runs = opts.runs ?? 3;
  mkdirSync(dir, { recursive: true });
  const db = join(dir, `base-${rows}.db`);
  let buildSeconds: number | null = null;
  if (!existsSync(db)) {
    const t = performance.now();
    buildBase(db, rows);
    buildSeconds = (performance.now() - t) / 1000;
  }
  const d = new Database(db, { readonly: true });
  const lastId = d.prepare('SELECT max(id) FROM transactions').pluck().get() as number;
  const lastMinute = Date.parse((d.prepare('SELECT max(minute) FROM transaction_status').pluck().get() as string).replace(' ', 'T') + 'Z');
  d.close();
  const cases: AppendCase[] = [];
  const timedCase = (what: string, rowsIn: number, prepare: (run: number, dataDir: string) => void) => {
    let best = { ms: Infinity, appendMs: Infinity, replaced: 0 };
    for (let run = 0; run < runs; run++) {
      const dataDir = join(dir, `in-${what.replace(/\W+/g, '-')}-${run}`);
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true });
      prepare(run, dataDir);
      const r = appendOnce(dataDir, db, dir);
      if (r.ms < best.ms) best = { ...best, ms: r.ms, replaced: replacedOf(r.stdout) };
      best.appendMs = Math.min(best.appendMs, r.appendMs);
      rmSync(dataDir, { recursive: true, force: true });
    }
    cases.push({ what, rows: rowsIn, ...best });
  };
  let nextId = lastId + 1;
  timedCase('transactions, new ids', newRows, (_run, dataDir) => {
    writeFileSync(join(dataDir, 'transactions.csv'), transactionsCsv(nextId, newRows, 'success'));
    nextId += newRows;
  });
  timedCase('transactions, ids re-exported', newRows, (run, dataDir) => {
    writeFileSync(join(dataDir, 'transactions.csv'), transactionsCsv(lastId - newRows, newRows, run % 2 === 0 ? 'fail' : 'success'));
  });
  let day = Math.floor(lastMinute / 86_400_000) * 86_400_000 + 86_400_000;
  timedCase('status day, new', 10_080, (run, dataDir) => {
    mkdirSync(join(dataDir, 'transaction_status/pos_a'), { recursive: true });
    writeFileSync(join(dataDir, `transaction_status/pos_a/${dayText(day)}.csv`), statusDayCsv(run));
    day += 86_400_000;
  });
  timedCase('status day, re-exported', 10_080, (run, dataDir) => {
    mkdirSync(join(dataDir, 'transaction_status/pos_a'), { recursive: true });
    writeFileSync(join(dataDir, `transaction_status/pos_a/${dayText(day - 86_400_000)}.csv`), statusDayCsv(100 + run));
  });
  const sizeMb = Number(spawnSync('du', ['-m', db], { encoding: 'utf8' }).stdout.split('\t')[0]);
  return { baseRows: rows, buildSeconds, dbMb: sizeMb, cases };
}

/** The time of a process doing nothing but start: what any `anomaly` command costs at least. */
export function nodeStartMs(): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    spawnSync(process.execPath, [cli, '--version']);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}
