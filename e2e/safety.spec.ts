// Nothing trained is lost and nothing wrong is silent, on the page (Chromium, WebGPU on SwiftShader, the
// micro configuration): a checkpoint the worker refuses leaves the live run training and names the file;
// two tabs keep their own autosaves; a corrupt autosave is reported and offered for deletion, the page
// intact; a 10 MB corpus is parsed in the worker while the page keeps drawing frames.
import { test, expect, type Page } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
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

/** Training in `p` until its autosave reaches `step`. */
async function trainUntilAutosaved(p: Page, step: number) {
  await p.bringToFront(); // a background tab's frames and timers are throttled
  await p.getByTestId('start').click();
  await p.waitForFunction((s) => (window.__playground!.getState().run.autosave?.step ?? 0) >= s, step, { timeout: 150_000 });
  await p.getByTestId('pause').click();
  await expect(p.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
}

test('two tabs keep separate autosaves; a reload of each tab offers its own and lists the other', async ({ browser }) => {
  test.setTimeout(420_000); // two software GPUs, one after the other, each compiling its kernels twice
  const context = await browser.newContext();
  const [a, b] = [await context.newPage(), await context.newPage()];
  await a.goto('/?e2e=micro#evalEvery=0&autosaveEvery=3&seed=11');
  await b.goto('/?e2e=micro#evalEvery=0&autosaveEvery=2&seed=22');
  for (const p of [a, b]) await expect(p.getByTestId('adapter')).toContainText(/swiftshader/i);
  // One after the other: two software GPUs on a small machine would starve each other.
  await trainUntilAutosaved(a, 3);
  await trainUntilAutosaved(b, 2);
  const stepOf = (p: Page) => p.evaluate(() => window.__playground!.getState().run.autosave!.step);
  const [stepA, stepB] = [await stepOf(a), await stepOf(b)];
  console.log(`[e2e] tab A autosaved at step ${stepA}, tab B at ${stepB}`);
  await Promise.all([a.reload(), b.reload()]);
  for (const [p, own, seed] of [[a, stepA, '11'], [b, stepB, '22']] as const) {
    // (An autosave requested just before the pause may land after the step read above: at or after it.)
    await p.bringToFront();
    await expect(p.getByTestId('resume-offer')).toBeVisible();
    expect(Number(await p.getByTestId('resume-offer').getAttribute('data-step'))).toBeGreaterThanOrEqual(own);
    await expect(p.getByTestId('autosave-list').getByTestId('autosave-item')).toHaveCount(1);
    await expect(p.getByTestId('adapter')).toBeVisible();
    await p.getByTestId('resume-autosave').click();
    await expect(p.getByTestId('field-seed')).toHaveValue(seed); // its own run came back, not the other tab's
    await expect(p.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
    await p.getByTestId('pause').click();
  }
  await a.screenshot({ path: test.info().outputPath('two-tabs.png'), fullPage: true });
  await context.close();
});

test('a corrupt autosave record is reported by what is wrong, offered for deletion, and the page works', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?e2e=micro#evalEvery=0&autosaveEvery=0');
  await expect(page.getByTestId('adapter')).toContainText(/swiftshader/i);
  // Two broken records as a damaged database (or an older page) could leave them: this tab's, whose
  // checkpoint is cut short, and another's whose metrics are not lists.
  await page.evaluate(async () => {
    const values = window.__playground!.getState().config.values;
    const key = 'weighted-transformer-playground.tab';
    const tab = sessionStorage.getItem(key) ?? (sessionStorage.setItem(key, 'tab-e2e'), 'tab-e2e');
    const spec = { id: 0, label: 'weighted', model: {}, train: {}, data: { source: { kind: 'copy' } } };
    const run = { id: 0, label: 'weighted', spec, checkpoint: new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123]), step: 40, metrics: { steps: [1], loss: [2], lr: [0], gradNorm: [1], tokens: [5], branches: [], dev: [] } };
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('weighted-transformer-playground'); // as the page made it
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('autosave', 'readwrite');
      tx.objectStore('autosave').put({ version: 1, savedAt: Date.now(), values, imported: null, focus: 0, runs: [run] }, `${tab}/broken`);
      tx.objectStore('autosave').put({ version: 1, savedAt: Date.now() - 1000, values, imported: null, focus: 0, runs: [{ ...run, metrics: { steps: 'none' } }] }, 'other-tab/broken');
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  });
  await page.reload();
  const broken = page.getByTestId('resume-offer-broken');
  await expect(broken).toContainText("run 1's checkpoint");
  await expect(page.getByTestId('resume-offer')).toHaveCount(0); // nothing broken is offered for resuming
  await page.getByTestId('autosave-list').locator('summary').click(); // the list is folded when this tab has its own
  const other = page.getByTestId('autosave-item');
  await expect(other).toHaveAttribute('data-broken', 'true');
  await expect(other).toContainText('cannot be used');
  console.log(`[e2e] corrupt autosaves: ${await broken.innerText()} | ${await other.innerText()}`);
  await page.screenshot({ path: test.info().outputPath('corrupt-autosave.png'), fullPage: true });
  await other.getByTestId('autosave-item-delete').click();
  await expect(page.getByTestId('autosave-item')).toHaveCount(0);
  await broken.getByRole('button', { name: 'Discard it' }).click();
  await expect(page.getByTestId('resume-offer-broken')).toHaveCount(0);
  // The page is intact: a run starts and trains.
  await page.getByTestId('start').click();
  await page.waitForFunction(() => (window.__playground!.getState().metrics.runs[0]?.steps.length ?? 0) >= 2, undefined, { timeout: 120_000 });
  await page.getByTestId('pause').click();
  expect(errors).toEqual([]);
});

