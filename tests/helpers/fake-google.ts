/**
 * A fake Google OAuth token endpoint + Sheets v4 API on 127.0.0.1 for tests. The token endpoint
 * verifies the service-account JWT (RS256 signature, iss, scope, aud, exp) like Google does, so the
 * real google-auth-library flow runs; the Sheets routes keep tabs in memory.
 */
import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { FakeHttpServer, FaultQueue, waitUnlessAborted, type RecordedRequest, type Reply } from '../notify/support/fake-http.js';

export type GoogleFault =
  | { status: 429; retryAfter?: number }
  | { status: 400 | 401 | 403 | 404 | 500 | 502 | 503 }
  | { hangMs: number }
  /** The request takes effect, then the client sees a 500 (a lost response). */
  | { status: 500; afterApply: true };

/** Route names for fail(). */
export type GoogleRoute = 'token' | 'spreadsheets.get' | 'batchUpdate' | 'values.get' | 'values.append';

export type Cell = string | number | boolean | null;

export interface FakeGoogle {
  /** `http://127.0.0.1:PORT/` — pass as GOOGLE_API_ROOT_URL. */
  readonly rootUrl: string;
  /** `http://127.0.0.1:PORT/token` — pass as GOOGLE_OAUTH_TOKEN_URL. */
  readonly tokenUrl: string;
  readonly clientEmail: string;
  readonly privateKeyPem: string;
  readonly spreadsheetId: string;
  /** Tabs of the spreadsheet, in order: title → rows. */
  readonly tabs: Map<string, Cell[][]>;
  readonly requests: RecordedRequest[];
  /** Access tokens issued so far. */
  readonly issuedTokens: string[];
  requestsTo(route: GoogleRoute): RecordedRequest[];
  /** Writes a service-account key file (as downloaded from Google Cloud) and returns its path. */
  writeServiceAccountKey(dir: string): string;
  fail(route: GoogleRoute, fault: GoogleFault, times?: number): void;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface FakeGoogleOptions {
  spreadsheetId?: string;
  title?: string;
  /** Tabs that exist from the start. */
  tabs?: Record<string, Cell[][]>;
  /** A key pair of its own; by default servers in one test process share one (RSA keygen is slow). */
  freshKey?: boolean;
}

let sharedKeyPair: { privateKey: string; publicKey: string } | undefined;

function generateKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

const GOOGLE_TOKEN_AUD = 'https://oauth2.googleapis.com/token';
const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

export async function startFakeGoogle(opts: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const { privateKey, publicKey } = opts.freshKey ? generateKeyPair() : (sharedKeyPair ??= generateKeyPair());
  const clientEmail = 'anomaly-monitoring@fake-project.iam.gserviceaccount.com';
  const spreadsheetId = opts.spreadsheetId ?? '1FakeSheetKey_abcdefghijklmnopqrstuvwxyz';
  const title = opts.title ?? 'Anomaly monitoring';
  const tabs = new Map<string, Cell[][]>(Object.entries(opts.tabs ?? {}));
  const sheetIds = new Map<string, number>([...tabs.keys()].map((t, i) => [t, i + 1]));
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const issuedTokens: string[] = [];
  const faults = new FaultQueue<GoogleFault>();

  const routeOf = (req: IncomingMessage): GoogleRoute | 'unknown' => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/token') return 'token';
    if (!path.startsWith('/v4/spreadsheets/')) return 'unknown';
    if (path.includes('/values/')) return path.endsWith(':append') ? 'values.append' : 'values.get';
    if (path.endsWith(':batchUpdate')) return 'batchUpdate';
    return 'spreadsheets.get';
  };

