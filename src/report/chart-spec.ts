/**
 * Vega-lite v6 specs for the charts a check hands over in `CheckResult.chart`.
 *
 * Times arrive as ISO UTC instants. They are converted to the wall clock of the report's zone and
 * plotted on UTC scales, so labels show local time without depending on the process's own TZ.
 */
import type { BaselinePoint, ChartData } from '../types.js';
import { wallClockAt, HOUR } from '../time.js';

export interface ChartOptions {
  /** Width of the whole chart in px (default 720). */
  width?: number;
  /** Height of the whole chart in px (default 300); a faceted baseline uses it per source row. */
  height?: number;
  /** IANA zone for the time axis (default UTC). */
  tz?: string;
}

export const CHART_FONT = 'DejaVu Sans';
export const ALERT_RED = '#d62728';
const NORMAL_BLUE = '#4c78a8';
/** Categorical colours without red, which is reserved for alerts. */
const SERIES_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#72b7b2', '#9d755d', '#eeca3b', '#bab0ac'];

type Spec = Record<string, unknown>;

/** A time axis on a wall-clock-shifted UTC scale. */
function timeAxis(title: string, format: string): Spec {
  // The scale is `utc`, so vega formats the labels in UTC too (no formatType needed).
  return { title, format, labelOverlap: true, grid: false };
}

/**
 * The frame every chart shares. `subtitle` explains the marks that carry no axis of their own
 * (dashed limits, shaded bands) in words, so no label has to sit on top of the data.
 */
function base(title: string, opts: ChartOptions, subtitle?: string): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      anchor: 'start',
      fontSize: 15,
      fontWeight: 'bold',
      offset: 10,
      ...(subtitle ? { subtitle, subtitleFontSize: 11, subtitleColor: '#555', subtitlePadding: 4 } : {}),
    },
    background: 'white',
    padding: 8,
    width: opts.width ?? 720,
    height: opts.height ?? 300,
    // `fit` makes the whole image (legend and axes included) exactly width × height.
    autosize: { type: 'fit', contains: 'padding' },
    config: {
      font: CHART_FONT,
      view: { stroke: '#ddd' },
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eee' },
      legend: { labelFontSize: 11, titleFontSize: 11, orient: 'right' },
    },
  };
}

