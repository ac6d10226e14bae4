// chartToPng in Chromium on real recharts output: the PNG's size follows the layout (charts + padding +
// title, times the scale), the pixels show the lines, the CSS-only grid colour (computed styles inlined),
// the legend and HTML symbols over the charts and the title; several charts share one canvas in the
// page's grid; PngButton downloads a PNG. The charts come from e2e/png-harness.tsx, bundled here with
// Vite and served at the preview server's origin by page.route (the app's chart components are not used).
import { test, expect, type Page } from '@playwright/test';
import { resolve } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { build, type Rolldown } from 'vite';
import react from '@vitejs/plugin-react';
import { pngSize } from '../src/testing/png.ts';

test.describe.configure({ mode: 'serial' });

const HARNESS_URL = '/png-export-harness.html';
let page: Page;
const errors: string[] = [];

async function bundleHarness(): Promise<string> {
  const result = await build({
    configFile: false,
    root: resolve(import.meta.dirname, '..'),
    logLevel: 'warn',
    plugins: [react()],
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      write: false,
      minify: false,
      lib: { entry: resolve(import.meta.dirname, 'png-harness.tsx'), name: 'PngHarness', formats: ['iife'], fileName: () => 'harness.js' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === 'chunk');
  if (!chunk || chunk.type !== 'chunk') throw new Error('png-export e2e: the harness bundle has no JS chunk');
  return chunk.code;
}

interface Stats {
  bytes: number[];
  /** Pixels within a small distance of each colour (keys of the harness's COLORS), and of near-black text. */
  counts: Record<string, number>;
  corner: number[];
  /** Dark (text) pixels in the title band. */
  titleInk: number;
}

/** chartToPng of a container, and what its pixels show (decoded in the page). */
async function exportPng(selector: string, options: { title?: string; scale?: number; background?: string }): Promise<Stats> {
  return page.evaluate(async ({ selector, options }) => {
    const { chartToPng, colors } = window.pngHarness!;
    const blob = await chartToPng(document.querySelector<HTMLElement>(selector)!, options);
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    const probe = new OffscreenCanvas(1, 1).getContext('2d')!;
    const rgb = (css: string) => {
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      return [...probe.getImageData(0, 0, 1, 1).data.slice(0, 3)];
    };
    const targets = Object.entries(colors).map(([name, css]) => [name, rgb(css)] as const);
    const counts: Record<string, number> = Object.fromEntries(targets.map(([name]) => [name, 0]));
    const near = (i: number, c: readonly number[], tol: number) => Math.abs(data[i] - c[0]) + Math.abs(data[i + 1] - c[1]) + Math.abs(data[i + 2] - c[2]) <= tol;
    let titleInk = 0;
    const titleBand = Math.round(44 * (options.scale ?? 2)); // padding 16 + title line 28
    for (let i = 0; i < data.length; i += 4) {
      for (const [name, c] of targets) if (near(i, c, 40)) counts[name]++;
      if ((i / 4) / bitmap.width < titleBand && data[i] + data[i + 1] + data[i + 2] < 200) titleInk++;
    }
    return { bytes: [...new Uint8Array(await blob.arrayBuffer())], counts, corner: [...data.slice(0, 4)], titleInk };
  }, { selector, options });
}

test.beforeAll(async ({ browser }) => {
  const code = await bundleHarness();
  page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route(`**${HARNESS_URL}`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><html><head><meta charset="utf-8"><title>png harness</title></head><body></body></html>' }));
  await page.goto(HARNESS_URL);
  await page.addScriptTag({ content: code });
  await page.waitForFunction(() => window.pngHarness !== undefined && document.querySelectorAll('#grid svg.recharts-surface').length === 4);
});

test.afterAll(async () => {
  await page.close();
});

test('one chart: size from the layout, lines, CSS-only grid colour, legend, title on white', async () => {
  const s = await exportPng('#single', { title: 'Training loss' });
  // (600 + 2·16) × (280 + 2·16 + 28 title) CSS px at scale 2.
  expect(pngSize(Uint8Array.from(s.bytes))).toEqual({ width: 1264, height: 680 });
  console.log(`[e2e] #single: ${s.bytes.length} bytes; pixels ${JSON.stringify(s.counts)}, title ink ${s.titleInk}`);
  expect(s.corner).toEqual([255, 255, 255, 255]);
  expect(s.counts.raw).toBeGreaterThan(500);
  expect(s.counts.smoothed).toBeGreaterThan(500);
  expect(s.counts.grid).toBeGreaterThan(1000); // the stylesheet's green, not the attribute's grey
  expect(s.titleInk).toBeGreaterThan(100);
  await page.locator('#single').screenshot({ path: test.info().outputPath('single-page.png') });
  writeFileSync(test.info().outputPath('single.png'), Uint8Array.from(s.bytes));
});

test('scale and background options', async () => {
  const s = await exportPng('#single', { scale: 1, background: '#000000' });
  expect(pngSize(Uint8Array.from(s.bytes))).toEqual({ width: 632, height: 312 }); // no title line
  expect(s.corner).toEqual([0, 0, 0, 255]);
  expect(s.titleInk).toBeGreaterThan(1000); // the band is black now
});

test('several charts: one canvas in the page grid, captions from the headings, HTML symbols drawn', async () => {
  const s = await exportPng('#grid', { title: 'Branch weights' });
  // Two columns of 240 and two rows of (21 caption + 110): (2·240 + 16 + 2·16) × (28 + 2·131 + 16 + 2·16) at scale 2.
  expect(pngSize(Uint8Array.from(s.bytes))).toEqual({ width: 1056, height: 676 });
  console.log(`[e2e] #grid: ${s.bytes.length} bytes; pixels ${JSON.stringify(s.counts)}`);
  writeFileSync(test.info().outputPath('grid.png'), Uint8Array.from(s.bytes));
  expect(s.counts.raw).toBeGreaterThan(4 * 300);
  expect(s.counts.smoothed).toBeGreaterThan(4 * 300);
  expect(s.counts.symbol).toBeGreaterThan(4 * 20); // κ and α over each chart
});

test('no chart in the container: a clear error', async () => {
  const message = await page.evaluate(() => window.pngHarness!.chartToPng(document.querySelector<HTMLElement>('#empty')!).then(() => 'resolved', (e: Error) => e.message));
  expect(message).toMatch(/no chart \(svg\.recharts-surface\)/);
  await page.locator('#empty .png-button').click();
  await expect(page.locator('#empty .png-button')).toHaveAttribute('data-error', /no chart/);
});

test('PngButton downloads the PNG', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('png-loss').click()]);
  expect(download.suggestedFilename()).toBe('loss.png');
  const path = test.info().outputPath('loss.png');
  await download.saveAs(path);
  expect(pngSize(new Uint8Array(readFileSync(path)))).toEqual({ width: 1264, height: 680 });
});

test('no console errors', async () => {
  expect(errors).toEqual([]);
});
