// The playground end to end in Chromium (WebGPU on SwiftShader, slow: the micro configuration of
// ?e2e=micro, a D-16 model on the copy task): training in the worker makes the loss fall, the κ/α charts
// draw one line per branch in every layer with weights summing to 1, the translation box answers, and
// the console stays clean. One page for the whole file (the device and the run are shared).
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { decodeCheckpoint } from '../src/model/checkpoint.ts';
import { openPlayground } from './open-page.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
const errors: string[] = [];

/** Values read from the store the page exposes for tests (window.__playground). */
async function snapshot(p: Page) {
  return p.evaluate(() => {
    const s = window.__playground!.getState();
    const view = s.run.runs[0];
    const m = view ? s.metrics.runs[view.id] : undefined;
    return {
      status: s.run.status,
      error: s.run.error,
      runs: s.run.runs.length,
      steps: m?.steps ?? [],
      loss: m?.loss ?? [],
      lr: m?.lr ?? [],
      layers: (m?.branches ?? []).map((b) => b.layer),
      branches: view?.info?.config.branches ?? 0,
      stepsPerSec: view?.rates.stepsPerSec ?? 0,
      tokensPerSec: view?.rates.tokensPerSec ?? 0,
      gpuMs: view?.rates.gpuMsPerStep ?? null,
      hostMs: view?.rates.hostMsPerStep ?? 0,
      gpuBytes: view?.rates.gpuBytes ?? 0,
      dev: (m?.dev ?? []).map((d) => ({ step: d.step, loss: d.loss, bleu: d.bleu })),
    };
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test.beforeAll(async ({ browser }) => {
  page = await openPlayground(browser, '/?e2e=micro', errors);
});

test.afterAll(async () => {
  await page.close();
});

test('training in the worker makes the loss fall', async () => {
  const testInfo = test.info();
  const t0 = Date.now();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
  await page.waitForFunction(() => (window.__playground!.getState().metrics.runs[0]?.steps.length ?? 0) >= 24, undefined, { timeout: 120_000 });
  const s = await snapshot(page);
  console.log(`[e2e] ${s.steps.length} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s (incl. data, compile); ${s.stepsPerSec.toFixed(2)} steps/s, ${s.tokensPerSec.toFixed(0)} tokens/s, GPU ${s.gpuMs?.toFixed(1) ?? 'n/a'} ms/step, host ${s.hostMs.toFixed(2)} ms/step, ${(s.gpuBytes / 2 ** 20).toFixed(1)} MiB`);
  console.log(`[e2e] loss: ${s.loss.slice(0, 4).map((x) => x.toFixed(3)).join(' ')} … ${s.loss.slice(-4).map((x) => x.toFixed(3)).join(' ')}`);
  expect(s.error).toBeNull();
  expect(s.runs).toBe(1); // ?e2e=micro: no comparison runs
  expect(s.gpuBytes).toBeGreaterThan(0);
  // SwiftShader has timestamp queries: the GPU time per step is measured and shown.
  expect(s.gpuMs).toBeGreaterThan(0);
  await expect(page.getByTestId('throughput')).toContainText('GPU memory');
  expect(s.steps.slice(0, 24)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  expect(s.loss.every(Number.isFinite)).toBe(true);
  expect(mean(s.loss.slice(-4))).toBeLessThan(mean(s.loss.slice(0, 4)) - 0.3);
  await expect(page.getByTestId('current-step')).not.toHaveAttribute('data-step', '0');
  await expect(page.getByTestId('throughput')).toContainText('steps/s');
  expect(Number(await page.getByTestId('throughput').getAttribute('data-steps-per-sec'))).toBeGreaterThan(0);
  await expect(page.getByTestId('loss-chart').locator('.loss-raw path.recharts-line-curve')).toHaveCount(1);
  await page.getByTestId('log-scale').check();
  await expect(page.getByTestId('loss-chart').locator('.loss-smoothed path.recharts-line-curve')).toHaveCount(1);
  await page.screenshot({ path: testInfo.outputPath('training.png'), fullPage: true });
});

test('the κ/α charts draw one line per branch in every layer, weights summing to 1', async () => {
  const testInfo = test.info();
  const s = await snapshot(page);
  expect(s.layers).toEqual(['enc.0', 'dec.0']);
  for (const layer of s.layers) {
    const card = page.getByTestId(`branch-layer-${layer}`);
    await expect(card).toBeVisible();
    for (const name of ['kappa', 'alpha']) {
      const chart = card.getByTestId(`${name}-chart`);
      for (let b = 0; b < s.branches; b++) await expect(chart.locator(`.branch-line-${b} path.recharts-line-curve`)).toHaveCount(1);
      await expect(chart.locator('.branch-line')).toHaveCount(s.branches);
      const values = (await card.getAttribute(`data-${name}`))!.split(',').map(Number);
      expect(values).toHaveLength(s.branches);
      expect(values.every((v) => v >= -1e-6)).toBe(true);
      expect(Math.abs(values.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
    }
  }
  await page.getByTestId('branch-weights').screenshot({ path: testInfo.outputPath('branch-weights.png') });
});

test('the translation box returns a translation while training', async () => {
  const testInfo = test.info();
  await page.getByTestId('translate-input').fill('3 14 15 9 26');
  await page.getByTestId('translate-button').click();
  const output = page.getByTestId('translate-output');
  await expect(output).toHaveAttribute('data-pending', 'false', { timeout: 60_000 });
  const text = await output.getAttribute('data-output');
  console.log(`[e2e] translation of "3 14 15 9 26": "${text}"`);
  expect(text).toBeTruthy();
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  const s = await snapshot(page);
  console.log(`[e2e] dev evaluations: ${s.dev.map((d) => `step ${d.step} loss ${d.loss.toFixed(3)} BLEU ${d.bleu.toFixed(2)}`).join('; ')}`);
  expect(s.dev[0]?.step).toBe(20); // ?e2e=micro evaluates every 20 steps
  expect(Number.isFinite(s.dev[0].loss) && Number.isFinite(s.dev[0].bleu)).toBe(true);
  await expect(page.getByTestId('dev-results')).toContainText('dev loss');
  await page.screenshot({ path: testInfo.outputPath('translation.png'), fullPage: true });
});

test('Reset clears the run; Step prepares a new one and steps once; the LR scale applies live', async () => {
  const testInfo = test.info();
  await page.getByTestId('reset').click();
  await page.getByTestId('reset-confirm').click(); // Reset asks first (ResetDialog)
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  expect((await snapshot(page)).steps).toEqual([]);
  await expect(page.getByTestId('branch-layer-enc.0')).toHaveCount(0);
  // Noam schedule of model.md: lrScale * D^-0.5 * min(s^-0.5, s * warmup^-1.5), D = 16, warmup = 50.
  const lr = (scale: number, step: number) => scale * 16 ** -0.5 * Math.min(step ** -0.5, step * 50 ** -1.5);
  await page.getByTestId('lr-scale').fill('0.5');
  let t0 = Date.now();
  await page.getByTestId('step').click();
  await expect(page.getByTestId('current-step')).toHaveAttribute('data-step', '1', { timeout: 60_000 });
  console.log(`[e2e] Step from scratch (prepare + first step): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await page.getByTestId('lr-scale').fill('2');
  await page.getByTestId('step').click();
  await expect(page.getByTestId('current-step')).toHaveAttribute('data-step', '2', { timeout: 60_000 });
  console.log(`[e2e] one more step: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const s = await snapshot(page);
  expect(s.steps).toEqual([1, 2]);
  expect(s.lr[0]).toBeCloseTo(lr(0.5, 1), 9);
  expect(s.lr[1]).toBeCloseTo(lr(2, 2), 9);
  await page.screenshot({ path: testInfo.outputPath('stepped.png'), fullPage: true });
});

test('metrics export as CSV and the checkpoint downloads as a valid safetensors file', async () => {
  const testInfo = test.info();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const csvPath = testInfo.outputPath('metrics.csv');
  await csv.saveAs(csvPath);
  const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
  expect(lines[0]).toMatch(/^run,label,step,tokens_seen,loss,lr,grad_norm,dev_loss,dev_bleu,enc\.0\.kappa_eff\.0,/);
  expect(lines).toHaveLength(3); // header + steps 1 and 2 of the stepped run
  const [ckpt] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-checkpoint').click()]);
  const path = testInfo.outputPath(ckpt.suggestedFilename());
  await ckpt.saveAs(path);
  const loaded = decodeCheckpoint(readFileSync(path), ckpt.suggestedFilename());
  expect(loaded.step).toBe(2);
  expect(loaded.config.dModel).toBe(16);
  expect(loaded.adam).toBeDefined();
  expect((loaded.extras.tokenizer as { type: string }).type).toBe('byte-bpe');
  console.log(`[e2e] checkpoint ${ckpt.suggestedFilename()}: ${readFileSync(path).length} bytes, step ${loaded.step}`);
});

test('no console errors', async () => {
  expect(errors).toEqual([]);
});

test('the configuration comes from and goes to the URL hash; invalid combinations are reported', async ({ page: p }) => {
  await p.goto('/#dModel=32&branches=8&steps=500&dropout=oops');
  await expect(p.getByTestId('field-dModel')).toHaveValue('32');
  await expect(p.getByTestId('field-branches')).toHaveValue('8');
  await expect(p.getByTestId('field-steps')).toHaveValue('500');
  await expect(p.getByTestId('field-dropout')).toHaveValue('0.1'); // an invalid value loads the default…
  await expect(p.getByTestId('hash-warnings')).toContainText('dropout=oops'); // …and the page says so
  await expect(p.getByTestId('field-preset')).toHaveValue('tiny');
  await p.getByTestId('field-dModel').fill('36');
  await expect(p.getByTestId('config-errors')).toContainText('divisible by branches');
  await expect(p.getByTestId('field-preset')).toHaveValue('custom');
  await expect(p.getByTestId('start')).toBeVisible();
  expect(new URL(p.url()).hash).toContain('dModel=36');
  await p.getByTestId('field-preset').selectOption('small');
  await expect(p.getByTestId('field-dModel')).toHaveValue('128');
  await expect(p.getByTestId('config-errors')).toHaveCount(0);
});
