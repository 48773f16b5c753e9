/**
 * Turns gaxios / google-auth-library errors into DeliveryErrors: rate limits, 5xx and network
 * trouble are worth a retry; permission and "not found" problems need the user, and say how.
 */
import { scrubSecrets } from '../../log.js';
import { networkFailureOf } from '../network.js';
import { DeliveryError } from '../types.js';
import { GOOGLE_TOKEN_URL } from './token-redirect.js';

export const FIX_SHEET_KEY = 'check GOOGLE_SHEET_KEY (the id in the spreadsheet URL between /d/ and /edit)';
export const FIX_KEY_FILE =
  'check PATH_TO_GOOGLE_JSON_CREDENTIALS: the service-account key may have been deleted or disabled (create a new JSON key), or the system clock is wrong';

export function fixShare(clientEmail: string): string {
  return `share the spreadsheet with the service account's client_email (${clientEmail}) as Editor`;
}

interface GaxiosLike {
  status?: unknown;
  code?: unknown;
  message?: unknown;
  config?: { url?: unknown };
  response?: { status?: unknown; headers?: unknown; data?: unknown };
}

/**
 * What the API said, in words. Google's token endpoint answers `{error, error_description}` and
 * the Sheets API `{error: {message, status}}`; gaxios sometimes puts the object itself in
 * `message`, which prints as "[object Object]".
 */
export function apiMessage(err: unknown): string {
  const e = (err ?? {}) as GaxiosLike;
  const data = e.response?.data;
  if (typeof data === 'object' && data !== null) {
    const d = data as { error?: unknown; error_description?: unknown };
    if (typeof d.error === 'string') return typeof d.error_description === 'string' ? `${d.error}: ${d.error_description}` : d.error;
    const inner = d.error as { message?: unknown; status?: unknown } | undefined;
    if (inner && typeof inner.message === 'string') return typeof inner.status === 'string' ? `${inner.message} (${inner.status})` : inner.message;
  }
  if (typeof data === 'string' && data.trim()) return data.trim().slice(0, 300);
  if (typeof e.message === 'string' && e.message && !e.message.includes('[object Object]')) return e.message;
  const text = String(err);
  return text.includes('[object Object]') ? 'no details in the answer' : text;
}

function retryAfterMs(headers: unknown): number | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  // A fetch Headers object (possibly from another realm), or a plain record.
  const h = headers as { get?: unknown } & Record<string, unknown>;
  const value = typeof h.get === 'function' ? (h.get as (k: string) => unknown)('retry-after') : h['retry-after'];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(String(value));
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export interface GoogleErrorContext {
  /** What was attempted, e.g. "append to tab 'alerts'". */
  call: string;
  clientEmail: string;
  timeoutMs: number;
  tokenUrl: string | undefined;
  secrets: readonly string[];
}

export function classifyGoogleError(err: unknown, ctx: GoogleErrorContext): DeliveryError {
  const e = (err ?? {}) as GaxiosLike;
  const url = String(e.config?.url ?? '');
  const isToken = url === GOOGLE_TOKEN_URL || (ctx.tokenUrl !== undefined && url === ctx.tokenUrl);
  const what = isToken ? `Google sign-in (service account ${ctx.clientEmail})` : `Google Sheets ${ctx.call}`;
  const detail = apiMessage(err);
  const msg = (text: string) => scrubSecrets(`${what} failed: ${text}`, ctx.secrets);
  const status = typeof e.status === 'number' ? e.status : typeof e.response?.status === 'number' ? e.response.status : undefined;

  if (status !== undefined) {
    if (status === 429) {
      return new DeliveryError(msg(`rate limited (HTTP 429): ${detail}`), true, { retryAfterMs: retryAfterMs(e.response?.headers) });
    }
    if (status >= 500 || status === 408) return new DeliveryError(msg(`HTTP ${status}: ${detail}`), true);
    if (isToken) return new DeliveryError(msg(`HTTP ${status}: ${detail}`), false, { fix: FIX_KEY_FILE });
    // 401: the access token itself was refused (a key revoked meanwhile); 403: no access to the sheet.
    if (status === 401) return new DeliveryError(msg(`HTTP 401: ${detail}`), false, { fix: FIX_KEY_FILE });
    if (status === 403) {
      return new DeliveryError(msg(`HTTP ${status}: ${detail}`), false, { fix: fixShare(ctx.clientEmail) });
    }
    if (status === 404) return new DeliveryError(msg(`HTTP 404: ${detail}`), false, { fix: FIX_SHEET_KEY });
    return new DeliveryError(msg(`HTTP ${status}: ${detail}`), false);
  }
  const network = networkFailureOf(err);
  if (network?.kind === 'timeout') return new DeliveryError(msg(`no answer within ${ctx.timeoutMs} ms`), true);
  if (network) return new DeliveryError(msg(`network error (${network.detail})`), true);
  return new DeliveryError(msg(detail), false);
}
