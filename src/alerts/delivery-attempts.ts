/**
 * The evidence that makes retries safe: before each delivery attempt the outbox item is marked
 * "attempt started, outcome in doubt" in its own committed write. An attempt that fails with a
 * known outcome (nothing was delivered: refused connection, Slack error, rate limit) clears the
 * doubt it added; one that fails with an unknown outcome (timeout, reset, 5xx) or never returns
 * (the process was killed) leaves it, and the next attempt is told to look before it sends.
 */
import type { Notifier, SendContext } from '../notify/types.js';
import { DeliveryError } from '../notify/types.js';
import { fromDbTime, toDbTime } from '../time.js';
import type { StateStore } from './store.js';

interface AttemptRow {
  first_attempt_at: string;
  in_doubt: number;
}

export interface Attempt {
  context: SendContext;
  /** Records a failure of this attempt: a known outcome restores the doubt as it was before. */
  failed(error: unknown): void;
}

/** Marks the attempt as started (committed at once: no transaction is open here) and says what to look for. */
export function beginAttempt(store: StateStore, outboxId: number, now: number): Attempt {
  const db = store.db;
  const row = db.prepare(`SELECT first_attempt_at, in_doubt FROM outbox_attempts WHERE outbox_id = ?`).get(outboxId) as
    | AttemptRow
    | undefined;
  db.prepare(
    `INSERT INTO outbox_attempts (outbox_id, first_attempt_at, last_attempt_at, in_doubt) VALUES (?, ?, ?, 1)
     ON CONFLICT (outbox_id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, in_doubt = 1`,
  ).run(outboxId, toDbTime(now), toDbTime(now));
  const wasInDoubt = row?.in_doubt === 1;
  return {
    context: { mayAlreadyExist: wasInDoubt, firstAttemptAt: row ? fromDbTime(row.first_attempt_at) : now },
    failed(error: unknown) {
      const known = error instanceof DeliveryError && !error.outcomeUnknown;
      if (known && !wasInDoubt) db.prepare(`UPDATE outbox_attempts SET in_doubt = 0 WHERE outbox_id = ?`).run(outboxId);
    },
  };
}

/**
 * The notifier as the retry stage sees it for one outbox item: every send (first try and each
 * retry) is journaled before it starts, and told whether an earlier one may have gone through.
 */
export function journaledNotifier(store: StateStore, outboxId: number, notifier: Notifier, now: () => number): Notifier {
  return {
    destination: notifier.destination,
    async send(n) {
      const attempt = beginAttempt(store, outboxId, now());
      try {
        return await notifier.send(n, attempt.context);
      } catch (error) {
        attempt.failed(error);
        throw error;
      }
    },
  };
}
