/**
 * Opens the HTML report in real headless Chromium: every card and chart must be visible, with no
 * console errors and no request other than the file itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { renderReportHtml } from '../../src/report/html.js';
import { reportInput } from './report-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT_DIR = fileURLToPath(new URL('../../test-output/', import.meta.url));
const haveChromium = existsSync(CHROMIUM);

describe.skipIf(!haveChromium)(`HTML report in headless Chromium (skipped: ${CHROMIUM} not installed)`, () => {
  let browser: Browser;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows every card with its chart, logs no errors and fetches nothing but the file', async () => {
    const input = reportInput();
    const html = await renderReportHtml(input);
    mkdirSync(OUT_DIR, { recursive: true });
    const file = `${OUT_DIR}report.html`;
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(url, { waitUntil: 'load' });

    const cards = page.locator('section.card');
    await expect(cards.count()).resolves.toBe(input.results.length);
    const names = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-check')));
    expect(new Set(names)).toEqual(new Set(input.results.map((r) => r.check)));

    for (const r of input.results) {
      const card = page.locator('section.card').filter({ has: page.locator('h2', { hasText: r.check }) });
      await expect(card.isVisible()).resolves.toBe(true);
      const svg = card.locator('figure.chart > svg');
      if (!r.chart) {
        await expect(svg.count()).resolves.toBe(0);
        continue;
      }
      await expect(svg.isVisible()).resolves.toBe(true);
      const box = await svg.boundingBox();
      // Drawn at its natural size (the page is wide enough), not collapsed.
      expect(box!.width).toBeGreaterThan(600);
      expect(box!.height).toBeGreaterThan(200);
      await expect(svg.locator('text', { hasText: r.chart.title }).count()).resolves.toBe(1);
    }

    // The hostile name is shown as text, not executed or parsed as markup.
    await expect(page.locator('script').count()).resolves.toBe(0);
    await expect(page.getByText('merchant<script>alert("x")</script>&co', { exact: true }).first().isVisible()).resolves.toBe(true);

    // Clip paths resolve inside their own chart: no dangling url(#…) references.
    const refs = await page.$$eval('[clip-path]', (els) => els.map((e) => e.getAttribute('clip-path') ?? ''));
    const ids = new Set(await page.$$eval('[id]', (els) => els.map((e) => e.id)));
    expect(refs.length).toBeGreaterThan(0);
    const dangling = refs.map((r) => /url\(#([^)]+)\)/.exec(r)?.[1]).filter((id) => !id || !ids.has(id));
    expect(dangling).toEqual([]);

    // Fits 1280 px without horizontal scrolling.
    const scrollWidth = await page.$eval('html', (e) => e.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(1280);

    await page.screenshot({ path: `${OUT_DIR}report.png`, fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });
});
