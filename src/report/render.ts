/**
 * Chart rendering without a browser: vega-lite → vega → SVG string, and SVG → PNG with resvg.
 * vega, vega-lite and resvg are imported lazily: they take a noticeable time to load and most
 * CLI invocations (and `--help`) never draw a chart.
 */
import { existsSync } from 'node:fs';
import type { ChartData } from '../types.js';
import { chartSpec, CHART_FONT, type ChartOptions } from './chart-spec.js';

export type { ChartOptions } from './chart-spec.js';

export interface PngOptions extends ChartOptions {
  /** Pixel density of the PNG relative to the SVG (default 2, for crisp images in Slack). */
  scale?: number;
}

const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';

export async function renderSvg(chart: ChartData, opts: ChartOptions = {}): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  // vega-lite warns on stderr for things it fixes itself; a report should not be noisy.
  const { spec } = vl.compile(chartSpec(chart, opts) as Parameters<typeof vl.compile>[0], {
    logger: vega.logger(vega.Error),
  });
  const view = new vega.View(vega.parse(spec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderPng(chart: ChartData, opts: PngOptions = {}): Promise<Buffer> {
  const svg = await renderSvg(chart, opts);
  return svgToPng(svg, opts.scale ?? 2);
}

/** Rasterises an SVG at `scale` × its own width; text uses DejaVu Sans whatever the SVG asks for. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const width = svgWidth(svg);
  const fontFiles = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']
    .map((f) => `${DEJAVU_DIR}/${f}`)
    .filter((f) => existsSync(f));
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: width ? { mode: 'width', value: Math.round(width * scale) } : { mode: 'zoom', value: scale },
    font: {
      fontFiles,
      loadSystemFonts: true,
      sansSerifFamily: CHART_FONT,
      defaultFontFamily: CHART_FONT,
    },
  });
  return resvg.render().asPng();
}

/** The `width` attribute of the root `<svg>`, in px. */
export function svgWidth(svg: string): number | undefined {
  const m = /<svg\b[^>]*?\swidth="([\d.]+)"/.exec(svg);
  return m ? Number(m[1]) : undefined;
}

/** The `height` attribute of the root `<svg>`, in px. */
export function svgHeight(svg: string): number | undefined {
  const m = /<svg\b[^>]*?\sheight="([\d.]+)"/.exec(svg);
  return m ? Number(m[1]) : undefined;
}
