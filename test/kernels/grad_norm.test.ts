// Global gradient norm: GPU two-stage reduction against the f64 reference, determinism, range bounds,
// the non-finite flag and the clip scale in the step status buffer.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { uploadTensor } from '../../src/gpu/tensor.ts';
import { bindingWindows, runDispatches } from '../../src/gpu/kernel.ts';
import { withLimits } from '../../src/gpu/device.ts';
import { createStepStatus, gradNorm, readStepStatus } from '../../src/gpu/kernels/grad_norm.ts';
import * as ref from '../../src/reference/grad_norm.ts';
import { randomF32 } from '../../src/testing/random.ts';

/** A flat buffer with `count` random gradients at `offset` and NaN everywhere else. */
function gradsWithRange(total: number, offset: number, count: number, seed: number): Float32Array {
  const g = new Float32Array(total).fill(NaN);
  g.set(randomF32(count, seed), offset);
  return g;
}

describe('grad norm kernel', () => {
  it('past one storage binding: partials per window of whole chunks, the same bits as one binding', async () => {
    const gpu = await testGpu();
    const small = withLimits(gpu, { maxStorageBufferBindingSize: 16 * 1024 }); // 4096 elements per window
    for (const [offset, count] of [[37, 70_001], [64, 4096], [5, 1_000_003]] as const) {
      const g = gradsWithRange(offset + count + 2, offset, count, count);
      const grads = uploadTensor(gpu, g, [g.length]);
      const [one, windowed] = [createStepStatus(gpu), createStepStatus(gpu)];
      const norm = gradNorm(small, grads, windowed, { offset, count, clip: 1 });
      expect(norm.dispatches.length).toBeGreaterThan(2);
      await runDispatches(gpu, [...gradNorm(gpu, grads, one, { offset, count, clip: 1 }).dispatches, ...norm.dispatches]);
      expect(await readStepStatus(gpu, windowed)).toEqual(await readStepStatus(gpu, one));
    }
  });

  it('bindingWindows covers a range in order with aligned windows no larger than the limit', () => {
    for (const [offset, count, max] of [[0, 10, 128], [37, 1000, 128], [64, 256, 128], [100, 0, 128], [1, 5000, 4096]] as const) {
      const w = bindingWindows(offset, count, max);
      let at = offset;
      for (const x of w) {
        expect(x.start % 64).toBe(0);
        expect(x.size).toBeLessThanOrEqual(max);
        expect(x.start + x.offset).toBe(at);
        expect(x.size).toBe(x.offset + x.count);
        at += x.count;
      }
      expect(at).toBe(offset + count);
      expect(w.length).toBe(Math.max(1, Math.ceil((offset % 64 + count) / max)));
    }
  });

  for (const [offset, count] of [[0, 0], [3, 1], [5, 255], [7, 2049], [1, 70_001], [0, 2_500_001]] as const) {
    it(`norm of a range matches the reference, offset=${offset} count=${count}`, async () => {
      const gpu = await testGpu();
      const g = gradsWithRange(offset + count + 2, offset, count, count + 1);
      const grads = uploadTensor(gpu, g, [g.length]), status = createStepStatus(gpu);
      await runDispatches(gpu, gradNorm(gpu, grads, status, { offset, count }).dispatches);
      const got = await readStepStatus(gpu, status), want = ref.gradNorm(g, offset, count);
      expect(got.nonfinite).toBe(false);
      expect(Math.abs(got.norm - want.norm)).toBeLessThanOrEqual(1e-5 * want.norm);
      expect(got.clipScale).toBe(1);
      expect(got.skipped).toBe(0);
    });
  }

  it('is deterministic: repeated runs and rebuilt dispatches give identical bits', async () => {
    const gpu = await testGpu();
    const g = randomF32(300_007, 9);
    const grads = uploadTensor(gpu, g, [g.length]), status = createStepStatus(gpu);
    const norms: number[] = [];
    for (let run = 0; run < 3; run++) {
      await runDispatches(gpu, gradNorm(gpu, grads, status).dispatches);
      norms.push((await readStepStatus(gpu, status)).norm);
    }
    expect(new Set(norms).size).toBe(1);
  });

  it('clip scale: clip / norm above the threshold, 1 below it, rewritable', async () => {
    const gpu = await testGpu();
    const g = randomF32(10_000, 3);
    const grads = uploadTensor(gpu, g, [g.length]), status = createStepStatus(gpu);
    const want = ref.gradNorm(g, 0, g.length, 10);
    const op = gradNorm(gpu, grads, status, { clip: 10 });
    await runDispatches(gpu, op.dispatches);
    const clipped = await readStepStatus(gpu, status);
    expect(want.clipScale).toBeLessThan(1);
    expect(Math.abs(clipped.clipScale - want.clipScale)).toBeLessThan(1e-5 * want.clipScale);
    op.setClip(1000);
    await runDispatches(gpu, op.dispatches);
    expect((await readStepStatus(gpu, status)).clipScale).toBe(1);
    op.setClip(0);
    await runDispatches(gpu, op.dispatches);
    expect((await readStepStatus(gpu, status)).clipScale).toBe(1);
  });

  for (const [name, bad] of [['NaN', NaN], ['Inf', -Infinity], ['overflowing sum', 3e38]] as const) {
    it(`flags a ${name} gradient and counts the skipped step`, async () => {
      const gpu = await testGpu();
      const g = randomF32(5000, 4);
      g[4321] = bad;
      if (name === 'overflowing sum') g[17] = bad; // each finite, their squares overflow f32
      const grads = uploadTensor(gpu, g, [g.length]), status = createStepStatus(gpu);
      const op = gradNorm(gpu, grads, status, { clip: 1 });
      await runDispatches(gpu, [...op.dispatches, ...op.dispatches]);
      const got = await readStepStatus(gpu, status);
      expect(ref.gradNorm(g, 0, g.length).nonfinite).toBe(true);
      expect(got.nonfinite).toBe(true);
      expect(got.skipped).toBe(2);
      expect(got.clipScale).toBe(1);
    });
  }

  it('launcher rejects a range outside the buffer and a negative clip', async () => {
    const gpu = await testGpu();
    const grads = uploadTensor(gpu, new Float32Array(10), [10]), status = createStepStatus(gpu);
    expect(() => gradNorm(gpu, grads, status, { offset: 4, count: 7 })).toThrow(/gradNorm: range/);
    expect(() => gradNorm(gpu, grads, status, { clip: -1 })).toThrow(/gradNorm: clip/);
  });
});
