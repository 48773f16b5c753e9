/**
 * A fake Slack Web API on 127.0.0.1 for tests: enough of auth.test, conversations.info,
 * conversations.history/replies, chat.postMessage/update and the files.uploadV2 flow to exercise
 * the real @slack/web-api client, with Slack's own limits on blocks, message metadata, OAuth
 * scopes (the `x-oauth-scopes` header, `missing_scope`), and fault injection per method —
 * including faults that happen after the request took effect (a slow answer past the client's
 * timeout, a 500 or a dropped connection after the message was stored), which are what make
 * duplicate posts possible.
 */
import type { IncomingMessage } from 'node:http';
import { FakeHttpServer, FaultQueue, waitUnlessAborted, type RecordedRequest, type Reply } from '../notify/support/fake-http.js';

export type SlackFault =
  | { status: 429; retryAfter: number }
  /** `afterApply`: the request takes effect, then the answer is a 500. */
  | { status: 500 | 502 | 503; afterApply?: boolean }
  /** A slow server that gives up (processes nothing) if the client leaves first. */
  | { hangMs: number }
  /** The request takes effect at once; the answer comes `slowMs` later (often after the client gave up). */
  | { slowMs: number }
  /** The connection is dropped: before the request took effect, or after (`afterApply`). */
  | { reset: true; afterApply?: boolean }
  | { slackError: 'invalid_auth' | 'not_in_channel' | 'channel_not_found' | (string & {}) };

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: SlackBlock[] | undefined;
  thread_ts: string | undefined;
  metadata?: MessageMetadata;
}

export interface FakeSlackUpdate {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: SlackBlock[] | undefined;
}

export interface FakeSlackUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes: Buffer | undefined;
  title: string | undefined;
  channel: string | undefined;
  thread_ts: string | undefined;
  /** The text posted with the file (files.completeUploadExternal `initial_comment`). */
  initialComment?: string;
  completed: boolean;
  /** The ts of the message that shares the file, once completed into a channel. */
  ts?: string;
}

export interface FakeSlackChannel {
  name: string;
  isMember: boolean;
  /** A private channel: reading its history needs groups:history instead of channels:history. */
  isPrivate?: boolean;
}

// Slack blocks are loosely typed JSON; the fake only inspects what it validates.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SlackBlock = Record<string, any>;

/** Chooses a fault for a request (called for every request without a queued fault). */
export type FaultPolicy = (route: string) => SlackFault | undefined;

export interface FakeSlackCounts {
  /** chat.postMessage requests received (whatever happened to them). */
  postRequests: number;
  /** Messages stored by chat.postMessage (top-level and thread replies). */
  posted: number;
  /** Files shared into a channel (completed uploads). */
  uploadsCompleted: number;
  historyCalls: number;
  repliesCalls: number;
}

