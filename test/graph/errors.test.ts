// GPU errors are never silent (issue 11): what a device refuses while compiling or running a step (a
// validation or out-of-memory error) is caught by error scopes, reported through the fault channel, and
// makes the trainer throw with the message instead of returning the zeros an invalid dispatch leaves.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { withLimits } from '../../src/gpu/device.ts';
import { captureErrors, GpuFaultError } from '../../src/gpu/errors.ts';
import { STORAGE_USAGE, Usage } from '../../src/gpu/buffers.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { DeviceLimitError } from '../../src/model/limits.ts';
import { BOS, EOS, type Batch } from '../../src/model/batch.ts';
import { Trainer } from '../../src/train/trainer.ts';

const config = validateModelConfig({
  variant: 'weighted', weighting: 'projected', vocab: 40, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1,
});
const options = { seed: 1, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps: 3, freezeSteps: 0 };

function batch(b: number, len: number): Batch {
  const src = new Int32Array(b * len), tgtIn = new Int32Array(b * len), tgtOut = new Int32Array(b * len);
  for (let r = 0; r < b; r++) {
    for (let i = 0; i < len - 1; i++) src[r * len + i] = tgtOut[r * len + i] = 4 + ((r * 7 + i * 3) % 36);
    src[r * len + len - 1] = tgtOut[r * len + len - 1] = EOS;
    tgtIn[r * len] = BOS;
    for (let i = 1; i < len; i++) tgtIn[r * len + i] = tgtOut[r * len + i - 1];
  }
  return { batch: b, srcLen: len, tgtLen: len, src, tgtIn, tgtOut };
}

describe('GPU errors', () => {
  it('an error scope catches what the device refuses, names the work and reports it as a fault', async () => {
    const gpu = await testGpu();
    const before = gpu.uncapturedErrors.length;
    // MAP_READ only goes with COPY_DST: the device refuses this buffer (an invalid object, no exception).
    const { value, errors } = captureErrors(gpu, 'making a test buffer', () => gpu.owner.create({ size: 64, usage: STORAGE_USAGE | Usage.MAP_READ }));
    const message = await errors;
    gpu.owner.release(value);
    expect(message).toMatch(/^making a test buffer: GPU validation error: /);
    expect(gpu.uncapturedErrors.slice(before)).toEqual([message]);
    expect(captureErrors(gpu, 'nothing wrong', () => 1).value).toBe(1);
    await expect(captureErrors(gpu, 'nothing wrong', () => 1).errors).resolves.toBeNull();
  });

  it('a step the GPU refused makes gradients, trainStep and checkpoint throw, not return zeros', async () => {
    const gpu = await testGpu();
    const trainer = new Trainer(gpu, config, options);
    const ok = await trainer.gradients(batch(2, 8));
    expect(ok.tokens).toBe(16);
    trainer.params.buffer.destroy(); // as if the device had dropped it: every later submit is invalid
    await expect(trainer.gradients(batch(2, 8))).rejects.toThrow(GpuFaultError);
    await expect(trainer.gradients(batch(2, 8))).rejects.toThrow(/the GPU reported .*the gradient pass: GPU validation error: .*params/s);
    expect(() => trainer.trainStep(batch(2, 8))).toThrow(GpuFaultError);
    await expect(trainer.checkpoint()).rejects.toThrow(GpuFaultError);
    trainer.destroy();
  });

  it('a translation the GPU refused rejects (GpuFaultError), never returns tokens read from zeros', async () => {
    const gpu = await testGpu();
    const trainer = new Trainer(gpu, config, options);
    const translator = trainer.translator();
    expect(await translator.translate([[5, 6, 7]], { maxLen: 4 })).toHaveLength(1);
    trainer.params.buffer.destroy(); // as if the device had dropped it
    await expect(translator.translate([[5, 6, 7]], { maxLen: 4 })).rejects.toThrow(/translate: the GPU reported an error.*GPU validation error/s);
    trainer.destroy();
  });

  it('a batch past a (lowered) binding limit is refused before compiling, naming the limit and what fits', async () => {
    const gpu = await testGpu();
    const small = withLimits(gpu, { maxStorageBufferBindingSize: 8 * 1024 });
    const trainer = new Trainer(small, config, options);
    const bytes = gpu.memory.liveBytes;
    expect(() => trainer.trainStep(batch(16, 16))).toThrow(DeviceLimitError);
    expect(() => trainer.trainStep(batch(16, 16))).toThrow(/^batch 16x16x16 cannot run on this GPU: the branch outputs \(M, B·T, D\) of a batch of 256 rows needs 0.1 MiB, .* use batches of at most 32 target rows/);
    expect(gpu.memory.liveBytes).toBe(bytes);
    expect((await trainer.gradients(batch(2, 8))).tokens).toBe(16); // a batch that fits still runs
    trainer.destroy();
  });
});
