/**
 * The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external
 * requests) so it can be mailed, archived or opened from disk as is.
 */
import type { Anomaly, CheckResult, CheckStatus, Severity } from '../types.js';
import { wallClockAt } from '../time.js';
import { renderSvg } from './render.js';
import { namespaceSvgIds } from './svg-ids.js';
import { REPORT_CSS } from './report-css.js';
import { formatShare } from '../detect/format.js';
import { plural } from '../text.js';

export interface HistoryEntry {
  at: string;
  status: CheckStatus;
  anomalies: number;
}

export interface ReportInput {
  /** When the report was generated (ISO). */
  generatedAt: string;
  /** The evaluation time of the run shown (ISO). */
  at: string;
  runId: string | null;
  /** IANA zone for displayed times (default UTC). */
  tz?: string;
  results: CheckResult[];
  /** Recent runs per check name, oldest first. */
  history: Record<string, HistoryEntry[]>;
}

/** Charts fill the card at 1280 px (the card's inner width is ~1090 px); CSS shrinks them below. */
const REPORT_CHART_WIDTH = 1040;

const STATUS_ORDER: CheckStatus[] = ['alert', 'error', 'skipped', 'ok'];
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Escapes text for element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `YYYY-MM-DD HH:MM` of an ISO instant in `tz`; unparseable input is shown as given. */
export function formatTime(iso: string, tz: string, withDate = true): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const w = wallClockAt(ms, tz);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(w.hour)}:${p(w.minute)}`;
  return withDate ? `${w.year}-${p(w.month)}-${p(w.day)} ${time}` : time;
}

/**
 * The severity a card shows: the highest of its anomalies' (a warning check can raise a critical
 * anomaly), or the check's own when it has none.
 */
export function cardSeverity(r: CheckResult): Severity {
  let best: Severity = r.anomalies.length ? 'info' : r.severity;
  for (const a of r.anomalies) {
    const s = a.severity ?? r.severity;
    if (SEVERITY_RANK[s] < SEVERITY_RANK[best]) best = s;
  }
  return best;
}

/** Alerts first, then errors, skipped, ok; more severe first; then by name. */
export function orderResults(results: CheckResult[]): CheckResult[] {
  return [...results].sort(
    (a, b) =>
      STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) ||
      SEVERITY_RANK[cardSeverity(a)] - SEVERITY_RANK[cardSeverity(b)] ||
      a.check.localeCompare(b.check),
  );
}

export async function renderReportHtml(input: ReportInput): Promise<string> {
  const tz = input.tz ?? 'UTC';
  const ordered = orderResults(input.results);
  const cards: string[] = [];
  for (const [i, result] of ordered.entries()) {
    const chart = await chartFigure(result, tz, `c${i + 1}`);
    cards.push(card(result, chart, input.history[result.check] ?? [], tz, i));
  }
  const title = `Anomaly report — ${formatTime(input.at, tz)} ${tz}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${header(input, ordered, tz)}
<main>
${cards.join('\n')}
</main>
<footer>Generated ${escapeHtml(formatTime(input.generatedAt, tz))} ${escapeHtml(tz)} by anomaly-monitoring.</footer>
</body>
</html>
`;
}

function header(input: ReportInput, ordered: CheckResult[], tz: string): string {
  const counts = STATUS_ORDER.map((s) => [s, ordered.filter((r) => r.status === s).length] as const);
  const chips = counts
    .map(([s, n]) => `<li class="count status-${s}${n === 0 ? ' zero' : ''}"><b>${n}</b> ${s}</li>`)
    .join('');
  const needsAttention = ordered.filter((r) => r.status === 'alert' || r.status === 'error');
  const attention = needsAttention.length
    ? `<ol class="attention">${needsAttention
        .map(
          (r) =>
            `<li><a href="#${cardId(ordered.indexOf(r))}">${escapeHtml(r.check)}</a> ` +
            `${badge('status', r.status)} ${badge('severity', cardSeverity(r))} ` +
            `<span class="muted">${r.status === 'error' ? escapeHtml(firstLine(r.error ?? '')) : plural(r.anomalies.length, 'anomaly', 'anomalies')}</span></li>`,
        )
        .join('')}</ol>`
    : `<p class="all-clear">No alerts: every check is within its normal range.</p>`;
  return `<header class="report-header">
<h1>Anomaly report</h1>
<dl class="meta">
<div><dt>Evaluated at</dt><dd class="eval-time">${escapeHtml(formatTime(input.at, tz))} <span class="muted">${escapeHtml(tz)}</span></dd></div>
${
  input.runId === null
    ? '<div><dt>Source</dt><dd class="source">evaluated for this report <span class="muted">(not a recorded run)</span></dd></div>'
    : `<div><dt>Run</dt><dd class="run-id">${escapeHtml(input.runId)}</dd></div>`
}
<div><dt>Checks</dt><dd>${ordered.length}</dd></div>
</dl>
<ul class="counts">${chips}</ul>
${attention}
</header>`;
}

function cardId(index: number): string {
  return `check-${index + 1}`;
}

function card(r: CheckResult, chart: string, history: HistoryEntry[], tz: string, index: number): string {
  const error =
    r.error !== undefined && r.error !== ''
      ? `<pre class="error-text">${escapeHtml(r.error)}</pre>`
      : '';
  return `<section class="card status-${escapeHtml(r.status)}" id="${cardId(index)}" data-check="${escapeHtml(r.check)}" data-status="${escapeHtml(r.status)}">