test('importing a 10 MB corpus and starting a run on it leave the page responsive, with progress', async ({ page }) => {
  await page.goto('/?e2e=micro#autosaveEvery=0&evalEvery=0');
  await expect(page.getByTestId('adapter')).toContainText(/swiftshader/i);
  const lines: string[] = [];
  for (let i = 0, size = 0; size < 10 * 2 ** 20; i++) {
    const line = `sentence number ${i} is about the ${i % 97} cats\tSatz Nummer ${i} handelt von den ${i % 89} Katzen`;
    lines.push(line);
    size += line.length + 1;
  }
  const tsv = Buffer.from(lines.join('\n') + '\n');
  // Every animation frame, whether the import's progress was on screen.
  await page.evaluate(() => {
    const w = window as unknown as { frames_: [number, boolean, string][] };
    w.frames_ = [];
    const tick = (t: number) => {
      const el = document.querySelector('[data-testid="import-progress"]');
      w.frames_.push([t, el !== null, el?.getAttribute('data-fraction') ?? '']);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  // From a file on disk: a buffer would be decoded into a File on the page's own main thread by Playwright.
  const path = test.info().outputPath('big.tsv');
  writeFileSync(path, tsv);
  await page.getByTestId('corpus-file').setInputFiles(path);
  await expect(page.getByTestId('import-progress')).toBeVisible();
  await expect(page.getByTestId('import-report')).toContainText(`kept ${lines.length} pairs`, { timeout: 120_000 });
  const frames = await page.evaluate(() => (window as unknown as { frames_: [number, boolean, string][] }).frames_);
  const shownFrames = frames.filter(([, shown]) => shown);
  const during = shownFrames.map(([t]) => t);
  const gaps = during.slice(1).map((t, i) => t - during[i]);
  console.log(`[e2e] long gaps: ${gaps.map((g, i) => [g, shownFrames[i][2], shownFrames[i + 1][2]]).filter(([g]) => Number(g) > 100).map((x) => x.join('/')).join(' ')}`);
  const worst = Math.max(...gaps);
  console.log(`[e2e] ${(tsv.length / 2 ** 20).toFixed(1)} MB, ${lines.length} pairs: ${during.length} frames while importing, the longest gap ${worst.toFixed(0)} ms`);
  expect(during.length).toBeGreaterThan(3);
  expect(worst).toBeLessThan(200);
  await page.getByTestId('import-accept').click();
  await expect(page.getByTestId('corpus-in-use')).toContainText('big.tsv');

  // Starting a run on it: the BPE and the tokenizing happen in the worker, their progress on the page,
  // and the pairs are not sent again (the worker holds the corpus by its hash).
  await page.evaluate(() => {
    const w = window as unknown as { prep_: [number, string | null][] };
    w.prep_ = [];
    const tick = (t: number) => {
      w.prep_.push([t, document.querySelector('[data-testid="run-progress"]')?.textContent ?? null]);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-progress')).toContainText(/tokenizing \d+\/\d+ pairs/, { timeout: 120_000 });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
  await page.getByTestId('pause').click();
  const prep = await page.evaluate(() => (window as unknown as { prep_: [number, string | null][] }).prep_);
  const shown = prep.filter(([, text]) => text !== null);
  const prepGaps = shown.slice(1).map(([t], i) => t - shown[i][0]);
  console.log(`[e2e] preparing a run on ${lines.length} pairs: ${shown.length} frames, the longest gap ${Math.max(...prepGaps).toFixed(0)} ms; progress: ${[...new Set(shown.map(([, x]) => x))].slice(0, 4).join(' | ')} …`);
  expect(shown.length).toBeGreaterThan(3);
  expect(Math.max(...prepGaps)).toBeLessThan(200);
});

test('a run on an imported corpus resumes after a reload: its pairs, stored apart by hash, come back', async ({ page }) => {
  await page.goto('/?e2e=micro#evalEvery=0&autosaveEvery=2');
  await expect(page.getByTestId('adapter')).toContainText(/swiftshader/i);
  const path = test.info().outputPath('numbers.tsv');
  writeFileSync(path, Array.from({ length: 300 }, (_, i) => `${i % 7} ${i % 11} ${i}\t${i} ${i % 11} ${i % 7}`).join('\n'));
  await page.getByTestId('corpus-file').setInputFiles(path);
  await page.getByTestId('import-accept').click();
  await expect(page.getByTestId('corpus-in-use')).toContainText('numbers.tsv');
  await trainUntilAutosaved(page, 2);
  const hash = await page.evaluate(() => window.__playground!.getState().config.imported!.hash);
  expect(hash).toMatch(/^[0-9a-f]{16}$/);
  await page.reload();
  await expect(page.getByTestId('resume-offer')).toBeVisible();
  await page.getByTestId('resume-autosave').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
  await expect(page.getByTestId('corpus-in-use')).toContainText('numbers.tsv (300 training pairs)');
  expect(await page.evaluate(() => window.__playground!.getState().run.runs[0].info!.spec!.data.source)).toEqual({ kind: 'pairs', name: 'numbers.tsv', hash, pairs: [] });
  await page.getByTestId('pause').click();
});
