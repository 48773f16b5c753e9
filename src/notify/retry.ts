/**
 * The one place where failed deliveries are retried (the clients themselves never retry), so the
 * whole run stays bounded: at most `attempts` tries, exponential backoff with jitter, and a
 * Retry-After longer than we are willing to wait leaves the item queued for the next run.
 */
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import { DeliveryError, type DeliveryReceipt, type Notification, type Notifier, type RetryPolicy } from './types.js';

export interface RetryOptions {
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); injected so tests are deterministic. */
  random?: () => number;
  log?: Logger;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function deliverWithRetry(
  notifier: Notifier,
  n: Notification,
  policy: RetryPolicy,
  opts: RetryOptions = {},
): Promise<DeliveryReceipt> {
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const attempts = Math.max(1, Math.floor(policy.attempts));
  for (let attempt = 1; ; attempt++) {
    try {
      return await notifier.send(n);
    } catch (err) {
      if (!(err instanceof DeliveryError) || !err.retryable || attempt >= attempts) throw err;
      let waitMs: number;
      if (err.retryAfterMs !== undefined) {
        if (err.retryAfterMs > policy.maxRetryAfterMs) {
          opts.log?.warn(
            { destination: notifier.destination, kind: n.kind, retryAfterMs: err.retryAfterMs },
            'rate limited for longer than this run will wait; leaving the notification queued',
          );
          throw err;
        }
        waitMs = err.retryAfterMs;
      } else {
        waitMs = backoffMs(policy, attempt, random);
      }
      opts.log?.warn(
        { destination: notifier.destination, kind: n.kind, attempt, of: attempts, waitMs, error: err.message },
        'delivery failed; retrying',
      );
      await sleep(waitMs);
    }
  }
}

/**
 * Wait before attempt `attempt + 1`: backoffMs · 2^(attempt-1), capped, with "equal jitter"
 * (half fixed, half random) so parallel runs spread out but never retry immediately.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export const MAX_BACKOFF_MS = 30_000;
export const MAX_RETRY_AFTER_MS = 60_000;

export function retryPolicyFromEnv(env: Env): RetryPolicy {
  return {
    attempts: env.ANOMALY_NOTIFY_ATTEMPTS,
    backoffMs: env.ANOMALY_NOTIFY_BACKOFF_MS,
    maxBackoffMs: MAX_BACKOFF_MS,
    timeoutMs: env.ANOMALY_NOTIFY_TIMEOUT_MS,
    maxRetryAfterMs: MAX_RETRY_AFTER_MS,
  };
}
