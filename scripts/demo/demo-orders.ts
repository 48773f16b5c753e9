import { join } from 'node:path';
import { CsvWriter } from './csv-writer.js';
import { DEMO_RATES, NORMAL_MAX_DELAY, normalLifecycle } from './lifecycle.js';
import type { ScheduleFn } from './lifecycle.js';
import { Rng, cumulative } from './random.js';
import { eventCode } from './scheduler.js';
import { ORDERS_HEADER, TRANSACTIONS_HEADER, streamOrders } from './order-stream.js';
import type { NewOrder } from './order-stream.js';
import { hourlyCurve, isWeekend } from './timefmt.js';
import { DAY, HOUR, PERIOD_FROM, PERIOD_TO, SETTLE_DEADLINE, WINDOWS, inWindow } from './timeline.js';

/** Relative order volume by hour of day: quiet nights, a late-morning and an evening peak. */
export const ORDER_HOURLY_SHAPE = [
  0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.6, 1.0, 1.4, 1.7, 1.9, 1.7, 1.4, 1.3, 1.3, 1.4, 1.5, 1.7, 1.9, 1.8,
  1.3, 0.8, 0.45,
];
const SHAPE_SUM = ORDER_HOURLY_SHAPE.reduce((a, b) => a + b, 0);
const WEEKEND_FACTOR = 0.7;

/** Mean orders per minute for a given weekday volume, with the daily and weekly pattern. */
export function orderRate(ordersPerWeekday: number): (minuteMs: number) => number {
  return (minuteMs) => {
    const day = ordersPerWeekday * (isWeekend(minuteMs) ? WEEKEND_FACTOR : 1);
    const hour = (minuteMs % DAY) / HOUR;
    return (day * hourlyCurve(ORDER_HOURLY_SHAPE, hour)) / SHAPE_SUM / 60;
  };
}

/** Merchants 1–20 with uneven sizes (merchant 1 is the largest). */
const MERCHANT_WEIGHTS = [14, 9, 7, 6, 5.5, 5, 4.5, 4, 3.5, 3, 2.8, 2.6, 2.4, 2.2, 2, 1.8, 1.5, 1.2, 1, 0.8];
const MERCHANT_CUMULATIVE = cumulative(MERCHANT_WEIGHTS);
export const pickMerchant = (rng: Rng): number => rng.weightedIndex(MERCHANT_CUMULATIVE) + 1;

const DEMO_ORDERS_PER_WEEKDAY = 480;
const LATE_SETTLE_MERCHANT = 12;
const LATE_SETTLE_ORDERS = 10;
const LATE_SETTLE_WINDOW = { start: Date.parse('2026-10-26T00:00:00Z'), end: Date.parse('2026-11-03T00:00:00Z') };
/**
 * One order each, of these merchants, gets only failed settles (first order after the time).
 * All fall within 30 days of demo time, the usual look-back of the unfinished-orders check.
 */
const FAILED_ONLY_TARGETS = [
  { merchant: 3, after: Date.parse('2026-10-23T10:00:00Z') },
  { merchant: 5, after: Date.parse('2026-10-27T10:00:00Z') },
  { merchant: 9, after: Date.parse('2026-10-31T10:00:00Z') },
  { merchant: 15, after: Date.parse('2026-11-04T10:00:00Z') },
  { merchant: 18, after: Date.parse('2026-11-09T10:00:00Z') },
];
/** Settled one second inside, and one second past, the 7-day deadline. */
const BOUNDARY_FINE = { merchant: 2, after: Date.parse('2026-11-01T12:00:00Z'), delay: SETTLE_DEADLINE - 1000 };
const BOUNDARY_LATE = { merchant: 4, after: Date.parse('2026-11-02T12:00:00Z'), delay: SETTLE_DEADLINE + 1000 };

/** Which orders the incidents touched; the manifest lists them. */
export interface OrderIncidentIds {
  neverSettled: { orderIds: number[]; authMs: number[] };
  lateSettled: { orderIds: number[]; authMs: number[]; settleMs: number[] };
  failedOnly: { merchant: number; orderId: number; authMs: number }[];
  boundaryFine: { merchant: number; orderId: number; authMs: number; settleMs: number };
  boundaryLate: { merchant: number; orderId: number; authMs: number; settleMs: number };
}

const seconds = (ms: number): number => Math.round(ms / 1000) * 1000;

