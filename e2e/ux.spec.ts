// The page a learner remembers (issue 13), end to end in Chromium on SwiftShader with the micro config:
// the first minute (compile progress, ETA, the software adapter named), the branch-flow diagram (stroke
// widths follow κ/α as the store has them, hover detail, a branch pinned at 0 fades with its step), the
// aria-live status line, field help by click and keyboard, the skip link, the phone layout (no horizontal
// scroll, Start on the first screen), a changed setting as a new run beside the old one, and Reset asking
// first. Screenshots of the first screen at 1440×900 and 390×844 during the run go to test-results/screens/
// (outside Playwright's per-run output folder, which it empties at the start of every run).
import { test, expect, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { CHECKPOINT_EXTRAS, decodeCheckpoint, encodeCheckpoint } from '../src/model/checkpoint.ts';
import { openPlayground } from './open-page.ts';

test.describe.configure({ mode: 'serial' });

const SCREENS = 'test-results/screens';
/** The diagram's stroke width of a weight w: a hairline at 0, MAX at 1, linear between (branch-flow.ts). */
const MIN_STROKE = 0.6;
const MAX_STROKE = 16;

let page: Page;
const errors: string[] = [];

const lastStep = (p: Page) => p.evaluate(() => window.__playground!.getState().metrics.runs[0]?.steps.at(-1) ?? 0);
const waitForStep = (p: Page, step: number, timeout = 150_000) =>
  p.waitForFunction((s) => (window.__playground!.getState().metrics.runs[0]?.steps.at(-1) ?? 0) >= s, step, { timeout });

/**
 * κ/α of a layer as the store has them (what the trainer reported) and the diagram's stroke widths, read
 * in one go; `error`: the largest gap between a stroke and MIN + w (MAX - MIN) of its weight.
 */
async function weightsAndStrokes(p: Page, layer: string) {
  return p.evaluate(({ l, min, max }) => {
    const m = window.__playground!.getState().metrics.runs[0];
    const b = m.branches.find((x) => x.layer === l)!;
    const kappa = b.kappa.at(-1)!, alpha = b.alpha.at(-1)!;
    const width = (which: string, i: number) => Number(document.querySelector(`[data-testid="flow-${which}-${l}-${i}"]`)?.getAttribute('stroke-width'));
    const kappaWidths = kappa.map((_, i) => width('kappa', i));
    const alphaWidths = alpha.map((_, i) => width('alpha', i));
    const gaps = [...kappa.map((k, i) => kappaWidths[i] - (min + k * (max - min))), ...alpha.map((a, i) => alphaWidths[i] - (min + a * (max - min)))];
    return { kappa, alpha, kappaWidths, alphaWidths, step: m.steps.at(-1)!, error: Math.max(...gaps.map(Math.abs)) };
  }, { l: layer, min: MIN_STROKE, max: MAX_STROKE });
}

/** The weights and strokes once the diagram shows the store's latest weights (a render follows a store update). */
async function settled(p: Page, layer: string) {
  let last = await weightsAndStrokes(p, layer);
  await expect.poll(async () => (last = await weightsAndStrokes(p, layer)).error, { timeout: 10_000 }).toBeLessThan(1e-6);
  return last;
}

/** The innermost elements that reach past the viewport's right edge (to say what makes a page scroll sideways). */
function overflowing(p: Page): Promise<string> {
  return p.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5);
    return wide.filter((e) => !wide.some((o) => o !== e && e.contains(o))).slice(0, 8).map((e) => `${e.tagName.toLowerCase()}.${e.className} in ${e.closest('[data-testid]')?.getAttribute('data-testid') ?? '?'} (${Math.round(e.getBoundingClientRect().right)})`).join(', ');
  });
}

test.beforeAll(async ({ browser }) => {
  mkdirSync(SCREENS, { recursive: true });
  page = await openPlayground(browser, '/?e2e=micro', errors);
  await page.setViewportSize({ width: 1440, height: 900 });
});

test.afterAll(async () => {
  await page.close();
});

