// The page acquires a WebGPU device (in its worker) and reports the adapter, with no console errors;
// without WebGPU it explains what is missing.
import { test, expect, chromium } from '@playwright/test';
import { BASE_ARGS, CHROMIUM } from '../playwright.config.ts';

test('the page reports its WebGPU adapter with no console errors', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  const adapter = page.getByTestId('adapter');
  await expect(adapter).toContainText(/swiftshader/i);
  console.log(`[e2e] ${await adapter.innerText()}`);
  await page.screenshot({ path: testInfo.outputPath('adapter.png') });
  expect(errors).toEqual([]);
});

test('without WebGPU the page explains what is missing', async ({ baseURL }, testInfo) => {
  // A Chromium started without the WebGPU flags: on Linux it exposes no WebGPU adapter.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, '--disable-features=WebGPU,Vulkan'] });
  try {
    const page = await browser.newPage();
    await page.goto(baseURL!);
    const alert = page.getByTestId('no-webgpu');
    await expect(alert).toContainText(/WebGPU/);
    await page.screenshot({ path: testInfo.outputPath('no-webgpu.png') });
  } finally {
    await browser.close();
  }
});