/** The lifecycle planner for the demo: normal orders plus the settlement incidents. */
function demoPlanner(rng: Rng) {
  const ids: OrderIncidentIds = {
    neverSettled: { orderIds: [], authMs: [] },
    lateSettled: { orderIds: [], authMs: [], settleMs: [] },
    failedOnly: [],
    boundaryFine: { merchant: BOUNDARY_FINE.merchant, orderId: 0, authMs: 0, settleMs: 0 },
    boundaryLate: { merchant: BOUNDARY_LATE.merchant, orderId: 0, authMs: 0, settleMs: 0 },
  };
  const failedOnlyDone = new Set<number>();
  const authOk = eventCode('auth', false);
  const settleOk = eventCode('settle', false);

  const plan = (order: NewOrder, schedule: ScheduleFn): void => {
    const { id, createdMs: t, merchant } = order;
    // (a) Merchant 7's settlement feed stopped: nothing after the auth.
    if (merchant === 7 && inWindow(WINDOWS.merchant7NeverSettled, t)) {
      schedule(t, authOk);
      ids.neverSettled.orderIds.push(id);
      ids.neverSettled.authMs.push(t);
      return;
    }
    // (b) Merchant 12 settled a batch 7 d + 1 h to 9 d after the auth.
    // Only some of the merchant's orders, so the batch spreads over several days.
    if (
      merchant === LATE_SETTLE_MERCHANT &&
      inWindow(LATE_SETTLE_WINDOW, t) &&
      ids.lateSettled.orderIds.length < LATE_SETTLE_ORDERS &&
      rng.chance(0.15)
    ) {
      const settle = t + seconds(rng.uniform(SETTLE_DEADLINE + HOUR, 9 * DAY));
      schedule(t, authOk);
      schedule(settle, settleOk);
      ids.lateSettled.orderIds.push(id);
      ids.lateSettled.authMs.push(t);
      ids.lateSettled.settleMs.push(settle);
      return;
    }
    // (c) Only failed settles, never a successful one.
    const target = FAILED_ONLY_TARGETS.find((x) => x.merchant === merchant && t >= x.after && !failedOnlyDone.has(x.merchant));
    if (target) {
      failedOnlyDone.add(merchant);
      schedule(t, authOk);
      let at = t + seconds(rng.uniform(2 * HOUR, 20 * HOUR));
      schedule(at, eventCode('settle', true));
      if (rng.chance(0.5)) {
        at += seconds(rng.uniform(2 * HOUR, 8 * HOUR));
        schedule(at, eventCode('settle', true));
      }
      ids.failedOnly.push({ merchant, orderId: id, authMs: t });
      return;
    }
    for (const [b, rec] of [
      [BOUNDARY_FINE, ids.boundaryFine],
      [BOUNDARY_LATE, ids.boundaryLate],
    ] as const) {
      if (merchant === b.merchant && t >= b.after && rec.orderId === 0) {
        schedule(t, authOk);
        schedule(t + b.delay, settleOk);
        Object.assign(rec, { orderId: id, authMs: t, settleMs: t + b.delay });
        return;
      }
    }
    normalLifecycle(rng, DEMO_RATES, t, schedule);
  };
  return { plan, ids };
}

/** Writes orders.csv and transactions.csv of the demo set; returns the incident order ids. */
export function generateDemoOrders(outDir: string, seed: number): OrderIncidentIds {
  const rng = new Rng(seed, 'orders');
  const orders = new CsvWriter(join(outDir, 'orders.csv'), ORDERS_HEADER);
  const transactions = new CsvWriter(join(outDir, 'transactions.csv'), TRANSACTIONS_HEADER);
  const planner = demoPlanner(rng);
  streamOrders({
    rng,
    from: PERIOD_FROM,
    // Through the end of D like the per-minute data, so replaying the whole day sees no false outage.
    until: PERIOD_TO,
    horizon: Math.max(NORMAL_MAX_DELAY, 9 * DAY),
    ordersPerMinute: orderRate(DEMO_ORDERS_PER_WEEKDAY),
    pickMerchant,
    plan: planner.plan,
    orders,
    transactions,
  });
  orders.close();
  transactions.close();
  const { ids } = planner;
  if (ids.failedOnly.length !== FAILED_ONLY_TARGETS.length || !ids.boundaryFine.orderId || !ids.boundaryLate.orderId) {
    throw new Error('demo order incidents were not all placed: the order volume is too low');
  }
  return ids;
}
