import { MINUTE } from '../../src/time.js';
import type { CsvWriter } from './csv-writer.js';
import type { Rng } from './random.js';
import type { ScheduleFn } from './lifecycle.js';
import { EventScheduler, codeFailed, codeType, unpack } from './scheduler.js';
import { TWO_DIGITS, minutePrefix } from './timefmt.js';

export const ORDERS_HEADER = 'id,created_date,merchant_id';
export const TRANSACTIONS_HEADER = 'id,created_date,transaction_type,order_id,transaction_status';

export interface NewOrder {
  id: number;
  createdMs: number;
  merchant: number;
}

export interface OrderStreamOptions {
  rng: Rng;
  /** First minute (ms, minute-aligned) in which orders are created. */
  from: number;
  /** Orders are created before this instant, and only events before it are written. */
  until: number;
  /** Longest delay any plan schedules after an order's creation (ms). */
  horizon: number;
  /** Mean number of orders created in the minute starting at `minuteMs`. */
  ordersPerMinute: (minuteMs: number) => number;
  pickMerchant: (rng: Rng) => number;
  /** Schedules the order's transactions (its auth at `order.createdMs` first). */
  plan: (order: NewOrder, schedule: ScheduleFn) => void;
  orders: CsvWriter;
  transactions: CsvWriter;
  /** Stop after exactly this many transactions (benchmark mode). */
  maxTransactions?: number;
  /**
   * Create no more orders than this; later minutes only finish the orders already created, so the
   * file ends with settles instead of a tail of fresh, unsettled orders (benchmark mode).
   */
  maxOrders?: number;
}

export interface OrderStreamResult {
  orders: number;
  transactions: number;
  /** Start of the last minute that was written. */
  lastMinuteMs: number;
}

/**
 * Creates orders minute by minute and writes orders.csv and transactions.csv in one pass.
 * Transaction ids follow created_date order; an order's row is written together with its auth,
 * so a run cut short by `maxTransactions` leaves no order without transactions.
 */
export function streamOrders(opts: OrderStreamOptions): OrderStreamResult {
  const { rng, orders, transactions } = opts;
  const scheduler = new EventScheduler(opts.from, opts.horizon + MINUTE);
  const pendingOrderRows = new Map<number, string>();
  const maxTx = opts.maxTransactions ?? Number.POSITIVE_INFINITY;
  let maxOrders = opts.maxOrders ?? Number.POSITIVE_INFINITY;
  const secs: number[] = [];
  let orderId = 0;
  let txId = 0;
  let minuteMs = opts.from;

  for (; minuteMs < opts.until && txId < maxTx; minuteMs += MINUTE) {
    if (orderId >= maxOrders && scheduler.pending === 0) {
      // Every order is finished but rows are still missing: allow enough new orders to fill them.
      maxOrders = orderId + Math.ceil((maxTx - txId) / 2);
    }
    const prefix = minutePrefix(minuteMs);
    const count = Math.min(rng.poisson(opts.ordersPerMinute(minuteMs)), maxOrders - orderId);
    secs.length = 0;
    for (let i = 0; i < count; i++) secs.push(rng.int(0, 59));
    secs.sort((a, b) => a - b);
    for (const sec of secs) {
      const order: NewOrder = { id: ++orderId, createdMs: minuteMs + sec * 1000, merchant: opts.pickMerchant(rng) };
      pendingOrderRows.set(order.id, `${order.id},${prefix}${TWO_DIGITS[sec]},${order.merchant}`);
      opts.plan(order, (atMs, code) => {
        if (atMs < opts.until) scheduler.schedule(atMs, order.id, code);
      });
    }
    for (const key of scheduler.drain()) {
      if (txId >= maxTx) break;
      const e = unpack(key);
      const type = codeType(e.code);
      if (type === 'auth') {
        orders.row(pendingOrderRows.get(e.orderId)!);
        pendingOrderRows.delete(e.orderId);
      }
      transactions.row(
        `${++txId},${prefix}${TWO_DIGITS[e.second]},${type},${e.orderId},${codeFailed(e.code) ? 'fail' : 'success'}`,
      );
    }
  }
  return { orders: orders.rows, transactions: txId, lastMinuteMs: minuteMs - MINUTE };
}
