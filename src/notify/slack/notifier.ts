/**
 * Slack destination: digests (chat.postMessage), digest edits with a thread reply (chat.update),
 * and chart uploads (files.uploadV2) through the real @slack/web-api client. The client never
 * retries on its own; failures become DeliveryErrors for the retry stage.
 */
import slackWebApi from '@slack/web-api';
import type { WebClient as WebClientType } from '@slack/web-api';
import { silentLogger, type Logger } from '../../log.js';
import type { ProbeLine } from '../probe.js';
import type { DeliveryReceipt, Notification, Notifier, SendContext } from '../types.js';
import { renderDigest } from './blocks.js';
import { classifySlackError, FIX_CHANNEL, FIX_INVITE, FIX_TOKEN } from './errors.js';
import { escapeMrkdwn } from './format.js';
import { slackLoggerFor } from './logger-adapter.js';
import {
  deliveryMetadata,
  findPostedMessage,
  findThreadFile,
  findThreadReply,
  SEARCH_MAX_PAGES,
  type SearchResult,
} from './lookup.js';

// CommonJS package: in Node ESM its classes come from the default export.
const { WebClient } = slackWebApi;

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** Scopes to post digests and upload charts. */
export const SEND_SCOPES = ['chat:write', 'files:write'];
/** Scopes to look for an earlier post before a retry: public and private channels. */
export const HISTORY_SCOPES = ['channels:history', 'groups:history'];
export const FIX_HISTORY_SCOPE =
  'add channels:history (public channels) and groups:history (private channels) under OAuth & Permissions in the Slack app settings, then reinstall the app';

function missingWhy(missing: string[]): string {
  return missing.some((s) => HISTORY_SCOPES.includes(s))
    ? ' (needed to look for an earlier post before a retry; without it a retry after a timeout may post twice)'
    : '';
}

