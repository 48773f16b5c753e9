import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REPO, SHARED, workspace } from '../helpers/cli.js';
import type { CliRun, Workspace } from '../helpers/cli.js';
import { blocksText, startFakeSlack } from '../helpers/fake-slack.js';
import type { FakeSlack } from '../helpers/fake-slack.js';
import { startFakeGoogle } from '../helpers/fake-google.js';
import type { FakeGoogle } from '../helpers/fake-google.js';

/**
 * `anomaly run` over a sequence of evaluation times on the real cloudwalk day, through the real
 * Slack and Google clients pointed at fake servers, with faults switched on and off between runs.
 */
const D = '2023-01-10';
const CHANNEL = 'C0ALERTS';

function config(dir: string): string {
  // sql_file must sit in the checks file's folder tree: copy the repository's SQL next to it.
  const sql = (name: string) => (copyFileSync(join(REPO, 'checks', name), join(dir, name)), name);
  const path = join(dir, 'delivery.yaml');
  writeFileSync(
    path,
    `checks:
  - name: status_rates
    type: status_rate
    description: reversed / backend_reversed above normal
    severity: critical
    sql_file: ${sql('transaction_status_minutes.sql')}
    resolve_after: 2
    params:
      statuses:
        reversed: { z: 5, min_count: 15, min_ratio: 3, min_share: 0.02 }
        backend_reversed: { z: 5, min_count: 10, min_ratio: 3, min_share: 0.01 }
      volume: null
      missing: null
  - name: checkout
    type: baseline
    description: POS sales per hour
    sql_file: ${sql('checkout_hourly.sql')}
  - name: unfinished_orders
    type: query_empty
    description: orders not settled within 7 days
    sql_file: ${sql('unfinished_orders.sql')}
    sheet: "Anomaly: unfinished orders"
    params: { key: "merchant {merchant_id}", lookback: 60d }
    source: false # its orders are weeks older than the day on purpose: not a stale feed here
`,
  );
  return path;
}

