/**
 * Exactly-once Slack delivery through the outbox, the retry stage, the real @slack/web-api client
 * and the fake Slack: when an attempt may have gone through without us knowing (slow answer past
 * the timeout, dropped connection, 500 after the fact, a run killed mid-send), the next attempt
 * finds the earlier post by its metadata and adopts it instead of posting again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beginAttempt } from '../../src/alerts/delivery-attempts.js';
import { drainOutbox, enqueue } from '../../src/alerts/outbox.js';
import { StateStore } from '../../src/alerts/store.js';
import { deliverWithRetry } from '../../src/notify/retry.js';
import { DELIVERY_EVENT_TYPE, SEARCH_MARGIN_MS } from '../../src/notify/slack/lookup.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/notify/slack/notifier.js';
import type { Notification, RetryPolicy } from '../../src/notify/types.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { captureLogger, firingAlert } from './support/alerts.js';

const CHANNEL = 'C0EXACT01';
// Generous enough that a healthy request never times out on a busy machine; the late answers are later.
const TIMEOUT_MS = 1000;
const policy: RetryPolicy = { attempts: 3, backoffMs: 1, maxBackoffMs: 2, timeoutMs: TIMEOUT_MS, maxRetryAfterMs: 60_000 };

let fake: FakeSlack;
let slack: SlackNotifier;
let store: StateStore;
let captured: ReturnType<typeof captureLogger>;

beforeEach(async () => {
  fake = await startFakeSlack();
  captured = captureLogger();
  slack = createSlackNotifier({ token: fake.token, apiUrl: fake.url, timeoutMs: TIMEOUT_MS, log: captured.log });
  store = StateStore.open(':memory:');
});

afterEach(async () => {
  expect(captured.output()).not.toContain(fake.token);
  store.close();
  await fake.close();
});

const digest = (): Extract<Notification, { kind: 'slack.digest' }> => ({
  kind: 'slack.digest',
  channel: CHANNEL,
  runId: 'run-7',
  at: '2026-11-20T15:00:00Z',
  alerts: [firingAlert('status_rates')],
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9, 9, 9]).toString('base64');

/** A digest, a chart for its thread and (optionally) an edit with a thread reply, as a run queues them. */
function queue(opts: { chart?: boolean; update?: boolean } = {}): { digestId: number } {
  const createdAt = Date.now();
  const digestId = enqueue(store, { createdAt, runId: 'run-7', notification: digest() });
  if (opts.chart) {
    const file: Notification = { kind: 'slack.file', channel: CHANNEL, threadTs: '', filename: 'status_rates.png', title: 'Status rates', pngBase64: PNG };
    enqueue(store, { createdAt, runId: 'run-7', notification: file, dependsOn: digestId });
  }
  if (opts.update) {
    const update: Notification = {
      kind: 'slack.update',
      channel: CHANNEL,
      ts: '',
      runId: 'run-8',
      at: '2026-11-20T16:00:00Z',
      alerts: [],
      threadReply: '✅ resolved: status_rates reversed after 1 h',
    };
    enqueue(store, { createdAt, runId: 'run-8', notification: update, dependsOn: digestId });
  }
  return { digestId };
}

const drain = () =>
  drainOutbox(store, { slack }, { deliver: (n, item) => deliverWithRetry(n, item, policy, { sleep: async () => {} }), now: Date.now });

const topLevel = () => fake.messages.filter((m) => m.channel === CHANNEL && !m.thread_ts);

describe('every digest carries its delivery id in Slack message metadata', () => {
  it('posts metadata naming the run and the outbox item', async () => {
    const { digestId } = queue();
    expect(await drain()).toMatchObject({ delivered: 1, pending: 0 });
    expect(topLevel()).toHaveLength(1);
    expect(topLevel()[0]!.metadata).toEqual({ event_type: DELIVERY_EVENT_TYPE, event_payload: { delivery_id: `run-7/${digestId}` } });
    // A first attempt has nothing to look for.
    expect(fake.requestsTo('conversations.history')).toHaveLength(0);
  });
});

