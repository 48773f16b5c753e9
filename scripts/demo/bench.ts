import { join } from 'node:path';
import { writeAcquirer } from './acquirer.js';
import { CsvWriter } from './csv-writer.js';
import { orderRate, pickMerchant } from './demo-orders.js';
import { BENCH_RATES, NORMAL_MAX_DELAY, normalLifecycle } from './lifecycle.js';
import { ORDERS_HEADER, TRANSACTIONS_HEADER, streamOrders } from './order-stream.js';
import { Rng } from './random.js';
import { DAY } from './timeline.js';
import type { Window } from './timeline.js';

/** Benchmark data starts here and runs as many days as the requested row count needs. */
export const BENCH_FROM = Date.parse('2026-01-01T00:00:00Z');
/** ≈ 29k transactions a day: 1 M rows span about a month (every look-back window is full), 10 M about eleven months. */
const BENCH_ORDERS_PER_WEEKDAY = 14_000;

export interface BenchResult {
  period: Window;
  orders: number;
  transactions: number;
  acquirerRows: number;
}

/**
 * Writes exactly `rows` transactions (≈ rows / 2.2 orders) and per-minute acquirer counts for the
 * same days, streaming: memory is bounded by the events scheduled ahead, not by `rows`.
 */
export function generateBench(outDir: string, seed: number, rows: number): BenchResult {
  const rng = new Rng(seed, 'bench-orders');
  const orders = new CsvWriter(join(outDir, 'orders.csv'), ORDERS_HEADER);
  const transactions = new CsvWriter(join(outDir, 'transactions.csv'), TRANSACTIONS_HEADER);
  const result = streamOrders({
    rng,
    from: BENCH_FROM,
    until: Number.POSITIVE_INFINITY,
    horizon: NORMAL_MAX_DELAY,
    ordersPerMinute: orderRate(BENCH_ORDERS_PER_WEEKDAY),
    pickMerchant,
    plan: (order, schedule) => normalLifecycle(rng, BENCH_RATES, order.createdMs, schedule),
    orders,
    transactions,
    maxTransactions: rows,
    maxOrders: Math.round(rows / 2.2),
  });
  orders.close();
  transactions.close();
  const end = (Math.floor(result.lastMinuteMs / DAY) + 1) * DAY;
  const acquirerRows = writeAcquirer({
    path: join(outDir, 'transaction_status', 'acquirer.csv'),
    rng: new Rng(seed, 'bench-acquirer'),
    from: BENCH_FROM,
    to: end,
    incidents: false,
  });
  return { period: { start: BENCH_FROM, end }, orders: result.orders, transactions: result.transactions, acquirerRows };
}
