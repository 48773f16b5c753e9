import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSvg } from '../../src/report/render.js';
import { chartSpec } from '../../src/report/chart-spec.js';
import type { BaselinePoint, ChartData } from '../../src/types.js';
import { allCharts, barsChart, baselineChart, baselineFacetChart, isolationChart, statusRateChart } from './chart-fixtures.js';
import { itemsOf, summarizeSvg, type SvgSummary } from './svg-summary.js';

const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/charts/', import.meta.url));
const RED = '#d62728';

/** Compares with tests/fixtures/charts/<name>.golden.json; UPDATE_GOLDEN=1 rewrites it. */
function expectGolden(name: string, summary: SvgSummary): void {
  const file = `${GOLDEN_DIR}${name}.golden.json`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
  }
  if (!existsSync(file)) throw new Error(`missing golden ${file}: run with UPDATE_GOLDEN=1 and review it`);
  expect(summary).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

/** True when an SVG path (M/L commands, absolute) only moves horizontally or vertically. */
function isStepPath(d: string): boolean {
  const points = [...d.matchAll(/[ML]\s*(-?[\d.]+)[ ,](-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  if (points.length < 2 || /[CQSA]/.test(d)) return false;
  return points.every((p, i) => i === 0 || Math.abs(p[0] - points[i - 1]![0]) < 0.01 || Math.abs(p[1] - points[i - 1]![1]) < 0.01);
}

describe('chart SVGs', () => {
  it.each(Object.entries(allCharts()))('%s matches its structural golden file', async (name, chart) => {
    const svg = await renderSvg(chart);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('font-family="DejaVu Sans"');
    expectGolden(name, summarizeSvg(svg));
  });

  it('baseline: today bold against four comparison lines, the outage hours shaded and marked red', async () => {
    const svg = await renderSvg(baselineChart);
    const s = summarizeSvg(svg);
    expect(s.size).toEqual({ width: 720, height: 300 });
    expect(s.texts['title-text']).toEqual(['checkout_1 — hourly sales vs baseline']);
    // The y axis says what is counted (the check's unit), not a generic "Value".
    expect(s.texts['axis-title']).toEqual(['Hour (UTC)', 'Sales per hour']);
    // The shaded outage is labelled once (its two hours are one run).
    expect(s.texts['mark']).toEqual(['alert']);
    expect(s.texts['legend-label']).toEqual(['today', 'yesterday', 'same day last week', 'avg last week', 'avg last month']);
    const lines = itemsOf(svg, 'mark-line role-mark');
    expect(lines).toHaveLength(5);
    const widths = lines.map((l) => Number(l.attrs['stroke-width']));
    expect(widths.filter((w) => w === 3)).toHaveLength(1); // only "today" is bold
    const dashed = lines.filter((l) => l.attrs['stroke-dasharray'] && l.attrs['stroke-dasharray'] !== '1,0');
    expect(dashed).toHaveLength(4);
    // Counts per hour are steps, not smoothed curves: every segment is horizontal or vertical.
    for (const l of lines) expect(isStepPath(l.attrs.d ?? ''), l.attrs.d?.slice(0, 60)).toBe(true);
    // One shaded rect per alerting hour (08h and 09h) and one red dot on today's value each.
    expect(itemsOf(svg, 'mark-rect role-mark')).toHaveLength(2);
    const dots = itemsOf(svg, 'mark-symbol role-mark');
    expect(dots).toHaveLength(2);
    expect(dots.every((d) => d.attrs.fill === RED)).toBe(true);
  });

  it('baseline: a comparison series with no value at all has no legend entry', async () => {
    const chart = { ...baselineChart, points: (baselineChart as { points: BaselinePoint[] }).points.map((p) => ({ ...p, avg_last_month: null })) } as ChartData;
    const s = summarizeSvg(await renderSvg(chart));
    expect(s.texts['legend-label']).toEqual(['today', 'yesterday', 'same day last week', 'avg last week']);
  });

  it('baseline with several sources draws one row per source', async () => {
    const svg = await renderSvg(baselineFacetChart);
    const s = summarizeSvg(svg);
    // Row headers are drawn as titles, next to the chart title.
    expect([...s.texts['title-text']!].sort()).toEqual(['POS sales by checkout', 'checkout_1', 'checkout_2']);
    expect(itemsOf(svg, 'mark-line role-mark')).toHaveLength(10);
    // Only checkout_1 had the outage.
    expect(itemsOf(svg, 'mark-symbol role-mark')).toHaveLength(2);
  });

  it('status_rate: a line and a normal band per status, the bands and the alert window explained, no text on the data', async () => {
    const chart = statusRateChart();
    const svg = await renderSvg(chart);
    const s = summarizeSvg(svg);
    expect(s.texts['legend-label']).toEqual(['reversed', 'failed', 'denied']);
    expect(itemsOf(svg, 'mark-line role-mark')).toHaveLength(3);
    expect(itemsOf(svg, 'mark-area role-mark')).toHaveLength(3);
    const windowRect = itemsOf(svg, 'mark-rect role-mark');
    expect(windowRect).toHaveLength(1);
    expect(windowRect[0]!.attrs.fill).toBe(RED);
    expect(s.texts['title-subtitle']).toEqual(["Shaded in each status's colour: its normal range · red band: the alert window 14:33–14:38"]);
    expect(s.texts['mark']).toBeUndefined();
    // Shares are fractions, shown as percentages.
    expect(s.texts['axis-label']).toContain('20%');
  });

  it('isolation_forest: red points exactly at the anomalous minutes and a threshold rule named in the subtitle', async () => {
    const chart = isolationChart();
    const anomalies = chart.points.filter((p) => p.anomaly).length;
    expect(anomalies).toBeGreaterThan(0);
    const svg = await renderSvg(chart);
    expect(itemsOf(svg, 'mark-line role-mark')).toHaveLength(1);
    const dots = itemsOf(svg, 'mark-symbol role-mark');
    expect(dots).toHaveLength(anomalies);
    expect(dots.every((d) => d.attrs.fill === RED)).toBe(true);
    expect(itemsOf(svg, 'mark-rule role-mark')).toHaveLength(1);
    expect(summarizeSvg(svg).texts['title-subtitle']).toEqual(['Dashed red line: the alert threshold 0.62 · red dots: minutes scored above it']);
    expect(summarizeSvg(svg).texts['mark']).toBeUndefined();
  });

  it('isolation_forest: the threshold stays inside the plot when every score is below it', async () => {
    const chart = isolationChart();
    const calm = { ...chart, points: chart.points.map((p) => ({ ...p, score: Math.min(p.score, 0.5), anomaly: false })) };
    const svg = await renderSvg(calm);
    const rule = itemsOf(svg, 'mark-rule role-mark')[0]!;
    const y = Number(/translate\([\d.-]+,([\d.-]+)\)/.exec(rule.attrs.transform ?? '')?.[1]);
    expect(y).toBeGreaterThanOrEqual(0); // 0 = top of the plot area; negative would overlap the title
    expect(itemsOf(svg, 'mark-symbol role-mark')).toHaveLength(0);
  });

  it('bars: one bar per group, alerting groups red, the max as a rule named in the subtitle, axes saying what is measured', async () => {
    const svg = await renderSvg(barsChart);
    const bars = itemsOf(svg, 'mark-rect role-mark');
    expect(bars).toHaveLength(7);
    expect(bars.filter((b) => b.attrs.fill === RED)).toHaveLength(2);
    expect(itemsOf(svg, 'mark-rule role-mark')).toHaveLength(1);
    const s = summarizeSvg(svg);
    expect(s.texts['title-subtitle']).toEqual(['Dashed line: maximum 5']);
    expect(s.texts['mark']).toBeUndefined(); // no label drawn over the bars
    expect(s.texts['axis-title']).toEqual(['Merchant', 'Orders not settled']);
    expect(s.texts['axis-label']).toEqual(expect.arrayContaining(['merchant 4', 'merchant 6']));
  });

  it('bars: min and max both drawn when given', async () => {
    const chart: ChartData = { ...barsChart, min: 1, max: 10 };
    const svg = await renderSvg(chart);
    expect(itemsOf(svg, 'mark-rule role-mark')).toHaveLength(2);
    expect(summarizeSvg(svg).texts['title-subtitle']).toEqual(['Dashed lines: minimum 1, maximum 10']);
  });

  it('bars: no "alert" legend entry when no bar alerts', async () => {
    const calm = { ...barsChart, bars: barsChart.bars.map((b) => ({ ...b, alert: false })) };
    const svg = await renderSvg(calm);
    expect(summarizeSvg(svg).texts['legend-label']).toEqual(['normal']);
    expect(itemsOf(svg, 'mark-rect role-mark').every((b) => b.attrs.fill !== RED)).toBe(true);
  });

  it('shows times on the axis in the report time zone', async () => {
    // 13:00–15:00 UTC is 10:00–12:00 in São Paulo (UTC-3, no DST in 2023).
    const svg = await renderSvg(isolationChart(), { tz: 'America/Sao_Paulo' });
    const s = summarizeSvg(svg);
    expect(s.texts['axis-title']).toContain('Time (America/Sao_Paulo)');
    expect(s.texts['axis-label']![0]).toBe('10:00');
    expect(s.texts['axis-label']).not.toContain('13:00');
  });

  it('honours a custom size', async () => {
    const svg = await renderSvg(barsChart, { width: 500, height: 220 });
    expect(summarizeSvg(svg).size).toEqual({ width: 500, height: 220 });
  });

  it('escapes user text: a title with markup stays text', async () => {
    const svg = await renderSvg({ ...barsChart, title: 'a <b>&</b> "b"' });
    expect(svg).not.toContain('<b>');
    expect(summarizeSvg(svg).texts['title-text']).toEqual(['a <b>&</b> "b"']);
  });

  it('renders an empty chart without throwing', async () => {
    const svg = await renderSvg({ kind: 'isolation_forest', title: 'no data yet', points: [], threshold: 0.5 });
    expect(summarizeSvg(svg).texts['title-text']).toEqual(['no data yet']);
  });

  it('chartSpec sets the shared look: title, white background, DejaVu Sans, 720×300 by default', () => {
    for (const chart of Object.values(allCharts())) {
      const spec = chartSpec(chart) as Record<string, unknown>;
      expect(spec.background).toBe('white');
      expect((spec.config as { font: string }).font).toBe('DejaVu Sans');
      expect((spec.title as { text: string }).text).toBe(chart.title);
    }
    const single = chartSpec(barsChart) as { width: number; height: number };
    expect([single.width, single.height]).toEqual([720, 300]);
  });
});
