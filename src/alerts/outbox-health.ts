import { DAY } from '../time.js';
import { expireOutbox, OUTBOX_MAX_AGE_MS, pendingOutbox, type OutboxEntry } from './outbox.js';
import type { StateStore } from './store.js';

/**
 * The outbox's failures, made loud: items about to be given up are named (never silently expired),
 * and items waiting longer than the configured age are reported so the run can exit 3.
 */

/** Gives up items pending longer than OUTBOX_MAX_AGE_MS (and their dependants) and returns them. */
export function expireOutboxLoudly(store: StateStore, now: number): OutboxEntry[] {
  const before = new Map(pendingOutbox(store, now).map((e) => [e.id, e]));
  if (before.size === 0) return [];
  if (expireOutbox(store, now) === 0) return [];
  const still = new Set(pendingOutbox(store, now).map((e) => e.id));
  return [...before.values()].filter((e) => !still.has(e.id));
}

/** Items still pending that were queued more than `maxAgeMs` ago, oldest first. */
export function stuckOutbox(store: StateStore, now: number, maxAgeMs: number): OutboxEntry[] {
  return pendingOutbox(store, now).filter((e) => e.ageMs > maxAgeMs);
}

/** How long an item may wait before it is given up, in days (for messages). */
export const OUTBOX_GIVE_UP_DAYS = OUTBOX_MAX_AGE_MS / DAY;
