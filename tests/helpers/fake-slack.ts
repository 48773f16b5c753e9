/**
 * A fake Slack Web API on 127.0.0.1 for tests: enough of auth.test, conversations.info,
 * chat.postMessage/update and the files.uploadV2 flow to exercise the real @slack/web-api client,
 * with Slack's own limits on blocks and fault injection per method.
 */
import type { IncomingMessage } from 'node:http';
import { FakeHttpServer, FaultQueue, waitUnlessAborted, type RecordedRequest, type Reply } from '../notify/support/fake-http.js';

export type SlackFault =
  | { status: 429; retryAfter: number }
  | { status: 500 | 502 | 503 }
  | { hangMs: number }
  | { slackError: 'invalid_auth' | 'not_in_channel' | 'channel_not_found' | (string & {}) };

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: SlackBlock[] | undefined;
  thread_ts: string | undefined;
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
  completed: boolean;
}

export interface FakeSlackChannel {
  name: string;
  isMember: boolean;
}

// Slack blocks are loosely typed JSON; the fake only inspects what it validates.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SlackBlock = Record<string, any>;

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
  /** Requests to one API method (e.g. `chat.postMessage`), in order. */
  requestsTo(method: string): RecordedRequest[];
  /** The next `times` calls of `method` (or `upload` for the upload URL) meet `fault`. */
  fail(method: string, fault: SlackFault, times?: number): void;
  /** Closes the port: clients get ECONNREFUSED until restart(). */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface FakeSlackOptions {
  token?: string;
  strictChannels?: boolean;
}

export const FAKE_SLACK_TOKEN = 'xoxb-111111111111-2222222222222-fakefakefakefakefake';

/** Slack's documented block limits, enforced like the real API (`invalid_blocks`). */
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const token = opts.token ?? FAKE_SLACK_TOKEN;
  const messages: FakeSlackMessage[] = [];
  const updates: FakeSlackUpdate[] = [];
  const uploads: FakeSlackUpload[] = [];
  const channels = new Map<string, FakeSlackChannel>();
  const faults = new FaultQueue<SlackFault>();
  let tsSeq = 0;
  let fileSeq = 0;

  const routeOf = (req: IncomingMessage): string => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/upload/')) return 'upload';
    return path.replace(/^\/api\//, '');
  };

  const ok = (json: Record<string, unknown>): Reply => ({ status: 200, json: { ok: true, ...json } });
  const slackError = (error: string): Reply => ({ status: 200, json: { ok: false, error } });

  const channelFor = (id: string): FakeSlackChannel | undefined => {
    let ch = channels.get(id);
    if (!ch && !opts.strictChannels && id) {
      ch = { name: `channel-${id.toLowerCase()}`, isMember: true };
      channels.set(id, ch);
    }
    return ch;
  };

  const nextTs = (): string => {
    tsSeq += 100;
    return `1700000000.${String(tsSeq).padStart(6, '0')}`;
  };

  const server: FakeHttpServer = new FakeHttpServer(routeOf, async (req, raw) => {
    const route = routeOf(req);
    const fault = faults.take(route);
    if (fault && 'hangMs' in fault) {
      // A slow server: if the client times out first, nothing is processed.
      if (!(await waitUnlessAborted(req, fault.hangMs))) return { status: 500 };
    } else if (fault && 'status' in fault) {
      const headers: Record<string, string> = {};
      if (fault.status === 429) headers['retry-after'] = String(fault.retryAfter);
      return { status: fault.status, text: fault.status === 429 ? 'ratelimited' : 'server error', headers };
    } else if (fault && 'slackError' in fault) {
      return slackError(fault.slackError);
    }

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
        return ok({ channel: { id: params.channel, name: ch.name, is_channel: true, is_member: ch.isMember } });
      }
      case 'chat.postMessage': {
        const channel = params.channel ?? '';
        const ch = channelFor(channel);
        if (!ch) return slackError('channel_not_found');
        if (!ch.isMember) return slackError('not_in_channel');
        const blocks = parseBlocks(params.blocks);
        if (blocks === 'invalid') return slackError('invalid_blocks');
        if (!params.text && !blocks) return slackError('no_text');
        if (params.thread_ts && !messages.some((m) => m.channel === channel && m.ts === params.thread_ts)) {
          return slackError('thread_not_found');
        }
        const ts = nextTs();
        messages.push({ channel, ts, text: params.text, blocks, thread_ts: params.thread_ts });
        return ok({ channel, ts, message: { text: params.text, ts } });
      }
      case 'chat.update': {
        const channel = params.channel ?? '';
        if (!channelFor(channel)) return slackError('channel_not_found');
        const msg = messages.find((m) => m.channel === channel && m.ts === params.ts);
        if (!msg) return slackError('message_not_found');
        const blocks = parseBlocks(params.blocks);
        if (blocks === 'invalid') return slackError('invalid_blocks');
        msg.text = params.text;
        msg.blocks = blocks;
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
        const done: object[] = [];
        for (const f of files) {
          const up = uploads.find((u) => u.fileId === f.id);
          if (!up || !up.bytes) return slackError('file_not_found');
          up.title = f.title;
          up.channel = channel;
          up.thread_ts = params.thread_ts;
          up.completed = true;
          done.push({ id: up.fileId, name: up.filename, title: up.title });
        }
        return ok({ files: done });
      }
      default:
        return slackError('unknown_method');
    }
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
    requestsTo: (method) => server.requests.filter((r) => r.route === method),
    fail: (method, fault, times = 1) => faults.add(method, fault, times),
    stop: () => server.stop(),
    restart: () => server.restart(),
    close: () => server.stop(),
  };
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
