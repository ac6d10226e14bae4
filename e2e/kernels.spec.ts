// The kernel suite's representative part, run inside Chromium on its WebGPU (SwiftShader) device.
import { test, expect } from '@playwright/test';

test('GPU kernels match their CPU references inside Chromium', async ({ page }) => {
  await page.goto('/kernels.html');
  await page.waitForFunction(() => window.__kernelChecks?.done === true, undefined, { timeout: 170_000 });
  const state = await page.evaluate(() => window.__kernelChecks!);
  console.log(`[e2e] browser adapter: ${state.adapter}`);
  for (const r of state.results) console.log(`[e2e] ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.message}`);
  expect(state.error).toBeUndefined();
  expect(state.results.length).toBeGreaterThan(0);
  expect(state.results.filter((r) => !r.ok)).toEqual([]);
});
