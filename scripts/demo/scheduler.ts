import { MINUTE } from '../../src/time.js';

/**
 * Transaction events an order schedules for later (a settle 1–72 h after its auth, a refund days
 * after that), kept in one bucket per minute of a ring that spans the longest possible delay.
 * Draining one minute at a time yields events in time order, so transaction ids can be handed
 * out in created_date order while streaming, with memory bounded by the events still ahead.
 *
 * An event is packed into one number, second-of-minute first, so a numeric sort orders the
 * events of a minute by (second, order id, type/status code).
 */

export const TX_TYPES = ['auth', 'settle', 'void', 'refund'] as const;
export type TxType = (typeof TX_TYPES)[number];

/** type index × 2 + 1 when failed: 3 bits. */
export function eventCode(type: TxType, failed: boolean): number {
  return TX_TYPES.indexOf(type) * 2 + (failed ? 1 : 0);
}
export const codeType = (code: number): TxType => TX_TYPES[code >> 1]!;
export const codeFailed = (code: number): boolean => (code & 1) === 1;

export const ORDER_SHIFT = 8; // 3 bits of code
export const SECOND_SHIFT = 2 ** 43; // order ids below 2^40 fit under the second

export class EventScheduler {
  private readonly buckets: number[][];
  private current: number;
  /** Events scheduled and not yet drained. */
  pending = 0;

  /** `firstMinuteMs`: the first minute to be drained; `horizon`: longest delay ahead, in ms. */
  constructor(firstMinuteMs: number, horizon: number) {
    this.buckets = Array.from({ length: Math.ceil(horizon / MINUTE) + 2 }, () => []);
    this.current = Math.floor(firstMinuteMs / MINUTE);
  }

  /** The epoch minute that the next drain() returns. */
  get minute(): number {
    return this.current;
  }

  schedule(atMs: number, orderId: number, code: number): void {
    const minute = Math.floor(atMs / MINUTE);
    const ahead = minute - this.current;
    if (ahead < 0 || ahead >= this.buckets.length) {
      throw new RangeError(`event at ${new Date(atMs).toISOString()} is outside the scheduler's horizon`);
    }
    const second = Math.floor((atMs - minute * MINUTE) / 1000);
    this.buckets[minute % this.buckets.length]!.push(second * SECOND_SHIFT + orderId * ORDER_SHIFT + code);
    this.pending++;
  }

  /** Removes and returns the current minute's events in time order, then moves to the next minute. */
  drain(): Float64Array {
    const bucket = this.buckets[this.current % this.buckets.length]!;
    const keys = Float64Array.from(bucket).sort();
    bucket.length = 0;
    this.pending -= keys.length;
    this.current++;
    return keys;
  }
}
