/**
 * Turns whatever @slack/web-api throws into a DeliveryError that says whether a retry can help
 * and, when the user has to act, what to do. Messages never contain the token.
 */
import { scrubSecrets } from '../../log.js';
import { networkFailureOf } from '../network.js';
import { DeliveryError } from '../types.js';

const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);
/** Slack documents these as transient: "the request may be retried". */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);
/** Slack: "it's possible some aspect of the operation succeeded before the error was raised". */
const MAYBE_APPLIED_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable']);
/** Failures before the request reached Slack: nothing can have been posted. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export const FIX_TOKEN = 'check SLACK_ALERT_BOT_TOKEN (a bot token xoxb-…)';
export const FIX_CHANNEL = "check SLACK_ALERT_CHANNEL_ID or the check's slack.channel";
export const FIX_INVITE = 'invite the bot to the channel (/invite @yourbot)';

interface SlackErrorShape {
  code?: unknown;
  data?: { error?: unknown; needed?: unknown };
  retryAfter?: unknown;
  statusCode?: unknown;
  statusMessage?: unknown;
  message?: unknown;
}

/** `call` names what was attempted, e.g. "chat.postMessage to C123". */
export function classifySlackError(err: unknown, call: string, secrets: readonly string[], timeoutMs: number): DeliveryError {
  const e = (err ?? {}) as SlackErrorShape;
  const msg = (text: string) => scrubSecrets(`Slack ${call} failed: ${text}`, secrets);

  if (e.code === 'slack_webapi_rate_limited_error') {
    const seconds = typeof e.retryAfter === 'number' ? e.retryAfter : 1;
    return new DeliveryError(msg(`rate limited (HTTP 429, retry after ${seconds} s)`), true, { retryAfterMs: seconds * 1000 });
  }
  if (e.code === 'slack_webapi_platform_error') {
    const error = String(e.data?.error ?? 'unknown_error');
    if (AUTH_ERRORS.has(error)) return new DeliveryError(msg(error), false, { fix: FIX_TOKEN });
    if (error === 'channel_not_found') return new DeliveryError(msg(error), false, { fix: FIX_CHANNEL });
    if (error === 'not_in_channel') return new DeliveryError(msg(error), false, { fix: FIX_INVITE });
    if (error === 'missing_scope') {
      const needed = typeof e.data?.needed === 'string' ? e.data.needed : 'the missing';
      return new DeliveryError(msg(`missing_scope (needs ${needed})`), false, {
        fix: `add the ${needed} scope to the Slack app and reinstall it`,
      });
    }
    return new DeliveryError(msg(error), TRANSIENT_ERRORS.has(error), { outcomeUnknown: MAYBE_APPLIED_ERRORS.has(error) });
  }
  if (e.code === 'slack_webapi_http_error') {
    const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
    const retryable = status >= 500 || status === 408;
    // A 5xx may come from a proxy after Slack did the work.
    return new DeliveryError(msg(`HTTP ${status} ${String(e.statusMessage ?? '')}`.trim()), retryable, { outcomeUnknown: status >= 500 });
  }
  const text0 = err instanceof Error ? err.message : '';
  // A 429 without a usable Retry-After header: still a rate limit, so back off and retry.
  if (/Retry header did not contain a valid timeout/.test(text0)) {
    return new DeliveryError(msg('rate limited (HTTP 429 without Retry-After)'), true);
  }
  const network = networkFailureOf(err);
  if (network?.kind === 'timeout') return new DeliveryError(msg(`no answer within ${timeoutMs} ms`), true, { outcomeUnknown: true });
  if (network) {
    return new DeliveryError(msg(`network error (${network.detail})`), true, { outcomeUnknown: !NOT_SENT_CODES.has(network.detail) });
  }
  const text = err instanceof Error ? err.message : String(err);
  // Unrecognised: assume the worst, so a later attempt looks before it posts.
  return new DeliveryError(msg(text), false, { outcomeUnknown: true });
}