export interface FakeSlack {
  /** `http://127.0.0.1:PORT/api/` — pass as SLACK_API_URL. */
  readonly url: string;
  readonly token: string;
  readonly messages: FakeSlackMessage[];
  readonly updates: FakeSlackUpdate[];
  readonly uploads: FakeSlackUpload[];
  readonly requests: RecordedRequest[];
  /**
   * Known channels. Unless `strictChannels` is set, an unknown channel id is created on first use
   * with the bot as a member.
   */
  readonly channels: Map<string, FakeSlackChannel>;
  /** The token's scopes, sent in `x-oauth-scopes` and enforced for conversations.history/replies. */
  readonly scopes: Set<string>;
  /** Requests to one API method (e.g. `chat.postMessage`), in order. */
  requestsTo(method: string): RecordedRequest[];
  /** The next `times` calls of `method` (or `upload` for the upload URL) meet `fault`. */
  fail(method: string, fault: SlackFault, times?: number): void;
  /** Faults chosen per request (e.g. at random) when none is queued; undefined switches it off. */
  setFaultPolicy(policy: FaultPolicy | undefined): void;
  counts(channel?: string): FakeSlackCounts;
  /** Called as each request arrives (before any fault), e.g. to kill a client mid-send. */
  onRequest(listener: (route: string) => void): void;
  /** Closes the port: clients get ECONNREFUSED until restart(). */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface FakeSlackOptions {
  token?: string;
  strictChannels?: boolean;
  /** Default: chat:write, files:write, channels:read, groups:read, channels:history, groups:history. */
  scopes?: string[];
  /** Send `x-oauth-scopes` (real Slack does); false makes `doctor` fall back to a probe call. */
  scopesHeader?: boolean;
  /** Wall clock for message timestamps (ms); default Date.now. */
  now?: () => number;
}

export const FAKE_SLACK_TOKEN = 'xoxb-111111111111-2222222222222-fakefakefakefakefake';
export const DEFAULT_FAKE_SCOPES = ['chat:write', 'files:write', 'channels:read', 'groups:read', 'channels:history', 'groups:history'];

/** Slack's documented block limits, enforced like the real API (`invalid_blocks`). */
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;

/** A message as conversations.history / conversations.replies return it. */
interface ApiMessage {
  type: 'message';
  ts: string;
  text: string;
  thread_ts?: string;
  bot_id: string;
  blocks?: SlackBlock[];
  metadata?: MessageMetadata;
  files?: { id: string; name: string; title: string | undefined }[];
  subtype?: 'file_share';
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const token = opts.token ?? FAKE_SLACK_TOKEN;
  const now = opts.now ?? Date.now;
  const messages: FakeSlackMessage[] = [];
  const updates: FakeSlackUpdate[] = [];
  const uploads: FakeSlackUpload[] = [];
  const channels = new Map<string, FakeSlackChannel>();
  const scopes = new Set(opts.scopes ?? DEFAULT_FAKE_SCOPES);
  const faults = new FaultQueue<SlackFault>();
  let faultPolicy: FaultPolicy | undefined;
  const listeners: ((route: string) => void)[] = [];
  let lastMicros = 0;
  let fileSeq = 0;

  const routeOf = (req: IncomingMessage): string => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/upload/')) return 'upload';
    return path.replace(/^\/api\//, '');
  };

  const scopeHeaders = (): Record<string, string> =>
    opts.scopesHeader === false ? {} : { 'x-oauth-scopes': [...scopes].join(',') };
  const ok = (json: Record<string, unknown>): Reply => ({ status: 200, json: { ok: true, ...json }, headers: scopeHeaders() });
  const slackError = (error: string, extra: Record<string, unknown> = {}): Reply => ({
    status: 200,
    json: { ok: false, error, ...extra },
    headers: scopeHeaders(),
  });

  const channelFor = (id: string): FakeSlackChannel | undefined => {
    let ch = channels.get(id);
    if (!ch && !opts.strictChannels && id) {
      ch = { name: `channel-${id.toLowerCase()}`, isMember: true };
      channels.set(id, ch);
    }
    return ch;
  };

  /** Slack timestamps: seconds.microseconds of the wall clock, strictly increasing. */
  const nextTs = (): string => {
    lastMicros = Math.max(lastMicros + 1, Math.floor(now() * 1000));
    return `${Math.floor(lastMicros / 1e6)}.${String(lastMicros % 1e6).padStart(6, '0')}`;
  };

  /** Every message of a channel as the API shows it: posts and file shares, oldest first. */
  const channelMessages = (channel: string, withMetadata: boolean): ApiMessage[] => {
    const out: ApiMessage[] = [];
    for (const m of messages) {
      if (m.channel !== channel) continue;
      out.push({
        type: 'message',
        ts: m.ts,
        text: m.text ?? '',
        bot_id: 'B0BOT',
        ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
        ...(m.blocks ? { blocks: m.blocks } : {}),
        ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
      });
    }
    for (const u of uploads) {
      if (!u.completed || u.channel !== channel || !u.ts) continue;
      out.push({
        type: 'message',
        subtype: 'file_share',
        ts: u.ts,
        text: u.initialComment ?? '',
        bot_id: 'B0BOT',
        ...(u.thread_ts ? { thread_ts: u.thread_ts } : {}),
        files: [{ id: u.fileId, name: u.filename, title: u.title }],
      });
    }
    return out.sort((a, b) => compareTs(a.ts, b.ts));
  };

  /** Cursor pagination as Slack does it: an opaque cursor, `has_more` and `next_cursor`. */
  const page = (list: ApiMessage[], params: Record<string, string | undefined>, maxLimit: number) => {
    const limit = Math.min(maxLimit, Math.max(1, Number(params.limit) || 100));
    const start = params.cursor ? Number(Buffer.from(params.cursor, 'base64').toString('utf8').replace(/^offset:/, '')) : 0;
    const slice = list.slice(start, start + limit);
    const more = start + limit < list.length;
    return {
      messages: slice,
      has_more: more,
      response_metadata: { next_cursor: more ? Buffer.from(`offset:${start + limit}`).toString('base64') : '' },
    };
  };