test('the first minute: the software adapter is named, compile progress, then steps with an ETA', async () => {
  await expect(page.getByTestId('adapter')).toHaveAttribute('data-software', 'SwiftShader');
  await expect(page.getByTestId('adapter')).toContainText('Software adapter');
  // Everything the compile-progress element shows, recorded as it changes (it may last well under a second).
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __compileSeen: string[] }).__compileSeen = seen;
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid="compile-progress"]');
      if (el && seen.at(-1) !== el.textContent) seen.push(el.textContent ?? '');
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.getByTestId('start').click();
  await waitForStep(page, 3);
  const seen = await page.evaluate(() => (window as unknown as { __compileSeen: string[] }).__compileSeen);
  console.log(`[ux] compile progress shown: ${seen.join(' | ')}`);
  expect(seen.some((t) => /compiling kernels \d+\/\d+|building pipelines \d+\/\d+/.test(t))).toBe(true);
  expect(seen.some((t) => t.includes('first step'))).toBe(true);
  await expect(page.getByTestId('compile-progress')).toHaveCount(0); // gone once the first step is back
  await expect(page.getByTestId('run-eta')).toContainText(/about .* left/);
  const eta = Number(await page.getByTestId('run-eta').getAttribute('data-eta-seconds'));
  const rate = await page.evaluate(() => window.__playground!.getState().run.runs[0].rates.stepsPerSec);
  const step = await lastStep(page);
  // The ETA is the remaining steps at the measured rate (rate and step read a moment apart: 10%).
  expect(eta).toBeGreaterThan(0);
  expect(Math.abs(eta - (1000 - step) / rate) / eta).toBeLessThan(0.1);
  console.log(`[ux] micro on SwiftShader: ${rate.toFixed(2)} steps/s, ETA ${eta.toFixed(0)} s at step ${step}`);
  expect(Number(await page.getByTestId('run-progress-bar').getAttribute('value'))).toBeGreaterThan(0);
  // Readable charts: axis titles with units; no legend entry for the dev loss before its first point.
  const loss = page.getByTestId('loss-chart');
  await expect(loss.locator('.recharts-label').filter({ hasText: 'loss (nats/token)' })).toHaveCount(1);
  await expect(loss.locator('.recharts-label').filter({ hasText: /^step$/ })).toHaveCount(1);
  await expect(loss.locator('.recharts-legend-wrapper')).toContainText('training loss (raw)');
  await expect(loss.locator('.recharts-legend-wrapper')).not.toContainText('dev loss');
  const tickText = loss.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value');
  await expect.poll(() => tickText.count()).toBeGreaterThanOrEqual(3);
  const ticks = await tickText.allTextContents();
  const values = ticks.map(Number);
  const gaps = values.slice(1).map((v, i) => Math.abs(v - values[i]));
  // Evenly spaced round ticks: 1, 2, 2.5 or 5 times a power of ten apart.
  expect(gaps.every((g) => Math.abs(g - gaps[0]) < 1e-9)).toBe(true);
  const gap = Number(gaps[0].toPrecision(6));
  const mantissa = Number((gap / 10 ** Math.floor(Math.log10(gap))).toPrecision(6));
  console.log(`[ux] loss axis ticks: ${ticks.join(' ')}`);
  expect([1, 2, 2.5, 5]).toContain(mantissa);
});

