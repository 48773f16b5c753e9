import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpAll, FIXTURES, query, runInitDb, sha256, tempDir } from './cli-harness.js';
import { holdLock } from '../helpers/hold-lock.js';

const ALL = join(FIXTURES, 'good/all');

async function loadAll(env: Record<string, string> = {}) {
  const dir = tempDir();
  const db = join(dir, 'anomaly.db');
  const r = await runInitDb(['--data-dir', ALL, '--db', db, '--date', '2023-01-10'], { env });
  return { dir, db, r };
}

describe('init-db on good files', () => {
  it('loads every table and prints one line per table with its row count', async () => {
    const { db, r, dir } = await loadAll();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'countries: 3 rows (countries.csv)',
      'orders: 4 rows (orders.csv)',
      'transactions: 5 rows (transactions.csv)',
      'payments_aggregate: 3 rows (payments_aggregate.csv)',
      'checkout_hourly: 6 rows (checkout/pos_a.csv, checkout/pos_b.csv)',
      'transaction_status: 5 rows (transaction_status/tx_a.csv, transaction_status/tx_b.csv)',
    ]);
    expect(readdirSync(dir).sort()).toEqual(['anomaly.db']);
    expect(query(db, 'SELECT * FROM countries ORDER BY country')).toEqual([
      { country: 'ARG', country_rn: 32 },
      { country: 'BRA', country_rn: 76 },
      { country: 'USA', country_rn: 840 },
    ]);
  });

  it('reads US short dates from a BOM + CRLF file without a final newline', async () => {
    const { db } = await loadAll();
    expect(query(db, 'SELECT id, created_date, merchant_id FROM orders ORDER BY id')).toEqual([
      { id: 1, created_date: '2023-05-15 17:48:00', merchant_id: 1 },
      { id: 2, created_date: '2023-05-16 01:06:00', merchant_id: 2 },
      { id: 3, created_date: '2023-05-16 12:46:30', merchant_id: 2 },
      { id: 4, created_date: '2023-05-16 22:44:00', merchant_id: 3 },
    ]);
  });

  it('maps headers by name in any order and case, and converts ISO forms with offsets to UTC', async () => {
    const { db } = await loadAll();
    expect(query(db, 'SELECT * FROM transactions ORDER BY id')).toEqual([
      { id: 1, created_date: '2023-05-15 17:48:00', transaction_type: 'auth', order_id: 1, transaction_status: 'success' },
      { id: 2, created_date: '2023-05-16 01:06:00', transaction_type: 'auth', order_id: 2, transaction_status: 'success' },
      { id: 3, created_date: '2023-05-19 18:57:00', transaction_type: 'settle', order_id: 1, transaction_status: 'fail' },
      { id: 4, created_date: '2023-05-20 03:50:00', transaction_type: 'void', order_id: 2, transaction_status: 'success' },
      { id: 5, created_date: '2023-05-21 00:00:00', transaction_type: 'refund', order_id: 3, transaction_status: 'success' },
    ]);
  });

  it('keeps quoted commas, doubled quotes and newlines, and empty fields as NULL in the aggregate', async () => {
    const { db } = await loadAll();
    const rows = query(db, 'SELECT created_day, is_secured, error_code, error_message, bank_issuer, count_orders, count_emails FROM payments_aggregate ORDER BY rowid');
    expect(rows).toEqual([
      { created_day: '2023-05-15', is_secured: 1, error_code: null, error_message: null, bank_issuer: 12, count_orders: 5, count_emails: 4 },
      { created_day: '2023-05-15', is_secured: 0, error_code: '05', error_message: 'Do not honor, "risk"\ndeclined', bank_issuer: null, count_orders: 2, count_emails: null },
      { created_day: '2023-05-16', is_secured: 1, error_code: null, error_message: null, bank_issuer: null, count_orders: 0, count_emails: 0 },
    ]);
  });

  it('places date-less hours and minutes on the --date day and reads `count` and `f0_` headers', async () => {
    const { db } = await loadAll();
    expect(query(db, "SELECT source, hour, today, avg_last_month FROM checkout_hourly WHERE source = 'pos_a' ORDER BY hour")).toEqual([
      { source: 'pos_a', hour: '2023-01-10 00:00:00', today: 9, avg_last_month: 4.85 },
      { source: 'pos_a', hour: '2023-01-10 08:00:00', today: 0, avg_last_month: 10.42 },
      { source: 'pos_a', hour: '2023-01-10 09:00:00', today: 2, avg_last_month: 19.07 },
      { source: 'pos_a', hour: '2023-01-10 23:00:00', today: 11, avg_last_month: null },
    ]);
    expect(query(db, "SELECT hour, avg_last_week FROM checkout_hourly WHERE source = 'pos_b' ORDER BY hour")).toEqual([
      { hour: '2023-01-09 23:00:00', avg_last_week: 4 },
      { hour: '2023-01-10 09:00:00', avg_last_week: 10.5 },
    ]);
    expect(query(db, 'SELECT minute, source, status, count FROM transaction_status ORDER BY source, minute, status')).toEqual([
      { minute: '2023-01-10 14:33:00', source: 'tx_a', status: 'approved', count: 62 },
      { minute: '2023-01-10 14:33:00', source: 'tx_a', status: 'reversed', count: 122 },
      { minute: '2023-01-10 14:34:00', source: 'tx_a', status: 'reversed', count: 99 },
      { minute: '2023-01-10 00:00:00', source: 'tx_b', status: 'denied', count: 6 },
      { minute: '2023-01-10 00:01:00', source: 'tx_b', status: 'approved', count: 13 },
    ]);
  });

  it('reads naive times as wall-clock time in ANOMALY_TZ', async () => {
    const { db, r } = await loadAll({ ANOMALY_TZ: 'America/Sao_Paulo' });
    expect(r.code).toBe(0);
    expect(query(db, 'SELECT created_date FROM orders WHERE id = 1')[0]!.created_date).toBe('2023-05-15 20:48:00');
    // Explicit offsets are not shifted again.
    expect(query(db, 'SELECT created_date FROM transactions WHERE id = 3')[0]!.created_date).toBe('2023-05-19 18:57:00');
    expect(query(db, "SELECT hour FROM checkout_hourly WHERE source = 'pos_a' ORDER BY hour LIMIT 1")[0]!.hour).toBe('2023-01-10 03:00:00');
    expect(query(db, "SELECT value FROM meta WHERE key = 'tz'")[0]!.value).toBe('America/Sao_Paulo');
  });

  it('records each file in `loads` (relative path, source, bytes, rows, sha256, day) and meta', async () => {
    const { db } = await loadAll();
    const loads = query(db, 'SELECT * FROM loads ORDER BY table_name, file');
    const posA = loads.find((l) => l.file === 'checkout/pos_a.csv')!;
    const bytes = readFileSync(join(ALL, 'checkout/pos_a.csv'));
    expect(posA).toEqual({
      table_name: 'checkout_hourly',
      file: 'checkout/pos_a.csv',
      source: 'pos_a',
      bytes: bytes.length,
      rows: 4,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      loaded_at: '2023-01-10 12:00:00',
      day: '2023-01-10',
    });
    expect(loads.find((l) => l.file === 'orders.csv')).toMatchObject({ source: null, day: null, rows: 4, sha256: sha256(join(ALL, 'orders.csv')) });
    expect(loads).toHaveLength(8);
    expect(query(db, 'SELECT key, value FROM meta ORDER BY key')).toEqual([
      { key: 'day', value: '2023-01-10' },
      { key: 'schema_version', value: '1' },
      { key: 'tz', value: 'UTC' },
    ]);
    const indexes = query(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").map((r) => r.name);
    expect(indexes).toContain('transactions_order_id');
  });

  it('gives identical data when the same files are loaded twice', async () => {
    const { db } = await loadAll();
    const first = dumpAll(db);
    const again = await runInitDb(['--data-dir', ALL, '--db', db, '--date', '2023-01-10']);
    expect(again.code).toBe(0);
    expect(dumpAll(db)).toEqual(first);
  });

  it('accepts a header-only file as 0 rows and the legacy aggregate file name', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'orders.csv'), 'id,created_date,merchant_id\r\n');
    copyFileSync(join(FIXTURES, 'good/legacy/test_aggregate_data.csv'), join(data, 'test_aggregate_data.csv'));
    const r = await runInitDb(['--data-dir', data, '--db', join(dir, 'x.db'), '--date', '2023-01-10']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'orders: 0 rows (orders.csv)\npayments_aggregate: 1 row (test_aggregate_data.csv)\n' +
        'countries: empty (no countries.csv)\ntransactions: empty (no transactions.csv)\n' +
        'checkout_hourly: empty (no checkout/*.csv)\ntransaction_status: empty (no transaction_status/*.csv)\n',
    );
    expect(query(join(dir, 'x.db'), 'SELECT is_secured, count_orders FROM payments_aggregate')).toEqual([{ is_secured: 1, count_orders: 5 }]);

    // With both names present the current one wins and the person is told.
    copyFileSync(join(ALL, 'payments_aggregate.csv'), join(data, 'payments_aggregate.csv'));
    const both = await runInitDb(['--data-dir', data, '--db', join(dir, 'x.db'), '--date', '2023-01-10']);
    expect(both.code).toBe(0);
    expect(both.stdout).toContain('payments_aggregate: 3 rows (payments_aggregate.csv)');
    expect(both.stderr).toMatch(/^warning: .*test_aggregate_data\.csv ignored/);
  });

  it('defaults --date to today in ANOMALY_TZ and the paths to ANOMALY_DATA_DIR / ANOMALY_DB', async () => {
    const dir = tempDir();
    const r = await runInitDb([], {
      env: { ANOMALY_DATA_DIR: ALL, ANOMALY_DB: join(dir, 'env.db'), ANOMALY_TZ: 'Asia/Tokyo' },
      now: Date.UTC(2023, 0, 9, 20, 0, 0), // already 2023-01-10 in Tokyo
    });
    expect(r.code).toBe(0);
    expect(query(join(dir, 'env.db'), "SELECT value FROM meta WHERE key = 'day'")[0]!.value).toBe('2023-01-10');
    // 08h on 2023-01-10 in Tokyo (UTC+9) is 23:00 UTC the day before.
    expect(query(join(dir, 'env.db'), "SELECT hour FROM checkout_hourly WHERE source = 'pos_a' AND today = 0")[0]!.hour).toBe('2023-01-09 23:00:00');
  });
});