  /** The history scope a channel needs, or undefined when the token has it. */
  const missingHistoryScope = (ch: FakeSlackChannel): string | undefined => {
    const needed = ch.isPrivate ? 'groups:history' : 'channels:history';
    return scopes.has(needed) ? undefined : needed;
  };

  const inRange = (ts: string, params: Record<string, string | undefined>): boolean => {
    const inclusive = params.inclusive === 'true' || params.inclusive === '1';
    if (params.oldest !== undefined && params.oldest !== '') {
      const c = compareTs(ts, params.oldest);
      if (c < 0 || (c === 0 && !inclusive)) return false;
    }
    if (params.latest !== undefined && params.latest !== '') {
      const c = compareTs(ts, params.latest);
      if (c > 0 || (c === 0 && !inclusive)) return false;
    }
    return true;
  };

  async function apply(route: string, req: IncomingMessage, raw: Buffer): Promise<Reply> {
    if (route === 'upload') return receiveUpload(req, raw);

    const params = await parseParams(req, raw);
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice(7) : params.token;
    if (!given) return slackError('not_authed');
    if (given !== token) return slackError('invalid_auth');

    switch (route) {
      case 'auth.test':
        return ok({
          url: 'https://fake-team.slack.com/',
          team: 'Fake Team',
          user: 'anomaly-bot',
          team_id: 'T0FAKE',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        });
      case 'conversations.info': {
        const ch = channelFor(params.channel ?? '');
        if (!ch) return slackError('channel_not_found');
        return ok({
          channel: { id: params.channel, name: ch.name, is_channel: true, is_private: ch.isPrivate === true, is_member: ch.isMember },
        });
      }
      case 'conversations.history': {
        const channel = params.channel ?? '';
        const ch = channelFor(channel);
        if (!ch) return slackError('channel_not_found');
        const needed = missingHistoryScope(ch);
        if (needed) return slackError('missing_scope', { needed, provided: [...scopes].join(',') });
        if (!ch.isMember) return slackError('not_in_channel');
        const withMetadata = params.include_all_metadata === 'true' || params.include_all_metadata === '1';
        // Top-level messages only (thread replies live in conversations.replies), newest first.
        const list = channelMessages(channel, withMetadata)
          .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
          .filter((m) => inRange(m.ts, params))
          .reverse();
        return ok(page(list, params, 999));
      }
      case 'conversations.replies': {
        const channel = params.channel ?? '';
        const ch = channelFor(channel);
        if (!ch) return slackError('channel_not_found');
        const needed = missingHistoryScope(ch);
        if (needed) return slackError('missing_scope', { needed, provided: [...scopes].join(',') });
        const withMetadata = params.include_all_metadata === 'true' || params.include_all_metadata === '1';
        const all = channelMessages(channel, withMetadata);
        const parent = all.find((m) => m.ts === params.ts);
        if (!parent) return slackError('thread_not_found');
        // The parent first, then its replies oldest first (the time range applies to replies).
        const replies = all.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts && inRange(m.ts, params));
        return ok(page([parent, ...replies], params, 1000));
      }
      case 'chat.postMessage': {
        const channel = params.channel ?? '';
        const ch = channelFor(channel);
        if (!ch) return slackError('channel_not_found');
        if (!ch.isMember) return slackError('not_in_channel');
        const blocks = parseBlocks(params.blocks);
        if (blocks === 'invalid') return slackError('invalid_blocks');
        if (!params.text && !blocks) return slackError('no_text');
        const metadata = parseMetadata(params.metadata);
        if (metadata === 'invalid') return slackError('invalid_metadata_format');
        if (params.thread_ts && !messages.some((m) => m.channel === channel && m.ts === params.thread_ts)) {
          return slackError('thread_not_found');
        }
        const ts = nextTs();
        messages.push({ channel, ts, text: params.text, blocks, thread_ts: params.thread_ts, ...(metadata ? { metadata } : {}) });
        return ok({ channel, ts, message: { text: params.text, ts } });
      }
      case 'chat.update': {
        const channel = params.channel ?? '';
        if (!channelFor(channel)) return slackError('channel_not_found');
        const msg = messages.find((m) => m.channel === channel && m.ts === params.ts);
        if (!msg) return slackError('message_not_found');
        const blocks = parseBlocks(params.blocks);
        if (blocks === 'invalid') return slackError('invalid_blocks');
        const metadata = parseMetadata(params.metadata);
        if (metadata === 'invalid') return slackError('invalid_metadata_format');
        msg.text = params.text;
        msg.blocks = blocks;
        if (metadata) msg.metadata = metadata;
        updates.push({ channel, ts: msg.ts, text: params.text, blocks });
        return ok({ channel, ts: msg.ts, text: params.text });
      }
      case 'files.getUploadURLExternal': {
        const length = Number(params.length);
        if (!params.filename || !Number.isFinite(length) || length <= 0) return slackError('invalid_arguments');
        fileSeq += 1;
        const fileId = `F${String(fileSeq).padStart(8, '0')}`;
        uploads.push({
          fileId,
          filename: params.filename,
          length,
          bytes: undefined,
          title: undefined,
          channel: undefined,
          thread_ts: undefined,
          completed: false,
        });
        return ok({ upload_url: `${server.baseUrl}/upload/${fileId}`, file_id: fileId });
      }
      case 'files.completeUploadExternal': {
        let files: { id: string; title?: string }[];
        try {
          files = JSON.parse(params.files ?? '[]') as { id: string; title?: string }[];
        } catch {
          return slackError('invalid_arguments');
        }
        const channel = params.channel_id;
        if (channel !== undefined) {
          const ch = channelFor(channel);
          if (!ch) return slackError('channel_not_found');
          if (!ch.isMember) return slackError('not_in_channel');
        }
        if (params.thread_ts && !messages.some((m) => m.channel === channel && m.ts === params.thread_ts)) {
          return slackError('thread_not_found');
        }
        const done: object[] = [];
        for (const f of files) {
          const up = uploads.find((u) => u.fileId === f.id);
          if (!up || !up.bytes) return slackError('file_not_found');
          // Completing a file twice is an error in Slack too (it is already shared).
          if (up.completed) return slackError('file_upload_already_completed');
          up.title = f.title;
          up.channel = channel;
          up.thread_ts = params.thread_ts;
          if (params.initial_comment !== undefined) up.initialComment = params.initial_comment;
          up.completed = true;
          if (channel !== undefined) up.ts = nextTs();
          done.push({ id: up.fileId, name: up.filename, title: up.title });
        }
        return ok({ files: done });
      }
      default:
        return slackError('unknown_method');
    }
  }

