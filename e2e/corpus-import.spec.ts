// A malformed corpus file shows the rejected line numbers while the corpus in use stays; accepting the
// good lines of a partly bad file switches the corpus; a file with nothing usable changes nothing.
import { test, expect } from '@playwright/test';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'data');

test('a malformed corpus reports rejected lines and keeps the current corpus', async ({ page }, testInfo) => {
  await page.goto('/');
  const inUse = page.getByTestId('corpus-in-use');
  const before = await inUse.innerText();
  await page.getByTestId('corpus-file').setInputFiles(join(FIXTURES, 'mixed.tsv'));
  const report = page.getByTestId('import-report');
  await expect(report).toContainText(/line/);
  await expect(report).toContainText(/\d/);
  console.log(`[e2e] import report: ${(await report.innerText()).replace(/\n+/g, ' | ')}`);
  await page.screenshot({ path: testInfo.outputPath('import-report.png') });
  expect(await inUse.innerText()).toBe(before);
  await page.getByTestId('import-accept').click();
  await expect(inUse).toContainText('mixed.tsv');

  await page.getByTestId('corpus-file').setInputFiles(join(FIXTURES, 'binary.bin'));
  await expect(page.getByTestId('import-report')).toContainText(/Nothing usable/);
  await expect(page.getByTestId('import-accept')).toHaveCount(0);
  await expect(inUse).toContainText('mixed.tsv');
});
