/** Small text helpers for Slack messages: numbers, times in the configured zone, mrkdwn escaping. */
import { wallClockAt } from '../../time.js';

/**
 * Makes data inert in Slack mrkdwn: the one helper every Slack text that carries data (check
 * names, descriptions, anomaly messages, keys, table rows, file titles) goes through.
 * - `&`, `<`, `>` become entities, so `<!channel>` cannot ping and `<https://x|y>` cannot disguise a link.
 * - `*`, `~` and `` ` `` become their fullwidth look-alikes (＊ ～ ｀), so data cannot bold, strike
 *   or open code spans. `_` is replaced (＿) only where it could start or end italics, i.e. when
 *   not between two letters or digits: `status_rates` stays as it is, `_x_` does not italicise.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\*/g, '\uFF0A')
    .replace(/~/g, '\uFF5E')
    .replace(/`/g, '\uFF40')
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\uFF3F');
}

/**
 * Cuts `text` to at most `max` characters, ending with "… +N more <unit>" so the reader knows
 * something was left out. Never ends inside an HTML entity produced by escapeMrkdwn.
 */
export function truncateText(text: string, max: number, unit = 'chars'): string {
  if (text.length <= max) return text;
  let keep = max - `… +${text.length} more ${unit}`.length;
  let head = text.slice(0, Math.max(0, keep)).replace(/&[a-z]*$/, '');
  keep = head.length;
  head += `… +${text.length - keep} more ${unit}`;
  return head;
}

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '-∞';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 4;
  return Number(n.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function dateAndTime(ms: number, tz: string): { date: string; time: string } {
  const w = wallClockAt(ms, tz);
  return { date: `${w.year}-${pad(w.month)}-${pad(w.day)}`, time: `${pad(w.hour)}:${pad(w.minute)}` };
}

/** `2023-05-15 14:33 UTC` (the zone's name is shown so nobody has to guess). */
export function formatInstant(iso: string, tz: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const { date, time } = dateAndTime(ms, tz);
  return `${date} ${time} ${tz}`;
}

/** `2023-05-15 14:33–14:38 UTC`, both dates when the window spans midnight, `at 2023-05-15 14:33 UTC` for a moment. */
export function formatWindow(startIso: string, endIso: string, tz: string): string {
  const start = Date.parse(startIso);
  const end = Date.parse(endIso);
  if (Number.isNaN(start) || Number.isNaN(end)) return `${startIso}–${endIso}`;
  const a = dateAndTime(start, tz);
  const b = dateAndTime(end, tz);
  if (a.date === b.date && a.time === b.time) return `at ${a.date} ${a.time} ${tz}`;
  if (a.date === b.date) return `${a.date} ${a.time}–${b.time} ${tz}`;
  return `${a.date} ${a.time} – ${b.date} ${b.time} ${tz}`;
}