function fixFor(missing: string[]): string {
  if (missing.every((s) => HISTORY_SCOPES.includes(s))) return FIX_HISTORY_SCOPE;
  return `add ${missing.join(', ')} under OAuth & Permissions in the Slack app settings, then reinstall the app`;
}

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

  /**
   * Looks for an earlier delivery. Without the history scope Slack answers missing_scope: then we
   * cannot look, so we send as before (possibly a duplicate) and say so; any other failure to look
   * fails the attempt, because posting blind could duplicate.
   */
  async function lookFor(what: string, search: () => Promise<SearchResult>, warnings: string[]): Promise<string | undefined> {
    try {
      const found = await search();
      if (found.truncated) {
        const w = `Slack: ${what}: no earlier post found in the last ${SEARCH_MAX_PAGES} pages; sending again`;
        log.warn({ what }, w);
        warnings.push(w);
      }
      return found.ts;
    } catch (err) {
      const e = err as { code?: unknown; data?: { error?: unknown; needed?: unknown } };
      if (e.code === 'slack_webapi_platform_error' && e.data?.error === 'missing_scope') {
        const needed = typeof e.data.needed === 'string' ? e.data.needed : HISTORY_SCOPES.join(' / ');
        const w =
          `Slack: cannot check whether an earlier attempt already posted (${what}: missing_scope, needs ${needed}); ` +
          `sent again, which may duplicate it — fix: ${FIX_HISTORY_SCOPE}`;
        log.warn({ what, needed }, w);
        warnings.push(w);
        return undefined;
      }
      throw classifySlackError(err, what, secrets, opts.timeoutMs);
    }
  }

  async function send(n: Notification, context?: SendContext): Promise<DeliveryReceipt> {
    const warnings: string[] = [];
    const receipt = (slack: NonNullable<DeliveryReceipt['slack']>): DeliveryReceipt => ({ slack, ...(warnings.length ? { warnings } : {}) });
    // Only an item whose earlier attempt may have gone through is looked for (and only if it has an id to look for).
    const lookFirst = context?.mayAlreadyExist === true && n.kind !== 'sheets.append' && n.deliveryId !== undefined;
    const since = context?.firstAttemptAt ?? 0;
    switch (n.kind) {
      case 'slack.digest': {
        if (lookFirst) {
          const found = await lookFor(`conversations.history of ${n.channel}`, () => findPostedMessage(client, n.channel, n.deliveryId!, since), warnings);
          if (found) {
            log.info({ channel: n.channel, ts: found, deliveryId: n.deliveryId }, 'slack digest already posted by an earlier attempt; not posting again');
            return receipt({ channel: n.channel, ts: found, adopted: true });
          }
        }
        const body = renderDigest({ alerts: n.alerts, runId: n.runId, at: n.at, tz: opts.tz });
        const res = await call(`chat.postMessage to ${n.channel}`, () =>
          client.chat.postMessage({
            channel: n.channel,
            text: body.text,
            blocks: body.blocks,
            ...(n.deliveryId ? { metadata: deliveryMetadata(n.deliveryId) } : {}),
          }),
        );
        if (!res.ts) throw classifySlackError(new Error('no message ts in the answer'), 'chat.postMessage', secrets, opts.timeoutMs);
        log.info({ channel: n.channel, ts: res.ts, alerts: n.alerts.length, deliveryId: n.deliveryId }, 'slack digest posted');
        return receipt({ channel: res.channel ?? n.channel, ts: res.ts });
      }
      case 'slack.update': {
        const body = renderDigest({ alerts: n.alerts, runId: n.runId, at: n.at, tz: opts.tz });
        // Editing is idempotent, so a retry after a failed thread reply simply edits again.
        await call(`chat.update of ${n.ts} in ${n.channel}`, () =>
          client.chat.update({ channel: n.channel, ts: n.ts, text: body.text, blocks: body.blocks }),
        );
        if (n.threadReply.trim() !== '') {
          const replyId = n.deliveryId ? `${n.deliveryId}/reply` : undefined;
          const found = lookFirst
            ? await lookFor(`conversations.replies of ${n.ts} in ${n.channel}`, () => findThreadReply(client, n.channel, n.ts, replyId!, since), warnings)
            : undefined;
          if (found) {
            log.info({ channel: n.channel, thread: n.ts, ts: found }, 'slack thread reply already posted by an earlier attempt; not posting again');
          } else {
            await call(`chat.postMessage (thread reply) to ${n.channel}`, () =>
              client.chat.postMessage({
                channel: n.channel,
                thread_ts: n.ts,
                text: n.threadReply,
                ...(replyId ? { metadata: deliveryMetadata(replyId) } : {}),
              }),
            );
          }
        }
        log.info({ channel: n.channel, ts: n.ts }, 'slack digest updated');
        return receipt({ channel: n.channel, ts: n.ts });
      }
      case 'slack.file': {
        if (lookFirst) {
          const found = await lookFor(
            `conversations.replies of ${n.threadTs} in ${n.channel}`,
            () => findThreadFile(client, n.channel, n.threadTs, n.filename, since),
            warnings,
          );
          if (found) {
            log.info({ channel: n.channel, thread: n.threadTs, file: n.filename }, 'slack file already uploaded by an earlier attempt; not uploading again');
            return receipt({ channel: n.channel, ts: n.threadTs, adopted: true });
          }
        }
        const file = Buffer.from(n.pngBase64, 'base64');
        await call(`files.uploadV2 of ${n.filename} to ${n.channel}`, () =>
          client.files.uploadV2({
            channel_id: n.channel,
            thread_ts: n.threadTs,
            file,
            filename: n.filename,
            title: escapeMrkdwn(n.title),
          }),
        );
        log.info({ channel: n.channel, thread: n.threadTs, file: n.filename, bytes: file.length }, 'slack file uploaded');
        return receipt({ channel: n.channel, ts: n.threadTs });
      }
      default:
        throw new Error(`the Slack notifier cannot send ${n.kind}`);
    }
  }

  async function probe(channel: string): Promise<ProbeLine[]> {
    const lines: ProbeLine[] = [];
    let grantedScopes: string[] | undefined;
    try {
      const auth = await call('auth.test', () => client.auth.test());
      grantedScopes = auth.response_metadata?.scopes;
      lines.push({ ok: true, what: 'Slack token', detail: `team ${auth.team ?? '?'}, bot ${auth.user ?? '?'}` });
    } catch (err) {
      const e = err as { message: string; fix?: string };
      lines.push({ ok: false, what: 'Slack token', detail: e.message, fix: e.fix ?? FIX_TOKEN });
      return lines;
    }
    let isPrivate: boolean | undefined;
    try {
      const info = await call(`conversations.info for ${channel}`, () => client.conversations.info({ channel }));
      const name = info.channel?.name ? `#${info.channel.name}` : channel;
      isPrivate = info.channel?.is_private;
      if (info.channel?.is_member === false) {
        lines.push({ ok: false, what: 'Slack channel', detail: `${name} (${channel}) exists but the bot is not a member`, fix: FIX_INVITE });
      } else {
        lines.push({ ok: true, what: 'Slack channel', detail: `${name} (${channel}) exists, bot is a member` });
      }
    } catch (err) {
      const e = err as { message: string; fix?: string };
      lines.push({ ok: false, what: 'Slack channel', detail: e.message, fix: e.fix ?? FIX_CHANNEL });
    }
    lines.push(await scopeLine(channel, grantedScopes, isPrivate));
    return lines;
  }

  /**
   * The scopes a run needs: from the token's `x-oauth-scopes` when Slack reports them, otherwise
   * by reading one message of the channel's history.
   */
  async function scopeLine(channel: string, granted: string[] | undefined, isPrivate: boolean | undefined): Promise<ProbeLine> {
    const history = isPrivate === undefined ? HISTORY_SCOPES : [isPrivate ? 'groups:history' : 'channels:history'];
    const needed = [...SEND_SCOPES, ...history];
    const what = 'Slack scopes';
    if (granted) {
      const missing = needed.filter((s) => !granted.includes(s));
      if (missing.length === 0) return { ok: true, what, detail: `${needed.join(', ')} granted` };
      return { ok: false, what, detail: `missing ${missing.join(', ')}${missingWhy(missing)}`, fix: fixFor(missing) };
    }
    try {
      await client.conversations.history({ channel, limit: 1 });
      return { ok: true, what, detail: 'channel history readable (the token did not report its scopes)' };
    } catch (err) {
      const e = err as { code?: unknown; data?: { error?: unknown; needed?: unknown } };
      if (e.code === 'slack_webapi_platform_error' && e.data?.error === 'missing_scope') {
        const missing = [typeof e.data.needed === 'string' ? e.data.needed : history.join(' / ')];
        return { ok: false, what, detail: `missing ${missing.join(', ')}${missingWhy(missing)}`, fix: fixFor(missing) };
      }
      const c = classifySlackError(err, `conversations.history of ${channel}`, secrets, opts.timeoutMs);
      return { ok: false, what, detail: `could not check: ${c.message}`, fix: c.fix ?? FIX_HISTORY_SCOPE };
    }
  }
  return { destination: 'slack', send, probe };
}
