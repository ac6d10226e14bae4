// The Bench view (?view=bench) end to end on SwiftShader: the tiny size (one 128³ matmul, a micro model's
// training step) runs our engine and TF.js's WebGPU backend in the bench worker; both tables fill with
// finite positive numbers, and "Download JSON" gives the report with the documented shape.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;

test('the bench runs ours and TF.js side by side and downloads the report', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?view=bench');
  const bench = page.getByTestId('bench');
  await expect(bench).toHaveAttribute('data-status', 'idle');
  await page.getByTestId('bench-size-tiny').check();
  const t0 = Date.now();
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-log')).toContainText('Starting');
  // While it runs: a progress bar over its plan (tiny: 1 matmul row, 1 training preset) and the time left.
  await expect(page.getByTestId('bench-progress')).toContainText('matmul rows 0/1, training presets 0/1');
  await expect(page.getByTestId('bench-progress')).toContainText('matmul rows 1/1', { timeout: 120_000 });
  await expect(page.getByTestId('bench-eta')).toHaveText('time left: known after the first training preset');
  await expect(bench).toHaveAttribute('data-status', /done|failed/, { timeout: 120_000 });
  await expect(page.getByTestId('bench-error')).toHaveCount(0);
  console.log(`[e2e] tiny bench in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${await page.getByTestId('bench-status').innerText()}`);
  await page.screenshot({ path: testInfo.outputPath('bench.png'), fullPage: true });
  console.log(`[e2e] bench log:\n${await page.getByTestId('bench-log').innerText()}`);

  const matmul = page.getByTestId('bench-matmul-row');
  await expect(matmul).toHaveCount(1);
  for (const key of ['data-ours', 'data-tfjs', 'data-ratio']) expect(positive(Number(await matmul.getAttribute(key)))).toBe(true);
  const train = page.getByTestId('bench-train-row');
  await expect(train).toHaveCount(2);
  const baseline = train.and(page.locator('[data-variant="baseline"]'));
  for (const key of ['data-ours', 'data-tfjs', 'data-ratio']) expect(positive(Number(await baseline.getAttribute(key)))).toBe(true);
  expect(positive(Number(await train.and(page.locator('[data-variant="weighted"]')).getAttribute('data-ours')))).toBe(true);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bench-download').click()]);
  const path = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(path);
  const report = JSON.parse(readFileSync(path, 'utf8'));
  expect(typeof report.adapter).toBe('string');
  expect(report.adapter).toMatch(/swiftshader/i);
  expect(report.matmul).toHaveLength(1);
  for (const row of report.matmul) {
    expect(typeof row.shape).toBe('string');
    for (const key of ['ours_gflops', 'tfjs_gflops', 'ratio']) expect(positive(row[key])).toBe(true);
    expect(row.equal).toBe(true);
  }
  expect(report.train.map((r: { variant: string }) => r.variant)).toEqual(['baseline', 'weighted']);
  const [base, weighted] = report.train;
  expect(base.preset).toBe('micro');
  for (const key of ['ours_tokens_per_s', 'tfjs_tokens_per_s', 'ratio']) expect(positive(base[key])).toBe(true);
  expect(base.loss_check.equal).toBe(true);
  expect(positive(weighted.ours_tokens_per_s)).toBe(true);
  expect(weighted.tfjs_tokens_per_s).toBeNull();
  console.log(`[e2e] matmul ${report.matmul[0].shape}: ours ${report.matmul[0].ours_gflops} / TF.js ${report.matmul[0].tfjs_gflops} GFLOP/s; ` +
    `micro baseline: ours ${base.ours_tokens_per_s} / TF.js ${base.tfjs_tokens_per_s} tok/s`);
  expect(errors).toEqual([]);
});
