/**
 * Hostile values are inert: data that looks like Slack markup (a channel ping, a disguised link,
 * bold / italics / strike / code) goes through every Slack text path — the digest, its fallback
 * text, the edit on resolve, the thread reply, the chart's title — and nothing active reaches
 * the (fake) Slack.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drainOutbox } from '../../src/alerts/outbox.js';
import { planNotifications } from '../../src/alerts/plan.js';
import { StateStore } from '../../src/alerts/store.js';
import { escapeMrkdwn } from '../../src/notify/slack/format.js';
import { createSlackNotifier } from '../../src/notify/slack/notifier.js';
import type { CheckResult } from '../../src/types.js';
import { blocksText, startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';

const CHANNEL = 'C0HOSTILE';
const PAYLOAD = '<!channel> <https://evil.example|click me> *bold* _it_ ~gone~ `code` a&b <@U0BOSS> <!here>';
const CHECK = 'evil_<!channel>_*check*';

let fake: FakeSlack;
let store: StateStore;

beforeEach(async () => {
  fake = await startFakeSlack();
  store = StateStore.open(':memory:');
});
afterEach(async () => {
  store.close();
  await fake.close();
});

function result(anomalous: boolean): CheckResult {
  return {
    check: CHECK,
    type: 'query_empty',
    description: `desc ${PAYLOAD}`,
    status: anomalous ? 'alert' : 'ok',
    severity: 'critical',
    anomalies: anomalous
      ? [
          {
            key: `key ${PAYLOAD}`,
            start: '2026-11-20T14:00:00Z',
            end: '2026-11-20T15:00:00Z',
            observed: 3,
            expected: 0,
            score: 1,
            message: `message ${PAYLOAD}`,
            rows: [{ merchant: PAYLOAD, note: '*x* <!channel>' }],
          },
        ]
      : [],
    metrics: {},
    durationMs: 1,
  };
}

/** Every piece of text Slack received, labelled by where it came from. */
function everythingSent(): [string, string][] {
  const out: [string, string][] = [];
  for (const m of fake.messages) {
    out.push([m.thread_ts ? 'thread reply text' : 'digest fallback text', m.text ?? '']);
    out.push(['digest blocks', blocksText(m.blocks)]);
  }
  for (const u of fake.updates) {
    out.push(['update fallback text', u.text ?? '']);
    out.push(['update blocks', blocksText(u.blocks)]);
  }
  for (const u of fake.uploads) out.push(['file title', u.title ?? ''], ['file name', u.filename]);
  return out;
}

describe('data is escaped in every Slack text path', () => {
  it('no ping, no link, no formatting from data reaches Slack', async () => {
    const slack = createSlackNotifier({ token: fake.token, apiUrl: fake.url, timeoutMs: 2000 });
    const policies = new Map([
      [CHECK, { check: CHECK, description: `desc ${PAYLOAD}`, severity: 'critical' as const, repeatIntervalMs: 3_600_000, resolveAfter: 1, slack: { enabled: true } }],
    ]);
    const deliver = () => drainOutbox(store, { slack }, { deliver: (n, item) => n.send(item), now: Date.now });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]).toString('base64');

    planNotifications(store, {
      runId: 'run-1',
      at: Date.UTC(2026, 10, 20, 15),
      results: [result(true)],
      policies,
      destinations: { slack: { defaultChannel: CHANNEL } },
      charts: new Map([[CHECK, png]]),
    });
    expect(await deliver()).toMatchObject({ delivered: 2, pending: 0 });
    planNotifications(store, {
      runId: 'run-2',
      at: Date.UTC(2026, 10, 20, 15, 10),
      results: [result(false)],
      policies,
      destinations: { slack: { defaultChannel: CHANNEL } },
    });
    expect(await deliver()).toMatchObject({ delivered: 1, pending: 0 });

    const sent = everythingSent();
    const paths = new Set(sent.map(([where]) => where));
    for (const where of ['digest fallback text', 'digest blocks', 'update fallback text', 'update blocks', 'thread reply text', 'file title']) {
      expect(paths, where).toContain(where);
    }
    // The data reached every path (so the checks below are about escaping, not absence).
    expect(sent.filter(([, t]) => t.includes('evil.example')).map(([w]) => w)).toEqual(
      expect.arrayContaining(['digest blocks', 'update blocks', 'thread reply text', 'file title']),
    );

    for (const [where, text] of sent) {
      // `<` opens every Slack control sequence (<!channel>, <@U…>, <url|label>); we never send one.
      expect(text, where).not.toContain('<');
      // `>` only as our own quote marker at the start of a line.
      expect(text.replace(/^> /gm, ''), where).not.toContain('>');
      // Every `&` is an entity we wrote.
      expect(text.replace(/&(amp|lt|gt);/g, ''), where).not.toContain('&');
      // Formatting characters from data are look-alikes.
      for (const active of ['*bold*', '_it_', '~gone~', '`code`', '*check*', '*x*']) expect(text, where).not.toContain(active);
    }
    const reply = fake.messages.find((m) => m.thread_ts)!.text!;
    expect(reply).toContain('&lt;!channel&gt;');
    expect(reply).toContain('＊bold＊ ＿it＿ ～gone～ ｀code｀');
    expect(reply).toContain('evil＿&lt;!channel&gt;＿＊check＊'); // `_` next to markup is replaced too
  });
});

describe('escapeMrkdwn', () => {
  it.each([
    ['a < b & c > d', 'a &lt; b &amp; c &gt; d'],
    ['<!channel>', '&lt;!channel&gt;'],
    ['<https://evil|click me>', '&lt;https://evil|click me&gt;'],
    ['*bold* ~strike~ `code`', '＊bold＊ ～strike～ ｀code｀'],
    ['_italic_', '＿italic＿'],
    ['status_rates backend_reversed merchant_id_', 'status_rates backend_reversed merchant_id＿'],
    ['x _y', 'x ＿y'],
  ])('%s → %s', (input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });
});