describe('delivery never loses or repeats an alert', () => {
  let slack: FakeSlack;
  let google: FakeGoogle;
  let ws: Workspace;
  let cfg: string;
  const outputs: CliRun[] = [];
  let keyPath: string;

  const run = async (time: string) => {
    const r = await ws.cli('run', '--at', `${D}T${time}:00Z`, '--config', cfg);
    outputs.push(r);
    return r;
  };

  beforeAll(async () => {
    slack = await startFakeSlack();
    google = await startFakeGoogle();
    ws = workspace();
    keyPath = google.writeServiceAccountKey(ws.dir);
    Object.assign(ws.env, {
      SLACK_ALERT_BOT_TOKEN: slack.token,
      SLACK_ALERT_CHANNEL_ID: CHANNEL,
      SLACK_API_URL: slack.url,
      PATH_TO_GOOGLE_JSON_CREDENTIALS: keyPath,
      GOOGLE_SHEET_KEY: google.spreadsheetId,
      GOOGLE_API_ROOT_URL: google.rootUrl,
      GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
      ANOMALY_NOTIFY_ATTEMPTS: '2',
      ANOMALY_NOTIFY_BACKOFF_MS: '10',
      // No scenario here waits on a timeout: a generous one keeps a busy machine from causing retries.
      ANOMALY_NOTIFY_TIMEOUT_MS: '5000',
      ANOMALY_LOG_LEVEL: 'debug',
    });
    ws.put(join(SHARED, 'cloudwalk/checkout_1.csv'), 'checkout/checkout_1.csv');
    ws.put(join(SHARED, 'cloudwalk/transactions_1.csv'), 'transaction_status/transactions_1.csv');
    // Two orders of late December never settled (merchants 1 and 3); one settled in time.
    ws.write('orders.csv', 'id,created_date,merchant_id\n1,12/20/22 9:00,1\n2,12/21/22 10:00,2\n3,12/22/22 11:00,3\n');
    ws.write(
      'transactions.csv',
      'id,created_date,transaction_type,order_id,transaction_status\n1,12/20/22 9:00,auth,1,success\n2,12/21/22 10:00,auth,2,success\n3,12/22/22 10:00,settle,2,success\n4,12/22/22 11:00,auth,3,success\n5,12/23/22 11:00,settle,3,fail\n',
    );
    expect((await ws.cli('init-db', '--date', D)).code).toBe(0);
    cfg = config(ws.dir);
  }, 60_000);

  afterAll(async () => {
    await slack?.close();
    await google?.close();
  });

  it('runs a day of faults and recoveries', async () => {
    // 10:00 all up: checkout (08h–09h) and the unfinished orders fire; one digest, charts in its thread.
    const morning = await run('10:00');
    expect(morning.code).toBe(0);
    // Queued in the outbox, then delivered: the summary line says both, and nothing is left queued.
    expect(morning.stdout).toMatch(/ alerts queued for notification; \d+ messages delivered\n/);
    expect(morning.stdout).not.toMatch(/still queued/);
    expect(slack.messages.filter((m) => !m.thread_ts)).toHaveLength(1);
    const first = slack.messages[0]!;
    expect(blocksText(first.blocks)).toMatch(/checkout/);
    expect(blocksText(first.blocks)).toMatch(/unfinished_orders/);
    expect(slack.uploads.filter((u) => u.completed && u.thread_ts === first.ts).length).toBeGreaterThanOrEqual(2);
    expect(google.tabs.get('Check results')!.length).toBe(1 + 3); // header + one row per check
    expect(google.tabs.get('Anomaly: unfinished orders')!.slice(1).map((r) => r[3])).toEqual(['merchant 1', 'merchant 3']);
    expect(google.tabs.get('Anomaly: unfinished orders')![0]!.slice(0, 5)).toEqual(['delivery_id', 'timestamp', 'check', 'key', 'merchant_id']);

    // 14:40 Slack is down (connection refused): the reversed surge digest waits in the outbox; Sheets still gets its rows.
    await slack.stop();
    const down = await run('14:40');
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/✗ slack: /);
    expect(down.stdout).toMatch(/, \d+ still queued \(`anomaly outbox`; the next run sends (it|them) first\)/);
    expect(google.tabs.get('Check results')!.length).toBe(1 + 6);
    const outbox = await ws.cli('outbox', '--json');
    expect(JSON.parse(outbox.stdout).items ?? JSON.parse(outbox.stdout)).not.toHaveLength(0);

    // 14:45 Slack is back but answers 500 twice (both attempts): still queued, nothing duplicated.
    await slack.restart();
    slack.fail('chat.postMessage', { status: 500 }, 2);
    expect((await run('14:45')).code).toBe(3);
    expect(slack.messages.filter((m) => !m.thread_ts)).toHaveLength(1);

    // 14:50 a 429 with Retry-After 1 is honoured; the queued digest goes out first, once.
    slack.fail('chat.postMessage', { status: 429, retryAfter: 1 }, 1);
    // Google loses the response of an append that did happen: the retry must not duplicate it.
    google.fail('values.append', { status: 500, afterApply: true }, 1);
    const recovered = await run('14:50');
    expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);
    const digests = slack.messages.filter((m) => !m.thread_ts);
    expect(digests).toHaveLength(2);
    expect(blocksText(digests[1]!.blocks)).toMatch(/reversed/);
    const ids = google.tabs.get('Check results')!.slice(1).map((r) => r[0]);
    expect(new Set(ids).size).toBe(4); // four runs with Sheets up, one delivery each, no duplicate rows
    expect(google.tabs.get('Check results')!.length).toBe(1 + 4 * 3);

    // 15:00–17:00 still firing: no new digest (repeat_interval 4h).
    for (const t of ['15:00', '16:00', '17:00']) expect((await run(t)).code).toBe(0);
    expect(slack.messages.filter((m) => !m.thread_ts)).toHaveLength(2);

    // Night: the surge is over; after resolve_after (2) clean runs the surge digest is edited.
    for (const t of ['21:00', '21:05']) expect((await run(t)).code).toBe(0);
    const edits = slack.updates.filter((u) => u.ts === digests[1]!.ts);
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(blocksText(edits[edits.length - 1]!.blocks)).toMatch(/resolved/i);
    const replies = slack.messages.filter((m) => m.thread_ts === digests[1]!.ts && m.text && /resolved/i.test(m.text));
    expect(replies.length).toBeGreaterThanOrEqual(1);
    // Every edit hits a message that exists.
    const posted = new Set(slack.messages.map((m) => m.ts));
    for (const u of slack.updates) expect(posted.has(u.ts)).toBe(true);

    // Nothing left to deliver, every outbox item sent exactly once.
    const state = new Database(ws.env.ANOMALY_STATE_DB!, { readonly: true });
    const pending = state.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'`).get() as { n: number };
    expect(pending.n).toBe(0);
    const sentDigests = state.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE kind = 'slack.digest'`).get() as { n: number };
    expect(sentDigests.n).toBe(slack.messages.filter((m) => !m.thread_ts).length);
    state.close();
  }, 120_000);

  it('never prints or logs the token or the private key', () => {
    const key = JSON.parse(readFileSync(keyPath, 'utf8')).private_key as string;
    const keyBody = key.split('\n')[1]!;
    const log = readFileSync(join(ws.env.ANOMALY_LOG_DIR!, 'anomaly.log'), 'utf8');
    expect(log.length).toBeGreaterThan(1000);
    for (const text of [log, ...outputs.flatMap((o) => [o.stdout, o.stderr])]) {
      expect(text).not.toContain(slack.token);
      expect(text).not.toContain(keyBody);
      for (const t of google.issuedTokens) expect(text).not.toContain(t);
    }
  });
});
