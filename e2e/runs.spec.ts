// Comparison mode, checkpoints and recovery, end to end in Chromium (WebGPU on SwiftShader, the micro
// configuration): the weighted model and the multi-head baseline train interleaved on one device with
// their curves on a shared tokens-seen axis; a downloaded checkpoint loaded back gives the same dev loss;
// a reload resumes from the autosave; a NaN gradient stops the run keeping its last good weights; a lost
// device is reported and the run resumes from its autosave on a new device. One page for the whole file.
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { pngSize } from '../src/testing/png.ts';
import { openPlayground } from './open-page.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
const errors: string[] = [];
let autosavedAt = 0;

/** Per-run values from the page's store (window.__playground). */
async function runs(p: Page) {
  return p.evaluate(() => {
    const s = window.__playground!.getState();
    return s.run.runs.map((r) => {
      const m = s.metrics.runs[r.id];
      return {
        id: r.id, label: r.label, state: r.state, error: r.error, variant: r.info?.config.variant, steps: m?.steps ?? [], tokens: m?.tokens ?? [],
        loss: m?.loss ?? [], kappa: m?.branches[0]?.kappa ?? [], dev: (m?.dev ?? []).map((d) => ({ step: d.step, loss: d.loss })),
      };
    });
  });
}

const lastStep = (steps: number[]) => steps[steps.length - 1] ?? 0;

test.beforeAll(async ({ browser }) => {
  // 16 steps, dev every 8, autosave every 6 (at 6 and 12), the baseline alongside.
  page = await openPlayground(browser, '/?e2e=micro#compare=baseline&steps=16&evalEvery=8&autosaveEvery=6', errors);
});

test.afterAll(async () => {
  await page.close();
});

test('comparison mode trains the weighted model and the baseline interleaved, on a shared tokens-seen axis', async () => {
  const t0 = Date.now();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 170_000 });
  const r = await runs(page);
  console.log(`[e2e] comparison, 2 runs × 16 steps in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${r.map((x) => `${x.label}: loss ${x.loss[0]?.toFixed(3)} → ${x.loss.at(-1)?.toFixed(3)}, dev ${x.dev.map((d) => d.loss.toFixed(3)).join('/')}`).join('; ')}`);
  expect(r.map((x) => x.variant)).toEqual(['weighted', 'baseline']);
  expect(r.map((x) => x.label)).toEqual(['weighted · projected κ/α', 'multi-head baseline']);
  for (const x of r) {
    expect(x.state).toBe('done');
    expect(x.steps).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(x.dev.map((d) => d.step)).toEqual([8, 16]);
  }
  // Same data and seed: the same batches, so the same tokens seen after every step.
  expect(r[1].tokens).toEqual(r[0].tokens);
  const chart = page.getByTestId('loss-chart');
  await expect(chart).toHaveAttribute('data-runs', '2');
  await expect(page.getByTestId('loss-axis')).toHaveValue('tokens');
  for (const x of r) await expect(chart.locator(`.run-line-${x.id} path.recharts-line-curve`)).toHaveCount(1);
  const table = page.getByTestId('runs-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  for (const x of r) {
    const row = page.getByTestId(`run-row-${x.id}`);
    await expect(row).toContainText(x.label);
    expect(Number(await row.getAttribute('data-dev-loss'))).toBeCloseTo(x.dev[1].loss, 6);
  }
  for (const x of r) await expect(page.getByTestId('bleu-chart').locator(`.bleu-line-${x.id} path.recharts-line-curve`)).toHaveCount(1);
  // The loss chart exports as a PNG of the card's chart (scale 2).
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('png-loss').click()]);
  const size = pngSize(readFileSync(await png.path()));
  expect(png.suggestedFilename()).toBe('loss.png');
  expect(size.width).toBeGreaterThan(400);
  expect(size.height).toBeGreaterThan(400);
  // The baseline has no κ/α; the κ/α card keeps showing the weighted run.
  await expect(page.getByTestId('branch-weights')).toHaveAttribute('data-run', '0');
  // Autosaved at (about) step 12: the save waits for the steps already queued on the GPU.
  autosavedAt = Number(await page.getByTestId('autosave-status').getAttribute('data-step'));
  expect(autosavedAt).toBeGreaterThanOrEqual(12);
  expect(autosavedAt).toBeLessThan(16);
  await page.screenshot({ path: test.info().outputPath('comparison.png'), fullPage: true });
});

test('the translation shows the cross-attention of every branch of the chosen layer', async () => {
  await page.getByTestId('translate-input').fill('3 14 15 9');
  await page.getByTestId('translate-button').click();
  await expect(page.getByTestId('translate-output')).toHaveAttribute('data-pending', 'false');
  const maps = page.getByTestId('cross-attention');
  await expect(maps).toHaveAttribute('data-maps', '4');
  for (let b = 1; b <= 4; b++) await expect(maps.getByLabel(`branch ${b} cross-attention`)).toBeVisible();
  await maps.screenshot({ path: test.info().outputPath('cross-attention.png') });
});

