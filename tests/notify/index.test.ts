/** Which destinations a run gets from its environment, and why the others are off. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { createNotifiers } from '../../src/notify/index.js';
import { startFakeGoogle, type FakeGoogle } from '../helpers/fake-google.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { captureLogger, firingAlert } from './support/alerts.js';

let slack: FakeSlack;
let google: FakeGoogle;
let dir: string;

beforeAll(async () => {
  slack = await startFakeSlack();
  google = await startFakeGoogle();
  dir = mkdtempSync(join(tmpdir(), 'notifiers-'));
});

afterAll(async () => {
  await slack.close();
  await google.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createNotifiers', () => {
  it('builds nothing and says why when no credentials are set', async () => {
    const n = await createNotifiers(parseEnv({}), captureLogger().log);
    expect(n.slack).toBeUndefined();
    expect(n.sheets).toBeUndefined();
    expect(n.missing).toEqual([
      'Slack not configured (SLACK_ALERT_BOT_TOKEN unset): nobody notified',
      'Google Sheets not configured (PATH_TO_GOOGLE_JSON_CREDENTIALS and GOOGLE_SHEET_KEY unset): nothing written to Sheets',
    ]);
  });

  it('names the one Sheets variable that is missing', async () => {
    const n = await createNotifiers(parseEnv({ GOOGLE_SHEET_KEY: 'abc' }), captureLogger().log);
    expect(n.missing[1]).toBe('Google Sheets not configured (PATH_TO_GOOGLE_JSON_CREDENTIALS unset): nothing written to Sheets');
  });

  it('builds both from the environment and they deliver to the configured servers', async () => {
    const env = parseEnv({
      SLACK_ALERT_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
      PATH_TO_GOOGLE_JSON_CREDENTIALS: google.writeServiceAccountKey(dir),
      GOOGLE_SHEET_KEY: google.spreadsheetId,
      GOOGLE_API_ROOT_URL: google.rootUrl,
      GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
      ANOMALY_NOTIFY_TIMEOUT_MS: '500',
      ANOMALY_TZ: 'Europe/Berlin',
    });
    const n = await createNotifiers(env, captureLogger().log);
    expect(n.missing).toEqual([]);

    await n.slack!.send({ kind: 'slack.digest', channel: 'C1', runId: 'r', at: '2023-05-15T14:40:00Z', alerts: [firingAlert('a')] });
    await n.sheets!.send({ kind: 'sheets.append', tab: 'alerts', header: ['check'], rows: [['a']], deliveryId: 'r:1' });

    // Times in the digest follow ANOMALY_TZ.
    expect(JSON.stringify(slack.messages[0]!.blocks)).toContain('2023-05-15 16:33–16:38 Europe/Berlin');
    expect(google.tabs.get('alerts')).toEqual([['delivery_id', 'check'], ['r:1', 'a']]);
  });

  it('keeps Slack working when the Google key file is broken', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{not json');
    const { log, output } = captureLogger();
    const n = await createNotifiers(
      parseEnv({ SLACK_ALERT_BOT_TOKEN: slack.token, PATH_TO_GOOGLE_JSON_CREDENTIALS: bad, GOOGLE_SHEET_KEY: 'k' }),
      log,
    );
    expect(n.slack).toBeDefined();
    expect(n.sheets).toBeUndefined();
    expect(n.missing).toEqual([expect.stringMatching(/^Google Sheets off: .*bad\.json is not valid JSON/)]);
    expect(n.sheetsError?.exitCode).toBe(78); // the run fails with it once Slack has been served
    expect(output()).toContain('Google Sheets key file is broken');
  });
});
