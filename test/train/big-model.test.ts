// Models whose flat buffers exceed the device's largest storage binding (issue 11: a 52M-parameter model on
// lavapipe's 128 MiB): parameters, gradients and Adam moments are bound per window, so such a model trains.
// Here a small model meets a deliberately lowered limit (withLimits), and must train bit-identically to the
// same model on the device as it is.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { withLimits } from '../../src/gpu/device.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { Trainer, type StepMetrics } from '../../src/train/trainer.ts';
import { BOS, EOS, type Batch } from '../../src/model/batch.ts';

/** B sentences of random ids 4..V-1 (lengths vary, PAD after EOS), S = T = 8, from a fixed LCG. */
function randomBatch(seed: number, b = 4, len = 8, vocab = 40): Batch {
  let x = seed;
  const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const src = new Int32Array(b * len), tgtIn = new Int32Array(b * len), tgtOut = new Int32Array(b * len);
  for (let r = 0; r < b; r++) {
    const [ns, nt] = [2 + Math.floor(next() * (len - 2)), 2 + Math.floor(next() * (len - 2))];
    for (let i = 0; i < ns; i++) src[r * len + i] = 4 + Math.floor(next() * (vocab - 4));
    src[r * len + ns] = EOS;
    tgtIn[r * len] = BOS;
    for (let i = 0; i < nt; i++) tgtIn[r * len + 1 + i] = tgtOut[r * len + i] = 4 + Math.floor(next() * (vocab - 4));
    tgtOut[r * len + nt] = EOS;
  }
  return { batch: b, srcLen: len, tgtLen: len, src, tgtIn, tgtOut };
}

const batches = [randomBatch(1), randomBatch(2), randomBatch(3)];
const config = validateModelConfig({
  variant: 'weighted', weighting: 'projected', vocab: 40, dModel: 16, branches: 4, dFF: 32,
  encLayers: 2, decLayers: 2, maxLen: 16, dropout: 0.1, labelSmoothing: 0.1,
});
const options = { seed: 7, gradClip: 1, lrScale: 1, warmup: 4, kappaWarmup: 2, steps: 3, freezeSteps: 0 };
/** The lowered limit: 8 KiB = 2048 elements per binding (the largest activation, (M, B*T, D), just fits). */
const LIMIT = 8 * 1024;

async function train(trainer: Trainer): Promise<StepMetrics[]> {
  const out: StepMetrics[] = [];
  trainer.onMetrics = (m) => out.push(m);
  for (const batch of batches) trainer.trainStep(batch);
  await trainer.flush();
  return out;
}

describe('models past one storage binding', () => {
  it('trains with the flat buffers bound in windows, bit-identical to one binding, after 3 steps', async () => {
    const gpu = await testGpu();
    const small = withLimits(gpu, { maxStorageBufferBindingSize: LIMIT });
    const whole = new Trainer(gpu, config, options);
    const chunked = new Trainer(small, config, options);
    expect(whole.table.size * 4).toBeGreaterThan(4 * LIMIT); // at least 5 windows per flat buffer
    const [a, b] = [await train(whole), await train(chunked)];
    expect(b.map((m) => m.loss)).toEqual(a.map((m) => m.loss));
    expect(b.map((m) => m.gradNorm)).toEqual(a.map((m) => m.gradNorm));
    expect(b.every((m) => !m.nonfinite)).toBe(true);
    const ca = await whole.checkpoint(), cb = await chunked.checkpoint();
    expect(cb.params).toEqual(ca.params);
    expect(cb.adam!.m).toEqual(ca.adam!.m);
    expect(cb.adam!.v).toEqual(ca.adam!.v);
    // The windowed step really is more dispatches (Adam, guard and norm per window).
    expect(chunked.dispatchesPerStep(batches[0])).toBeGreaterThan(whole.dispatchesPerStep(batches[0]));
    expect(gpu.uncapturedErrors).toEqual([]);
    whole.destroy();
    chunked.destroy();
  });

  it('refuses, naming the binding, a tensor that no window can hold', async () => {
    const gpu = await testGpu();
    const tiny = withLimits(gpu, { maxStorageBufferBindingSize: 512 });
    expect(() => new Trainer(tiny, config, options)).toThrow(/maxStorageBufferBindingSize/);
  });
});