describe('an attempt whose outcome is unknown is looked for before it is repeated', () => {
  it('Slack answers after the timeout: one digest, the retry adopts its ts', async () => {
    queue();
    fake.fail('chat.postMessage', { slowMs: TIMEOUT_MS + 500 });

    const r = await drain();

    expect(r).toMatchObject({ delivered: 1, pending: 0, failed: [] });
    expect(topLevel()).toHaveLength(1);
    expect(fake.requestsTo('chat.postMessage')).toHaveLength(1);
    expect(fake.requestsTo('conversations.history')).toHaveLength(1);
    const receipt = JSON.parse((store.db.prepare(`SELECT receipt_json FROM outbox WHERE kind = 'slack.digest'`).get() as { receipt_json: string }).receipt_json);
    expect(receipt.slack).toEqual({ channel: CHANNEL, ts: topLevel()[0]!.ts, adopted: true });
    expect(captured.output()).toContain('already posted by an earlier attempt');
  });

  it.each([
    ['a 500 after the message was stored', { status: 500, afterApply: true } as const],
    ['a connection dropped after the message was stored', { reset: true, afterApply: true } as const],
  ])('%s: one digest', async (_name, fault) => {
    queue();
    fake.fail('chat.postMessage', fault);
    expect(await drain()).toMatchObject({ delivered: 1, pending: 0 });
    expect(topLevel()).toHaveLength(1);
    expect(fake.requestsTo('conversations.history')).toHaveLength(1);
  });

  it('a dropped connection before anything was stored: looked for, not found, posted once', async () => {
    queue();
    fake.fail('chat.postMessage', { reset: true });
    expect(await drain()).toMatchObject({ delivered: 1, pending: 0 });
    expect(topLevel()).toHaveLength(1);
    expect(fake.requestsTo('chat.postMessage')).toHaveLength(2);
    expect(fake.requestsTo('conversations.history')).toHaveLength(1);
  });

  it('a refused connection or a 429 cannot have posted: the retry does not search', async () => {
    queue();
    fake.fail('chat.postMessage', { status: 429, retryAfter: 0 });
    await fake.stop();
    expect(await drain()).toMatchObject({ delivered: 0, pending: 1 });
    await fake.restart();
    expect(await drain()).toMatchObject({ delivered: 1, pending: 0 });
    expect(topLevel()).toHaveLength(1);
    expect(fake.requestsTo('conversations.history')).toHaveLength(0);
  });

  it('a run killed mid-send left the attempt in doubt: the next run adopts the posted message', async () => {
    const { digestId } = queue();
    // What the killed run did: journal the attempt (committed), post, die before recording the ts.
    const attempt = beginAttempt(store, digestId, Date.now());
    expect(attempt.context.mayAlreadyExist).toBe(false);
    await slack.send({ ...digest(), deliveryId: `run-7/${digestId}` });

    expect(await drain()).toMatchObject({ delivered: 1, pending: 0 });
    expect(topLevel()).toHaveLength(1);
    expect(fake.requestsTo('chat.postMessage')).toHaveLength(1);
  });

  it('a run killed before the post reached Slack: the next run looks, finds nothing and posts once', async () => {
    const { digestId } = queue();
    beginAttempt(store, digestId, Date.now());
    expect(await drain()).toMatchObject({ delivered: 1, pending: 0 });
    expect(topLevel()).toHaveLength(1);
    expect(fake.requestsTo('conversations.history')).toHaveLength(1);
  });

  it('bounds the search by the first attempt minus a margin and pages through a busy channel', async () => {
    const { digestId } = queue();
    const firstAttempt = Date.now();
    beginAttempt(store, digestId, firstAttempt);
    await slack.send({ ...digest(), deliveryId: `run-7/${digestId}` });
    // 450 later messages push ours to the third page of 200.
    for (let i = 0; i < 450; i++) await slack.send({ ...digest(), runId: `other-${i}` });
    const before = fake.requestsTo('chat.postMessage').length;

    expect(await drain()).toMatchObject({ delivered: 1, pending: 0 });

    expect(fake.requestsTo('chat.postMessage')).toHaveLength(before);
    const searches = fake.requestsTo('conversations.history').map((r) => new URLSearchParams(r.body));
    expect(searches).toHaveLength(3);
    expect(searches[1]!.get('cursor')).toBeTruthy();
    const oldest = Number(searches[0]!.get('oldest'));
    const expected = (Math.floor(firstAttempt / 1000) * 1000 - SEARCH_MARGIN_MS) / 1000;
    expect(oldest).toBe(expected);
    expect(searches[0]!.get('include_all_metadata')).toBe('true');
  }, 30_000);

  it('when Slack cannot be searched, nothing is posted blind: the item waits, in doubt', async () => {
    const { digestId } = queue();
    beginAttempt(store, digestId, Date.now());
    fake.fail('conversations.history', { status: 500 }, 3);
    expect(await drain()).toMatchObject({ delivered: 0, pending: 1 });
    expect(fake.requestsTo('chat.postMessage')).toHaveLength(0);
    expect(await drain()).toMatchObject({ delivered: 1, pending: 0 });
    expect(topLevel()).toHaveLength(1);
  });

  it('a thread reply answered after the timeout is found in the thread, not repeated', async () => {
    queue({ update: true });
    fake.fail('chat.postMessage', { slowMs: TIMEOUT_MS + 500 }); // the digest
    fake.fail('chat.postMessage', { slowMs: TIMEOUT_MS + 500 }); // the reply
    expect(await drain()).toMatchObject({ delivered: 2, pending: 0 });
    const digestTs = topLevel()[0]!.ts;
    const replies = fake.messages.filter((m) => m.thread_ts === digestTs);
    expect(replies.map((m) => m.text)).toEqual(['✅ resolved: status_rates reversed after 1 h']);
    expect(replies[0]!.metadata?.event_payload.delivery_id).toMatch(/^run-8\/\d+\/reply$/);
    expect(fake.requestsTo('conversations.replies')).toHaveLength(1);
    expect(fake.updates).toHaveLength(2); // the edit is idempotent and simply repeated
  });

  it('a chart whose upload completed after the timeout is found in the thread, not uploaded twice', async () => {
    queue({ chart: true });
    fake.fail('files.completeUploadExternal', { slowMs: TIMEOUT_MS + 500 });
    expect(await drain()).toMatchObject({ delivered: 2, pending: 0 });
    const shared = fake.uploads.filter((u) => u.completed);
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatchObject({ filename: 'status_rates.png', thread_ts: topLevel()[0]!.ts, channel: CHANNEL });
    expect(fake.requestsTo('conversations.replies')).toHaveLength(1);
  });
});