/** Epoch ms of the wall clock in `tz` at `iso`, read as if it were UTC (for UTC scales). */
export function wallMs(iso: string, tz: string): number {
  const ms = Date.parse(iso);
  if (tz === 'UTC') return ms;
  const w = wallClockAt(ms, tz);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

export function chartSpec(chart: ChartData, opts: ChartOptions = {}): object {
  switch (chart.kind) {
    case 'baseline':
      return baselineSpec(chart.title, chart.points, opts, chart.measure);
    case 'status_rate':
      return statusRateSpec(chart, opts);
    case 'isolation_forest':
      return isolationSpec(chart, opts);
    case 'bars':
      return barsSpec(chart, opts);
    default: {
      // ChartData may come from a stored run written by another version.
      const kind: unknown = (chart as { kind?: unknown }).kind;
      throw new Error(`unknown chart kind ${JSON.stringify(kind)}`);
    }
  }
}

// --- baseline -------------------------------------------------------------------------------

const BASELINE_SERIES: { key: keyof BaselinePoint; label: string; color: string; dash: number[] }[] = [
  { key: 'today', label: 'today', color: '#1f4e9c', dash: [1, 0] },
  { key: 'yesterday', label: 'yesterday', color: '#6baed6', dash: [6, 3] },
  { key: 'same_day_last_week', label: 'same day last week', color: '#e6842a', dash: [6, 3] },
  { key: 'avg_last_week', label: 'avg last week', color: '#6f6f6f', dash: [2, 2] },
  { key: 'avg_last_month', label: 'avg last month', color: '#a9a9a9', dash: [2, 2] },
];

function baselineSpec(title: string, points: BaselinePoint[], opts: ChartOptions, measure?: string): Spec {
  const tz = opts.tz ?? 'UTC';
  // One long table: a row per (hour, series) for the lines, plus `alert` rows for the shading.
  // Counts per hour are drawn as steps: each level spans its hour, nothing is interpolated.
  const rows: Spec[] = [];
  const lastOf = new Map<string, Spec>();
  for (const p of points) {
    const t = wallMs(p.hour, tz);
    for (const s of BASELINE_SERIES) {
      const v = p[s.key];
      // Missing values (hours still to come today) end the line instead of dropping to zero.
      if (typeof v === 'number') {
        const row = { kind: 'line', source: p.source, t, series: s.label, value: v };
        rows.push(row);
        lastOf.set(`${p.source}\u0000${s.label}`, row);
      }
    }
    if (p.alert) {
      rows.push({ kind: 'alert', source: p.source, t, t2: t + HOUR, mid: t + HOUR / 2, value: p.today });
    }
  }
  // Close each series' last step at the end of its hour.
  for (const row of lastOf.values()) rows.push({ ...row, t: (row.t as number) + HOUR });
  // The first hour of each run of alerting hours carries the band's label.
  const alertHours = new Set(points.filter((p) => p.alert).map((p) => `${p.source}\u0000${wallMs(p.hour, tz)}`));
  for (const p of points) {
    const t = wallMs(p.hour, tz);
    if (p.alert && !alertHours.has(`${p.source}\u0000${t - HOUR}`)) rows.push({ kind: 'alertLabel', source: p.source, t });
  }
  // No legend entry without a line: series with no value at all are left out of the legend.
  const present = BASELINE_SERIES.filter((s) => points.some((p) => typeof p[s.key] === 'number'));
  const x = { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: timeAxis(`Hour (${tz})`, '%H:%M') };
  const yTitle = measure ? measure.charAt(0).toUpperCase() + measure.slice(1) : 'Count per hour';
  const layer = [
    {
      transform: [{ filter: "datum.kind === 'alert'" }],
      mark: { type: 'rect', color: ALERT_RED, opacity: 0.13 },
      encoding: { x, x2: { field: 't2' } },
    },
    {
      transform: [{ filter: "datum.kind === 'alertLabel'" }],
      mark: { type: 'text', text: 'alert', color: ALERT_RED, align: 'left', baseline: 'top', dx: 3, y: 3, fontSize: 11 },
      encoding: { x },
    },
    {
      transform: [{ filter: "datum.kind === 'line'" }],
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: yTitle },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: present.map((s) => s.label), range: present.map((s) => s.color) },
        },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: present.map((s) => s.label), range: present.map((s) => s.dash) },
        },
        // A condition, not a scale: a strokeWidth scale on a nominal field suppresses the legend.
        strokeWidth: { condition: { test: "datum.series === 'today'", value: 3 }, value: 1.5 },
      },
    },
    {
      // The dot sits mid-step, on today's level for the hour that alerted.
      transform: [{ filter: "datum.kind === 'alert' && isValid(datum.value)" }],
      mark: { type: 'point', filled: true, color: ALERT_RED, size: 70, opacity: 1 },
      encoding: { x: { ...x, field: 'mid' }, y: { field: 'value', type: 'quantitative' } },
    },
  ];
  const spec = base(title, opts);
  spec.data = { values: rows };
  const sources = [...new Set(points.map((p) => p.source))];
  if (sources.length <= 1) return { ...spec, layer };

  // Several sources: one small-multiple row each, sharing the time axis but not the count axis
  // (a busy checkout would flatten a quiet one).
  const width = opts.width ?? 720;
  delete spec.autosize; // `fit` is not supported for facets
  delete spec.width;
  delete spec.height;
  return {
    ...spec,
    facet: {
      row: {
        field: 'source',
        type: 'nominal',
        title: null,
        sort: sources,
        header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontSize: 12, labelFontWeight: 'bold' },
      },
    },
    spec: { width: Math.max(200, width - 190), height: Math.max(100, Math.round((opts.height ?? 300) * 0.55)), layer },
    resolve: { scale: { y: 'independent' } },
  };
}

// --- status_rate ----------------------------------------------------------------------------

function statusRateSpec(chart: Extract<ChartData, { kind: 'status_rate' }>, opts: ChartOptions): Spec {
  const tz = opts.tz ?? 'UTC';
  const lines = chart.points.map((p) => ({ t: wallMs(p.time, tz), status: p.status, share: p.share }));
  const times = lines.map((l) => l.t);
  const t0 = times.length ? Math.min(...times) : wallMs(chart.window.start, tz);
  const t1 = times.length ? Math.max(...times) : wallMs(chart.window.end, tz);
  // The normal band spans the whole range: two rows per status so an area can be drawn.
  const bands = chart.bands.flatMap((b) => [
    { t: t0, status: b.status, expected: b.expected, upper: b.upper },
    { t: t1, status: b.status, expected: b.expected, upper: b.upper },
  ]);
  const statuses = [...new Set([...chart.points.map((p) => p.status), ...chart.bands.map((b) => b.status)])];
  const x = { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: timeAxis(`Time (${tz})`, '%H:%M') };
  // Both layers carry the same definition so the legend (merged) shows the lines, not faded bands.
  const color = {
    field: 'status',
    type: 'nominal',
    title: 'Status',
    scale: { domain: statuses, range: SERIES_COLORS },
    legend: { symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolOpacity: 1 },
  };
  const window = { start: wallMs(chart.window.start, tz), end: wallMs(chart.window.end, tz) };
  const subtitle = `Shaded in each status's colour: its normal range · red band: the alert window ${hhmm(window.start)}–${hhmm(window.end)}`;
  return {
    ...base(chart.title, opts, chart.bands.length ? subtitle : `Red band: the alert window ${hhmm(window.start)}–${hhmm(window.end)}`),
    layer: [
      {
        data: { values: [window] },
        mark: { type: 'rect', color: ALERT_RED, opacity: 0.12 },
        encoding: { x: { ...x, field: 'start' }, x2: { field: 'end' } },
      },
      {
        data: { values: bands },
        mark: { type: 'area', opacity: 0.15 },
        encoding: {
          x,
          y: { field: 'expected', type: 'quantitative' },
          y2: { field: 'upper' },
          color,
        },
      },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.8, interpolate: 'linear' },
        encoding: {
          x,
          // `share` is a fraction (0.187 = 18.7 %).
          y: { field: 'share', type: 'quantitative', title: 'Share of transactions', axis: { format: '.1~%' } },
          color,
        },
      },
    ],
  };
}