  const googleError = (code: number, status: string, message: string): Reply => ({
    status: code,
    json: { error: { code, message, status } },
  });
  const statusName: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    502: 'UNAVAILABLE',
    503: 'UNAVAILABLE',
  };
  const faultReply = (status: number, retryAfter?: number): Reply => {
    const reply = googleError(status, statusName[status] ?? 'UNKNOWN', faultMessage(status, clientEmail));
    if (retryAfter !== undefined) reply.headers = { 'retry-after': String(retryAfter) };
    return reply;
  };

  const server = new FakeHttpServer(routeOf, async (req, raw) => {
    const route = routeOf(req);
    const fault = faults.take(route);
    if (fault && 'hangMs' in fault) {
      if (!(await waitUnlessAborted(req, fault.hangMs))) return { status: 500 };
    } else if (fault && 'status' in fault && !('afterApply' in fault)) {
      return faultReply(fault.status, 'retryAfter' in fault ? fault.retryAfter : undefined);
    }
    const reply = route === 'token' ? issueToken(raw) : handleSheets(req, raw, route);
    if (fault && 'afterApply' in fault) return faultReply(fault.status);
    return reply;
  });

  function issueToken(raw: Buffer): Reply {
    const form = new URLSearchParams(raw.toString('utf8'));
    const invalid = (description: string): Reply => ({
      status: 400,
      json: { error: 'invalid_grant', error_description: description },
    });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return { status: 400, json: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
    }
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return invalid('Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
    const [h, p, sig] = parts as [string, string, string];
    let header: { alg?: string };
    let claims: { iss?: string; scope?: string; aud?: string; exp?: number; iat?: number };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return invalid('Invalid JWT: malformed');
    }
    if (header.alg !== 'RS256') return invalid('Invalid JWT: alg must be RS256');
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${h}.${p}`);
    if (!verifier.verify(publicKey, Buffer.from(sig, 'base64url'))) return invalid('Invalid JWT Signature.');
    if (claims.iss !== clientEmail) return { status: 401, json: { error: 'invalid_client', error_description: 'The OAuth client was not found.' } };
    if (claims.aud !== GOOGLE_TOKEN_AUD && claims.aud !== `${server.baseUrl}/token`) return invalid('Invalid JWT: aud');
    if (!(claims.scope ?? '').split(' ').includes(SHEETS_SCOPE)) return invalid('Invalid OAuth scope or ID token audience provided.');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || claims.exp <= now || claims.exp - claims.iat > 3600) {
      return invalid('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    }
    const token = `ya29.fake-${randomBytes(18).toString('base64url')}`;
    tokens.set(token, Date.now() + 3600_000);
    issuedTokens.push(token);
    return { status: 200, json: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  }

  function handleSheets(req: IncomingMessage, raw: Buffer, route: GoogleRoute | 'unknown'): Reply {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const expiry = tokens.get(token);
    if (expiry === undefined || expiry < Date.now()) {
      return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const segments = url.pathname.split('/'); // ['', 'v4', 'spreadsheets', id(:batchUpdate), ...]
    const id = decodeURIComponent(segments[3] ?? '').replace(/:batchUpdate$/, '');
    if (id !== spreadsheetId) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');

    switch (route) {
      case 'spreadsheets.get':
        return {
          status: 200,
          json: {
            spreadsheetId,
            properties: { title },
            sheets: [...tabs.keys()].map((t, index) => ({ properties: { sheetId: sheetIds.get(t), title: t, index } })),
          },
        };
      case 'batchUpdate': {
        const body = JSON.parse(raw.toString('utf8') || '{}') as { requests?: { addSheet?: { properties?: { title?: string } } }[] };
        const replies: object[] = [];
        for (const r of body.requests ?? []) {
          const t = r.addSheet?.properties?.title;
          if (!t) return googleError(400, 'INVALID_ARGUMENT', 'Invalid requests[0]: only addSheet is supported by the fake');
          if (tabs.has(t)) {
            return googleError(400, 'INVALID_ARGUMENT', `Invalid requests[0].addSheet: A sheet with the name "${t}" already exists. Please enter another name.`);
          }
          tabs.set(t, []);
          sheetIds.set(t, tabs.size + 100);
          replies.push({ addSheet: { properties: { sheetId: sheetIds.get(t), title: t } } });
        }
        return { status: 200, json: { spreadsheetId, replies } };
      }
      case 'values.get':
      case 'values.append': {
        const rangeText = decodeURIComponent(url.pathname.slice(url.pathname.indexOf('/values/') + 8)).replace(/:append$/, '');
        const range = parseA1(rangeText);
        if (!range || !tabs.has(range.tab)) return googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${rangeText}`);
        const rows = tabs.get(range.tab)!;
        if (route === 'values.get') {
          const values = rows.map((r) => r.slice(range.firstCol, range.lastCol === undefined ? undefined : range.lastCol + 1));
          // Google trims trailing empty rows and omits `values` for an empty range.
          while (values.length && values[values.length - 1]!.every((c) => c === '' || c === null)) values.pop();
          return { status: 200, json: { range: rangeText, majorDimension: 'ROWS', ...(values.length ? { values } : {}) } };
        }
        const input = url.searchParams.get('valueInputOption');
        if (input !== 'RAW' && input !== 'USER_ENTERED') {
          return googleError(400, 'INVALID_ARGUMENT', "'valueInputOption' is required but not specified");
        }
        const body = JSON.parse(raw.toString('utf8') || '{}') as { values?: Cell[][] };
        const added = body.values ?? [];
        const startRow = rows.length + 1;
        rows.push(...added.map((r) => [...r]));
        const width = Math.max(1, ...added.map((r) => r.length));
        const updatedRange = `${quoteTab(range.tab)}!A${startRow}:${columnName(width - 1)}${startRow + added.length - 1}`;
        return {
          status: 200,
          json: {
            spreadsheetId,
            tableRange: rows.length > added.length ? `${quoteTab(range.tab)}!A1:${columnName(width - 1)}${startRow - 1}` : undefined,
            updates: { spreadsheetId, updatedRange, updatedRows: added.length, updatedColumns: width, updatedCells: added.length * width },
          },
        };
      }
      default:
        return googleError(404, 'NOT_FOUND', 'Not Found');
    }
  }

  await server.start();
  return {
    get rootUrl() {
      return `${server.baseUrl}/`;
    },
    get tokenUrl() {
      return `${server.baseUrl}/token`;
    },
    clientEmail,
    privateKeyPem: privateKey,
    spreadsheetId,
    tabs,
    requests: server.requests,
    issuedTokens,
    requestsTo: (route) => server.requests.filter((r) => r.route === route),
    writeServiceAccountKey(dir: string): string {
      const path = join(dir, 'service-account.json');
      const key = {
        type: 'service_account',
        project_id: 'fake-project',
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKey,
        client_email: clientEmail,
        client_id: '100000000000000000001',
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: GOOGLE_TOKEN_AUD,
        auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
        universe_domain: 'googleapis.com',
      };
      writeFileSync(path, JSON.stringify(key, null, 2));
      return path;
    },
    fail: (route, fault, times = 1) => faults.add(route, fault, times),
    stop: () => server.stop(),
    restart: () => server.restart(),
    close: () => server.stop(),
  };
}