test('the branch-flow diagram sits next to the loss and its strokes follow κ and α', async () => {
  const flow = page.getByTestId('branch-flow');
  const loss = page.getByTestId('loss-chart');
  await expect(flow.getByTestId('flow-layer-enc.0')).toBeVisible();
  await expect(flow.getByTestId('flow-layer-dec.0')).toBeVisible();
  await expect(flow.getByTestId('flow-self-attention-dec.0')).toContainText('plain multi-head');
  await expect(flow.getByTestId('flow-layer-dec.0')).toContainText('cross-attention');
  // Side by side on the first screen at 1440×900.
  const [a, b] = [await loss.boundingBox(), await flow.boundingBox()];
  expect(b!.x).toBeGreaterThan(a!.x + a!.width - 1);
  expect(b!.y).toBeLessThan(900);

  // Each stroke is as wide as its weight, before and after a few more steps.
  const before = await settled(page, 'enc.0');
  await waitForStep(page, before.step + 6);
  const after = await settled(page, 'enc.0');
  // κ/α moved over those steps, and so did the strokes.
  expect(after.kappa).not.toEqual(before.kappa);
  expect(after.kappaWidths).not.toEqual(before.kappaWidths);
  // The diagram exports as PNG and as SVG.
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('png-branch-flow').click()]);
  expect(png.suggestedFilename()).toBe('branch-flow.png');
  expect(readFileSync((await png.path())!).subarray(1, 4).toString()).toBe('PNG');
  const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('svg-branch-flow').click()]);
  const svgText = readFileSync((await svg.path())!, 'utf8');
  expect(svgText).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svgText).toContain('data-testid="flow-kappa-enc.0-0"');
  console.log(`[ux] enc.0 κ step ${before.step}: ${before.kappa.map((x) => x.toFixed(4)).join(' ')} → step ${after.step}: ${after.kappa.map((x) => x.toFixed(4)).join(' ')}`);

  // Hover a branch: its κ and α (as the store has them) and a sparkline of their history.
  await page.getByTestId('flow-branch-dec.0-1').hover();
  const detail = page.getByTestId('flow-detail');
  await expect(detail).toHaveAttribute('data-branch', '1');
  await expect(detail.locator('.flow-spark polyline')).toHaveCount(2);
  const shown = Number(await detail.getByTestId('flow-detail-kappa').textContent());
  const stored = await page.evaluate(() => window.__playground!.getState().metrics.runs[0].branches.find((x) => x.layer === 'dec.0')!.kappa.at(-1)![1]);
  expect(Math.abs(shown - stored)).toBeLessThan(0.01); // shown to 3 decimals, read a moment apart
  // After a translation, a decoder branch's detail carries its own cross-attention map.
  await expect(detail).toContainText('Translate a sentence');
  await page.getByTestId('translate-button').click();
  await expect(page.getByTestId('translate-output')).toHaveAttribute('data-pending', 'false');
  await page.getByTestId('flow-branch-dec.0-1').hover();
  await expect(detail.getByTestId('attention-map-1')).toBeVisible();
  await expect(detail.getByTestId('attention-heatmap')).toContainText('Cross-attention of branch 2');
});