describe('init-db refusals', () => {
  it('exits 66 naming the directory and the files looked for when no known file is present', async () => {
    const dir = tempDir();
    const data = join(dir, 'empty');
    mkdirSync(join(data, 'checkout'), { recursive: true });
    writeFileSync(join(data, 'notes.txt'), 'hello');
    const r = await runInitDb(['--data-dir', data, '--db', join(dir, 'x.db')]);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain(data);
    expect(r.stderr).toContain('orders.csv');
    expect(r.stderr).toContain('checkout/*.csv');
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });

  it('exits 64 for an invalid --date', async () => {
    for (const date of ['2023-02-30', '10/01/2023', 'today']) {
      const r = await runInitDb(['--data-dir', ALL, '--date', date]);
      expect(r.code).toBe(64);
      expect(r.stderr).toContain(JSON.stringify(date));
    }
  });

  it('exits 75 while another live init-db holds the lock, and leaves the database alone', async () => {
    const { db } = await loadAll();
    const before = sha256(db);
    // A real holder: a pid written in the file proves nothing (the lock is the kernel's).
    const holder = await holdLock(db + '.init.lock', 'init-db');
    const r = await runInitDb(['--data-dir', ALL, '--db', db, '--date', '2023-01-10']);
    await holder.stop();
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('another init-db is running');
    expect(sha256(db)).toBe(before);
  });

  it('removes temp files left by dead runs', async () => {
    const { db, dir } = await loadAll();
    writeFileSync(db + '.tmp-999999999', 'half-built database');
    const r = await runInitDb(['--data-dir', ALL, '--db', db, '--date', '2023-01-10']);
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['anomaly.db']);
  });
});

describe('progress bar', () => {
  it('draws on stderr at a terminal and clears the line at the end', async () => {
    const dir = tempDir();
    const r = await runInitDb(['--data-dir', ALL, '--db', join(dir, 'x.db'), '--date', '2023-01-10'], { interactive: true, env: { ANOMALY_LOG_LEVEL: 'warn' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\rorders\.csv \[#+\] 100% /);
    expect(r.stderr.endsWith('\r')).toBe(true);
    expect(r.stderr).not.toContain('\n');
  });

  it('stays silent off a terminal', async () => {
    const dir = tempDir();
    const r = await runInitDb(['--data-dir', ALL, '--db', join(dir, 'x.db'), '--date', '2023-01-10'], { interactive: false });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
