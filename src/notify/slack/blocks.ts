/**
 * The Slack digest: one Block Kit message per channel per run, within Slack's limits
 * (50 blocks, 3,000 characters per section, 150 per header).
 */
import type { Anomaly, Severity } from '../../types.js';
import { formatShare } from '../../detect/format.js';
import type { DigestAlert } from '../types.js';
import { escapeMrkdwn, formatInstant, formatNumber, formatWindow, truncateText } from './format.js';
import { formatTable } from './table.js';

export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_SECTION_CHARS = 3000;
export const SLACK_MAX_HEADER_CHARS = 150;
/** Rows of an anomaly shown in its table; the rest become "+N more rows". */
export const TABLE_MAX_ROWS = 15;
/**
 * A check with this many firing alerts in one digest gets one section with a table of them instead
 * of a section each (eight merchants' unfinished orders would repeat one description eight times).
 */
export const GROUP_MIN_ALERTS = 4;
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

/** Observed / expected as the message says them: shares as percentages. */
function formatValue(v: number | null, unit: Anomaly['unit']): string {
  if (unit === 'share' && v !== null && Number.isFinite(v)) return formatShare(v);
  return formatNumber(v);
}

function firingText(a: DigestAlert, tz: string): string {
  const an = a.anomaly;
  // An anomaly without numbers (a check that errored, data that stopped) says when, not "— vs —".
  const measured = an.observed !== null || an.expected !== null;
  const lines = [
    `${SEVERITY_EMOJI[severityOf(a)]} *${escapeMrkdwn(a.check)}* — ${escapeMrkdwn(a.description)}`,
    measured
      ? `*Observed* ${formatValue(an.observed, an.unit)} · *expected* ${formatValue(an.expected, an.unit)} · ` +
        `*window* ${formatWindow(an.start, an.end, tz)}`
      : `*when* ${formatWindow(an.start, an.end, tz)}`,
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

/** One section for many firing alerts of one check: the description once, a row per alert. */
function groupBlocks(group: DigestAlert[], tz: string): SlackBlock[] {
  const first = group[0]!;
  const worst = group.map(severityOf).sort((x, y) => SEVERITY_RANK[x] - SEVERITY_RANK[y])[0]!;
  const since = group.map((a) => a.firstSeen).sort()[0]!;
  const head = [
    `${SEVERITY_EMOJI[worst]} *${escapeMrkdwn(first.check)}* — ${escapeMrkdwn(first.description)} · *${group.length} alerts*`,
    `_firing since ${formatInstant(since, tz)} (the earliest)_`,
  ].join('\n');
  const rows = group.map((a) => ({
    key: a.anomaly.key,
    severity: severityOf(a),
    observed: formatValue(a.anomaly.observed, a.anomaly.unit),
    expected: formatValue(a.anomaly.expected, a.anomaly.unit),
    // Two columns: a window across days does not fit one table cell.
    [`from (${tz})`]: formatInstant(a.anomaly.start, tz).replace(` ${tz}`, ''),
    to: a.anomaly.end === a.anomaly.start ? '' : formatInstant(a.anomaly.end, tz).replace(` ${tz}`, ''),
  }));
  const fence = '```';
  const table = formatTable(rows, {
    maxRows: TABLE_MAX_ROWS,
    maxChars: SLACK_MAX_SECTION_CHARS - 2 * fence.length - 2,
    measure: (t) => escapeMrkdwn(t).length,
  });
  return [section(head), section(`${fence}\n${escapeMrkdwn(table)}\n${fence}`)];
}

/** The digest's parts in order: a group per check with many firing alerts, else one alert each. */
function units(alerts: DigestAlert[], tz: string): { blocks: SlackBlock[]; alerts: number }[] {
  const firingPerCheck = new Map<string, DigestAlert[]>();
  for (const a of alerts) if (a.state === 'firing') firingPerCheck.set(a.check, [...(firingPerCheck.get(a.check) ?? []), a]);
  const out: { blocks: SlackBlock[]; alerts: number }[] = [];
  const grouped = new Set<string>();
  for (const a of alerts) {
    const group = a.state === 'firing' ? firingPerCheck.get(a.check)! : [];
    if (group.length >= GROUP_MIN_ALERTS) {
      // The group takes the place of its most severe alert (alerts are ordered most severe first).
      if (!grouped.has(a.check)) out.push({ blocks: groupBlocks(group, tz), alerts: group.length });
      grouped.add(a.check);
      continue;
    }
    const own = [section(a.state === 'resolved' ? resolvedText(a, tz) : firingText(a, tz))];
    const table = rowsBlock(a);
    if (table) own.push(table);
    out.push({ blocks: own, alerts: 1 });
  }
  return out;
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
  const parts = units(alerts, tz);
  let shown = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    // Keep one block free for "+N more alerts" unless this is the last part.
    const reserve = i < parts.length - 1 ? 1 : 0;
    if (used + part.blocks.length + reserve > budget) {
      const hidden = alerts.length - shown;
      blocks.push(section(`_+${hidden} more alert${hidden === 1 ? '' : 's'} not shown_`));
      break;
    }
    blocks.push(...part.blocks);
    used += part.blocks.length;
    shown += part.alerts;
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
