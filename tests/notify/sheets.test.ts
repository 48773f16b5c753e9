/**
 * The Sheets notifier through the real google-auth-library JWT flow and @googleapis/sheets client
 * against the fake Google server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { deliverWithRetry } from '../../src/notify/retry.js';
import { createSheetsNotifier, type SheetsNotifier } from '../../src/notify/sheets/notifier.js';
import { DeliveryError, type Notification, type RetryPolicy } from '../../src/notify/types.js';
import { startFakeGoogle, type FakeGoogle } from '../helpers/fake-google.js';
import { captureLogger, fakeSleep } from './support/alerts.js';

const TAB = "Anomaly: unfinished orders (Bob's)";
const policy: RetryPolicy = { attempts: 3, backoffMs: 5, maxBackoffMs: 20, timeoutMs: 800, maxRetryAfterMs: 60_000 };

let fake: FakeGoogle;
let dir: string;
let keyPath: string;
let captured: ReturnType<typeof captureLogger>;
let thrown: string[];

beforeEach(async () => {
  fake = await startFakeGoogle({ tabs: { existing: [['delivery_id', 'check'], ['old', 'x']] } });
  dir = mkdtempSync(join(tmpdir(), 'sheets-test-'));
  keyPath = fake.writeServiceAccountKey(dir);
  captured = captureLogger();
  thrown = [];
});

afterEach(async () => {
  // Neither the private key nor an access token may leak into logs or error messages.
  const seen = captured.output() + '\n' + thrown.join('\n');
  expect(seen).not.toContain('PRIVATE KEY');
  expect(seen).not.toContain(fake.privateKeyPem.split('\n')[1]!);
  for (const token of fake.issuedTokens) expect(seen).not.toContain(token);
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function notifier(overrides: { spreadsheetId?: string; timeoutMs?: number } = {}): Promise<SheetsNotifier> {
  return createSheetsNotifier({
    credentialsPath: keyPath,
    spreadsheetId: overrides.spreadsheetId ?? fake.spreadsheetId,
    rootUrl: fake.rootUrl,
    tokenUrl: fake.tokenUrl,
    timeoutMs: overrides.timeoutMs ?? 800,
    log: captured.log,
  });
}

const append = (deliveryId: string, tab = TAB): Notification => ({
  kind: 'sheets.append',
  tab,
  header: ['check', 'observed', 'expected', 'note'],
  rows: [
    ['unfinished_orders', 42, 3.5, null],
    ['unfinished_orders', 7, 3.5, 'second'],
  ],
  deliveryId,
});

async function deliveryError(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  thrown.push((err as Error).message, String((err as DeliveryError).fix));
  return err as DeliveryError;
}

describe('sheets.append', () => {
  it('signs in as the service account, creates the missing tab with a header and appends', async () => {
    const sheets = await notifier();

    const receipt = await sheets.send(append('run-1:sheet'));

    expect(fake.requestsTo('token')).toHaveLength(1);
    expect(fake.requestsTo('batchUpdate')).toHaveLength(1);
    expect(fake.tabs.get(TAB)).toEqual([
      ['delivery_id', 'check', 'observed', 'expected', 'note'],
      ['run-1:sheet', 'unfinished_orders', 42, 3.5, ''],
      ['run-1:sheet', 'unfinished_orders', 7, 3.5, 'second'],
    ]);
    expect(receipt).toEqual({ sheets: { tab: TAB, updatedRange: "'Anomaly: unfinished orders (Bob''s)'!A1:E3" } });
    const appendReq = fake.requestsTo('values.append')[0]!;
    expect(decodeURIComponent(appendReq.url)).toContain("/values/'Anomaly: unfinished orders (Bob''s)'!A1:append");
    expect(appendReq.url).toContain('valueInputOption=RAW');
    expect(appendReq.url).toContain('insertDataOption=INSERT_ROWS');
  });

  it('appends below existing rows without a second header, reusing the token', async () => {
    const sheets = await notifier();
    await sheets.send(append('run-1:sheet', 'existing'));
    await sheets.send(append('run-2:sheet', 'existing'));

    const rows = fake.tabs.get('existing')!;
    expect(rows.map((r) => r[0])).toEqual(['delivery_id', 'old', 'run-1:sheet', 'run-1:sheet', 'run-2:sheet', 'run-2:sheet']);
    expect(fake.requestsTo('batchUpdate')).toHaveLength(0);
    expect(fake.requestsTo('token')).toHaveLength(1);
  });

  it('does not duplicate rows when a retried append had in fact succeeded', async () => {
    const sheets = await notifier();
    fake.fail('values.append', { status: 500, afterApply: true });

    const receipt = await deliverWithRetry(sheets, append('run-3:sheet'), policy, { sleep: fakeSleep().sleep });

    expect(receipt.sheets?.skippedAsDuplicate).toBe(true);
    expect(fake.requestsTo('values.append')).toHaveLength(1);
    expect(fake.tabs.get(TAB)!.filter((r) => r[0] === 'run-3:sheet')).toHaveLength(2);
  });

  it('retries a 500 and a timeout, then appends once', async () => {
    const sheets = await notifier();
    fake.fail('values.append', { status: 500 });
    fake.fail('values.get', { hangMs: 5000 });
    const { sleep, waits } = fakeSleep();

    await deliverWithRetry(sheets, append('run-4:sheet', 'existing'), policy, { sleep });

    expect(waits).toHaveLength(2);
    expect(fake.tabs.get('existing')!.filter((r) => r[0] === 'run-4:sheet')).toHaveLength(2);
  });

  it('leaves retries of reads to the retry stage too (the client makes one request)', async () => {
    const sheets = await notifier();
    fake.fail('values.get', { status: 503 });

    const err = await deliveryError(sheets.send(append('run-11:sheet', 'existing')));

    expect(err.retryable).toBe(true);
    expect(err.message).toContain('HTTP 503');
    expect(fake.requestsTo('values.get')).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    const sheets = await notifier();
    fake.fail('values.append', { status: 429, retryAfter: 7 });
    const { sleep, waits } = fakeSleep();

    await deliverWithRetry(sheets, append('run-5:sheet', 'existing'), policy, { sleep });

    expect(waits).toEqual([7000]);
  });

  it('explains a 403: share the spreadsheet with the service account, no retry', async () => {
    const sheets = await notifier();
    fake.fail('values.append', { status: 403 });

    const err = await deliveryError(deliverWithRetry(sheets, append('run-6:sheet', 'existing'), policy, { sleep: fakeSleep().sleep }));

    expect(err.retryable).toBe(false);
    expect(err.fix).toBe(`share the spreadsheet with the service account's client_email (${fake.clientEmail}) as Editor`);
    expect(fake.requestsTo('values.append')).toHaveLength(1);
  });

  it('points at GOOGLE_SHEET_KEY when the spreadsheet does not exist', async () => {
    const sheets = await notifier({ spreadsheetId: 'no-such-sheet' });
    const err = await deliveryError(sheets.send(append('run-7:sheet')));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('HTTP 404');
    expect(err.fix).toMatch(/^check GOOGLE_SHEET_KEY/);
  });

  it('turns connection refused into a retryable error', async () => {
    const sheets = await notifier();
    await fake.stop();
    const err = await deliveryError(deliverWithRetry(sheets, append('run-8:sheet'), policy, { sleep: fakeSleep().sleep }));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('rejects a key the token endpoint cannot verify, without retrying', async () => {
    // A different fake server has a different key pair: its signature will not verify here.
    const other = await startFakeGoogle({ freshKey: true });
    keyPath = other.writeServiceAccountKey(mkdtempSync(join(dir, 'other-')));
    await other.close();
    const sheets = await notifier();

    const err = await deliveryError(deliverWithRetry(sheets, append('run-9:sheet'), policy, { sleep: fakeSleep().sleep }));

    expect(err.retryable).toBe(false);
    expect(err.message).toContain('invalid_grant');
    expect(err.fix).toMatch(/PATH_TO_GOOGLE_JSON_CREDENTIALS/);
    expect(fake.requestsTo('token')).toHaveLength(1);
    expect(err.message + captured.output()).not.toContain(other.privateKeyPem.split('\n')[1]!);
  });
});

describe('sign-in', () => {
  it('leaves a failed token request to the retry stage (one request, retryable)', async () => {
    const sheets = await notifier();
    fake.fail('token', { status: 500 });

    const err = await deliveryError(sheets.send(append('run-10:sheet')));

    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^Google sign-in \(service account .*\) failed: HTTP 500/);
    expect(fake.requestsTo('token')).toHaveLength(1);
    // The next attempt signs in and delivers.
    await sheets.send(append('run-10:sheet'));
    expect(fake.tabs.get(TAB)).toHaveLength(3);
  });
});

describe('probe', () => {
  it('reports the token, the spreadsheet and each tab without creating any', async () => {
    const sheets = await notifier();
    const lines = await sheets.probe(['existing', 'new tab']);
    expect(lines).toEqual([
      { ok: true, what: 'Google token', detail: `access token obtained for ${fake.clientEmail}` },
      { ok: true, what: 'Google spreadsheet', detail: `"Anomaly monitoring" (${fake.spreadsheetId}) reachable` },
      { ok: true, what: "Sheets tab 'existing'", detail: 'exists' },
      { ok: true, what: "Sheets tab 'new tab'", detail: 'missing; it will be created with a header row on the first append' },
    ]);
    expect(fake.requestsTo('batchUpdate')).toHaveLength(0);
  });

  it('says how to share the spreadsheet when access is denied', async () => {
    const sheets = await notifier();
    fake.fail('spreadsheets.get', { status: 403 });
    const lines = await sheets.probe(['x']);
    expect(lines[1]).toMatchObject({ ok: false, what: 'Google spreadsheet', fix: expect.stringContaining(fake.clientEmail) });
    thrown.push(lines.map((l) => l.detail).join('\n'));
  });
});

describe('key file', () => {
  const create = (path: string) =>
    createSheetsNotifier({ credentialsPath: path, spreadsheetId: 'x', timeoutMs: 100 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

  it('names a missing file', async () => {
    const err = await create(join(dir, 'nope.json'));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain(join(dir, 'nope.json'));
    expect(err!.message).toContain('does not exist');
  });

  it('rejects broken JSON without quoting it', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, `{"private_key": "${fake.privateKeyPem.replace(/\n/g, '\\n')}",`);
    const err = await create(path);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain('is not valid JSON');
    thrown.push(err!.message);
  });

  it('rejects JSON that is not a service-account key', async () => {
    const path = join(dir, 'oauth-client.json');
    writeFileSync(path, JSON.stringify({ type: 'authorized_user', client_id: 'x' }));
    const err = await create(path);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain('has no private_key (its type is "authorized_user"');
  });
});
