// Issue 12 in the worker's session (what the page's Experiments panel drives): the 'ablate' command
// measures a trained weighted run's Table 3 between its steps with progress, and restores its learned
// κ/α (the same parameters bit for bit, the same dev loss as the run's own last evaluation); its `uniform`
// equals the `uniform` weighting's forward on the same weights, computed here independently; one muted
// branch gives the number the full ablation gives for it; a baseline or an unknown branch is refused
// without stopping the session; an ablation asked for mid-run runs between steps and training goes on.
// Seed runs given a shared data seed train on the same batches and differ in their initialization.
import { describe, expect, it } from 'vitest';
import { sessionHarness } from '../helpers/session.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { prepareData } from '../../src/train/data.ts';
import type { RunSpec, WorkerMessage } from '../../src/train/protocol.ts';

const model = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: 280, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1 });
const DATA = { source: { kind: 'copy' as const }, vocab: 280, batchTokens: 256, devPairs: 16 };

function spec(id: number, steps: number, variant: 'weighted' | 'baseline' = 'weighted', seed = 5): RunSpec {
  return {
    id, label: `${variant} ${id}`, model: { ...model, variant },
    train: { seed, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps, freezeSteps: 0 },
    data: DATA, evalEvery: 0, bleuSentences: 6,
  };
}

