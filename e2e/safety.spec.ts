// Nothing trained is lost and nothing wrong is silent, on the page (Chromium, WebGPU on SwiftShader, the
// micro configuration): a checkpoint the worker refuses leaves the live run training and names the file.
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { CHECKPOINT_EXTRAS, decodeCheckpoint, encodeCheckpoint } from '../src/model/checkpoint.ts';

const lastStep = (p: Page) => p.evaluate(() => window.__playground!.getState().metrics.runs[0]?.steps.at(-1) ?? 0);

test('a checkpoint refused in the worker leaves the live run training and names the file', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?e2e=micro#autosaveEvery=0&evalEvery=0');
  await expect(page.getByTestId('adapter')).toContainText(/swiftshader/i);
  await page.getByTestId('start').click();
  await page.waitForFunction(() => (window.__playground!.getState().metrics.runs[0]?.steps.length ?? 0) >= 3, undefined, { timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-checkpoint').click()]);
  const good = readFileSync(await download.path());
  // A tokenizer that does not fit the model: the page's checks pass, the worker's refuse it.
  const ckpt = decodeCheckpoint(good);
  const extras = structuredClone(ckpt.extras);
  (extras[CHECKPOINT_EXTRAS.tokenizer] as { vocabSize: number }).vocabSize += 7;
  const bad = encodeCheckpoint({ ...ckpt, extras });
  const before = await lastStep(page);
  await page.getByTestId('load-checkpoint-file').setInputFiles({ name: 'bad-tokenizer.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bad) });
  await page.getByTestId('load-confirm-yes').click();
  await expect(page.getByTestId('run-error')).toContainText('"bad-tokenizer.safetensors"');
  await expect(page.getByTestId('run-error')).toContainText('Nothing was replaced');
  console.log(`[e2e] refused in the worker: ${await page.getByTestId('run-error').innerText()}`);
  // The run goes on: still training, more steps, the same single run with every step from 1.
  await page.waitForFunction((b) => (window.__playground!.getState().metrics.runs[0]?.steps.at(-1) ?? 0) >= b + 3, before, { timeout: 60_000 });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
  const steps = await page.evaluate(() => window.__playground!.getState().metrics.runs[0].steps);
  expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
  await page.getByTestId('pause').click();
  expect(errors).toEqual([]);
});
