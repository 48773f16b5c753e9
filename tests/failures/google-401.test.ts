import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSheetsNotifier } from '../../src/notify/sheets/notifier.js';
import { DeliveryError } from '../../src/notify/types.js';
import { startFakeGoogle } from '../helpers/fake-google.js';
import type { FakeGoogle } from '../helpers/fake-google.js';

/** Google 401s say what Google said and how to fix it (never "[object Object]"), through the real client. */
describe('Google 401', () => {
  let google: FakeGoogle;
  let dir: string;
  beforeAll(async () => {
    google = await startFakeGoogle();
    dir = mkdtempSync(join(tmpdir(), 'anomaly-g401-'));
  });
  afterAll(async () => {
    await google?.close();
  });

  async function sendWith(keyPath: string): Promise<DeliveryError> {
    const n = await createSheetsNotifier({ credentialsPath: keyPath, spreadsheetId: google.spreadsheetId, rootUrl: google.rootUrl, tokenUrl: google.tokenUrl, timeoutMs: 5000 });
    try {
      await n.send({ kind: 'sheets.append', tab: 'alerts', header: ['check'], deliveryId: `d-${Math.random()}`, rows: [['a']] });
    } catch (error) {
      expect(error).toBeInstanceOf(DeliveryError);
      return error as DeliveryError;
    }
    throw new Error('the append unexpectedly succeeded');
  }

  it('sign-in refused (the key names an unknown service account): the token endpoint’s words and the key-file fix', async () => {
    const key = JSON.parse(readFileSync(google.writeServiceAccountKey(dir), 'utf8')) as Record<string, string>;
    const wrong = join(dir, 'wrong-account.json');
    writeFileSync(wrong, JSON.stringify({ ...key, client_email: 'deleted@fake-project.iam.gserviceaccount.com' }));
    const e = await sendWith(wrong);
    expect(e.message).toBe(
      'Google sign-in (service account deleted@fake-project.iam.gserviceaccount.com) failed: HTTP 401: invalid_client: The OAuth client was not found.',
    );
    expect(e.message).not.toContain('[object Object]');
    expect(e.fix).toMatch(/PATH_TO_GOOGLE_JSON_CREDENTIALS: the service-account key may have been deleted or disabled/);
    expect(e.retryable).toBe(false);
  });

  it('the Sheets API refusing the token (401): its message, and the key-file fix (not "share the sheet")', async () => {
    google.fail('values.append', { status: 401 }, 1);
    const e = await sendWith(google.writeServiceAccountKey(dir));
    expect(e.message).toMatch(/^Google Sheets append to tab 'alerts' failed: HTTP 401: .+ \(UNAUTHENTICATED\)$/);
    expect(e.fix).toMatch(/PATH_TO_GOOGLE_JSON_CREDENTIALS/);
  });
});
