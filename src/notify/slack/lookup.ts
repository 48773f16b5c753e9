/**
 * Slack has no idempotency key, so we make one: every message we post carries message metadata
 * with its delivery id, and before re-sending an item whose earlier attempt may have gone through
 * we look for it (conversations.history for digests, conversations.replies for thread replies and
 * charts) and adopt what we find instead of posting again.
 */
import type { WebClient } from '@slack/web-api';

/** The metadata event type of every message this tool posts. */
export const DELIVERY_EVENT_TYPE = 'anomaly_monitoring_delivery';
/**
 * Searches start this long before the first attempt: the attempt time is our clock, the
 * message ts Slack's, and the two may disagree a little.
 */
export const SEARCH_MARGIN_MS = 5 * 60_000;
/** Pages of up to 200 messages read per search; a busier channel is searched no further. */
export const SEARCH_MAX_PAGES = 25;
const PAGE_SIZE = 200;

export interface MessageMetadata {
  event_type: string;
  event_payload: { delivery_id: string };
}

export function deliveryMetadata(deliveryId: string): MessageMetadata {
  return { event_type: DELIVERY_EVENT_TYPE, event_payload: { delivery_id: deliveryId } };
}

interface FoundMessage {
  ts?: string;
  thread_ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  files?: { name?: string; title?: string }[];
}

interface Page {
  messages?: FoundMessage[];
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
}

export interface SearchResult {
  ts?: string;
  /** True when the page cap was reached without finding it (the search was not exhaustive). */
  truncated: boolean;
  pages: number;
}

/** `oldest` for a search: the first attempt's time minus the margin, as Slack's `seconds.micros`. */
export function oldestFor(firstAttemptAt: number): string {
  return (Math.max(0, firstAttemptAt - SEARCH_MARGIN_MS) / 1000).toFixed(6);
}

async function scan(fetchPage: (cursor: string | undefined) => Promise<Page>, match: (m: FoundMessage) => boolean): Promise<SearchResult> {
  let cursor: string | undefined;
  for (let pages = 1; pages <= SEARCH_MAX_PAGES; pages++) {
    const page = await fetchPage(cursor);
    const hit = (page.messages ?? []).find(match);
    if (hit?.ts) return { ts: hit.ts, truncated: false, pages };
    cursor = page.response_metadata?.next_cursor || undefined;
    if (!page.has_more || !cursor) return { truncated: false, pages };
  }
  return { truncated: true, pages: SEARCH_MAX_PAGES };
}

const carries = (m: FoundMessage, deliveryId: string): boolean =>
  m.metadata?.event_type === DELIVERY_EVENT_TYPE && m.metadata.event_payload?.delivery_id === deliveryId;

/** A top-level message of `channel` posted since `firstAttemptAt` that carries `deliveryId`. */
export function findPostedMessage(client: WebClient, channel: string, deliveryId: string, firstAttemptAt: number): Promise<SearchResult> {
  const oldest = oldestFor(firstAttemptAt);
  return scan(
    (cursor) =>
      client.conversations.history({
        channel,
        oldest,
        include_all_metadata: true,
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      }) as Promise<Page>,
    (m) => carries(m, deliveryId),
  );
}

function scanThread(
  client: WebClient,
  channel: string,
  threadTs: string,
  firstAttemptAt: number,
  match: (m: FoundMessage) => boolean,
): Promise<SearchResult> {
  const oldest = oldestFor(firstAttemptAt);
  return scan(
    (cursor) =>
      client.conversations.replies({
        channel,
        ts: threadTs,
        oldest,
        include_all_metadata: true,
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      }) as Promise<Page>,
    // The thread's parent comes first in every answer; it is never the reply we look for.
    (m) => m.ts !== threadTs && match(m),
  );
}

/** A reply in the thread of `threadTs` that carries `deliveryId`. */
export function findThreadReply(
  client: WebClient,
  channel: string,
  threadTs: string,
  deliveryId: string,
  firstAttemptAt: number,
): Promise<SearchResult> {
  return scanThread(client, channel, threadTs, firstAttemptAt, (m) => carries(m, deliveryId));
}

/**
 * A file named `filename` shared in the thread of `threadTs`. File shares carry no metadata; the
 * thread (one digest) and the file name (one chart per check per digest) identify the upload.
 */
export function findThreadFile(
  client: WebClient,
  channel: string,
  threadTs: string,
  filename: string,
  firstAttemptAt: number,
): Promise<SearchResult> {
  return scanThread(client, channel, threadTs, firstAttemptAt, (m) => (m.files ?? []).some((f) => f.name === filename));
}
