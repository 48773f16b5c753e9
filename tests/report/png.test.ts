import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { renderPng, renderSvg, svgHeight, svgWidth } from '../../src/report/render.js';
import type { ChartData } from '../../src/types.js';
import { allCharts, barsChart } from './chart-fixtures.js';

interface Stats {
  colours: number;
  nonWhiteShare: number;
  dark: number;
  red: number;
}

/** Pixel statistics of a region (x0,y0)–(x1,y1) of a decoded PNG. */
function stats(png: PNG, x0 = 0, y0 = 0, x1 = png.width, y1 = png.height): Stats {
  const colours = new Set<number>();
  let nonWhite = 0;
  let dark = 0;
  let red = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * png.width + x) * 4;
      const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
      colours.add((r << 16) | (g << 8) | b);
      if (r < 245 || g < 245 || b < 245) nonWhite++;
      if (r + g + b < 150) dark++;
      if (r > 180 && g < 80 && b < 80) red++;
    }
  }
  return { colours: colours.size, nonWhiteShare: nonWhite / ((x1 - x0) * (y1 - y0)), dark, red };
}

describe('chart PNGs', () => {
  it.each(Object.entries(allCharts()))('%s decodes at 2× size and is not blank', async (name, chart) => {
    const buf = await renderPng(chart);
    expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
    const png = PNG.sync.read(buf);
    // Single views are exactly 720×300; a faceted chart grows with its rows.
    const svg = await renderSvg(chart);
    expect([png.width, png.height]).toEqual([2 * svgWidth(svg)!, 2 * svgHeight(svg)!]);
    if (name !== 'baseline_facet') expect([png.width, png.height]).toEqual([1440, 600]);
    const all = stats(png);
    expect(all.colours).toBeGreaterThan(50); // anti-aliased lines and text, several series colours
    // The plot area (middle of the image) is drawn on, not empty.
    const plot = stats(png, Math.round(png.width * 0.1), Math.round(png.height * 0.2), Math.round(png.width * 0.7), Math.round(png.height * 0.8));
    expect(plot.nonWhiteShare).toBeGreaterThan(0.03);
    // The title (top band) has dark text pixels: fonts were found and used.
    const title = stats(png, 0, 0, Math.round(png.width * 0.5), 60);
    expect(title.dark).toBeGreaterThan(500);
  });

  it('draws alerting bars in red and none when nothing alerts', async () => {
    const alerting = stats(PNG.sync.read(await renderPng(barsChart)));
    const calm: ChartData = { ...barsChart, bars: barsChart.bars.map((b) => ({ ...b, alert: false })) };
    const quiet = stats(PNG.sync.read(await renderPng(calm)));
    expect(alerting.red).toBeGreaterThan(10_000);
    // Only the legend swatch for "alert" stays red.
    expect(quiet.red).toBeLessThan(alerting.red / 10);
  });

  it('scale 1 gives the SVG size', async () => {
    const png = PNG.sync.read(await renderPng(barsChart, { scale: 1, width: 600, height: 250 }));
    expect([png.width, png.height]).toEqual([600, 250]);
  });
});