  const server: FakeHttpServer = new FakeHttpServer(routeOf, async (req, raw) => {
    const route = routeOf(req);
    for (const l of listeners) l(route);
    const fault = faults.take(route) ?? faultPolicy?.(route);
    if (fault && 'hangMs' in fault) {
      // A slow server: if the client times out first, nothing is processed.
      if (!(await waitUnlessAborted(req, fault.hangMs))) return { status: 500 };
    } else if (fault && 'status' in fault && !('afterApply' in fault && fault.afterApply)) {
      const headers: Record<string, string> = {};
      if (fault.status === 429) headers['retry-after'] = String(fault.retryAfter);
      return { status: fault.status, text: fault.status === 429 ? 'ratelimited' : 'server error', headers };
    } else if (fault && 'reset' in fault && !fault.afterApply) {
      return { status: 0, destroy: true };
    } else if (fault && 'slackError' in fault) {
      return slackError(fault.slackError);
    }

    const reply = await apply(route, req, raw);

    if (fault && 'slowMs' in fault) {
      // Done already; the answer is late. A client that gave up never sees it.
      await waitUnlessAborted(req, fault.slowMs);
      return reply;
    }
    if (fault && 'reset' in fault) return { status: 0, destroy: true };
    if (fault && 'status' in fault) return { status: fault.status, text: 'server error after the fact' };
    return reply;
  });