test('a downloaded checkpoint loaded back gives the same dev loss', async () => {
  const before = (await runs(page))[0];
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-checkpoint').click()]);
  const path = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(path);
  expect(download.suggestedFilename()).toMatch(/^weighted-transformer-weighted-projected-step16\.safetensors$/);
  await page.getByTestId('load-checkpoint-file').setInputFiles({ name: 'reloaded.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(path) });
  await page.getByTestId('load-confirm-yes').click(); // it replaces the comparison's runs
  // Restored, evaluated at its step (that result replaces the saved one of step 16), then paused.
  await page.waitForFunction(() => {
    const s = window.__playground!.getState();
    return s.run.runs.length === 1 && s.run.runs[0].info !== null && s.run.status === 'paused';
  });
  const after = (await runs(page))[0];
  const reloaded = after.dev.find((d) => d.step === 16)!;
  console.log(`[e2e] dev loss at step 16: trained ${before.dev[1].loss}, loaded back ${reloaded.loss}`);
  expect(Math.abs(reloaded.loss - before.dev[1].loss)).toBeLessThanOrEqual(1e-6 * before.dev[1].loss);
  // The page saved the run's history into the file: the charts show steps 1..16 again, and the page says what it loaded.
  expect(after.steps).toEqual(before.steps);
  expect(after.dev.map((d) => d.step)).toEqual([8, 16]);
  const notice = page.getByTestId('load-notice');
  await expect(notice).toContainText('at step 16');
  await expect(notice).toContainText('target tokens seen');
  await expect(notice).toContainText('synthetic copy task');
  await expect(notice).toContainText('history of 16 points');
  await expect(page.getByTestId('history-start')).toHaveCount(0);
  console.log(`[e2e] load notice: ${await notice.innerText()}`);
  await expect(page.getByTestId('field-compare')).toHaveValue('off');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
});

test('a file that is not a checkpoint is refused by name and the run stays', async () => {
  const before = await runs(page);
  await page.getByTestId('load-checkpoint-file').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('these are not tensors') });
  await page.getByTestId('load-confirm-yes').click();
  await expect(page.getByTestId('run-error')).toContainText('"notes.safetensors"');
  console.log(`[e2e] bad checkpoint: ${await page.getByTestId('run-error').innerText()}`);
  expect(await runs(page)).toEqual(before);
  await page.getByTestId('run-error').getByLabel('Dismiss').click();
});

test('a reload offers the autosave and resumes from it', async () => {
  await page.reload();
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toHaveAttribute('data-step', String(autosavedAt));
  await expect(page.getByTestId('adapter')).toBeVisible();
  await page.getByTestId('resume-autosave').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const r = await runs(page);
  console.log(`[e2e] resumed at ${autosavedAt}: ${r.map((x) => `${x.label} steps ${x.steps[0]}…${lastStep(x.steps)}, dev at ${x.dev.map((d) => d.step).join(',')}`).join('; ')}`);
  expect(r.map((x) => x.label)).toEqual(['weighted · projected κ/α', 'multi-head baseline']);
  for (const x of r) {
    // Steps up to the autosave come back from it, the rest up to 16 are trained after the reload; the
    // restored run is evaluated at its checkpoint's step.
    expect(x.steps).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const saved = x.dev.find((d) => d.step !== 8 && d.step !== 16)?.step;
    expect(saved).toBeGreaterThanOrEqual(autosavedAt);
    expect(x.dev.map((d) => d.step)).toEqual([8, saved, 16]);
  }
  await page.screenshot({ path: test.info().outputPath('resumed.png'), fullPage: true });
});

test('a NaN gradient stops the run with a message and keeps the last good weights', async () => {
  await page.getByTestId('reset').click();
  await page.getByTestId('reset-confirm').click(); // Reset asks first (ResetDialog)
  await page.getByTestId('field-compare').selectOption('off');
  await page.getByTestId('field-steps').fill('200');
  await page.getByTestId('start').click();
  await page.waitForFunction(() => (window.__playground!.getState().metrics.runs[0]?.steps.length ?? 0) >= 3);
  await page.evaluate(() => window.__playgroundClient!.simulateNan());
  await expect(page.getByTestId('run-error')).toContainText('NaN/Inf', { timeout: 60_000 });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'stopped');
  const [run] = await runs(page);
  const n = run.steps.length;
  console.log(`[e2e] NaN at step ${lastStep(run.steps)}: ${run.error}`);
  expect(run.error).toMatch(/training stopped at step \d+: the gradient was NaN\/Inf; weights kept from the last good step/);
  // The poisoned step changed nothing: κ after it equals κ after the step before.
  expect(run.kappa[n - 1]).toEqual(run.kappa[n - 2]);
  // The model is still there: it translates.
  await page.getByTestId('translate-button').click();
  await expect(page.getByTestId('translate-output')).toHaveAttribute('data-pending', 'false');
  await expect(page.getByTestId('translate-output')).not.toHaveClass(/error-text/);
});

test('a lost device is reported and the run resumes from its autosave on a new device', async () => {
  await page.getByTestId('start').click(); // "Start again": a fresh run, autosaved every 6 steps
  await page.waitForFunction(() => (window.__playground!.getState().run.autosave?.step ?? 0) >= 6, undefined, { timeout: 120_000 });
  const saved = Number(await page.getByTestId('autosave-status').getAttribute('data-step'));
  await page.evaluate(() => window.__playgroundClient!.simulateDeviceLoss());
  await expect(page.getByTestId('run-error')).toContainText(/device lost/i);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'stopped');
  await page.getByTestId('resume-after-loss').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
  await page.waitForFunction((after) => (window.__playground!.getState().metrics.runs[0]?.steps.at(-1) ?? 0) >= after + 2, saved);
  const [run] = await runs(page);
  console.log(`[e2e] device lost after the autosave at step ${saved}; resumed, now at step ${lastStep(run.steps)}`);
  expect(run.steps.slice(0, saved + 2)).toEqual(Array.from({ length: saved + 2 }, (_, i) => i + 1));
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  await page.getByTestId('pause').click();
});

test('no console errors', async () => {
  // The simulated device loss is reported by Chromium itself; anything else is ours.
  expect(errors.filter((e) => !/device.*(lost|destroyed)|destroyed device/i.test(e))).toEqual([]);
});