function faultMessage(status: number, email: string): string {
  if (status === 403) return `The caller does not have permission (${email})`;
  if (status === 404) return 'Requested entity was not found.';
  if (status === 429) return 'Quota exceeded for quota metric \'Write requests\'';
  return 'Internal error encountered.';
}

/** `'Tab name'!A:A`, `Tab!A1`, `Tab` → tab and 0-based column bounds. */
function parseA1(text: string): { tab: string; firstCol: number; lastCol: number | undefined } | undefined {
  let tab: string;
  let rest: string;
  if (text.startsWith("'")) {
    let i = 1;
    let name = '';
    for (; i < text.length; i++) {
      if (text[i] === "'") {
        if (text[i + 1] === "'") {
          name += "'";
          i++;
          continue;
        }
        break;
      }
      name += text[i];
    }
    if (i >= text.length) return undefined;
    tab = name;
    rest = text.slice(i + 1);
  } else {
    const bang = text.indexOf('!');
    tab = bang < 0 ? text : text.slice(0, bang);
    rest = bang < 0 ? '' : text.slice(bang);
    if (/[\s:'!]/.test(tab)) return undefined; // such names must be quoted
  }
  if (rest === '') return { tab, firstCol: 0, lastCol: undefined };
  const m = /^!([A-Z]+)?\d*(?::([A-Z]+)?\d*)?$/.exec(rest);
  if (!m) return undefined;
  const firstCol = m[1] ? columnIndex(m[1]) : 0;
  const lastCol = m[2] ? columnIndex(m[2]) : rest.includes(':') ? undefined : firstCol;
  // `A1` alone means from A onwards for append; values.get of a single cell is not used by callers.
  return { tab, firstCol, lastCol: rest.includes(':') ? lastCol : undefined };
}

function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

function columnName(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function quoteTab(tab: string): string {
  return `'${tab.replace(/'/g, "''")}'`;
}
