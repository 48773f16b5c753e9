/** The retry stage on its own, with a scripted notifier and a fake clock. */
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { backoffMs, deliverWithRetry, retryPolicyFromEnv } from '../../src/notify/retry.js';
import { DeliveryError, type DeliveryReceipt, type Notification, type Notifier, type RetryPolicy } from '../../src/notify/types.js';
import { captureLogger, fakeSleep } from './support/alerts.js';

const n: Notification = { kind: 'sheets.append', tab: 't', header: ['a'], rows: [[1]], deliveryId: 'd1' };
const policy: RetryPolicy = { attempts: 4, backoffMs: 100, maxBackoffMs: 250, timeoutMs: 1000, maxRetryAfterMs: 5000 };
const ok: DeliveryReceipt = { sheets: { tab: 't' } };

/** Fails with the given errors in turn, then succeeds. */
function scripted(errors: unknown[]): Notifier & { calls: number } {
  const n = {
    destination: 'sheets' as const,
    calls: 0,
    async send() {
      n.calls++;
      const e = errors.shift();
      if (e) throw e;
      return ok;
    },
  };
  return n;
}

const transient = () => new DeliveryError('HTTP 503', true);

describe('deliverWithRetry', () => {
  it('backs off exponentially with jitter, capped, and succeeds', async () => {
    const notifier = scripted([transient(), transient(), transient()]);
    const { sleep, waits } = fakeSleep();
    const randoms = [0, 1, 0.5];

    const receipt = await deliverWithRetry(notifier, n, policy, { sleep, random: () => randoms.shift()! });

    expect(receipt).toBe(ok);
    expect(notifier.calls).toBe(4);
    // 100 → [50,100], 200 → [100,200], 400 capped to 250 → [125,250]
    expect(waits).toEqual([50, 200, 188]);
  });

  it('rethrows the last error after the last attempt', async () => {
    const last = new DeliveryError('fourth', true);
    const notifier = scripted([transient(), transient(), transient(), last]);
    const { sleep, waits } = fakeSleep();
    await expect(deliverWithRetry(notifier, n, policy, { sleep })).rejects.toBe(last);
    expect(notifier.calls).toBe(4);
    expect(waits).toHaveLength(3);
  });

  it('does not retry an error marked not retryable', async () => {
    const fatal = new DeliveryError('HTTP 403', false, { fix: 'share it' });
    const notifier = scripted([fatal]);
    await expect(deliverWithRetry(notifier, n, policy, { sleep: fakeSleep().sleep })).rejects.toBe(fatal);
    expect(notifier.calls).toBe(1);
  });

  it('does not retry programming errors', async () => {
    const notifier = scripted([new TypeError('bug')]);
    await expect(deliverWithRetry(notifier, n, policy, { sleep: fakeSleep().sleep })).rejects.toThrow('bug');
    expect(notifier.calls).toBe(1);
  });

  it('waits exactly Retry-After when the server asks for it', async () => {
    const notifier = scripted([new DeliveryError('429', true, { retryAfterMs: 3000 })]);
    const { sleep, waits } = fakeSleep();
    await deliverWithRetry(notifier, n, policy, { sleep });
    expect(waits).toEqual([3000]);
  });

  it('gives up at once when Retry-After is longer than a run may wait', async () => {
    const limited = new DeliveryError('429', true, { retryAfterMs: 5001 });
    const notifier = scripted([limited]);
    const { sleep, waits } = fakeSleep();
    const { log, output } = captureLogger();
    await expect(deliverWithRetry(notifier, n, policy, { sleep, log })).rejects.toBe(limited);
    expect(waits).toEqual([]);
    expect(output()).toContain('leaving the notification queued');
  });

  it('makes a single attempt when the policy allows one', async () => {
    const notifier = scripted([transient()]);
    await expect(deliverWithRetry(notifier, n, { ...policy, attempts: 1 }, { sleep: fakeSleep().sleep })).rejects.toThrow('HTTP 503');
    expect(notifier.calls).toBe(1);
  });
});

describe('backoffMs', () => {
  it('never exceeds maxBackoffMs however many attempts', () => {
    for (let attempt = 1; attempt < 40; attempt++) expect(backoffMs(policy, attempt, () => 0.999)).toBeLessThanOrEqual(250);
  });
});

describe('retryPolicyFromEnv', () => {
  it('reads attempts, backoff and timeout from the environment', () => {
    const env = parseEnv({ ANOMALY_NOTIFY_ATTEMPTS: '2', ANOMALY_NOTIFY_BACKOFF_MS: '50', ANOMALY_NOTIFY_TIMEOUT_MS: '700' });
    expect(retryPolicyFromEnv(env)).toEqual({
      attempts: 2,
      backoffMs: 50,
      maxBackoffMs: 30_000,
      timeoutMs: 700,
      maxRetryAfterMs: 60_000,
    });
  });

  it('defaults to 4 attempts, 1 s backoff and a 10 s timeout', () => {
    expect(retryPolicyFromEnv(parseEnv({}))).toMatchObject({ attempts: 4, backoffMs: 1000, timeoutMs: 10_000 });
  });
});
