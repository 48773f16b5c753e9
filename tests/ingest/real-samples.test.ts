import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query, runInitDb, tempDir } from './cli-harness.js';

/** The real public samples in ../shared/data, copied into a temp data dir at test time only. */
const SHARED = new URL('../../../shared/data/', import.meta.url).pathname;
const present = existsSync(join(SHARED, 'cloudwalk/checkout_1.csv'));

describe.skipIf(!present)('real samples', () => {
  it('loads the cloudwalk hourly checkout and per-minute status files on --date', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    mkdirSync(join(data, 'checkout'), { recursive: true });
    mkdirSync(join(data, 'transaction_status'), { recursive: true });
    copyFileSync(join(SHARED, 'cloudwalk/checkout_1.csv'), join(data, 'checkout/checkout_1.csv'));
    copyFileSync(join(SHARED, 'cloudwalk/transactions_1.csv'), join(data, 'transaction_status/transactions_1.csv'));
    const db = join(dir, 'x.db');

    const r = await runInitDb(['--data-dir', data, '--db', db, '--date', '2023-01-10']);

    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const statusLines = readFileSync(join(SHARED, 'cloudwalk/transactions_1.csv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(query(db, 'SELECT count(*) AS n FROM checkout_hourly')[0]!.n).toBe(24);
    expect(query(db, 'SELECT count(*) AS n FROM transaction_status')[0]!.n).toBe(statusLines.length - 1);
    expect(r.stdout).toContain(`transaction_status: ${statusLines.length - 1} rows (transaction_status/transactions_1.csv)`);
    // The known incident: sales collapse at 08h-09h ...
    expect(query(db, "SELECT * FROM checkout_hourly WHERE hour IN ('2023-01-10 08:00:00', '2023-01-10 09:00:00') ORDER BY hour")).toEqual([
      { source: 'checkout_1', hour: '2023-01-10 08:00:00', today: 0, yesterday: 1, same_day_last_week: 18, avg_last_week: 8.71, avg_last_month: 10.42 },
      { source: 'checkout_1', hour: '2023-01-10 09:00:00', today: 2, yesterday: 9, same_day_last_week: 30, avg_last_week: 20, avg_last_month: 19.07 },
    ]);
    // ... and reversals jump at 14:33.
    expect(query(db, "SELECT status, count FROM transaction_status WHERE minute = '2023-01-10 14:33:00' AND status IN ('reversed', 'approved') ORDER BY status")).toEqual([
      { status: 'approved', count: 62 },
      { status: 'reversed', count: 122 },
    ]);
    expect(query(db, "SELECT min(minute) AS lo, max(minute) AS hi FROM transaction_status")[0]).toEqual({ lo: '2023-01-10 00:00:00', hi: '2023-01-10 23:59:00' });
  });

  it('loads the pbilinskyi orders and transactions (BOM, CRLF, US short dates)', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    mkdirSync(data);
    copyFileSync(join(SHARED, 'pbilinskyi/orders.csv'), join(data, 'orders.csv'));
    copyFileSync(join(SHARED, 'pbilinskyi/transactions.csv'), join(data, 'transactions.csv'));
    const db = join(dir, 'x.db');

    const r = await runInitDb(['--data-dir', data, '--db', db]);

    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['orders: 4 rows (orders.csv)', 'transactions: 7 rows (transactions.csv)', 'countries: empty (no countries.csv)']);
    expect(query(db, 'SELECT created_date FROM orders WHERE id = 1')[0]!.created_date).toBe('2023-05-15 17:48:00');
    expect(query(db, 'SELECT * FROM transactions WHERE id IN (5, 6) ORDER BY id')).toEqual([
      { id: 5, created_date: '2023-05-19 18:57:00', transaction_type: 'settle', order_id: 1, transaction_status: 'fail' },
      { id: 6, created_date: '2023-05-20 03:50:00', transaction_type: 'void', order_id: 2, transaction_status: 'success' },
    ]);
  });
});
