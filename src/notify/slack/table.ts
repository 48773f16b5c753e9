/**
 * The rows behind an anomaly as an aligned plain-text table (the way the original tool printed
 * its query results), fitted to a row count and a character budget.
 */
const MAX_CELL_WIDTH = 32;

function cellText(value: unknown): string {
  let s: string;
  if (value === null || value === undefined) s = 'NULL';
  else if (value instanceof Date) s = value.toISOString();
  else if (typeof value === 'object') s = JSON.stringify(value);
  else s = String(value);
  // One line per row; backticks would close the Slack code block.
  s = s.replace(/\s+/g, ' ').replace(/`/g, "'");
  return s.length > MAX_CELL_WIDTH ? s.slice(0, MAX_CELL_WIDTH - 1) + '…' : s;
}

function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

function render(rows: readonly Record<string, unknown>[]): string[] {
  const columns = columnsOf(rows);
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const headers = columns.map((c) => cellText(c));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  // Numbers are right-aligned so their digits line up, as in a database shell.
  const numeric = columns.map((c) => rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'));
  const align = (v: string, i: number) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!));
  const line = (values: string[]) => values.map(align).join(' | ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)];
}

export interface TableOptions {
  maxRows: number;
  /** Budget for the result as measured by `measure` (e.g. after escaping). */
  maxChars: number;
  measure?: (text: string) => number;
}

/**
 * The table text, or '' for no rows. Shows at most `maxRows` rows and fewer if needed to fit
 * `maxChars`; then a last line "+N more rows".
 */
export function formatTable(rows: readonly Record<string, unknown>[], opts: TableOptions): string {
  if (rows.length === 0) return '';
  const measure = opts.measure ?? ((t: string) => t.length);
  for (let shown = Math.min(opts.maxRows, rows.length); shown >= 0; shown--) {
    const lines = shown > 0 ? render(rows.slice(0, shown)) : [];
    const hidden = rows.length - shown;
    if (hidden > 0) lines.push(`+${hidden} more row${hidden === 1 ? '' : 's'}`);
    const text = lines.join('\n');
    if (measure(text) <= opts.maxChars) return text;
  }
  return `${rows.length} rows`;
}