// --- isolation_forest -----------------------------------------------------------------------

function isolationSpec(chart: Extract<ChartData, { kind: 'isolation_forest' }>, opts: ChartOptions): Spec {
  const tz = opts.tz ?? 'UTC';
  const points = chart.points.map((p) => ({ t: wallMs(p.time, tz), score: p.score, anomaly: p.anomaly }));
  const x = { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: timeAxis(`Time (${tz})`, '%H:%M') };
  const y = { field: 'score', type: 'quantitative', title: 'Anomaly score', scale: { zero: false } };
  const threshold = [{ threshold: chart.threshold }];
  const above = points.some((p) => p.anomaly) ? ' · red dots: minutes scored above it' : '';
  return {
    ...base(chart.title, opts, `Dashed red line: the alert threshold ${formatNumber(chart.threshold)}${above}`),
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', color: NORMAL_BLUE, strokeWidth: 1.5 },
        encoding: { x, y },
      },
      {
        data: { values: points.filter((p) => p.anomaly) },
        mark: { type: 'point', filled: true, color: ALERT_RED, size: 55, opacity: 1 },
        encoding: { x, y },
      },
      {
        data: { values: threshold },
        mark: { type: 'rule', color: ALERT_RED, strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { y: { field: 'threshold', type: 'quantitative' } },
      },
    ],
  };
}

// --- bars -----------------------------------------------------------------------------------

function barsSpec(chart: Extract<ChartData, { kind: 'bars' }>, opts: ChartOptions): Spec {
  const crowded = chart.bars.length > 6 || chart.bars.some((b) => b.group.length > 14);
  const bars = chart.bars.map((b) => ({ group: b.group, value: b.value, state: b.alert ? 'alert' : 'normal' }));
  // No legend entry without a bar: only the states that occur.
  const states = (['normal', 'alert'] as const).filter((st) => bars.some((b) => b.state === st));
  const limits: Spec[] = [];
  if (chart.min !== undefined) limits.push({ value: chart.min });
  if (chart.max !== undefined) limits.push({ value: chart.max });
  const limitText = [
    chart.min !== undefined ? `minimum ${formatNumber(chart.min)}` : '',
    chart.max !== undefined ? `maximum ${formatNumber(chart.max)}` : '',
  ].filter(Boolean);
  const subtitle = limitText.length ? `Dashed line${limitText.length > 1 ? 's' : ''}: ${limitText.join(', ')}` : undefined;
  const layer: Spec[] = [
    {
      data: { values: bars },
      mark: { type: 'bar', cornerRadiusEnd: 2 },
      encoding: {
        x: { field: 'group', type: 'nominal', sort: null, title: chart.groupLabel ?? 'Key', axis: { labelAngle: crowded ? -40 : 0, labelLimit: 120 } },
        y: { field: 'value', type: 'quantitative', title: chart.measure ?? 'Value of the check' },
        color: {
          field: 'state',
          type: 'nominal',
          title: null,
          scale: { domain: states, range: states.map((st) => (st === 'alert' ? ALERT_RED : NORMAL_BLUE)) },
        },
      },
    },
  ];
  if (limits.length) {
    layer.push({
      data: { values: limits },
      mark: { type: 'rule', color: '#444', strokeDash: [5, 4], strokeWidth: 1.3 },
      encoding: { y: { field: 'value', type: 'quantitative' } },
    });
  }
  return { ...base(chart.title, opts, subtitle), layer };
}

/** hh:mm of a wall-clock-shifted epoch (see wallMs). */
function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(3)));
}
