/**
 * The common interface of every destination (modelled on Alertmanager's notify/): a notifier
 * delivers one Notification and says, through DeliveryError, whether a failure is worth a retry.
 * Retries happen in one place (retry.ts), never inside a notifier.
 * Nothing here knows about SQLite or check SQL.
 */
import type { Anomaly, Severity } from '../types.js';

/** One alert as a person sees it in a digest. */
export interface DigestAlert {
  /** `<check>:<anomaly key>`, e.g. `status_rates:reversed`. */
  fingerprint: string;
  check: string;
  description: string;
  severity: Severity;
  state: 'firing' | 'resolved';
  anomaly: Anomaly;
  /** When the alert started firing (ISO). */
  firstSeen: string;
  /** When it was resolved (ISO), for resolved alerts. */
  resolvedAt?: string;
}

/**
 * Set by the outbox when it sends a Slack item (`<run id>/<outbox id>`, unique across state
 * databases): carried in the message metadata so a retry can find an earlier post instead of
 * posting twice. Absent in payloads stored before it existed and in direct sends.
 */
interface SlackDelivery {
  deliveryId?: string;
}

export type Notification =
  /** A new digest message: one per channel per run. */
  | ({ kind: 'slack.digest'; channel: string; runId: string; at: string; alerts: DigestAlert[] } & SlackDelivery)
  /** Edit an earlier digest (alerts resolved since) and reply in its thread. */
  | ({
      kind: 'slack.update';
      channel: string;
      ts: string;
      runId: string;
      at: string;
      alerts: DigestAlert[];
      threadReply: string;
    } & SlackDelivery)
  /** Upload a chart PNG into an alert's thread (files.uploadV2). */
  | ({
      kind: 'slack.file';
      channel: string;
      threadTs: string;
      filename: string;
      title: string;
      /** PNG bytes, base64 (notifications are stored as JSON in the outbox). */
      pngBase64: string;
    } & SlackDelivery)
  /**
   * Append rows to a Google Sheets tab, creating the tab with `header` if missing.
   * `deliveryId` is written in the first column of every row; a retry that finds it already in the
   * tab appends nothing, so appends are never duplicated.
   */
  | { kind: 'sheets.append'; tab: string; header: string[]; rows: (string | number | null)[][]; deliveryId: string };

export type Destination = 'slack' | 'sheets';

export function destinationOf(n: Notification): Destination {
  return n.kind.startsWith('slack.') ? 'slack' : 'sheets';
}

/** What a delivery returns; Slack's message ts is kept so the message can be edited later. */
export interface DeliveryReceipt {
  /** `adopted`: an earlier attempt had delivered it; nothing was posted again. */
  slack?: { channel: string; ts: string; adopted?: boolean };
  sheets?: { tab: string; updatedRange?: string; skippedAsDuplicate?: boolean };
  /** Things the person running the job should know although the delivery succeeded. */
  warnings?: string[];
}

/**
 * What the outbox knows about earlier attempts of the item being sent. When an earlier attempt's
 * outcome is unknown (timeout, reset connection, process killed mid-send) the notifier must look
 * for the earlier delivery before sending again.
 */
export interface SendContext {
  mayAlreadyExist: boolean;
  /** When the first attempt started (ms since the epoch): bounds the search. */
  firstAttemptAt: number;
}

export interface Notifier {
  readonly destination: Destination;
  send(notification: Notification, context?: SendContext): Promise<DeliveryReceipt>;
}

/** A failed delivery, classified once so the retry stage knows what to do. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { retryAfterMs?: number; fix?: string; cause?: unknown; outcomeUnknown?: boolean },
  ) {
    super(message, { cause: options?.cause });
    this.name = 'DeliveryError';
    this.retryAfterMs = options?.retryAfterMs;
    this.fix = options?.fix;
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }
  readonly retryAfterMs: number | undefined;
  /** What the user should do, e.g. "invite the bot to the channel: /invite @bot". */
  readonly fix: string | undefined;
  /**
   * True when the request may have taken effect although it failed for us (timeout, reset
   * connection, HTTP 5xx): a retry must look for the earlier delivery first.
   */
  readonly outcomeUnknown: boolean;
}

export interface RetryPolicy {
  /** Total attempts including the first. */
  attempts: number;
  /** First backoff; doubles each time, capped by maxBackoffMs, with jitter. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** The longest Retry-After we are willing to wait in one run; beyond it the item stays queued. */
  maxRetryAfterMs: number;
}
