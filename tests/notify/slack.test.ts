/** The Slack notifier through the real @slack/web-api client against the fake Slack server. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverWithRetry } from '../../src/notify/retry.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/notify/slack/notifier.js';
import { DeliveryError, type Notification, type RetryPolicy } from '../../src/notify/types.js';
import { blocksText, startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { captureLogger, fakeSleep, firingAlert, orderRows, resolvedAlert } from './support/alerts.js';

const CHANNEL = 'C0ALERTS01';
const policy = (attempts: number): RetryPolicy => ({
  attempts,
  backoffMs: 5,
  maxBackoffMs: 20,
  timeoutMs: 800,
  maxRetryAfterMs: 60_000,
});

let fake: FakeSlack;
let slack: SlackNotifier;
let captured: ReturnType<typeof captureLogger>;

beforeEach(async () => {
  fake = await startFakeSlack();
  captured = captureLogger();
  // The API URL without its trailing slash: the notifier must add it.
  slack = createSlackNotifier({ token: fake.token, apiUrl: fake.url.replace(/\/$/, ''), timeoutMs: 800, log: captured.log });
});

afterEach(async () => {
  // Nothing the notifier logged may contain the token.
  expect(captured.output()).not.toContain(fake.token);
  await fake.close();
});

const digest = (alerts = [firingAlert('status_rates'), resolvedAlert('unfinished_orders')]): Notification => ({
  kind: 'slack.digest',
  channel: CHANNEL,
  runId: 'run-42',
  at: '2023-05-15T14:40:00Z',
  alerts,
});

async function expectDeliveryError(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('slack.digest', () => {
  it('posts one Block Kit message and returns its ts', async () => {
    const alert = firingAlert('status_rates', { anomaly: { ...firingAlert('x').anomaly, rows: orderRows(3) } });
    const receipt = await slack.send(digest([alert, resolvedAlert('unfinished_orders')]));

    expect(fake.messages).toHaveLength(1);
    const msg = fake.messages[0]!;
    expect(receipt).toEqual({ slack: { channel: CHANNEL, ts: msg.ts } });
    expect(msg.channel).toBe(CHANNEL);
    expect(msg.text).toContain('1 critical');
    expect(msg.blocks![0]).toMatchObject({ type: 'header', text: { text: '🔴 1 critical · ✅ 1 resolved' } });
    const text = blocksText(msg.blocks);
    expect(text).toContain('*status_rates*');
    expect(text).toContain('*Observed* 18.7 · *expected* 0.5');
    expect(text).toContain('2023-05-15 14:33–14:38 UTC');
    expect(text).toContain('~*unfinished_orders* — Description of unfinished_orders~');
    expect(text).toContain('resolved at 2023-05-15 15:00 UTC');
    expect(text).toContain('```\norder_id | status  | amount');
    expect(text).toContain('Run `run-42`');
    expect(fake.requestsTo('chat.postMessage')[0]!.headers.authorization).toBe(`Bearer ${fake.token}`);
    // The client's own debug lines (request headers included) reach our log, scrubbed.
    expect(captured.output()).toContain('http request headers');
    expect(captured.output()).toContain('slack digest posted');
  });

  it('keeps 60 alerts within 50 blocks and says how many were left out', async () => {
    const alerts = Array.from({ length: 60 }, (_, i) =>
      firingAlert(`check_${i}`, { anomaly: { ...firingAlert('x').anomaly, rows: orderRows(2) } }),
    );
    await slack.send(digest(alerts));

    const blocks = fake.messages[0]!.blocks!;
    expect(blocks.length).toBeLessThanOrEqual(50);
    // Header + context + "+N more" leave 47 blocks: 23 alerts of two blocks each.
    expect(blocksText(blocks)).toContain('+37 more alerts not shown');
    expect(blocksText(blocks)).toContain('*check_22*');
    expect(blocksText(blocks)).not.toContain('*check_23*');
  });

  it('fits a 10,000-row anomaly into sections of at most 3,000 characters', async () => {
    const huge = firingAlert('unfinished_orders', {
      anomaly: { ...firingAlert('x').anomaly, rows: orderRows(10_000), message: 'x'.repeat(5000) },
    });
    await slack.send(digest([huge]));

    const blocks = fake.messages[0]!.blocks!;
    for (const b of blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(3000);
    expect(blocksText(blocks)).toContain('+9985 more rows');
    expect(blocksText(blocks)).toMatch(/… \+\d+ more chars/);
  });
});

describe('slack.update', () => {
  it('edits the earlier digest and replies in its thread', async () => {
    const first = await slack.send(digest());
    await slack.send(digest([firingAlert('other_check')]));

    await slack.send({
      kind: 'slack.update',
      channel: CHANNEL,
      ts: first.slack!.ts,
      runId: 'run-43',
      at: '2023-05-15T15:10:00Z',
      alerts: [resolvedAlert('status_rates', '2023-05-15T15:05:00Z')],
      threadReply: 'status_rates resolved at 15:05',
    });

    expect(fake.updates).toEqual([expect.objectContaining({ channel: CHANNEL, ts: first.slack!.ts })]);
    const edited = fake.messages.find((m) => m.ts === first.slack!.ts)!;
    expect(blocksText(edited.blocks)).toContain('resolved at 2023-05-15 15:05 UTC');
    expect(blocksText(edited.blocks)).toContain('Run `run-43`');
    // The second digest is untouched.
    expect(blocksText(fake.messages[1]!.blocks)).toContain('*other_check*');
    const reply = fake.messages.find((m) => m.thread_ts === first.slack!.ts)!;
    expect(reply.text).toBe('status_rates resolved at 15:05');
  });

  it('posts no thread reply when there is nothing to say', async () => {
    const first = await slack.send(digest());
    await slack.send({ kind: 'slack.update', channel: CHANNEL, ts: first.slack!.ts, runId: 'r', at: '2023-05-15T15:10:00Z', alerts: [], threadReply: '' });
    expect(fake.updates).toHaveLength(1);
    expect(fake.messages).toHaveLength(1);
  });

  it('reports an unknown message ts as a non-retryable error', async () => {
    const err = await expectDeliveryError(
      slack.send({ kind: 'slack.update', channel: CHANNEL, ts: '1.000001', runId: 'r', at: '2023-05-15T15:10:00Z', alerts: [], threadReply: 'x' }),
    );
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('message_not_found');
  });
});

describe('slack.file', () => {
  it('uploads the PNG into the alert thread via the uploadV2 flow', async () => {
    const parent = await slack.send(digest());
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5]);

    await slack.send({
      kind: 'slack.file',
      channel: CHANNEL,
      threadTs: parent.slack!.ts,
      filename: 'status_rates.png',
      title: 'status_rates — last 24 h',
      pngBase64: png.toString('base64'),
    });

    expect(fake.requestsTo('files.getUploadURLExternal')).toHaveLength(1);
    expect(fake.uploads).toHaveLength(1);
    const up = fake.uploads[0]!;
    expect(up).toMatchObject({
      filename: 'status_rates.png',
      title: 'status_rates — last 24 h',
      channel: CHANNEL,
      thread_ts: parent.slack!.ts,
      completed: true,
      length: png.length,
    });
    expect(up.bytes!.equals(png)).toBe(true);
  });
});

describe('failures and the retry stage', () => {
  it('waits for Retry-After on 429, then succeeds', async () => {
    fake.fail('chat.postMessage', { status: 429, retryAfter: 2 });
    const { sleep, waits } = fakeSleep();

    const receipt = await deliverWithRetry(slack, digest(), policy(3), { sleep, random: () => 0.5 });

    expect(waits).toEqual([2000]);
    expect(fake.requestsTo('chat.postMessage')).toHaveLength(2);
    expect(fake.messages).toHaveLength(1);
    expect(receipt.slack!.ts).toBe(fake.messages[0]!.ts);
  });

  it('leaves the item for the next run when Retry-After exceeds what a run waits', async () => {
    fake.fail('chat.postMessage', { status: 429, retryAfter: 120 });
    const { sleep, waits } = fakeSleep();

    const err = await expectDeliveryError(deliverWithRetry(slack, digest(), policy(4), { sleep }));

    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(120_000);
    expect(waits).toEqual([]);
    expect(fake.requestsTo('chat.postMessage')).toHaveLength(1);
  });

  it('retries HTTP 500 and then succeeds', async () => {
    fake.fail('chat.postMessage', { status: 500 }, 2);
    const { sleep, waits } = fakeSleep();

    await deliverWithRetry(slack, digest(), policy(3), { sleep, random: () => 0 });

    expect(fake.requestsTo('chat.postMessage')).toHaveLength(3);
    expect(fake.messages).toHaveLength(1);
    expect(waits).toEqual([3, 5]); // equal jitter with random 0: half of 5, then half of 10
  });

  it('gives up on a request that hangs past the timeout and retries it', async () => {
    fake.fail('chat.postMessage', { hangMs: 5000 });
    const started = Date.now();

    const receipt = await deliverWithRetry(slack, digest(), policy(2), { sleep: fakeSleep().sleep });

    expect(Date.now() - started).toBeLessThan(4000);
    expect(fake.requestsTo('chat.postMessage')).toHaveLength(2);
    expect(fake.messages.map((m) => m.ts)).toEqual([receipt.slack!.ts]);
  });

  it('classifies a timeout as retryable with the limit in the message', async () => {
    fake.fail('chat.postMessage', { hangMs: 5000 });
    const err = await expectDeliveryError(slack.send(digest()));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('no answer within 800 ms');
  });

  it('turns connection refused into a retryable error after all attempts', async () => {
    await fake.stop();
    const { sleep, waits } = fakeSleep();

    const err = await expectDeliveryError(deliverWithRetry(slack, digest(), policy(3), { sleep }));

    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/network error \(ECONNREFUSED\)/);
    expect(waits).toHaveLength(2);
    expect(err.message).not.toContain(fake.token);

    await fake.restart();
    await slack.send(digest());
    expect(fake.messages).toHaveLength(1);
  });

  it('does not retry invalid_auth and says which variable to fix', async () => {
    const wrong = createSlackNotifier({ token: 'xoxb-0000-wrong-token-value', apiUrl: fake.url, timeoutMs: 800 });

    const err = await expectDeliveryError(deliverWithRetry(wrong, digest(), policy(4), { sleep: fakeSleep().sleep }));

    expect(fake.requestsTo('chat.postMessage')).toHaveLength(1);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('invalid_auth');
    expect(err.fix).toBe('check SLACK_ALERT_BOT_TOKEN (a bot token xoxb-…)');
    expect(err.message).not.toContain('xoxb-0000-wrong-token-value');
  });

  it('explains not_in_channel and channel_not_found', async () => {
    fake.fail('chat.postMessage', { slackError: 'not_in_channel' });
    const notIn = await expectDeliveryError(slack.send(digest()));
    expect(notIn.fix).toBe('invite the bot to the channel (/invite @yourbot)');
    expect(notIn.retryable).toBe(false);

    fake.fail('chat.postMessage', { slackError: 'channel_not_found' });
    const notFound = await expectDeliveryError(slack.send(digest()));
    expect(notFound.fix).toBe("check SLACK_ALERT_CHANNEL_ID or the check's slack.channel");
    expect(notFound.message).toContain(CHANNEL);
  });
});

describe('probe', () => {
  it('reports the team, the bot and the channel membership', async () => {
    fake.channels.set(CHANNEL, { name: 'alerts', isMember: true });
    const lines = await slack.probe(CHANNEL);
    expect(lines).toEqual([
      { ok: true, what: 'Slack token', detail: 'team Fake Team, bot anomaly-bot' },
      { ok: true, what: 'Slack channel', detail: `#alerts (${CHANNEL}) exists, bot is a member` },
      { ok: true, what: 'Slack scopes', detail: 'chat:write, files:write, channels:history granted' },
    ]);
  });

  it('tells the user to invite the bot when it is not a member', async () => {
    fake.channels.set(CHANNEL, { name: 'alerts', isMember: false });
    const lines = await slack.probe(CHANNEL);
    expect(lines[1]).toMatchObject({ ok: false, fix: 'invite the bot to the channel (/invite @yourbot)' });
  });

  it('stops at a bad token', async () => {
    const wrong = createSlackNotifier({ token: 'xoxb-9-bad', apiUrl: fake.url, timeoutMs: 800 });
    const lines = await wrong.probe(CHANNEL);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ ok: false, what: 'Slack token', fix: 'check SLACK_ALERT_BOT_TOKEN (a bot token xoxb-…)' });
  });
});
