/**
 * Slack destination: digests (chat.postMessage), digest edits with a thread reply (chat.update),
 * and chart uploads (files.uploadV2) through the real @slack/web-api client. The client never
 * retries on its own; failures become DeliveryErrors for the retry stage.
 */
import slackWebApi from '@slack/web-api';
import type { WebClient as WebClientType } from '@slack/web-api';
import { silentLogger, type Logger } from '../../log.js';
import type { ProbeLine } from '../probe.js';
import type { DeliveryReceipt, Notification, Notifier } from '../types.js';
import { renderDigest } from './blocks.js';
import { classifySlackError, FIX_CHANNEL, FIX_INVITE, FIX_TOKEN } from './errors.js';
import { slackLoggerFor } from './logger-adapter.js';

// CommonJS package: in Node ESM its classes come from the default export.
const { WebClient } = slackWebApi;

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

export interface SlackNotifierOptions {
  token: string;
  /** SLACK_API_URL; a trailing slash is added when missing. */
  apiUrl?: string;
  timeoutMs: number;
  log?: Logger;
  /** Zone for times shown in digests (ANOMALY_TZ); default UTC. */
  tz?: string;
}

export type SlackNotifier = Notifier & { probe(channel: string): Promise<ProbeLine[]> };

export function normaliseSlackApiUrl(url: string | undefined): string {
  const u = url?.trim() || DEFAULT_SLACK_API_URL;
  return u.endsWith('/') ? u : `${u}/`;
}

export function createSlackNotifier(opts: SlackNotifierOptions): SlackNotifier {
  const log = opts.log ?? silentLogger();
  const secrets = [opts.token];
  const client: WebClientType = new WebClient(opts.token, {
    slackApiUrl: normaliseSlackApiUrl(opts.apiUrl),
    // One retry stage for every destination (retry.ts); the client's default retries for ~30 min.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.timeoutMs,
    logger: slackLoggerFor(log, secrets),
  });

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifySlackError(err, what, secrets, opts.timeoutMs);
    }
  }

  async function send(n: Notification): Promise<DeliveryReceipt> {
    switch (n.kind) {
      case 'slack.digest': {
        const body = renderDigest({ alerts: n.alerts, runId: n.runId, at: n.at, tz: opts.tz });
        const res = await call(`chat.postMessage to ${n.channel}`, () =>
          client.chat.postMessage({ channel: n.channel, text: body.text, blocks: body.blocks }),
        );
        if (!res.ts) throw classifySlackError(new Error('no message ts in the answer'), 'chat.postMessage', secrets, opts.timeoutMs);
        log.info({ channel: n.channel, ts: res.ts, alerts: n.alerts.length }, 'slack digest posted');
        return { slack: { channel: res.channel ?? n.channel, ts: res.ts } };
      }
      case 'slack.update': {
        const body = renderDigest({ alerts: n.alerts, runId: n.runId, at: n.at, tz: opts.tz });
        // Editing is idempotent, so a retry after a failed thread reply simply edits again.
        await call(`chat.update of ${n.ts} in ${n.channel}`, () =>
          client.chat.update({ channel: n.channel, ts: n.ts, text: body.text, blocks: body.blocks }),
        );
        if (n.threadReply.trim() !== '') {
          await call(`chat.postMessage (thread reply) to ${n.channel}`, () =>
            client.chat.postMessage({ channel: n.channel, thread_ts: n.ts, text: n.threadReply }),
          );
        }
        log.info({ channel: n.channel, ts: n.ts }, 'slack digest updated');
        return { slack: { channel: n.channel, ts: n.ts } };
      }
      case 'slack.file': {
        const file = Buffer.from(n.pngBase64, 'base64');
        await call(`files.uploadV2 of ${n.filename} to ${n.channel}`, () =>
          client.files.uploadV2({ channel_id: n.channel, thread_ts: n.threadTs, file, filename: n.filename, title: n.title }),
        );
        log.info({ channel: n.channel, thread: n.threadTs, file: n.filename, bytes: file.length }, 'slack file uploaded');
        return { slack: { channel: n.channel, ts: n.threadTs } };
      }
      default:
        throw new Error(`the Slack notifier cannot send ${n.kind}`);
    }
  }

  async function probe(channel: string): Promise<ProbeLine[]> {
    const lines: ProbeLine[] = [];
    try {
      const auth = await call('auth.test', () => client.auth.test());
      lines.push({ ok: true, what: 'Slack token', detail: `team ${auth.team ?? '?'}, bot ${auth.user ?? '?'}` });
    } catch (err) {
      const e = err as { message: string; fix?: string };
      lines.push({ ok: false, what: 'Slack token', detail: e.message, fix: e.fix ?? FIX_TOKEN });
      return lines;
    }
    try {
      const info = await call(`conversations.info for ${channel}`, () => client.conversations.info({ channel }));
      const name = info.channel?.name ? `#${info.channel.name}` : channel;
      if (info.channel?.is_member === false) {
        lines.push({ ok: false, what: 'Slack channel', detail: `${name} (${channel}) exists but the bot is not a member`, fix: FIX_INVITE });
      } else {
        lines.push({ ok: true, what: 'Slack channel', detail: `${name} (${channel}) exists, bot is a member` });
      }
    } catch (err) {
      const e = err as { message: string; fix?: string };
      lines.push({ ok: false, what: 'Slack channel', detail: e.message, fix: e.fix ?? FIX_CHANNEL });
    }
    return lines;
  }

  return { destination: 'slack', send, probe };
}