test('the live region announces steps and evaluations', async () => {
  const live = page.getByTestId('live-status');
  await expect(live).toHaveAttribute('aria-live', 'polite');
  const first = await live.textContent();
  const firstStep = Number(await live.getAttribute('data-step'));
  await page.waitForFunction((s) => Number(document.querySelector('[data-testid="live-status"]')?.getAttribute('data-step')) > s, firstStep, { timeout: 150_000 });
  const later = await live.textContent();
  expect(later).not.toBe(first);
  expect(later).toMatch(/step \d+ of 1000, training loss \d+\.\d\d/);
  await page.waitForFunction(() => document.querySelector('[data-testid="live-status"]')?.textContent?.includes('dev evaluation at step'), undefined, { timeout: 150_000 });
  console.log(`[ux] live region: ${first} → ${await live.textContent()}`);
  // The first screen at 1440×900 a few dozen steps into the micro run (after its first evaluation).
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SCREENS}/first-screen-1440x900.png` });
});

test('a hidden tab pauses training and a shown one resumes it, unless told to keep going', async () => {
  const setHidden = (hidden: boolean) => page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  const status = page.getByTestId('run-status');
  await expect(status).toHaveAttribute('data-status', 'running');
  await setHidden(true);
  await expect(status).toHaveAttribute('data-status', 'paused');
  await setHidden(false);
  await expect(status).toHaveAttribute('data-status', 'running');
  await page.getByTestId('keep-training-hidden').check();
  await setHidden(true);
  const step = await lastStep(page);
  await waitForStep(page, step + 2); // still training while hidden
  await expect(status).toHaveAttribute('data-status', 'running');
  await setHidden(false);
});

test('a phone (390×844): no horizontal scroll, Start on the first screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(page.getByTestId('start')).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 390) console.log(`[ux] wider than 390 px: ${await overflowing(page)}`);
  expect(width).toBeLessThanOrEqual(390);
  const start = await page.getByTestId('start').boundingBox();
  expect(start!.y + start!.height).toBeLessThan(844);
  await page.screenshot({ path: `${SCREENS}/first-screen-390x844.png` });
  // 360 px and 2560 px too.
  for (const w of [360, 2560]) {
    await page.setViewportSize({ width: w, height: 900 });
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scroll > w) console.log(`[ux] wider than ${w} px: ${await overflowing(page)}`);
    expect(scroll).toBeLessThanOrEqual(w);
  }
  await page.setViewportSize({ width: 1440, height: 900 });
});

test('a branch pinned at exactly 0 fades, with the step it was pinned at', async () => {
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  // Branches the projection switched off by itself: κ exactly 0 in the store's latest weights, pinned
  // since the first step of the trailing run of zeros.
  const natural = await page.evaluate(() => {
    const m = window.__playground!.getState().metrics.runs[0];
    return m.branches.flatMap((b) => b.kappa.at(-1)!.flatMap((v, i) => {
      if (v !== 0) return [];
      let k = b.kappa.length - 1;
      while (k > 0 && b.kappa[k - 1][i] === 0) k--;
      return [{ layer: b.layer, branch: i, since: m.steps[k] }];
    }));
  });
  console.log(`[ux] branches the projection pinned at 0: ${natural.map((n) => `${n.layer}#${n.branch + 1} since step ${n.since}`).join(', ') || 'none'}`);
  // And one more, as the projection would do it: κ of the first live branch of dec.0 exactly 0 over the last 3 steps.
  const injected = await page.evaluate(() => {
    const store = window.__playground!;
    const s = store.getState();
    const m = s.metrics.runs[0];
    const n = m.steps.length;
    const dec = m.branches.find((b) => b.layer === 'dec.0')!;
    const branch = dec.kappa.at(-1)!.findIndex((v) => v > 0);
    const kappa = dec.kappa.map((row, i) => (i < n - 3 ? row : row.map((v, j) => (j === branch ? 0 : v / (1 - row[branch])))));
    const branches = m.branches.map((b) => (b.layer === 'dec.0' ? { ...b, kappa } : b));
    store.setState({ metrics: { runs: { ...s.metrics.runs, 0: { ...m, branches } } } });
    return { layer: 'dec.0', branch, since: m.steps[n - 3] };
  });
  for (const { layer, branch, since } of [...natural, injected]) {
    const stroke = page.getByTestId(`flow-kappa-${layer}-${branch}`);
    await expect(stroke).toHaveAttribute('data-pinned-since', String(since));
    await expect(stroke).toHaveAttribute('opacity', '0.18');
    await expect(stroke).toHaveAttribute('stroke-width', String(MIN_STROKE));
    await expect(page.getByTestId(`flow-branch-${layer}-${branch}`)).toContainText(`off @ ${since}`);
    await expect(page.getByTestId(`flow-branch-${layer}-${branch}`)).toHaveAttribute('aria-label', new RegExp(`switched off since step ${since}`));
  }
  // A live branch does not fade.
  const live = await page.evaluate(() => window.__playground!.getState().metrics.runs[0].branches.find((b) => b.layer === 'enc.0')!.kappa.at(-1)!.findIndex((v) => v > 0));
  await expect(page.getByTestId(`flow-kappa-enc.0-${live}`)).not.toHaveAttribute('opacity', '0.18');
  await expect(page.getByTestId(`flow-kappa-enc.0-${live}`)).toHaveAttribute('data-pinned-since', '');
  // The keyboard reaches the injected branch and opens its detail.
  await page.getByTestId(`flow-branch-dec.0-${injected.branch}`).focus();
  await expect(page.getByTestId('flow-detail')).toContainText(`pinned at 0 since step ${injected.since}`);
});

test('field help opens by click and by keyboard; the skip link jumps to the run controls', async () => {
  await expect(page.getByTestId('help-text-steps')).toBeHidden();
  await page.getByTestId('help-steps').click();
  await expect(page.getByTestId('help-text-steps')).toBeVisible();
  await expect(page.getByTestId('help-steps')).toHaveAttribute('aria-expanded', 'true');
  await page.getByTestId('help-warmup').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('help-text-warmup')).toContainText('warm-up');
  // The skip link is the first thing Tab reaches, shows when focused, and moves focus to the run controls.
  expect(await page.evaluate(() => document.querySelector('a[href], button, input, select, [tabindex]')?.getAttribute('data-testid'))).toBe('skip-link');
  await page.getByTestId('skip-link').focus();
  const box = await page.getByTestId('skip-link').boundingBox();
  expect(box!.y).toBeGreaterThanOrEqual(0);
  await page.keyboard.press('Enter');
  await expect(page.locator('#run-controls')).toBeFocused();
});

test('a changed setting trains as a new run beside the old one, which keeps its steps', async () => {
  const oldStep = await lastStep(page);
  await page.getByTestId('field-dropout').fill('0.1');
  const offer = page.getByTestId('change-offer');
  await expect(offer).toContainText('Dropout');
  await expect(offer).toContainText('0 → 0.1');
  await page.getByTestId('new-run-with-change').click();
  await expect(page.getByTestId('runs-table').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('run-row-1')).toHaveAttribute('data-label', 'Dropout 0.1');
  await expect(offer).toHaveCount(0); // the new run has the form's settings
  await page.getByTestId('start').click(); // Resume: both runs train
  await page.waitForFunction(() => (window.__playground!.getState().metrics.runs[1]?.steps.length ?? 0) >= 3, undefined, { timeout: 150_000 });
  const s = await page.evaluate(() => {
    const st = window.__playground!.getState();
    return { runs: st.run.runs.map((r) => r.label), old: st.metrics.runs[0].steps, fresh: st.metrics.runs[1].steps, tokensOld: st.metrics.runs[0].tokens, tokensNew: st.metrics.runs[1].tokens };
  });
  expect(s.runs).toHaveLength(2);
  expect(s.runs[1]).toBe('Dropout 0.1');
  expect(s.old.slice(0, oldStep)).toEqual(Array.from({ length: oldStep }, (_, i) => i + 1)); // history kept
  expect(s.old.at(-1)!).toBeGreaterThanOrEqual(oldStep); // and it goes on
  expect(s.fresh[0]).toBe(1); // the new one from scratch
  // Same data: the new run's first batches carry the same target tokens as the old run's.
  expect(s.tokensNew.slice(0, 3)).toEqual(s.tokensOld.slice(0, 3));
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-runs', '2');
  // Steps to a target dev loss: the first evaluation at or below it (the old run's at step 20 for a target
  // above its first dev loss), none yet for the new run; every column sorts.
  const firstDev = await page.evaluate(() => window.__playground!.getState().metrics.runs[0].dev[0]);
  await page.getByTestId('target-loss').fill(String(firstDev.loss + 0.01));
  await expect(page.getByTestId('run-row-0')).toHaveAttribute('data-target-step', String(firstDev.step));
  await page.getByTestId('target-loss').fill('abc');
  await expect(page.getByTestId('target-loss-error')).toContainText('positive loss');
  await page.getByTestId('sort-step').click(); // ascending: the new run (fewer steps) first
  await expect(page.getByTestId('runs-table').locator('tbody tr').first()).toHaveAttribute('data-testid', 'run-row-1');
  await page.getByTestId('sort-step').click();
  await expect(page.getByTestId('runs-table').locator('tbody tr').first()).toHaveAttribute('data-testid', 'run-row-0');
  // The run bar and the table say the same thing.
  await expect(page.getByTestId('run-state-0')).toHaveText('training');
  await expect(page.getByTestId('run-status')).toHaveText('training');
});

let noHistory: Buffer;

test('Reset asks first, names what is discarded and the autosave; Keep leaves everything', async () => {
  // (A checkpoint of the run for the next test, saved again without the history the page puts in it.)
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-checkpoint').click()]);
  const ckpt = decodeCheckpoint(new Uint8Array(readFileSync((await download.path())!)));
  expect(ckpt.extras[CHECKPOINT_EXTRAS.history]).toBeDefined();
  delete ckpt.extras[CHECKPOINT_EXTRAS.history];
  noHistory = Buffer.from(encodeCheckpoint(ckpt));
  await page.getByTestId('reset').click();
  const dialog = page.getByTestId('reset-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('discard all 2 runs');
  await expect(dialog.getByTestId('reset-discards')).toContainText('Dropout 0.1');
  await expect(dialog.getByTestId('reset-autosave')).toContainText(/autosave/i);
  await page.getByTestId('reset-cancel').click();
  await expect(dialog).toHaveCount(0);
  expect(await page.evaluate(() => window.__playground!.getState().run.runs.length)).toBe(2);
  await page.getByTestId('reset').click();
  await page.getByTestId('reset-confirm').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  expect(await page.evaluate(() => window.__playground!.getState().run.runs.length)).toBe(0);
});

test('a checkpoint without a history says what it is, and the charts say where its history starts', async () => {
  const step = decodeCheckpoint(new Uint8Array(noHistory)).step;
  await page.getByTestId('load-checkpoint-file').setInputFiles({ name: 'bare.safetensors', mimeType: 'application/octet-stream', buffer: noHistory });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  const notice = page.getByTestId('load-notice');
  await expect(notice).toContainText(`at step ${step}`);
  await expect(notice).toContainText(`the charts start at step ${step}`);
  await expect(page.getByTestId('history-start')).toHaveAttribute('data-step', String(step));
  await expect(page.getByTestId('history-start')).toContainText(`History starts at step ${step}`);
  const seen = await page.evaluate(() => window.__playground!.getState().run.runs[0].rates.tokensSeen);
  expect(seen).toBe(decodeCheckpoint(new Uint8Array(noHistory)).extras[CHECKPOINT_EXTRAS.tokensSeen]);
  expect(seen).toBeGreaterThan(0);
  await page.getByTestId('step').click(); // one more step: the chart begins after the checkpoint's step
  await page.waitForFunction((s) => window.__playground!.getState().metrics.runs[0]?.steps[0] === s + 1, step);
  await expect(page.getByTestId('history-start')).toBeVisible();
});

test('on a slow setting the page gives an ETA and offers micro, which one click starts', async ({ browser }) => {
  const slowErrors: string[] = [];
  // The micro model at 8× the batch, as a custom preset: on SwiftShader well under 1.1 steps/s, so 200
  // steps take over 3 minutes.
  const slow = await openPlayground(browser, '/?e2e=micro#preset=custom&batchTokens=2048', slowErrors);
  await slow.getByTestId('start').click();
  const offer = slow.getByTestId('slow-offer');
  await expect(offer).toBeVisible({ timeout: 150_000 });
  const text = await offer.innerText();
  console.log(`[ux] slow offer: ${text}`);
  expect(text).toMatch(/This GPU runs custom at \d+\.\d\d steps\/s: about .+ for 1,000 steps/);
  await slow.getByTestId('switch-to-micro').click();
  await expect(slow.getByTestId('field-preset')).toHaveValue('micro');
  await slow.waitForFunction(() => {
    const s = window.__playground!.getState();
    return s.run.startedWith?.preset === 'micro' && (s.metrics.runs[0]?.steps.length ?? 0) >= 1;
  }, undefined, { timeout: 150_000 });
  await expect(slow.getByTestId('slow-offer')).toHaveCount(0);
  await slow.close();
  expect(slowErrors).toEqual([]);
});

test('no console errors', async () => {
  expect(errors).toEqual([]);
});
