/**
 * Recognises transport-level failures (timeouts, refused or reset connections) anywhere in an
 * error's cause chain: fetch wraps the real reason in `TypeError: fetch failed` → cause.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export interface NetworkFailure {
  kind: 'timeout' | 'network';
  /** e.g. `ECONNREFUSED`, `socket hang up`, `timed out`. */
  detail: string;
}

export function networkFailureOf(err: unknown): NetworkFailure | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current instanceof Object; depth++) {
    const e = current as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; original?: unknown };
    // Our clients abort only through their timeout signal; gaxios reports that as AbortError.
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout', detail: 'timed out' };
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return { kind: 'network', detail: e.code };
    if (typeof e.message === 'string' && /socket hang up|other side closed/i.test(e.message)) {
      return { kind: 'network', detail: 'socket hang up' };
    }
    // @slack/web-api keeps the underlying error in `original`, gaxios and fetch in `cause`.
    current = e.original ?? e.cause;
  }
  return undefined;
}