<div class="card-head">
<h2>${escapeHtml(r.check)}</h2>
<span class="type">${escapeHtml(r.type)}</span>
${badge('severity', cardSeverity(r))}
${badge('status', r.status)}
<span class="duration muted">${formatDuration(r.durationMs)}</span>
</div>
${r.description ? `<p class="description">${escapeHtml(r.description)}</p>` : ''}
${error}
${chart}
${anomalyTable(r.anomalies, tz)}
${historyStrip(history, tz)}
</section>`;
}

async function chartFigure(r: CheckResult, tz: string, idPrefix: string): Promise<string> {
  if (!r.chart) return '';
  try {
    const svg = namespaceSvgIds(await renderSvg(r.chart, { tz, width: REPORT_CHART_WIDTH }), idPrefix);
    return `<figure class="chart" aria-label="${escapeHtml(r.chart.title)}">${svg}</figure>`;
  } catch (e) {
    // One broken chart must not cost the whole report.
    const message = e instanceof Error ? e.message : String(e);
    return `<figure class="chart chart-failed"><figcaption>Chart could not be drawn: ${escapeHtml(message)}</figcaption></figure>`;
  }
}

function anomalyTable(anomalies: Anomaly[], tz: string): string {
  if (anomalies.length === 0) return '';
  const rows = anomalies
    .map(
      (a) => `<tr>
<td class="key">${escapeHtml(a.key)}</td>
<td class="window">${escapeHtml(formatWindow(a.start, a.end, tz))}</td>
<td class="num">${formatValue(a.observed, a.unit)}</td>
<td class="num">${formatValue(a.expected, a.unit)}</td>
<td class="num">${formatValue(a.score)}</td>
<td class="message">${a.severity ? badge('severity', a.severity) + ' ' : ''}${escapeHtml(a.message)}${rowsDetails(a.rows)}</td>
</tr>`,
    )
    .join('\n');
  return `<table class="anomalies">
<caption>${plural(anomalies.length, 'anomaly', 'anomalies')}</caption>
<thead><tr><th>Key</th><th>Window (${escapeHtml(tz)})</th><th class="num">Observed</th><th class="num">Expected</th><th class="num">Score</th><th>Message</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

const MAX_ROWS = 20;

/** The raw rows behind an anomaly (e.g. order ids), folded away; no script needed for <details>. */
function rowsDetails(rows: Record<string, unknown>[] | undefined): string {
  if (!rows || rows.length === 0) return '';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const shown = rows.slice(0, MAX_ROWS);
  const more = rows.length > MAX_ROWS ? `<p class="muted">… and ${rows.length - MAX_ROWS} more</p>` : '';
  return `<details class="rows"><summary>${plural(rows.length, 'row', 'rows')}</summary>
<table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>
<tbody>${shown.map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(cell(r[c]))}</td>`).join('')}</tr>`).join('')}</tbody></table>${more}</details>`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function historyStrip(history: HistoryEntry[], tz: string): string {
  if (history.length === 0) return `<div class="history"><span class="history-label">History</span> <span class="muted">no earlier runs</span></div>`;
  const cells = history
    .map((h) => {
      const label = `${formatTime(h.at, tz)} — ${h.status}, ${plural(h.anomalies, 'anomaly', 'anomalies')}`;
      return `<li class="cell status-${escapeHtml(h.status)}" title="${escapeHtml(label)}"><span class="sr">${escapeHtml(label)}</span></li>`;
    })
    .join('');
  const first = history[0]!;
  const last = history[history.length - 1]!;
  const alerts = history.filter((h) => h.status === 'alert').length;
  return `<div class="history">
<span class="history-label">History</span>
<div class="strip-wrap">
<ol class="strip">${cells}</ol>
<div class="strip-axis"><span>${escapeHtml(formatTime(first.at, tz))}</span><span>${escapeHtml(formatTime(last.at, tz))}</span></div>
</div>
<span class="muted history-summary">${plural(history.length, 'run', 'runs')}, ${alerts} alerting</span>
</div>`;
}

function badge(kind: 'status' | 'severity', value: string): string {
  return `<span class="badge ${kind}-${escapeHtml(value)}">${escapeHtml(value)}</span>`;
}

function formatWindow(start: string, end: string, tz: string): string {
  const s = formatTime(start, tz);
  if (start === end || s === formatTime(end, tz)) return `at ${s}`;
  const sameDay = s.slice(0, 10) === formatTime(end, tz).slice(0, 10);
  return `${s} – ${formatTime(end, tz, !sameDay)}`;
}

function formatValue(v: number | null, unit?: Anomaly['unit']): string {
  if (v === null || !Number.isFinite(v)) return '<span class="muted">—</span>';
  // Shares are shown as the messages show them: 0.0778 → 7.8 %.
  if (unit === 'share') return escapeHtml(formatShare(v));
  const abs = Math.abs(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return abs >= 100 ? v.toFixed(0) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}


function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 140 ? line.slice(0, 139) + '…' : line;
}
