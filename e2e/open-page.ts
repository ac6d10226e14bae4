// Opening the playground in a test: a new page that collects console errors and page errors into
// `errors`, at `url`, once it has reported its (SwiftShader) adapter.
import { expect, type Browser, type Page } from '@playwright/test';

export async function openPlayground(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await expect(page.getByTestId('adapter')).toContainText(/swiftshader/i);
  return page;
}
