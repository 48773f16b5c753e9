/**
 * The fake servers enforce what the real services enforce (auth, Slack's block limits), so the
 * notifier tests that pass against them mean something.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogle, type FakeGoogle } from '../helpers/fake-google.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';

describe('fake Slack', () => {
  let fake: FakeSlack;
  beforeEach(async () => {
    fake = await startFakeSlack({ strictChannels: true, now: () => 1_700_000_000_000 });
    fake.channels.set('C1', { name: 'alerts', isMember: true });
  });
  afterEach(() => fake.close());

  const post = (body: unknown, token: string | null = fake.token) =>
    fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<{ ok: boolean; error?: string; ts?: string }>);

  it('accepts JSON bodies and hands out increasing ts values', async () => {
    const a = await post({ channel: 'C1', text: 'one' });
    const b = await post({ channel: 'C1', text: 'two' });
    expect(a).toMatchObject({ ok: true, ts: '1700000000.000000' });
    expect(b.ts! > a.ts!).toBe(true);
    expect(fake.messages.map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('checks the token and the channel like Slack', async () => {
    expect(await post({ channel: 'C1', text: 'x' }, null)).toEqual({ ok: false, error: 'not_authed' });
    expect(await post({ channel: 'C1', text: 'x' }, 'xoxb-other')).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await post({ channel: 'C404', text: 'x' })).toEqual({ ok: false, error: 'channel_not_found' });
  });

  it('rejects more than 50 blocks, long sections and long headers as invalid_blocks', async () => {
    const section = (t: string) => ({ type: 'section', text: { type: 'mrkdwn', text: t } });
    expect(await post({ channel: 'C1', text: 'x', blocks: Array.from({ length: 51 }, () => section('a')) })).toMatchObject({ error: 'invalid_blocks' });
    expect(await post({ channel: 'C1', text: 'x', blocks: [section('a'.repeat(3001))] })).toMatchObject({ error: 'invalid_blocks' });
    expect(await post({ channel: 'C1', text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] })).toMatchObject({
      error: 'invalid_blocks',
    });
    expect(fake.messages).toHaveLength(0);
  });
});

describe('fake Google', () => {
  let fake: FakeGoogle;
  beforeEach(async () => {
    fake = await startFakeGoogle({ tabs: { t: [] } });
  });
  afterEach(() => fake.close());

  it('refuses Sheets calls without a token it issued', async () => {
    const res = await fetch(`${fake.rootUrl}v4/spreadsheets/${fake.spreadsheetId}`, { headers: { authorization: 'Bearer ya29.made-up' } });
    expect(res.status).toBe(401);
  });

  it('refuses an unsigned assertion', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const assertion = `${b64({ alg: 'RS256' })}.${b64({ iss: fake.clientEmail, scope: 'https://www.googleapis.com/auth/spreadsheets', aud: 'https://oauth2.googleapis.com/token', iat: now, exp: now + 3600 })}.AAAA`;
    const res = await fetch(fake.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    expect(fake.issuedTokens).toEqual([]);
  });
});
