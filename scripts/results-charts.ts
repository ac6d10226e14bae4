// The charts of docs/results.md, exported by the page itself: open the built playground (vite preview) in
// Debian's Chromium, open each report JSON with the Experiments panel's "Open a report" button and click
// the charts' own PNG buttons. Usage (after `npx vite build`):
//   npx tsx scripts/results-charts.ts OUT_DIR experiment-report.json [more reports...]
// For an experiment report: seeds-dev-loss.png, seeds-dev-bleu.png (against steps), entropy.png, and
// sweep.png for a sweep; for an ablation report: table3.png. File names are prefixed with the report's
// base name.
import { chromium, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { BASE_ARGS, CHROMIUM, WEBGPU_ARGS } from '../playwright.config.ts';

const PORT = 4179;

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`vite preview did not answer at ${url}`);
}

async function download(page: Page, testId: string, path: string): Promise<void> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  await file.saveAs(path);
  console.log(`wrote ${path}`);
}

async function main(): Promise<void> {
  const [outDir, ...reports] = process.argv.slice(2);
  if (!outDir || reports.length === 0) throw new Error('usage: npx tsx scripts/results-charts.ts OUT_DIR report.json [...]');
  mkdirSync(outDir, { recursive: true });
  const server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort', '--host', '127.0.0.1'], { stdio: 'ignore', detached: true });
  const url = `http://127.0.0.1:${PORT}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGPU_ARGS], headless: true });
  try {
    await waitForServer(url);
    for (const report of reports) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1200 }, acceptDownloads: true });
      await page.goto(url);
      await page.getByTestId('open-report').setInputFiles(resolve(report));
      const name = basename(report).replace(/\.json$/i, '');
      // The panel shows an opened report once it has read it: the report's name appears as its source.
      await page.waitForTimeout(1500);
      if (await page.getByTestId('png-table3').count()) await download(page, 'png-table3', join(outDir, `${name}-table3.png`));
      if (await page.getByTestId('seed-section').count()) {
        await page.getByTestId('seed-metric').selectOption('dev loss');
        await download(page, 'png-seeds', join(outDir, `${name}-seeds-dev-loss.png`));
        await page.getByTestId('seed-metric').selectOption('dev BLEU');
        await download(page, 'png-seeds', join(outDir, `${name}-seeds-dev-bleu.png`));
      }
      if (await page.getByTestId('png-entropy').count()) await download(page, 'png-entropy', join(outDir, `${name}-entropy.png`));
      if (await page.getByTestId('png-sweep').count()) await download(page, 'png-sweep', join(outDir, `${name}-sweep.png`));
      await page.close();
    }
  } finally {
    await browser.close();
    if (server.pid) process.kill(-server.pid);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
