import { MINUTE } from '../../src/time.js';
import type { CsvWriter } from './csv-writer.js';
import type { Rng } from './random.js';
import type { ScheduleFn } from './lifecycle.js';
import { EventScheduler, ORDER_SHIFT, SECOND_SHIFT, codeFailed, codeType } from './scheduler.js';
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
  /** Schedules the order's transactions (its auth at `order.createdMs` first). `order` is reused: copy, never keep it. */
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
 * Transaction ids follow created_date order. An order's row is written only once its auth is, so
 * a run cut short by `maxTransactions` leaves no order without transactions.
 */
export function streamOrders(opts: OrderStreamOptions): OrderStreamResult {
  const { rng, orders, transactions, until } = opts;
  const scheduler = new EventScheduler(opts.from, opts.horizon + MINUTE);
  const maxTx = opts.maxTransactions ?? Number.POSITIVE_INFINITY;
  let maxOrders = opts.maxOrders ?? Number.POSITIVE_INFINITY;
  const secs: number[] = [];
  const minuteOrders: string[] = []; // this minute's order rows, written once their auths are
  let orderId = 0;
  let txId = 0;
  let minuteMs = opts.from;
  // One schedule function for all orders (no closure per order): it schedules for `current`.
  const current: NewOrder = { id: 0, createdMs: 0, merchant: 0 };
  const schedule: ScheduleFn = (atMs, code) => {
    if (atMs < until) scheduler.schedule(atMs, current.id, code);
  };

  for (; minuteMs < until && txId < maxTx; minuteMs += MINUTE) {
    if (orderId >= maxOrders && scheduler.pending === 0) {
      // Every order is finished but rows are still missing: allow enough new orders to fill them.
      maxOrders = orderId + Math.ceil((maxTx - txId) / 2);
    }
    const prefix = minutePrefix(minuteMs);
    const count = Math.min(rng.poisson(opts.ordersPerMinute(minuteMs)), maxOrders - orderId);
    secs.length = 0;
    for (let i = 0; i < count; i++) secs.push(rng.int(0, 59));
    secs.sort((a, b) => a - b);
    const firstOrder = orderId + 1;
    minuteOrders.length = 0;
    for (const sec of secs) {
      current.id = ++orderId;
      current.createdMs = minuteMs + sec * 1000;
      current.merchant = opts.pickMerchant(rng);
      minuteOrders.push(`${current.id},${prefix}${TWO_DIGITS[sec]},${current.merchant}`);
      opts.plan(current, schedule);
    }
    // Auths sort by (second, order id), as order ids were handed out, so the auths written
    // before a cut are those of a prefix of this minute's orders.
    let lastAuthed = firstOrder - 1;
    for (const key of scheduler.drain()) {
      if (txId >= maxTx) break;
      const second = Math.floor(key / SECOND_SHIFT);
      const rest = key - second * SECOND_SHIFT;
      const id = Math.floor(rest / ORDER_SHIFT);
      const code = rest - id * ORDER_SHIFT;
      const type = codeType(code);
      if (type === 'auth') lastAuthed = id;
      transactions.row(`${++txId},${prefix}${TWO_DIGITS[second]},${type},${id},${codeFailed(code) ? 'fail' : 'success'}`);
    }
    for (let i = 0; i <= lastAuthed - firstOrder; i++) orders.row(minuteOrders[i]!);
  }
  return { orders: orders.rows, transactions: txId, lastMinuteMs: minuteMs - MINUTE };
}
