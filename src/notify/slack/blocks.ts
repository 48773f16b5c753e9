/**
 * The Slack digest: one Block Kit message per channel per run, within Slack's limits
 * (50 blocks, 3,000 characters per section, 150 per header).
 */
import type { Severity } from '../../types.js';
import type { DigestAlert } from '../types.js';
import { escapeMrkdwn, formatInstant, formatNumber, formatWindow, truncateText } from './format.js';
import { formatTable } from './table.js';

export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_SECTION_CHARS = 3000;
export const SLACK_MAX_HEADER_CHARS = 150;
/** Rows of an anomaly shown in its table; the rest become "+N more rows". */
export const TABLE_MAX_ROWS = 15;
const FALLBACK_TEXT_MAX = 1000;

/** A Block Kit block (loosely typed: the digest builds only header, section and context blocks). */
export type SlackBlock = { type: string } & Record<string, unknown>;

export interface DigestInput {
  alerts: DigestAlert[];
  runId: string;
  /** Evaluation time (ISO). */
  at: string;
  /** IANA zone for displayed times; default UTC. */
  tz?: string;
}

export interface SlackMessageBody {
  /** Plain summary: what notifications and screen readers show. */
  text: string;
  blocks: SlackBlock[];
}

export const SEVERITY_EMOJI: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
const RESOLVED_EMOJI = '✅';
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Firing before resolved, then most severe first; otherwise the caller's order. */
function ordered(alerts: readonly DigestAlert[]): DigestAlert[] {
  return alerts
    .map((a, i) => ({ a, i }))
    .sort((x, y) => {
      const state = (x.a.state === 'firing' ? 0 : 1) - (y.a.state === 'firing' ? 0 : 1);
      if (state !== 0) return state;
      const sev = SEVERITY_RANK[severityOf(x.a)] - SEVERITY_RANK[severityOf(y.a)];
      return sev !== 0 ? sev : x.i - y.i;
    })
    .map((x) => x.a);
}

function severityOf(a: DigestAlert): Severity {
  return a.anomaly.severity ?? a.severity;
}

interface Counts {
  critical: number;
  warning: number;
  info: number;
  resolved: number;
}

function countAlerts(alerts: readonly DigestAlert[]): Counts {
  const c: Counts = { critical: 0, warning: 0, info: 0, resolved: 0 };
  for (const a of alerts) {
    if (a.state === 'resolved') c.resolved++;
    else c[severityOf(a)]++;
  }
  return c;
}

function countsLine(c: Counts, withEmoji: boolean): string {
  const parts: string[] = [];
  const add = (n: number, emoji: string, label: string) => {
    if (n > 0) parts.push(withEmoji ? `${emoji} ${n} ${label}` : `${n} ${label}`);
  };
  add(c.critical, SEVERITY_EMOJI.critical, 'critical');
  add(c.warning, SEVERITY_EMOJI.warning, c.warning === 1 ? 'warning' : 'warnings');
  add(c.info, SEVERITY_EMOJI.info, 'info');
  add(c.resolved, RESOLVED_EMOJI, 'resolved');
  return parts.join(withEmoji ? ' · ' : ', ');
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateText(text, SLACK_MAX_SECTION_CHARS) } };
}

function firingText(a: DigestAlert, tz: string): string {
  const an = a.anomaly;
  const lines = [
    `${SEVERITY_EMOJI[severityOf(a)]} *${escapeMrkdwn(a.check)}* — ${escapeMrkdwn(a.description)}`,
    `*Observed* ${formatNumber(an.observed)} · *expected* ${formatNumber(an.expected)} · ` +
      `*window* ${formatWindow(an.start, an.end, tz)}`,
    `> ${escapeMrkdwn(an.message)}`,
    `_firing since ${formatInstant(a.firstSeen, tz)}_`,
  ];
  return lines.join('\n');
}

function resolvedText(a: DigestAlert, tz: string): string {
  const strike = (s: string) => `~${s}~`;
  const lines = [
    `${RESOLVED_EMOJI} ${strike(`*${escapeMrkdwn(a.check)}* — ${escapeMrkdwn(a.description)}`)}`,
    strike(escapeMrkdwn(a.anomaly.message)),
    `resolved at ${a.resolvedAt ? formatInstant(a.resolvedAt, tz) : 'this run'}`,
  ];
  return lines.join('\n');
}

/** A code-block section with the anomaly's rows, or nothing when there are none. */
function rowsBlock(a: DigestAlert): SlackBlock | undefined {
  const rows = a.anomaly.rows;
  if (!rows || rows.length === 0 || a.state === 'resolved') return undefined;
  const fence = '```';
  const table = formatTable(rows, {
    maxRows: TABLE_MAX_ROWS,
    maxChars: SLACK_MAX_SECTION_CHARS - 2 * fence.length - 2,
    measure: (t) => escapeMrkdwn(t).length,
  });
  return section(`${fence}\n${escapeMrkdwn(table)}\n${fence}`);
}

export function renderDigest(input: DigestInput): SlackMessageBody {
  const tz = input.tz ?? 'UTC';
  const alerts = ordered(input.alerts);
  const counts = countAlerts(alerts);
  const headline = alerts.length ? countsLine(counts, true) : `${RESOLVED_EMOJI} no active alerts`;

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncateText(headline, SLACK_MAX_HEADER_CHARS), emoji: true } },
  ];
  const context: SlackBlock = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Run \`${escapeMrkdwn(input.runId)}\` · evaluated ${formatInstant(input.at, tz)}`,
      },
    ],
  };
  // Header and context are always there; the rest is shared by the alerts.
  const budget = SLACK_MAX_BLOCKS - 2;
  let used = 0;
  for (let i = 0; i < alerts.length; i++) {
    const a = alerts[i]!;
    const own = [section(a.state === 'resolved' ? resolvedText(a, tz) : firingText(a, tz))];
    const table = rowsBlock(a);
    if (table) own.push(table);
    const remainingAfter = alerts.length - i - 1;
    // Keep one block free for "+N more alerts" unless this is the last alert.
    const reserve = remainingAfter > 0 ? 1 : 0;
    if (used + own.length + reserve > budget) {
      blocks.push(section(`_+${alerts.length - i} more alert${alerts.length - i === 1 ? '' : 's'} not shown_`));
      break;
    }
    blocks.push(...own);
    used += own.length;
  }
  if (alerts.length === 0) blocks.push(section('Nothing to report.'));
  blocks.push(context);
  return { text: fallbackText(alerts, counts), blocks };
}

function fallbackText(alerts: readonly DigestAlert[], counts: Counts): string {
  if (alerts.length === 0) return 'Anomaly monitoring: no active alerts';
  const checks = [...new Set(alerts.map((a) => a.check))];
  const named = checks.slice(0, 5).join(', ') + (checks.length > 5 ? ` (+${checks.length - 5} more)` : '');
  return truncateText(`Anomaly monitoring: ${countsLine(counts, false)} — ${escapeMrkdwn(named)}`, FALLBACK_TEXT_MAX);
}
