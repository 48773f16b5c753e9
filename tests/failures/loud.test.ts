import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { workspace } from '../helpers/cli.js';
import type { Workspace } from '../helpers/cli.js';
import { blocksText, startFakeSlack } from '../helpers/fake-slack.js';
import type { FakeSlack } from '../helpers/fake-slack.js';
import { startFakeGoogle } from '../helpers/fake-google.js';
import type { FakeGoogle } from '../helpers/fake-google.js';

/**
 * "Failures are loud", through the real Slack and Google clients pointed at fake servers: a check
 * that errors is announced (once, again after repeat_interval, resolved when it runs again), a
 * notification stuck in the outbox fails the run, a broken Google key is a configuration error.
 */
const CHANNEL = 'C0ALERTS';
const D = '2023-01-10';

const BROKEN_SQL = 'SELECT 1 AS other';
const FIXED_SQL = `SELECT 'all' AS "group", COUNT(*) AS value FROM orders`;

function writeConfig(ws: Workspace, sql: string): string {
  const path = join(ws.dir, 'checks.yaml');
  writeFileSync(
    path,
    // Retention counts from the wall clock; these runs are years before it.
    `defaults:
  retention: 5000d
checks:
  - name: orders_count
    type: threshold
    description: at least one order
    repeat_interval: 1h
    sql: ${JSON.stringify(sql)}
    params: { min: 1 }
    # Orders end weeks before the runs: no stale-data alert here, only the check error's lifecycle.
    source: false
`,
  );
  return path;
}

async function dataWorkspace(extra: NodeJS.ProcessEnv = {}): Promise<Workspace> {
  const ws = workspace(extra);
  ws.write('orders.csv', 'id,created_date,merchant_id\n1,12/20/22 9:00,1\n2,12/21/22 10:00,2\n');
  ws.write('transactions.csv', 'id,created_date,transaction_type,order_id,transaction_status\n1,12/20/22 9:00,auth,1,success\n');
  const r = await ws.cli('init-db', '--date', D);
  expect(r.code, r.stderr).toBe(0);
  return ws;
}

