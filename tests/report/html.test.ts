import { describe, expect, it } from 'vitest';
import { renderReportHtml, orderResults } from '../../src/report/html.js';
import { namespaceSvgIds } from '../../src/report/svg-ids.js';
import { HOSTILE_NAME, reportInput, reportResults } from './report-fixtures.js';

/** Text of the card for `check` (from its opening tag to the next card). */
function cardHtml(html: string, check: string): string {
  const start = html.indexOf(`data-check="${check}"`);
  expect(start).toBeGreaterThan(-1);
  const next = html.indexOf('<section class="card', start);
  return html.slice(start, next === -1 ? undefined : next);
}

describe('renderReportHtml', () => {
  it('renders one card per check, alerts first and the most severe first within them', async () => {
    const html = await renderReportHtml(reportInput());
    const order = [...html.matchAll(/<section class="card[^"]*"[^>]*data-check="([^"]*)"/g)].map((m) => m[1]);
    expect(order).toEqual([
      'checkout_volume',
      'reversed_rate',
      'transaction_mix',
      HOSTILE_NAME.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'),
      'unfinished_orders',
    ]);
  });

  it('summarises the run: evaluation time, run id, counts by status, links to alerting checks', async () => {
    const html = await renderReportHtml(reportInput());
    const header = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    expect(header).toContain('2023-05-15 15:00');
    expect(header).toContain('run-2023-05-15T15:00:00Z-7f3a');
    expect(header).toMatch(/status-alert"><b>3<\/b> alert/);
    expect(header).toMatch(/status-error"><b>1<\/b> error/);
    expect(header).toMatch(/status-ok"><b>1<\/b> ok/);
    expect(header).toContain('href="#check-1">checkout_volume</a>');
    expect(header).toContain('SqliteError: no such table: merchants');
  });

  it('says so when nothing alerts', async () => {
    const input = reportInput();
    input.results = input.results.filter((r) => r.status === 'ok');
    const html = await renderReportHtml(input);
    expect(html).toContain('No alerts');
    expect(html).toMatch(/status-alert zero"><b>0<\/b> alert/);
  });

  it('escapes check names, descriptions, messages and errors from config and data', async () => {
    const html = await renderReportHtml(reportInput());
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>markup</b>');
    expect(html).toContain('merchant&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;co');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('lists each anomaly with its window, values and message', async () => {
    const html = await renderReportHtml(reportInput());
    const card = cardHtml(html, 'reversed_rate');
    expect(card).toContain('<caption>1 anomaly</caption>');
    expect(card).toContain('<td class="key">reversed</td>');
    expect(card).toContain('2023-05-15 14:33 – 14:38');
    // A share is a percentage here too, as in the message (not 0.187).
    expect(card).toContain('<td class="num">18.7 %</td>');
    expect(card).toContain('<td class="num">0.50 %</td>');
    expect(card).toContain('<td class="num">41.20</td>');
    expect(card).toContain('reversed 18.7 % of transactions 14:33–14:38');
    // The rows behind the anomaly are folded under it.
    expect(card).toMatch(/<details class="rows"><summary>1 row<\/summary>/);
    expect(card).toContain('<th>minute</th><th>reversed</th>');
    expect(card).toContain('<td>14:33</td><td>61</td>');
    // A missing observed/expected shows a dash, not "null".
    const mix = cardHtml(html, 'transaction_mix');
    expect(mix).not.toContain('null');
    expect(mix).toContain('badge severity-critical');
  });

  it("badges a card with its most severe anomaly's severity, not the check's default", async () => {
    const input = reportInput();
    const mixed = input.results.find((r) => r.check === 'checkout_volume')!;
    mixed.severity = 'warning';
    mixed.anomalies[1]!.severity = 'critical';
    const html = await renderReportHtml(input);
    const head = cardHtml(html, 'checkout_volume').split('</div>')[0]!;
    expect(head).toContain('badge severity-critical');
    expect(head).not.toContain('badge severity-warning');
  });

  it('an on-demand report (--at) says it is not a recorded run instead of "Run none"', async () => {
    const html = await renderReportHtml({ ...reportInput(), runId: null });
    const header = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    expect(header).not.toMatch(/>none</);
    expect(header).toContain('evaluated for this report');
  });

  it('shows a window that starts and ends in the same minute as a moment', async () => {
    const input = reportInput();
    const a = input.results.find((r) => r.check === 'reversed_rate')!.anomalies[0]!;
    a.end = a.start;
    const card = cardHtml(await renderReportHtml(input), 'reversed_rate');
    expect(card).toContain('<td class="window">at 2023-05-15 14:33</td>');
  });

  it('shows times in the requested zone', async () => {
    const html = await renderReportHtml({ ...reportInput(), tz: 'America/Sao_Paulo' });
    expect(html).toContain('2023-05-15 12:00'); // 15:00Z
    expect(cardHtml(html, 'reversed_rate')).toContain('2023-05-15 11:33 – 11:38');
    expect(html).toContain('Time (America/Sao_Paulo)');
  });

  it('draws the recent history as one cell per run, oldest first', async () => {
    const html = await renderReportHtml(reportInput());
    const card = cardHtml(html, 'reversed_rate');
    const cells = [...card.matchAll(/<li class="cell status-(\w+)" title="([^"]*)"/g)];
    expect(cells).toHaveLength(24);
    expect(cells.slice(-2).map((c) => c[1])).toEqual(['alert', 'alert']);
    expect(cells[0]![2]).toBe('2023-05-14 15:00 — ok, 0 anomalies');
    expect(card).toContain('24 runs, 2 alerting');
    expect(html).toContain('no earlier runs'); // the new check
  });

  it('inlines each chart SVG with ids unique across the page', async () => {
    const html = await renderReportHtml(reportInput());
    expect(html.match(/<figure class="chart"[^>]*><svg/g)).toHaveLength(4);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    // Every url(#…) reference points at an id that exists.
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
  });

  it('makes no external references: no scripts, stylesheets, images or fonts to fetch', async () => {
    const html = await renderReportHtml(reportInput());
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|<[^>]*\ssrc=/i);
    // Only XML namespace URIs (never fetched) may look like URLs.
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
  });

  it('keeps the report when a chart cannot be drawn', async () => {
    const input = reportInput();
    input.results = [{ ...reportResults()[0]!, chart: { kind: 'nope' } as never }];
    const html = await renderReportHtml(input);
    expect(html).toContain('Chart could not be drawn');
    expect(html).toContain('data-check="unfinished_orders"');
  });
});

describe('orderResults', () => {
  it('puts alerts, then errors, skipped and ok', () => {
    const rs = reportResults();
    const skipped = { ...rs[0]!, check: 'a_skipped', status: 'skipped' as const };
    expect(orderResults([...rs, skipped]).map((r) => r.status)).toEqual(['alert', 'alert', 'alert', 'error', 'skipped', 'ok']);
  });
});

describe('namespaceSvgIds', () => {
  it('prefixes ids and their url()/href references only', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"/><use href="#clip1"/><a href="#other"/></svg>';
    expect(namespaceSvgIds(svg, 'c2')).toBe(
      '<svg><defs><clipPath id="c2-clip1"><rect/></clipPath></defs><g clip-path="url(#c2-clip1)"/><use href="#c2-clip1"/><a href="#other"/></svg>',
    );
  });
});
