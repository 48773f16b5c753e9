import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { buildDatabase } from '../../src/ingest/build-db.js';
import { findInputs } from '../../src/ingest/inputs.js';
import { FIXTURES, query, runInitDb, sha256, tempDir } from './cli-harness.js';

/**
 * What init-db promises about its inputs (docs/ingest-guarantees.md): symlinks to regular files
 * load, an absent file empties its table and says so, values are normalised where documented,
 * years and flags outside the supported range are refused, and a full disk names the database.
 */

const ALL = join(FIXTURES, 'good/all');

async function loadAll(dir = tempDir()) {
  const db = join(dir, 'anomaly.db');
  const r = await runInitDb(['--data-dir', ALL, '--db', db, '--date', '2023-01-10']);
  expect(r.code).toBe(0);
  return { dir, db };
}

describe('known paths', () => {
  it('loads files and folders reached through symbolic links to regular files and folders', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    mkdirSync(data);
    symlinkSync(join(ALL, 'orders.csv'), join(data, 'orders.csv'));
    symlinkSync(join(ALL, 'checkout'), join(data, 'checkout'));
    mkdirSync(join(data, 'transaction_status'));
    symlinkSync(join(ALL, 'transaction_status/tx_a.csv'), join(data, 'transaction_status/tx_a.csv'));
    writeFileSync(join(data, 'transaction_status/notes.txt'), 'not a csv: ignored');
    const r = await runInitDb(['--data-dir', data, '--db', join(dir, 'x.db'), '--date', '2023-01-10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('orders: 4 rows (orders.csv)');
    expect(r.stdout).toContain('checkout_hourly: ');
    expect(r.stdout).toContain('(transaction_status/tx_a.csv)');
  });

  it('says which tables are empty for lack of a file, and warns when one held rows before', async () => {
    const { dir, db } = await loadAll();
    const data = join(dir, 'partial');
    mkdirSync(data);
    copyFileSync(join(ALL, 'orders.csv'), join(data, 'orders.csv'));
    const r = await runInitDb(['--data-dir', data, '--db', db, '--date', '2023-01-10']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'orders: 4 rows (orders.csv)',
      'countries: empty (no countries.csv)',
      'transactions: empty (no transactions.csv)',
      'payments_aggregate: empty (no payments_aggregate.csv or test_aggregate_data.csv)',
      'checkout_hourly: empty (no checkout/*.csv)',
      'transaction_status: empty (no transaction_status/*.csv)',
    ]);
    const warnings = r.stderr.split('\n').filter(Boolean);
    expect(warnings).toContain(`warning: transactions held 5 rows before and is now empty: no transactions.csv in ${data}`);
    expect(warnings.filter((w) => w.includes('is now empty'))).toHaveLength(5);
    expect(query(db, 'SELECT count(*) AS n FROM transactions')[0]!.n).toBe(0);

    // Loading the same partial folder again: nothing held rows, so no warning.
    const again = await runInitDb(['--data-dir', data, '--db', db, '--date', '2023-01-10']);
    expect(again.stderr).toBe('');
  });

  it('never opens a named pipe while looking for inputs', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'orders.csv'), 'id,created_date,merchant_id\n');
    // A FIFO inside a known folder: findInputs must return (it would hang if it opened the pipe).
    mkdirSync(join(dir, 'checkout'));
    const fifo = join(dir, 'checkout/pos.csv');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0); // Node's fs cannot make a FIFO
    expect(() => findInputs(dir)).toThrow(`${fifo} is a named pipe (FIFO), not a regular file`);
  });
});