describe('failures are loud', () => {
  let slack: FakeSlack;
  let google: FakeGoogle;

  beforeAll(async () => {
    slack = await startFakeSlack();
    google = await startFakeGoogle();
  });
  afterAll(async () => {
    await slack?.close();
    await google?.close();
  });

  function notifyEnv(ws: Workspace): void {
    Object.assign(ws.env, {
      SLACK_ALERT_BOT_TOKEN: slack.token,
      SLACK_ALERT_CHANNEL_ID: CHANNEL,
      SLACK_API_URL: slack.url,
      PATH_TO_GOOGLE_JSON_CREDENTIALS: google.writeServiceAccountKey(ws.dir),
      GOOGLE_SHEET_KEY: google.spreadsheetId,
      GOOGLE_API_ROOT_URL: google.rootUrl,
      GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
      ANOMALY_NOTIFY_ATTEMPTS: '1',
      ANOMALY_NOTIFY_BACKOFF_MS: '10',
      // Generous: the machine may be loaded; no test here waits for a timeout.
      ANOMALY_NOTIFY_TIMEOUT_MS: '10000',
    });
  }

  it('a check that errors is posted to Slack and Sheets once, again after repeat_interval, and resolved when it runs again', async () => {
    const ws = await dataWorkspace();
    notifyEnv(ws);
    const cfg = writeConfig(ws, BROKEN_SQL);
    const run = (time: string) => ws.cli('run', '--config', cfg, '--at', `${D}T${time}:00Z`);
    const digests = () => slack.messages.filter((m) => !m.thread_ts && m.channel === CHANNEL);
    const before = digests().length;

    const first = await run('10:00');
    expect(first.code, first.stderr).toBe(2);
    expect(digests()).toHaveLength(before + 1);
    const text = blocksText(digests().at(-1)!.blocks);
    expect(text).toContain('orders_count');
    expect(text).toContain('check errored');
    expect(text).toContain('returns no column');
    expect(text).not.toContain('Observed'); // no numbers to show: it says when instead
    const errorsTab = () => google.tabs.get('Check errors') ?? [];
    expect(errorsTab()).toHaveLength(2); // header + one row
    expect(errorsTab()[1]!.slice(2, 4)).toEqual(['orders_count', '__error__']);

    // Still failing five minutes later: nothing new is posted.
    expect((await run('10:05')).code).toBe(2);
    expect(digests()).toHaveLength(before + 1);
    expect(errorsTab()).toHaveLength(2);

    // After the check's repeat_interval (1h) it is posted again.
    expect((await run('11:05')).code).toBe(2);
    expect(digests()).toHaveLength(before + 2);
    expect(errorsTab()).toHaveLength(3);

    // Fixed: the run is clean and the notice is marked resolved in place, with a thread reply.
    writeConfig(ws, FIXED_SQL);
    const updatesBefore = slack.updates.length;
    const fixed = await run('11:10');
    expect(fixed.code, fixed.stderr + fixed.stdout).toBe(0);
    expect(slack.updates.length).toBe(updatesBefore + 1);
    expect(slack.updates.at(-1)!.ts).toBe(digests().at(-1)!.ts);
    expect(slack.messages.some((m) => m.thread_ts === digests().at(-1)!.ts && /orders_count runs cleanly again, after failing for/.test(m.text ?? ''))).toBe(true);
    const state = new Database(ws.env.ANOMALY_STATE_DB!, { readonly: true });
    expect(state.prepare(`SELECT state FROM alerts WHERE fingerprint = 'orders_count:__error__'`).get()).toEqual({ state: 'resolved' });
    state.close();
  });

  it('a notification stuck longer than ANOMALY_OUTBOX_MAX_AGE exits 3 naming it; given up after 7 days, loudly', async () => {
    let now = Date.parse(`${D}T10:00:00Z`);
    const ws = await dataWorkspace({ ANOMALY_OUTBOX_MAX_AGE: '30m' });
    notifyEnv(ws);
    ws.env.SLACK_API_URL = 'http://127.0.0.1:9/api/'; // nothing listens: every send fails
    delete ws.env.GOOGLE_SHEET_KEY;
    const cfg = writeConfig(ws, BROKEN_SQL);
    const { runCli } = await import('../helpers/cli.js');
    const run = () => runCli(['run', '--config', cfg, '--at', new Date(now).toISOString()], ws.env, ws.dir, () => now);

    const first = await run();
    expect(first.code).toBe(2); // the check errored; its notice is queued
    expect(first.stderr).not.toMatch(/undelivered for more than/);

    // Slack credentials removed (nothing is even attempted): only the age can make this run fail.
    delete ws.env.SLACK_ALERT_BOT_TOKEN;
    now += 45 * 60_000;
    const stuck = await run();
    expect(stuck.stderr).toMatch(/1 notification\(s\) undelivered for more than 30m \(ANOMALY_OUTBOX_MAX_AGE\): #1 slack\.digest \(queued 45m ago/);
    expect(stuck.stderr).toContain('anomaly outbox');
    const outbox = await runCli(['outbox'], ws.env, ws.dir, () => now);
    expect(outbox.stdout).toMatch(/^1\s+45m\s+slack\s+slack\.digest/m);
    expect(outbox.stdout).toContain('1 notification(s) waiting longer than 30m (ANOMALY_OUTBOX_MAX_AGE)');

    // With the check fixed, the stuck notice alone makes the run fail (3), not succeed quietly.
    writeConfig(ws, FIXED_SQL);
    now += 60_000;
    const quiet = await run();
    expect(quiet.stdout).not.toMatch(/✗/); // no delivery failed in this run
    expect(quiet.code).toBe(3);
    expect(quiet.stderr).toMatch(/undelivered for more than 30m/);

    now += 8 * 24 * 3_600_000;
    const expired = await run();
    expect(expired.code).toBe(3);
    expect(expired.stderr).toMatch(/notification given up undelivered after 7 days: #1 slack\.digest/);
    const log = readFileSync(join(ws.env.ANOMALY_LOG_DIR!, 'anomaly.log'), 'utf8');
    expect(log).toMatch(/"msg":"notification given up"/);
  });

  it('a broken Google key file while GOOGLE_SHEET_KEY is set is exit 78 naming the file; Slack still gets the alert', async () => {
    const ws = await dataWorkspace();
    notifyEnv(ws);
    const cfg = writeConfig(ws, BROKEN_SQL);
    const key = ws.env.PATH_TO_GOOGLE_JSON_CREDENTIALS!;
    const cases: [string, RegExp][] = [
      ['{ not json', /is not valid JSON/],
      [JSON.stringify({ type: 'service_account', private_key: google.privateKeyPem }), /has no client_email/],
      [JSON.stringify({ type: 'service_account', client_email: google.clientEmail }), /has no private_key/],
    ];
    const before = slack.messages.length;
    for (const [i, [content, problem]] of cases.entries()) {
      writeFileSync(key, content);
      const r = await ws.cli('run', '--config', cfg, '--at', `${D}T1${i}:00:00Z`);
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(problem);
      expect(r.stderr).toContain(key);
      expect(r.stderr).toContain('PATH_TO_GOOGLE_JSON_CREDENTIALS');
      expect(r.stderr + r.stdout).not.toContain('PRIVATE KEY');
    }
    expect(slack.messages.length).toBeGreaterThan(before); // the check-error notice went out anyway
    const doctor = await ws.cli('doctor', '--config', cfg);
    expect(doctor.code).toBe(78);
    expect(doctor.stdout).toMatch(/✗ Google key file: Google key file .* has no private_key/);
    // The Sheets rows wait in the outbox and go out once the key is fixed: three runs' and this one's.
    const rowsBefore = google.tabs.get('Check results')?.length ?? 1;
    google.writeServiceAccountKey(ws.dir);
    const ok = await ws.cli('run', '--config', cfg, '--at', `${D}T13:00:00Z`);
    expect(ok.code, ok.stderr).toBe(2);
    expect((google.tabs.get('Check results')?.length ?? 1) - rowsBefore).toBe(4);
    expect(JSON.parse((await ws.cli('outbox', '--json')).stdout)).toEqual([]);
  });
});
