// GPU memory comes back after Reset, end to end in Chromium (WebGPU on SwiftShader, the micro
// configuration with the baseline alongside): ten Start/Reset cycles of a few steps each (one with a
// translation, one paused first, one with a checkpoint download), reading the device's live GPU bytes the
// page shows ("GPU memory (device)") before the first Start and after each Reset: always the same value.
import { test, expect, type Page } from '@playwright/test';
import { openPlayground } from './open-page.ts';

let page: Page;
const errors: string[] = [];

/** The device's live GPU bytes and buffers as the page shows them. */
async function deviceMemory(p: Page) {
  const el = p.getByTestId('device-memory');
  await expect(el).not.toHaveAttribute('data-live-bytes', '');
  return { bytes: Number(await el.getAttribute('data-live-bytes')), buffers: Number(await el.getAttribute('data-live-buffers')) };
}

test.beforeAll(async ({ browser }) => {
  page = await openPlayground(browser, '/?e2e=micro#compare=baseline&evalEvery=3&autosaveEvery=0', errors);
});

test.afterAll(async () => {
  await page.close();
});

test('ten Start/Reset cycles return the device GPU memory exactly to its value before the first run', async () => {
  test.setTimeout(600_000);
  const before = await deviceMemory(page);
  const figures = [`before: ${before.bytes} B (${before.buffers} buffers)`];
  const steps = () => page.evaluate(() => Object.values(window.__playground!.getState().metrics.runs).map((m) => m.steps.length));
  for (let cycle = 1; cycle <= 10; cycle++) {
    const t0 = Date.now();
    await page.getByTestId('start').click();
    await page.waitForFunction(() => {
      const s = window.__playground!.getState();
      return s.run.runs.length === 2 && s.run.runs.every((r) => (s.metrics.runs[r.id]?.steps.length ?? 0) >= 3);
    }, undefined, { timeout: 120_000 });
    const during = await deviceMemory(page);
    expect(during.bytes).toBeGreaterThan(before.bytes);
    if (cycle === 2) {
      await page.getByTestId('translate-input').fill('3 14 15 9');
      await page.getByTestId('translate-button').click();
      await expect(page.getByTestId('translate-output')).toHaveAttribute('data-pending', 'false', { timeout: 60_000 });
      const translated = await deviceMemory(page);
      figures.push(`cycle 2 after its translation: ${translated.bytes} B`);
    }
    if (cycle === 3 || cycle === 4) {
      await page.getByTestId('pause').click();
      await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
    }
    if (cycle === 4) {
      await Promise.all([page.waitForEvent('download'), page.getByTestId('save-checkpoint').click()]);
    }
    const trained = await steps();
    await page.getByTestId('reset').click();
    await page.getByTestId('reset-confirm').click(); // Reset asks first (ResetDialog)
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
    const after = await deviceMemory(page);
    figures.push(`cycle ${cycle} (steps ${trained.join('/')}, ${during.bytes} B while training): ${after.bytes} B (${after.buffers} buffers)`);
    console.log(`[e2e] GPU memory (device) after Reset ${cycle}: ${after.bytes} B, ${after.buffers} buffers (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    expect(after).toEqual(before);
  }
  console.log(`[e2e] GPU memory (device) live bytes: ${figures.join('; ')}`);
});

test('no console errors', async () => {
  expect(errors).toEqual([]);
});
