import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SHARED, workspace } from '../helpers/cli.js';
import type { Workspace } from '../helpers/cli.js';
import { startFakeSlack } from '../helpers/fake-slack.js';
import type { FakeSlack } from '../helpers/fake-slack.js';
import { startFakeGoogle } from '../helpers/fake-google.js';
import type { FakeGoogle } from '../helpers/fake-google.js';

describe('anomaly doctor', () => {
  let slack: FakeSlack;
  let google: FakeGoogle;
  let ws: Workspace;

  beforeAll(async () => {
    slack = await startFakeSlack({ strictChannels: true });
    slack.channels.set('C0ALERTS', { name: 'alerts', isMember: true });
    slack.channels.set('C0OTHER', { name: 'other', isMember: false });
    google = await startFakeGoogle({ tabs: { 'Check results': [['delivery_id', 'timestamp']] } });
    ws = workspace();
    Object.assign(ws.env, {
      SLACK_ALERT_BOT_TOKEN: slack.token,
      SLACK_ALERT_CHANNEL_ID: 'C0ALERTS',
      SLACK_API_URL: slack.url,
      PATH_TO_GOOGLE_JSON_CREDENTIALS: google.writeServiceAccountKey(ws.dir),
      GOOGLE_SHEET_KEY: google.spreadsheetId,
      GOOGLE_API_ROOT_URL: google.rootUrl,
      GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
    });
    ws.put(join(SHARED, 'pbilinskyi/orders.csv'), 'orders.csv');
    ws.put(join(SHARED, 'pbilinskyi/transactions.csv'), 'transactions.csv');
    expect((await ws.cli('init-db')).code).toBe(0);
  });

  afterAll(async () => {
    await slack?.close();
    await google?.close();
  });

  it('prints ✓ for everything that works', async () => {
    const r = await ws.cli('doctor');
    expect(r.stdout).toMatch(/✓ database: .*orders 4, .*transactions 7/);
    expect(r.stdout).toMatch(/✓ checks file: .*7 checks, all SQL prepares/);
    expect(r.stdout).toMatch(/✓ .*Slack.*/i);
    expect(r.stdout).toMatch(/✓ .*(spreadsheet|Sheets).*/i);
    expect(r.stdout).toMatch(/All good\./);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).not.toContain(slack.token);
  });

  it('names the fix when the bot is not in the channel or the token is wrong', async () => {
    ws.env.SLACK_ALERT_CHANNEL_ID = 'C0OTHER';
    const notIn = await ws.cli('doctor');
    expect(notIn.code).toBe(78);
    expect(notIn.stdout).toMatch(/✗ .*\n\s+fix: .*invite/i);
    ws.env.SLACK_ALERT_CHANNEL_ID = 'C0ALERTS';
    ws.env.SLACK_ALERT_BOT_TOKEN = 'xoxb-0000-wrong-token';
    const bad = await ws.cli('doctor');
    expect(bad.code).toBe(78);
    expect(bad.stdout).toMatch(/✗ .*invalid_auth[\s\S]*fix: .*SLACK_ALERT_BOT_TOKEN/);
    expect(bad.stdout).not.toContain('xoxb-0000-wrong-token');
    ws.env.SLACK_ALERT_BOT_TOKEN = slack.token;
  });

  it('reports a missing database (a problem) and unconfigured destinations (warnings)', async () => {
    const empty = workspace();
    const r = await empty.cli('doctor');
    expect(r.code).toBe(78);
    expect(r.stdout).toMatch(/✗ database: .* not found\n\s+fix: run `anomaly init-db`/);
    expect(r.stdout).toMatch(/^! notifications: Slack not configured/m);
    expect(r.stdout).toMatch(/\n1 problem found \(2 warnings\)\.\n$/);
  });
});
