/** Inline stylesheet of the HTML report (kept apart so html.ts stays about structure). */
export const REPORT_CSS = `
:root {
  --fg: #1d2330; --muted: #6b7280; --line: #e5e7eb; --bg: #f5f6f8; --card: #fff;
  --alert: #d62728; --alert-bg: #fdecec; --error: #9a3412; --error-bg: #fff1e6;
  --ok: #2e7d32; --ok-bg: #e8f5e9; --skipped: #6b7280; --skipped-bg: #eef0f3;
  --critical: #b91c1c; --warning: #b45309; --info: #1d4ed8;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
header.report-header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header.report-header { padding-top: 24px; padding-bottom: 8px; }
h1 { font-size: 24px; margin: 0 0 8px; }
.meta { display: flex; gap: 32px; margin: 0 0 14px; }
.meta div { display: flex; flex-direction: column; }
.meta dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.meta dd { margin: 0; font-weight: bold; }
.muted { color: var(--muted); font-weight: normal; }
.counts { list-style: none; display: flex; gap: 10px; padding: 0; margin: 0 0 14px; }
.counts .count { padding: 6px 14px; border-radius: 8px; background: var(--card); border: 1px solid var(--line); }
.counts .count b { font-size: 18px; margin-right: 4px; }
.counts .zero { opacity: .55; }
.count.status-alert b { color: var(--alert); } .count.status-error b { color: var(--error); }
.count.status-ok b { color: var(--ok); } .count.status-skipped b { color: var(--skipped); }
.attention { margin: 0 0 8px; padding-left: 22px; }
.attention li { margin: 3px 0; }
.attention a { color: var(--fg); font-weight: bold; }
.all-clear { color: var(--ok); font-weight: bold; }
.card { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--skipped);
  border-radius: 10px; padding: 16px 20px; margin: 16px 0; }
.card.status-alert { border-left-color: var(--alert); } .card.status-error { border-left-color: var(--error); }
.card.status-ok { border-left-color: var(--ok); }
.card-head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.card-head h2 { font-size: 18px; margin: 0; word-break: break-all; }
.card-head .duration { margin-left: auto; font-size: 12px; }
.type { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; color: var(--muted);
  background: var(--bg); padding: 2px 6px; border-radius: 4px; }
.badge { display: inline-block; font-size: 11px; font-weight: bold; text-transform: uppercase;
  letter-spacing: .04em; padding: 2px 8px; border-radius: 999px; border: 1px solid currentColor; }
.status-alert.badge, .badge.status-alert { color: var(--alert); background: var(--alert-bg); }
.badge.status-error { color: var(--error); background: var(--error-bg); }
.badge.status-ok { color: var(--ok); background: var(--ok-bg); }
.badge.status-skipped { color: var(--skipped); background: var(--skipped-bg); }
.badge.severity-critical { color: #fff; background: var(--critical); border-color: var(--critical); }
.badge.severity-warning { color: var(--warning); background: #fff7e6; }
.badge.severity-info { color: var(--info); background: #eef4ff; }
.description { margin: 8px 0 4px; color: #374151; }
.error-text { background: var(--error-bg); color: var(--error); padding: 8px 12px; border-radius: 6px;
  white-space: pre-wrap; word-break: break-word; margin: 8px 0; font-size: 13px; }
figure.chart { margin: 12px 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.chart-failed figcaption { color: var(--error); }
table.anomalies { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 13px; }
table.anomalies caption { text-align: left; font-weight: bold; padding: 4px 0; }
table.anomalies th { text-align: left; color: var(--muted); font-weight: normal; border-bottom: 2px solid var(--line); padding: 4px 8px; }
table.anomalies td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
table.anomalies .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.anomalies .key, table.anomalies .window { white-space: nowrap; }
details.rows { margin-top: 4px; font-size: 12px; }
details.rows summary { cursor: pointer; color: var(--muted); }
details.rows table { border-collapse: collapse; margin-top: 4px; }
details.rows th, details.rows td { border: 1px solid var(--line); padding: 2px 6px; text-align: left; }
.history { display: flex; align-items: center; gap: 12px; margin-top: 10px; font-size: 12px; }
.history-label { color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.strip-wrap { display: flex; flex-direction: column; }
.strip { list-style: none; display: flex; gap: 2px; padding: 0; margin: 0; }
.strip .cell { width: 14px; height: 18px; border-radius: 2px; background: var(--skipped-bg); }
.strip .status-ok { background: #81c784; } .strip .status-alert { background: var(--alert); }
.strip .status-error { background: #f59e0b; } .strip .status-skipped { background: #cbd5e1; }
.strip-axis { display: flex; justify-content: space-between; gap: 16px; color: var(--muted); font-size: 11px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { color: var(--muted); font-size: 12px; padding-bottom: 24px; }
`;
