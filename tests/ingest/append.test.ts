import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdLock } from '../helpers/hold-lock.js';
import { dumpAll, FIXTURES, query, runInitDb, sha256, tempDir } from './cli-harness.js';

/**
 * `init-db --append`: only files not loaded yet, all of them or none, rows they cover replaced by
 * each table's rule, the same bytes twice adding nothing.
 */

function setup() {
  const dir = tempDir('append-');
  const data = join(dir, 'data');
  cpSync(join(FIXTURES, 'good/all'), data, { recursive: true });
  const db = join(dir, 'anomaly.db');
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(data, rel)), { recursive: true });
    writeFileSync(join(data, rel), text);
  };
  const append = (...extra: string[]) => runInitDb(['--append', '--data-dir', data, '--db', db, '--date', '2023-01-10', ...extra]);
  return { dir, data, db, write, append };
}

const statusRows = (db: string, source: string) =>
  query(db, `SELECT minute, status, count FROM transaction_status WHERE source = '${source}' ORDER BY minute, status`);

describe('init-db --append', () => {
  it('builds the database when there is none, the same as a full init-db', async () => {
    const { db, dir, append } = setup();
    const r = await append();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('transactions: 5 rows (transactions.csv)');
    const full = join(dir, 'full.db');
    expect((await runInitDb(['--data-dir', join(dir, 'data'), '--db', full, '--date', '2023-01-10'])).code).toBe(0);
    const strip = (d: Record<string, unknown[]>) => ({ ...d, loads: d.loads!.map((l) => String(l).replace(/"loaded_at":"[^"]*"/, '')) });
    expect(strip(dumpAll(db))).toEqual(strip(dumpAll(full)));
  });

  it('loads only a new file, and the same file again adds nothing and prints nothing', async () => {
    const { db, write, append } = setup();
    expect((await append()).code).toBe(0);
    const before = dumpAll(db);
    write('transaction_status/tx_c/2023-01-11.csv', 'time,status,count\n00h 01,approved,7\n00h 02,approved,8\n');
    const r = await append();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('transaction_status: 2 rows (transaction_status/tx_c/2023-01-11.csv)\n');
    // The dated file's times belong to its own day, not to --date.
    expect(statusRows(db, 'tx_c')).toEqual([
      { minute: '2023-01-11 00:01:00', status: 'approved', count: 7 },
      { minute: '2023-01-11 00:02:00', status: 'approved', count: 8 },
    ]);
    expect(query(db, "SELECT file, source, day, rows FROM loads WHERE source = 'tx_c'")).toEqual([
      { file: 'transaction_status/tx_c/2023-01-11.csv', source: 'tx_c', day: '2023-01-11', rows: 2 },
    ]);
    const after = dumpAll(db);
    for (const t of ['countries', 'orders', 'transactions', 'payments_aggregate', 'checkout_hourly']) expect(after[t]).toEqual(before[t]);

    const again = await append();
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(dumpAll(db)).toEqual(after);
  });

  it('replaces the minutes a re-exported status file covers, dropping statuses it no longer lists', async () => {
    const { db, write, append } = setup();
    write('transaction_status/tx_c/2023-01-11.csv', 'time,status,count\n10h 00,approved,50\n10h 00,failed,9\n10h 01,approved,51\n10h 01,failed,3\n');
    expect((await append()).code).toBe(0);
    // Corrected counts for 10:01 (failed was a mistake: a missing row means zero) and a new minute.
    write('transaction_status/tx_c/2023-01-11.csv', 'time,status,count\n10h 01,approved,54\n10h 02,approved,49\n');
    const r = await append();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('transaction_status: 2 rows (transaction_status/tx_c/2023-01-11.csv); 2 stored rows replaced\n');
    expect(statusRows(db, 'tx_c')).toEqual([
      { minute: '2023-01-11 10:00:00', status: 'approved', count: 50 },
      { minute: '2023-01-11 10:00:00', status: 'failed', count: 9 },
      { minute: '2023-01-11 10:01:00', status: 'approved', count: 54 },
      { minute: '2023-01-11 10:02:00', status: 'approved', count: 49 },
    ]);
    // The other sources' rows for the same day are untouched.
    expect(statusRows(db, 'tx_a')).toHaveLength(3);
  });

  it('replaces transactions and orders by id and adds the new ones', async () => {
    const { db, write, append } = setup();
    expect((await append()).code).toBe(0);
    write('transactions.csv', 'id,created_date,transaction_type,order_id,transaction_status\n3,2023-05-19 18:57:00,settle,1,success\n6,2023-05-22 09:00:00,settle,3,success\n');
    write('orders.csv', 'id,created_date,merchant_id\n5,2023-05-22 08:00:00,9\n');
    const r = await append();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('orders: 1 row (orders.csv)\ntransactions: 2 rows (transactions.csv); 1 stored row replaced\n');
    expect(query(db, 'SELECT id, transaction_status FROM transactions ORDER BY id')).toEqual([
      { id: 1, transaction_status: 'success' },
      { id: 2, transaction_status: 'success' },
      { id: 3, transaction_status: 'success' },
      { id: 4, transaction_status: 'success' },
      { id: 5, transaction_status: 'success' },
      { id: 6, transaction_status: 'success' },
    ]);
    expect(query(db, 'SELECT count(*) AS n FROM orders')).toEqual([{ n: 5 }]);
    // The indexes the checks use still find the new rows.
    expect(query(db, 'SELECT id FROM transactions INDEXED BY transactions_order_id WHERE order_id = 3 ORDER BY id')).toEqual([{ id: 5 }, { id: 6 }]);
  });

  it('replaces checkout hours per source and hour, and a whole aggregate day', async () => {
    const { db, write, append } = setup();
    expect((await append()).code).toBe(0);
    write('checkout/pos_a.csv', 'time,today,yesterday,same_day_last_week,avg_last_week,avg_last_month\n08h,7,1,18,8.71,10.42\n10h,5,4,3,2,1\n');
    const agg =
      'created_day,channel_id,order_type,payment_source,merchant_token_type,is_secured,bin_amount_usd,status,error_code,error_message,bank_issuer,card_brand,card_type,card_country,ip_country,invoice_number,retry_number,count_orders,count_emails\n' +
      '2023-05-15,1,web,card,none,true,10-50,success,,,12,visa,credit,840,840,1,0,6,5\n';
    write('payments_aggregate.csv', agg);
    const r = await append();
    expect(r.code).toBe(0);
    expect(query(db, "SELECT hour, today FROM checkout_hourly WHERE source = 'pos_a' ORDER BY hour")).toEqual([
      { hour: '2023-01-10 00:00:00', today: 9 },
      { hour: '2023-01-10 08:00:00', today: 7 },
      { hour: '2023-01-10 09:00:00', today: 2 },
      { hour: '2023-01-10 10:00:00', today: 5 },
      { hour: '2023-01-10 23:00:00', today: 11 },
    ]);
    // 2023-05-15 had two rows (one written 5/15/23); the re-export of that day has one. 2023-05-16 stays.
    expect(query(db, 'SELECT created_day, count_orders FROM payments_aggregate ORDER BY created_day, count_orders')).toEqual([
      { created_day: '2023-05-15', count_orders: 6 },
      { created_day: '2023-05-16', count_orders: 0 },
    ]);
  });

  it('loads the same bytes for another source or another day: they are other rows', async () => {
    const { db, write, append } = setup();
    const text = 'time,status,count\n09h 00,approved,5\n';
    write('transaction_status/tx_c/2023-01-11.csv', text);
    write('transaction_status/tx_d/2023-01-11.csv', text);
    write('transaction_status/tx_d/2023-01-12.csv', text);
    expect((await append()).code).toBe(0);
    expect(query(db, "SELECT source, minute FROM transaction_status WHERE count = 5 ORDER BY source, minute")).toEqual([
      { source: 'tx_c', minute: '2023-01-11 09:00:00' },
      { source: 'tx_d', minute: '2023-01-11 09:00:00' },
      { source: 'tx_d', minute: '2023-01-12 09:00:00' },
    ]);
  });

  it('appends nothing at all when one of the new files is bad (exit 65 naming file, line and column)', async () => {
    const { db, data, write, append } = setup();
    expect((await append()).code).toBe(0);
    const before = dumpAll(db);
    write('transaction_status/tx_c/2023-01-11.csv', 'time,status,count\n10h 00,approved,50\n');
    write('transaction_status/tx_d/2023-01-11.csv', 'time,status,count\n10h 00,approved,50\n10h 01,approved,-3\n');
    const r = await append();
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`anomaly: ${join(data, 'transaction_status/tx_d/2023-01-11.csv')}:3, column count (value "-3"): ${r.stderr.split('): ')[1]}`);
    expect(r.stderr).toMatch(/whole number ≥ 0/);
    expect(r.stdout).toBe('');
    expect(dumpAll(db)).toEqual(before);
    expect(readdirSync(dirname(db)).filter((n) => n.startsWith('anomaly.db'))).toEqual(['anomaly.db']);

    // Fixed: both new files load on the next append.
    write('transaction_status/tx_d/2023-01-11.csv', 'time,status,count\n10h 00,approved,50\n10h 01,approved,3\n');
    const fixed = await append();
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toBe('transaction_status: 3 rows (transaction_status/tx_c/2023-01-11.csv, transaction_status/tx_d/2023-01-11.csv)\n');
  });

  it('refuses a duplicate key inside one new file (65) and leaves the database as it was', async () => {
    const { db, write, append } = setup();
    expect((await append()).code).toBe(0);
    const before = dumpAll(db);
    write('orders.csv', 'id,created_date,merchant_id\n7,2023-05-22 08:00:00,9\n7,2023-05-22 08:01:00,9\n');
    const r = await append();
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/orders\.csv:3, column id \(value "7"\): duplicate id: the same key is already on line 2/);
    expect(dumpAll(db)).toEqual(before);
  });

  it('exits 75 while another init-db holds the lock, and changes nothing', async () => {
    const { db, write, append } = setup();
    expect((await append()).code).toBe(0);
    const before = sha256(db);
    write('transaction_status/tx_c/2023-01-11.csv', 'time,status,count\n10h 00,approved,50\n');
    const holder = await holdLock(db + '.init.lock', 'init-db');
    const r = await append();
    await holder.stop();
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('another init-db is running');
    expect(sha256(db)).toBe(before);
  });

  it('appends to ClickHouse too (tests/clickhouse/append.test.ts); a server it cannot reach is 66', async () => {
    const { data } = setup();
    const r = await runInitDb(['--append', '--data-dir', data, '--db', 'clickhouse://127.0.0.1:1/anomaly']);
    expect(r.code).toBe(66);
    expect(r.stderr).toMatch(/cannot reach ClickHouse at http:\/\/127\.0\.0\.1:1/);
  });

  it('refuses a database not built by init-db (66)', async () => {
    const { db, append } = setup();
    for (const content of ['', 'not a database at all, just text\n']) {
      writeFileSync(db, content);
      const r = await append();
      expect(r.code).toBe(66);
      expect(r.stderr).toMatch(/not a database built by `anomaly init-db`/);
    }
  });
});

describe('dated per-day files', () => {
  it('load a week of exports in one full init-db without --date, each on its own day', async () => {
    const dir = tempDir('dated-');
    const data = join(dir, 'data');
    for (let d = 14; d <= 20; d++) {
      mkdirSync(join(data, 'transaction_status/pos_a'), { recursive: true });
      mkdirSync(join(data, 'checkout/pos_a'), { recursive: true });
      writeFileSync(join(data, `transaction_status/pos_a/2026-11-${d}.csv`), `time,status,count\n23h 59,approved,${d}\n`);
      writeFileSync(join(data, `checkout/pos_a/2026-11-${d}.csv`), `time,today,yesterday,same_day_last_week,avg_last_week,avg_last_month\n08h,${d},1,1,1,1\n`);
    }
    writeFileSync(join(data, 'transaction_status/pos_a/notes.csv'), 'time,status,count\n');
    const db = join(dir, 'a.db');
    const r = await runInitDb(['--data-dir', data, '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`warning: ${join(data, 'transaction_status/pos_a/notes.csv')} ignored: files in transaction_status/pos_a/ are named after their day, YYYY-MM-DD.csv\n`);
    const minutes = query(db, 'SELECT minute, count FROM transaction_status ORDER BY minute');
    expect(minutes).toHaveLength(7);
    expect(minutes[0]).toEqual({ minute: '2026-11-14 23:59:00', count: 14 });
    expect(minutes[6]).toEqual({ minute: '2026-11-20 23:59:00', count: 20 });
    expect(query(db, "SELECT hour FROM checkout_hourly WHERE today = 17")).toEqual([{ hour: '2026-11-17 08:00:00' }]);
    expect(query(db, "SELECT day FROM loads WHERE file = 'checkout/pos_a/2026-11-15.csv'")).toEqual([{ day: '2026-11-15' }]);
    expect(existsSync(join(dir, 'a.db'))).toBe(true);
  });
});
