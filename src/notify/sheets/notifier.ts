/**
 * Google Sheets destination: appends rows to a tab (creating it with a header row when missing),
 * authenticated as a service account through the real JWT flow. Every row starts with the
 * notification's deliveryId, which makes a retried append idempotent.
 */
import { JWT } from 'google-auth-library';
import type { sheets_v4 } from '@googleapis/sheets';
import { silentLogger, type Logger } from '../../log.js';
import type { ProbeLine } from '../probe.js';
import { DeliveryError, type DeliveryReceipt, type Notification, type Notifier } from '../types.js';
import { a1, quoteTab } from './a1.js';
import { readServiceAccountKey } from './credentials.js';
import { classifyGoogleError, fixShare, FIX_KEY_FILE, FIX_SHEET_KEY } from './errors.js';
import { configureTokenRequests } from './token-redirect.js';

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
/** The first column of every tab we write: the deliveryId that makes appends idempotent. */
export const DELIVERY_ID_HEADER = 'delivery_id';

export interface SheetsNotifierOptions {
  credentialsPath: string;
  spreadsheetId: string;
  /** GOOGLE_API_ROOT_URL (default https://sheets.googleapis.com/). */
  rootUrl?: string;
  /** GOOGLE_OAUTH_TOKEN_URL (default Google's). */
  tokenUrl?: string;
  timeoutMs: number;
  log?: Logger;
}

export type SheetsNotifier = Notifier & { probe(tabs: string[]): Promise<ProbeLine[]> };

type SheetsNotification = Extract<Notification, { kind: 'sheets.append' }>;

export async function createSheetsNotifier(opts: SheetsNotifierOptions): Promise<SheetsNotifier> {
  const log = opts.log ?? silentLogger();
  const key = readServiceAccountKey(opts.credentialsPath);
  const jwt = new JWT({
    email: key.clientEmail,
    key: key.privateKey,
    scopes: [SHEETS_SCOPE],
    transporterOptions: { timeout: opts.timeoutMs },
  });
  configureTokenRequests(jwt, opts.tokenUrl);
  // Heavy module (the whole Sheets v4 surface): loaded only when Sheets is configured.
  const { sheets } = await import('@googleapis/sheets');
  const rootUrl = opts.rootUrl ? (opts.rootUrl.endsWith('/') ? opts.rootUrl : `${opts.rootUrl}/`) : undefined;
  const api: sheets_v4.Sheets = sheets({
    version: 'v4',
    auth: jwt,
    ...(rootUrl ? { rootUrl } : {}),
    timeout: opts.timeoutMs,
    // Retries happen in one place (retry.ts), not inside the client.
    retry: false,
  });
  const spreadsheetId = opts.spreadsheetId;
  const secrets = [key.privateKey];
  let knownTabs: Set<string> | undefined;

  const fail = (err: unknown, call: string) =>
    classifyGoogleError(err, { call, clientEmail: key.clientEmail, timeoutMs: opts.timeoutMs, tokenUrl: opts.tokenUrl, secrets });

  async function tabTitles(call: string): Promise<{ title: string; tabs: Set<string> }> {
    try {
      const res = await api.spreadsheets.get({ spreadsheetId, fields: 'properties.title,sheets.properties.title' });
      const tabs = new Set((res.data.sheets ?? []).map((s) => s.properties?.title ?? '').filter((t) => t !== ''));
      return { title: res.data.properties?.title ?? '', tabs };
    } catch (err) {
      throw fail(err, call);
    }
  }

  async function ensureTab(tab: string): Promise<void> {
    if (!knownTabs?.has(tab)) knownTabs = (await tabTitles(`lookup of tab ${quoteTab(tab)}`)).tabs;
    if (knownTabs.has(tab)) return;
    try {
      await api.spreadsheets.batchUpdate({
        spreadsheetId,
        requestBody: { requests: [{ addSheet: { properties: { title: tab } } }] },
      });
      log.info({ tab }, 'created Google Sheets tab');
    } catch (err) {
      // An earlier attempt may have created it and lost the answer.
      if (!/already exists/i.test(String((err as Error).message))) throw fail(err, `creation of tab ${quoteTab(tab)}`);
    }
    knownTabs.add(tab);
  }

  async function append(n: SheetsNotification): Promise<DeliveryReceipt> {
    const call = `append to tab ${quoteTab(n.tab)}`;
    await ensureTab(n.tab);
    let ids: string[];
    try {
      const res = await api.spreadsheets.values.get({ spreadsheetId, range: a1(n.tab, 'A:A'), majorDimension: 'ROWS' });
      ids = (res.data.values ?? []).map((r) => String(r[0] ?? ''));
    } catch (err) {
      throw fail(err, `read of tab ${quoteTab(n.tab)}`);
    }
    if (ids.includes(n.deliveryId)) {
      log.info({ tab: n.tab, deliveryId: n.deliveryId }, 'rows already in the sheet; not appending again');
      return { sheets: { tab: n.tab, skippedAsDuplicate: true } };
    }
    const values: (string | number)[][] = [];
    // The header goes in with the first rows, so a tab never ends up with rows but no header.
    if (ids.every((id) => id === '')) values.push([DELIVERY_ID_HEADER, ...n.header]);
    for (const row of n.rows) values.push([n.deliveryId, ...row.map((c) => c ?? '')]);
    if (values.length === 0) return { sheets: { tab: n.tab } };
    try {
      const res = await api.spreadsheets.values.append({
        spreadsheetId,
        range: a1(n.tab, 'A1'),
        valueInputOption: 'RAW',
        insertDataOption: 'INSERT_ROWS',
        requestBody: { values },
      });
      const updatedRange = res.data.updates?.updatedRange ?? undefined;
      log.info({ tab: n.tab, rows: n.rows.length, updatedRange }, 'appended rows to Google Sheets');
      return { sheets: { tab: n.tab, updatedRange } };
    } catch (err) {
      throw fail(err, call);
    }
  }

  async function send(n: Notification): Promise<DeliveryReceipt> {
    if (n.kind !== 'sheets.append') throw new Error(`the Sheets notifier cannot send ${n.kind}`);
    return append(n);
  }

  async function probe(tabs: string[]): Promise<ProbeLine[]> {
    const lines: ProbeLine[] = [];
    try {
      await jwt.authorize();
      lines.push({ ok: true, what: 'Google token', detail: `access token obtained for ${key.clientEmail}` });
    } catch (err) {
      const e = fail(err, 'sign-in');
      lines.push({ ok: false, what: 'Google token', detail: e.message, fix: e.fix ?? FIX_KEY_FILE });
      return lines;
    }
    let found: { title: string; tabs: Set<string> };
    try {
      found = await tabTitles('read of the spreadsheet');
      lines.push({ ok: true, what: 'Google spreadsheet', detail: `"${found.title}" (${spreadsheetId}) reachable` });
    } catch (err) {
      const e = err instanceof DeliveryError ? err : fail(err, 'read of the spreadsheet');
      lines.push({ ok: false, what: 'Google spreadsheet', detail: e.message, fix: e.fix ?? `${FIX_SHEET_KEY}; ${fixShare(key.clientEmail)}` });
      return lines;
    }
    for (const tab of tabs) {
      lines.push(
        found.tabs.has(tab)
          ? { ok: true, what: `Sheets tab ${quoteTab(tab)}`, detail: 'exists' }
          : { ok: true, what: `Sheets tab ${quoteTab(tab)}`, detail: 'missing; it will be created with a header row on the first append' },
      );
    }
    return lines;
  }

  return { destination: 'sheets', send, probe };
}
