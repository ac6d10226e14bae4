// Training behaviour beyond parity: resuming from a checkpoint continues exactly as the uninterrupted
// run; the three weightings keep kappa/alpha as model.md says; freezing holds them for the last steps;
// a NaN gradient leaves the weights untouched and is reported, and halts the trainer.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { validateModelConfig, type Weighting } from '../../src/model/config.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint.ts';
import { readParam } from '../../src/model/params.ts';
import { readTensor } from '../../src/gpu/tensor.ts';
import { nonfiniteReason, Trainer, type StepMetrics } from '../../src/train/trainer.ts';
import { prepareData } from '../../src/train/data.ts';

const data = prepareData({ kind: 'reverse', symbols: 12 }, { seed: 3, vocab: 280, maxLen: 16, batchTokens: 256, devPairs: 20 });
const batches = [...data.train.epoch(0)].slice(0, 8);
const config = (weighting: Weighting = 'projected', dropout = 0.1) =>
  validateModelConfig({ variant: 'weighted', weighting, vocab: data.tokenizer.vocabSize, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout, labelSmoothing: 0.1 });
const options = { seed: 5, gradClip: 1, lrScale: 1, warmup: 4, kappaWarmup: 2, steps: 8, freezeSteps: 0 };

async function run(trainer: Trainer, from: number, to: number): Promise<StepMetrics[]> {
  const out: StepMetrics[] = [];
  trainer.onMetrics = (m) => out.push(m);
  for (let i = from; i < to; i++) {
    if (!trainer.canReport) await trainer.flush();
    trainer.trainStep(batches[i]);
  }
  await trainer.flush();
  return out;
}

describe('training', () => {
  it('resumes from a checkpoint exactly (weights, Adam moments, step, dropout masks)', async () => {
    const gpu = await testGpu();
    const straight = new Trainer(gpu, config(), options);
    const all = await run(straight, 0, 8);
    const first = new Trainer(gpu, config(), options);
    await run(first, 0, 4);
    const saved = decodeCheckpoint(encodeCheckpoint(await first.checkpoint()), 'resume', config());
    const resumed = new Trainer(gpu, config(), options, { params: saved.params, m: saved.adam!.m, v: saved.adam!.v, step: saved.step });
    const rest = await run(resumed, 4, 8);
    expect(rest.map((m) => m.step)).toEqual([5, 6, 7, 8]);
    expect(rest.map((m) => m.loss)).toEqual(all.slice(4).map((m) => m.loss));
    expect(await readTensor(gpu, resumed.params)).toEqual(await readTensor(gpu, straight.params));
    for (const t of [straight, first, resumed]) t.destroy();
  });

  it('keeps kappa/alpha as each weighting says, and freezes them for the last steps', async () => {
    const gpu = await testGpu();
    const kappaOf = async (t: Trainer) => readParam(await readTensor(gpu, t.params), t.table.byKey.get('enc.0.kappa')!);
    const projected = new Trainer(gpu, config('projected'), options);
    const before = await kappaOf(projected);
    const metrics = await run(projected, 0, 6);
    const after = await kappaOf(projected);
    expect(after).not.toEqual(before);
    expect(after.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Math.min(...after)).toBeGreaterThanOrEqual(0);
    for (const m of metrics) for (const layer of m.branches) expect(layer.alpha.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    const uniform = new Trainer(gpu, config('uniform'), options);
    const u0 = await kappaOf(uniform);
    await run(uniform, 0, 3);
    expect(await kappaOf(uniform)).toEqual(u0);

    const softmax = new Trainer(gpu, config('softmax'), options);
    const s0 = await kappaOf(softmax);
    await run(softmax, 0, 3);
    expect(await kappaOf(softmax)).not.toEqual(s0);

    const frozen = new Trainer(gpu, config('projected'), { ...options, steps: 6, freezeSteps: 3 });
    await run(frozen, 0, 3);
    const atFreeze = await kappaOf(frozen);
    await run(frozen, 3, 6);
    expect(await kappaOf(frozen)).toEqual(atFreeze);
    for (const t of [projected, uniform, softmax, frozen]) t.destroy();
  });

  it('a NaN gradient is reported and leaves the weights as they were', async () => {
    const gpu = await testGpu();
    const trainer = new Trainer(gpu, config(), options);
    await run(trainer, 0, 1);
    const good = await readTensor(gpu, trainer.params);
    const poisoned = good.slice();
    poisoned[trainer.table.byKey.get('enc.0.attn.wq')!.offset] = NaN; // a NaN weight makes every gradient NaN
    gpu.device.queue.writeBuffer(trainer.params.buffer, 0, poisoned);
    const [m] = await run(trainer, 1, 2);
    expect(m.nonfinite).toBe(true);
    const after = await readTensor(gpu, trainer.params);
    expect(Array.from(after).map((x, i) => (Number.isNaN(poisoned[i]) ? 0 : x))).toEqual(Array.from(poisoned).map((x) => (Number.isNaN(x) ? 0 : x)));
    trainer.destroy();
  });

  it('after a NaN/Inf step the trainer halts: steps queued behind it change nothing; the checkpoint is the last good step', async () => {
    const gpu = await testGpu();
    const trainer = new Trainer(gpu, config(), options);
    await run(trainer, 0, 2);
    const good = await readTensor(gpu, trainer.params);
    trainer.poisonNextStep(); // step 3's gradient gets a NaN after the backward pass
    const later = await run(trainer, 2, 6); // steps 4-6 have finite gradients of their own
    expect(later.map((m) => [m.step, m.nonfinite])).toEqual([[3, true], [4, true], [5, true], [6, true]]);
    expect(trainer.haltedAt).toBe(3);
    expect(Array.from(await readTensor(gpu, trainer.params))).toEqual(Array.from(good));
    const ckpt = await trainer.checkpoint();
    expect(ckpt.step).toBe(2);
    trainer.destroy();
  });

  for (const weighting of ['projected', 'softmax'] as const) {
    it(`${weighting}: an update that would overflow (lr scale 2e39, finite gradient) writes nothing: the weights and moments stay the last finite ones`, async () => {
      const gpu = await testGpu();
      const trainer = new Trainer(gpu, config(weighting), options);
      await run(trainer, 0, 2);
      const [params, m, v] = await Promise.all([trainer.params, trainer.m, trainer.v].map((t) => readTensor(gpu, t)));
      trainer.setLrScale(2e39);
      const later = await run(trainer, 2, 4);
      expect(later.map((x) => [x.step, x.nonfinite, x.nonfiniteCause])).toEqual([[3, true, 'update'], [4, true, 'gradient']]); // halted after 3
      expect(Number.isFinite(later[0].gradNorm)).toBe(true); // the gradient itself was fine
      expect(nonfiniteReason(later[0])).toMatch(/update would have made the weights NaN\/Inf/);
      const after = await Promise.all([trainer.params, trainer.m, trainer.v].map((t) => readTensor(gpu, t)));
      expect(after.map((a) => Array.from(a))).toEqual([params, m, v].map((a) => Array.from(a)));
      const ckpt = await trainer.checkpoint();
      expect(ckpt.step).toBe(2);
      expect(ckpt.params.every(Number.isFinite)).toBe(true);
      trainer.destroy();
    });
  }
});

