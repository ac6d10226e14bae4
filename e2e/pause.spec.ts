// Pause is a stop, end to end in Chromium (WebGPU on SwiftShader, the micro configuration with the
// baseline alongside and softmax κ/α): once the page says "paused" the shown step, the charts and the runs
// table stay put (the table says "paused", not "active"), and a checkpoint downloaded then is that step by
// its name and its metadata, its stored κ logits mapping (softmax) to the κ the charts show. The same after
// a single step; a reset during training leaves nothing that reports.
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { decodeCheckpoint } from '../src/model/checkpoint.ts';
import { buildParamTable, readParam } from '../src/model/params.ts';
import { openPlayground } from './open-page.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
const errors: string[] = [];

/** The shown step, each run's last charted step and the focused run's κ of enc.0, from the page. */
async function shown(p: Page) {
  const step = Number(await p.getByTestId('current-step').getAttribute('data-step'));
  const charts = await p.evaluate(() => {
    const s = window.__playground!.getState();
    return s.run.runs.map((r) => ({ id: r.id, steps: s.metrics.runs[r.id]?.steps ?? [] }));
  });
  const kappa = (await p.getByTestId('branch-layer-enc.0').getAttribute('data-kappa'))!.split(',').map(Number);
  return { step, last: charts.map((c) => c.steps.at(-1) ?? 0), counts: charts.map((c) => c.steps.length), kappa };
}

/** Download the focused run's checkpoint: the step in its name, its metadata's step, its effective κ of enc.0. */
async function downloadCheckpoint(p: Page, name: string) {
  const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('save-checkpoint').click()]);
  const path = test.info().outputPath(name);
  await download.saveAs(path);
  const ckpt = decodeCheckpoint(readFileSync(path), download.suggestedFilename());
  const logits = readParam(ckpt.params, buildParamTable(ckpt.config).byKey.get('enc.0.kappa')!);
  const e = Array.from(logits, (x) => Math.exp(x - Math.max(...logits)));
  const kappa = e.map((x) => x / e.reduce((a, b) => a + b, 0)); // model.md: softmax of the stored logits
  return { fileName: download.suggestedFilename(), nameStep: Number(/-step(\d+)\.safetensors$/.exec(download.suggestedFilename())?.[1]), step: ckpt.step, weighting: ckpt.config.weighting, kappa };
}

function expectClose(a: number[], b: number[]) {
  expect(a).toHaveLength(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(1e-6));
}

test.beforeAll(async ({ browser }) => {
  page = await openPlayground(browser, '/?e2e=micro#compare=baseline&weighting=softmax&evalEvery=0&autosaveEvery=0', errors);
});

test.afterAll(async () => {
  await page.close();
});

test('after "paused" nothing changes, the runs table says paused, and the checkpoint is the step shown', async () => {
  await page.getByTestId('start').click();
  await page.waitForFunction(() => Object.values(window.__playground!.getState().metrics.runs).every((m) => m.steps.length >= 6), undefined, { timeout: 120_000 });
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  const atPause = await shown(page);
  for (const id of [0, 1]) await expect(page.getByTestId(`run-state-${id}`)).toHaveText('paused');
  await page.waitForTimeout(3000);
  const later = await shown(page);
  console.log(`[e2e] paused at step ${atPause.step} (runs at ${atPause.last.join(', ')}); 3 s later: ${later.step} (${later.last.join(', ')})`);
  expect(later).toEqual(atPause);
  expect(atPause.step).toBe(atPause.last[0]); // the step shown is the focused run's last charted step
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  const ckpt = await downloadCheckpoint(page, 'paused.safetensors');
  console.log(`[e2e] checkpoint while paused: ${ckpt.fileName}, metadata step ${ckpt.step}, κ enc.0 ${ckpt.kappa.map((x) => x.toFixed(4)).join(' ')}`);
  expect(ckpt.weighting).toBe('softmax');
  expect([ckpt.nameStep, ckpt.step]).toEqual([atPause.step, atPause.step]);
  expectClose(atPause.kappa, ckpt.kappa); // the charts show effective κ, not converted twice
  expect(await shown(page)).toEqual(atPause); // saving changed nothing
});

test('a single step is a stop too: one more step, then nothing', async () => {
  const before = await shown(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('current-step')).toHaveAttribute('data-step', String(before.step + 1));
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  const stepped = await shown(page);
  await page.waitForTimeout(2000);
  expect(await shown(page)).toEqual(stepped);
  expect(stepped.last).toEqual(before.last.map((s) => s + 1));
  expect(stepped.counts).toEqual(before.counts.map((n) => n + 1));
  const ckpt = await downloadCheckpoint(page, 'stepped.safetensors');
  console.log(`[e2e] checkpoint after one step: ${ckpt.fileName}, metadata step ${ckpt.step}`);
  expect([ckpt.nameStep, ckpt.step]).toEqual([stepped.step, stepped.step]);
  expectClose(stepped.kappa, ckpt.kappa);
});

test('a reset during training: idle, no runs, and nothing arrives afterwards', async () => {
  const before = (await shown(page)).step;
  await page.getByTestId('start').click(); // Resume
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
  await page.waitForFunction((s) => (window.__playground!.getState().metrics.runs[0]?.steps.at(-1) ?? 0) >= s + 3, before);
  await page.getByTestId('reset').click();
  await page.getByTestId('reset-confirm').click(); // Reset asks first (ResetDialog)
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await page.waitForTimeout(2000);
  const state = await page.evaluate(() => {
    const s = window.__playground!.getState();
    return { status: s.run.status, runs: s.run.runs.length, metrics: Object.keys(s.metrics.runs).length };
  });
  expect(state).toEqual({ status: 'idle', runs: 0, metrics: 0 });
  await expect(page.getByTestId('current-step')).toHaveAttribute('data-step', '0');
});

test('no console errors', async () => {
  expect(errors).toEqual([]);
});