const isStatus = (status: string) => (m: WorkerMessage) => m.type === 'status' && m.status === status;
type Ablation = Extract<WorkerMessage, { type: 'ablation' }>;
type Failed = Extract<WorkerMessage, { type: 'ablation-failed' }>;
type Checkpoint = Extract<WorkerMessage, { type: 'checkpoint' }>;
const answer = (id: number) => (m: WorkerMessage) => (m.type === 'ablation' || m.type === 'ablation-failed') && m.id === id;
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('session ablate', () => {
  it('measures Table 3 of a trained run with progress, restores its κ/α, and its uniform is the uniform weighting\'s forward', async () => {
    const h = await sessionHarness();
    h.send({ type: 'start', runs: [spec(0, 16)], paused: false });
    await h.until(isStatus('done'));
    const lastDev = h.of('dev').at(-1)!.result;
    expect(lastDev.step).toBe(16);
    h.send({ type: 'save', runIds: [0], reason: 'download' });
    const before = decodeCheckpoint((await h.until<Checkpoint>((m) => m.type === 'checkpoint')).bytes);

    h.send({ type: 'ablate', id: 1, runId: 0, only: null, randomDraws: 2, seed: 3, bleu: true, uniformCheck: true });
    const got = await h.until<Ablation | Failed>(answer(1));
    if (got.type === 'ablation-failed') throw new Error(got.message);
    const report = got.report!;
    expect(got.step).toBe(16);
    const progress = h.of('ablation-progress').filter((m) => m.id === 1);
    const total = 2 + 2 + 2 * 2 * 4; // learned, uniform, 2 draws, (enc.0, dec.0) × (κ, α) × 4 branches
    expect(progress.map((m) => m.done)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(progress.every((m) => m.total === total)).toBe(true);
    expect(report.muted).toHaveLength(16);
    expect(report.random.samples).toHaveLength(2);
    // The learned setting is the run as it is: exactly its own last dev loss.
    expect(report.learned.loss).toBe(lastDev.loss);
    expect(report.uniform.loss).not.toBeCloseTo(report.learned.loss, 4);

    // Restored: the same parameters bit for bit, and the same dev loss at the next evaluation.
    h.clear();
    h.send({ type: 'save', runIds: [0], reason: 'download' });
    const after = decodeCheckpoint((await h.until<Checkpoint>((m) => m.type === 'checkpoint')).bytes);
    expect(bits(after.params)).toEqual(bits(before.params));

    // The uniform weighting's own forward on the same weights, built here from the checkpoint.
    const data = prepareData(DATA.source, { seed: 5, vocab: 280, maxLen: 16, batchTokens: 256, devPairs: 16 });
    const reference = new Trainer(h.gpu, { ...before.config, weighting: 'uniform' }, spec(0, 16).train, { params: before.params });
    try {
      const { loss } = await reference.evaluate(data.dev);
      expect(Math.abs(report.uniform.loss - loss)).toBeLessThan(1e-5 * Math.max(1, loss));
      expect(Math.abs(got.uniformCheck! - loss)).toBeLessThan(1e-6 * Math.max(1, loss));
    } finally {
      reference.destroy();
    }

    // One branch muted alone: the number the full ablation measured for it, beside the learned one.
    h.send({ type: 'ablate', id: 2, runId: 0, only: { layer: 'dec.0', branch: 1, which: 'alpha' }, randomDraws: 0, seed: 1, bleu: true, uniformCheck: false });
    const mute = await h.until<Ablation | Failed>(answer(2));
    if (mute.type === 'ablation-failed') throw new Error(mute.message);
    const full = report.muted.find((r) => r.layer === 'dec.0' && r.which === 'alpha' && r.branch === 1)!;
    expect(mute.mute!.muted).toEqual(full);
    expect(mute.mute!.learned).toEqual(report.learned);
    expect(mute.report).toBeNull();
    expect(mute.uniformCheck).toBeNull();

    // An unknown branch is refused, naming it; the session is not stopped.
    h.send({ type: 'ablate', id: 3, runId: 0, only: { layer: 'enc.7', branch: 0, which: 'kappa' }, randomDraws: 0, seed: 1, bleu: false, uniformCheck: false });
    expect((await h.until<Failed>(answer(3))).message).toMatch(/layer "enc\.7" is not a branched layer/);
    h.send({ type: 'ablate', id: 4, runId: 0, only: { layer: 'enc.0', branch: 4, which: 'kappa' }, randomDraws: 0, seed: 1, bleu: false, uniformCheck: false });
    expect((await h.until<Failed>(answer(4))).message).toMatch(/branch 4 is not one of 0\.\.3/);
    h.send({ type: 'ablate', id: 6, runId: 0, only: null, randomDraws: 0, seed: 1, bleu: false, uniformCheck: false });
    expect((await h.until<Failed>(answer(6))).message).toBe('random draws must be a whole number from 1 to 1000, got 0');
    h.send({ type: 'ablate', id: 5, runId: 9, only: null, randomDraws: 1, seed: 1, bleu: false, uniformCheck: false });
    expect((await h.until<Failed>(answer(5))).message).toMatch(/no run 9/);
    expect(h.of('error')).toEqual([]);
    h.send({ type: 'reset' });
    await h.until(isStatus('idle'));
  });

  it('refuses a baseline run, and runs between the steps of a running session, which goes on to the end', async () => {
    const h = await sessionHarness({ asTask: true });
    h.send({ type: 'start', runs: [spec(0, 40), spec(1, 40, 'baseline')], paused: false });
    await h.until((m) => m.type === 'metrics' && m.runId === 0);
    h.send({ type: 'ablate', id: 1, runId: 1, only: null, randomDraws: 1, seed: 1, bleu: false, uniformCheck: false });
    h.send({ type: 'ablate', id: 2, runId: 0, only: null, randomDraws: 1, seed: 1, bleu: false, uniformCheck: false });
    expect((await h.until<Failed>(answer(1))).message).toMatch(/baseline model has no κ\/α/);
    const got = await h.until<Ablation | Failed>(answer(2));
    if (got.type === 'ablation-failed') throw new Error(got.message);
    expect(got.step).toBeGreaterThan(0);
    expect(got.report!.learned.bleu).toBeNull(); // bleu: false
    await h.until(isStatus('done'));
    const steps = h.of('metrics').filter((m) => m.runId === 0).flatMap((m) => m.items.map((x) => x.step));
    expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(h.of('error')).toEqual([]);
    h.send({ type: 'reset' });
    await h.until(isStatus('idle'));
  });

  it('seed runs with a shared data seed see the same batches and differ in their initialization', async () => {
    const h = await sessionHarness();
    const seeded = (id: number, seed: number): RunSpec => ({ ...spec(id, 4, 'weighted', seed), data: { ...DATA, seed: 5 } });
    h.send({ type: 'start', runs: [seeded(0, 5), seeded(1, 6)], paused: false });
    await h.until(isStatus('done'));
    const items = (id: number) => h.of('metrics').filter((m) => m.runId === id).flatMap((m) => m.items);
    expect(items(1).map((m) => m.tokens)).toEqual(items(0).map((m) => m.tokens));
    expect(items(1)[0].loss).not.toBe(items(0)[0].loss);
    expect(h.of('run-info').map((m) => m.info.spec!.data.seed)).toEqual([5, 5]);
    h.send({ type: 'reset' });
    await h.until(isStatus('idle'));
  });
});