describe('without the history scope', () => {
  it('falls back to sending again, with a warning naming the scope and the fix', async () => {
    fake.scopes.delete('channels:history');
    queue();
    fake.fail('chat.postMessage', { slowMs: TIMEOUT_MS + 500 });

    const r = await drain();

    // Today's behaviour: the delivery succeeds, possibly twice, and says why.
    expect(r).toMatchObject({ delivered: 1, pending: 0, failed: [] });
    expect(topLevel()).toHaveLength(2);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings![0]).toContain('missing_scope, needs channels:history');
    expect(r.warnings![0]).toContain('reinstall the app');
    expect(captured.output()).toContain('cannot check whether an earlier attempt already posted');
  });

  it('doctor reports the missing scope from x-oauth-scopes, with the fix', async () => {
    fake.scopes.delete('channels:history');
    const lines = await slack.probe(CHANNEL);
    expect(lines[2]).toMatchObject({ ok: false, what: 'Slack scopes' });
    expect(lines[2]!.detail).toContain('missing channels:history');
    expect(lines[2]!.fix).toContain('OAuth & Permissions');
  });

  it('doctor checks a private channel for groups:history', async () => {
    fake.channels.set(CHANNEL, { name: 'secret', isMember: true, isPrivate: true });
    fake.scopes.delete('groups:history');
    const lines = await slack.probe(CHANNEL);
    expect(lines[2]).toMatchObject({ ok: false, what: 'Slack scopes' });
    expect(lines[2]!.detail).toContain('missing groups:history');
  });

  it('doctor probes the history when the token does not report its scopes', async () => {
    await fake.close();
    fake = await startFakeSlack({ scopesHeader: false, scopes: ['chat:write', 'files:write'] });
    slack = createSlackNotifier({ token: fake.token, apiUrl: fake.url, timeoutMs: TIMEOUT_MS });
    const lines = await slack.probe(CHANNEL);
    expect(lines[2]).toMatchObject({ ok: false, what: 'Slack scopes', detail: expect.stringContaining('missing channels:history') });
    fake.scopes.add('channels:history');
    expect((await slack.probe(CHANNEL))[2]).toMatchObject({ ok: true, detail: expect.stringContaining('history readable') });
  });
});