describe('values: per-column decisions', () => {
  it('stores statuses and enumerations in lowercase without surrounding spaces', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    mkdirSync(join(data, 'transaction_status'), { recursive: true });
    writeFileSync(join(data, 'transaction_status/tx.csv'), 'time,status,count\n14h 33,APPROVED ,5\n14h 33, Denied,2\n14h 34,approved,1\n');
    writeFileSync(
      join(data, 'transactions.csv'),
      'id,created_date,transaction_type,order_id,transaction_status\n1,2023-05-15 10:00,AUTH,1, Success\n2,2023-05-15 10:01,settle,1,FAIL\n',
    );
    const db = join(dir, 'x.db');
    const r = await runInitDb(['--data-dir', data, '--db', db, '--date', '2023-01-10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(query(db, 'SELECT minute, status, count FROM transaction_status ORDER BY minute, status')).toEqual([
      { minute: '2023-01-10 14:33:00', status: 'approved', count: 5 },
      { minute: '2023-01-10 14:33:00', status: 'denied', count: 2 },
      { minute: '2023-01-10 14:34:00', status: 'approved', count: 1 },
    ]);
    expect(query(db, 'SELECT transaction_type, transaction_status FROM transactions ORDER BY id')).toEqual([
      { transaction_type: 'auth', transaction_status: 'success' },
      { transaction_type: 'settle', transaction_status: 'fail' },
    ]);
  });

  it('accepts the largest exact integers and zero measures', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    mkdirSync(join(data, 'checkout'), { recursive: true });
    writeFileSync(join(data, 'orders.csv'), 'id,created_date,merchant_id\n9007199254740991,1970-01-01 00:00,-9007199254740991\n2,2200-12-31T23:59:59Z,1\n');
    writeFileSync(join(data, 'checkout/pos.csv'), 'time,today,yesterday,same_day_last_week,avg_last_week,avg_last_month\n08h,0,0.0,1e3,1.5e-3,\n');
    const db = join(dir, 'x.db');
    const r = await runInitDb(['--data-dir', data, '--db', db, '--date', '2023-01-10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(query(db, 'SELECT id, created_date, merchant_id FROM orders ORDER BY created_date')).toEqual([
      { id: 9007199254740991, created_date: '1970-01-01 00:00:00', merchant_id: -9007199254740991 },
      { id: 2, created_date: '2200-12-31 23:59:59', merchant_id: 1 },
    ]);
    expect(query(db, 'SELECT today, same_day_last_week, avg_last_week, avg_last_month FROM checkout_hourly')).toEqual([
      { today: 0, same_day_last_week: 1000, avg_last_week: 0.0015, avg_last_month: null },
    ]);
  });
});

describe('--date range', () => {
  it.each(['0099-01-10', '1969-12-31', '2201-01-01', '9999-12-31'])('refuses --date %s with exit 64 and changes nothing', async (date) => {
    const { db } = await loadAll();
    const before = sha256(db);
    const r = await runInitDb(['--data-dir', ALL, '--db', db, '--date', date]);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe(`anomaly: --date "${date}" is outside the supported years 1970-2200\n`);
    expect(sha256(db)).toBe(before);
  });
});

describe('disk full', () => {
  it('names the database being built and the one kept (exit 74), leaving no temp file', async () => {
    const { dir, db } = await loadAll();
    const before = sha256(db);
    const { files } = findInputs(ALL);
    const error = await buildDatabase({ files, dbPath: db, day: '2023-01-10', tz: 'UTC', now: () => 0, maxPageCount: 8 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).exitCode).toBe(74);
    expect((error as AppError).message).toMatch(new RegExp(`^${db}\\.tmp-\\d+: database or disk is full while building the new ${db} `));
    expect((error as AppError).message).toContain(`${db} was not changed`);
    expect(sha256(db)).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(['anomaly.db']);
  });
});

describe('copies of the corpus folders stay loadable when fixed', () => {
  it('a dangling symlink replaced by the file loads', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    cpSync(join(FIXTURES, 'bad/orders-dangling-symlink'), data, { recursive: true, verbatimSymlinks: true });
    const broken = await runInitDb(['--data-dir', data, '--db', join(dir, 'x.db'), '--date', '2023-01-10']);
    expect(broken.code).toBe(66);
    mkdirSync(join(data, 'exported'));
    copyFileSync(join(ALL, 'orders.csv'), join(data, 'exported/orders.csv'));
    const fixed = await runInitDb(['--data-dir', data, '--db', join(dir, 'x.db'), '--date', '2023-01-10']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('orders: 4 rows (orders.csv)');
  });
});