  async function receiveUpload(req: IncomingMessage, raw: Buffer): Promise<Reply> {
    const fileId = (req.url ?? '').split('/').pop();
    const up = uploads.find((u) => u.fileId === fileId);
    if (!up) return { status: 404, text: 'unknown upload' };
    const contentType = req.headers['content-type'] ?? '';
    let bytes = raw;
    if (contentType.startsWith('multipart/form-data')) {
      // The client sends the file as a multipart field; undici's Response parses it for us.
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
      const part = [...form.values()].find((v) => typeof v !== 'string') as unknown as Blob | undefined;
      if (!part) return { status: 400, text: 'no file part' };
      bytes = Buffer.from(await part.arrayBuffer());
    }
    up.bytes = bytes;
    return { status: 200, text: `OK - ${bytes.length}` };
  }

  await server.start();
  return {
    get url() {
      return `${server.baseUrl}/api/`;
    },
    token,
    messages,
    updates,
    uploads,
    requests: server.requests,
    channels,
    scopes,
    requestsTo: (method) => server.requests.filter((r) => r.route === method),
    fail: (method, fault, times = 1) => faults.add(method, fault, times),
    setFaultPolicy: (policy) => {
      faultPolicy = policy;
    },
    counts: (channel) => {
      const inChannel = (c: string | undefined) => channel === undefined || c === channel;
      const calls = (method: string) =>
        server.requests.filter((r) => r.route === method && (channel === undefined || r.body.includes(channel))).length;
      return {
        postRequests: calls('chat.postMessage'),
        posted: messages.filter((m) => inChannel(m.channel)).length,
        uploadsCompleted: uploads.filter((u) => u.completed && inChannel(u.channel)).length,
        historyCalls: calls('conversations.history'),
        repliesCalls: calls('conversations.replies'),
      };
    },
    onRequest: (listener) => void listeners.push(listener),
    stop: () => server.stop(),
    restart: () => server.restart(),
    close: () => server.stop(),
  };
}

/** Orders Slack timestamps (`seconds.micros`) numerically. */
export function compareTs(a: string, b: string): number {
  const [as, am = '0'] = a.split('.');
  const [bs, bm = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(am.padEnd(6, '0')) - Number(bm.padEnd(6, '0'));
}

async function parseParams(req: IncomingMessage, raw: Buffer): Promise<Record<string, string | undefined>> {
  const type = req.headers['content-type'] ?? '';
  const out: Record<string, string | undefined> = {};
  if (type.startsWith('application/json')) {
    const json = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    for (const [k, v] of Object.entries(json)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return out;
  }
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
    for (const [k, v] of form.entries()) if (typeof v === 'string') out[k] = v;
    return out;
  }
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) out[k] = v;
  return out;
}

/** Slack wants `{ event_type, event_payload }`; anything else is `invalid_metadata_format`. */
function parseMetadata(text: string | undefined): MessageMetadata | undefined | 'invalid' {
  if (text === undefined || text === '') return undefined;
  try {
    const m = JSON.parse(text) as Partial<MessageMetadata>;
    if (typeof m.event_type !== 'string' || typeof m.event_payload !== 'object' || m.event_payload === null) return 'invalid';
    return { event_type: m.event_type, event_payload: m.event_payload };
  } catch {
    return 'invalid';
  }
}

/** Parses `blocks` and applies Slack's limits; 'invalid' is what Slack reports as invalid_blocks. */
function parseBlocks(text: string | undefined): SlackBlock[] | undefined | 'invalid' {
  if (text === undefined) return undefined;
  let blocks: unknown;
  try {
    blocks = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  if (!Array.isArray(blocks) || blocks.length > MAX_BLOCKS) return 'invalid';
  for (const b of blocks as SlackBlock[]) {
    if (typeof b !== 'object' || b === null || typeof b.type !== 'string') return 'invalid';
    if (b.type === 'section' && typeof b.text?.text === 'string' && b.text.text.length > MAX_SECTION_TEXT) {
      return 'invalid';
    }
    if (b.type === 'header' && (typeof b.text?.text !== 'string' || b.text.text.length > MAX_HEADER_TEXT)) {
      return 'invalid';
    }
  }
  return blocks as SlackBlock[];
}

/** Every section/header/context text of a message's blocks, joined (for assertions). */
export function blocksText(blocks: SlackBlock[] | undefined): string {
  const parts: string[] = [];
  for (const b of blocks ?? []) {
    if (typeof b.text?.text === 'string') parts.push(b.text.text);
    for (const e of (b.elements ?? []) as SlackBlock[]) if (typeof e.text === 'string') parts.push(e.text);
  }
  return parts.join('\n');
}
