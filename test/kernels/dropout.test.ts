// Dropout kernels against the bit-exact CPU mask: the mask, its statistics, in-place use, seed rewrites.
import { describe, expect, it } from 'vitest';
import { gpuObjects, testGpu } from '../helpers/gpu.ts';
import { createTensor, readTensor, uploadTensor, type GpuTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { dropoutBackward, dropoutForward, writeDropoutSeed } from '../../src/gpu/kernels/dropout.ts';
import * as ref from '../../src/reference/dropout.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';
import { numericalGradient, weightedSum } from '../../src/testing/finite-diff.ts';

const EXACT = { atol: 0, rtol: 0 };
const F32 = { atol: 0, rtol: 1.2e-7 }; // one f32 rounding of inp * scale

function seedsTensor(gpu: Gpu, seed: number): GpuTensor<'u32'> {
  return uploadTensor(gpu, Uint32Array.of(seed, 0, 0, 0), [4], 'u32', 'seeds');
}

describe('dropout kernels', () => {
  for (const n of [1, 257, 70_001]) {
    it(`mask equals the reference exactly, n=${n}`, async () => {
      const gpu = await testGpu();
      const ones = uploadTensor(gpu, new Float32Array(n).fill(1), [n]), out = createTensor(gpu, [n]);
      await runDispatches(gpu, [dropoutForward(gpu, out, ones, seedsTensor(gpu, 1234), { rate: 0.1, stream: 7 })]);
      assertClose('mask', await readTensor(gpu, out), ref.dropoutMask(n, 1234, 7, 0.1), EXACT);
    });
  }

  it('forward, backward and in-place match the reference', async () => {
    const gpu = await testGpu();
    const n = 5000, rate = 0.25, seeds = seedsTensor(gpu, 99);
    const x = randomF32(n, 1), dout = randomF32(n, 2);
    const tx = uploadTensor(gpu, x, [n]), tdout = uploadTensor(gpu, dout, [n]), inplace = uploadTensor(gpu, x, [n]);
    const out = createTensor(gpu, [n]), dinp = createTensor(gpu, [n]);
    const opts = { rate, stream: 3 };
    await runDispatches(gpu, [
      dropoutForward(gpu, out, tx, seeds, opts),
      dropoutBackward(gpu, dinp, tdout, seeds, opts),
      dropoutForward(gpu, inplace, inplace, seeds, opts),
    ]);
    assertClose('forward', await readTensor(gpu, out), ref.dropoutForward(x, 99, 3, rate), F32);
    assertClose('backward', await readTensor(gpu, dinp), ref.dropoutBackward(dout, 99, 3, rate), F32);
    assertClose('in place', await readTensor(gpu, inplace), await readTensor(gpu, out), EXACT);
  });

  it('keeps close to 1 - rate of a large tensor, scaled by 1/(1-rate)', async () => {
    const gpu = await testGpu();
    const n = 1 << 20, rate = 0.3;
    const t = uploadTensor(gpu, new Float32Array(n).fill(1), [n]);
    await runDispatches(gpu, [dropoutForward(gpu, t, t, seedsTensor(gpu, 5), { rate, stream: 11 })]);
    const out = await readTensor(gpu, t);
    const scale = Math.fround(1 / Math.fround(1 - rate));
    let kept = 0, other = 0;
    for (const v of out) {
      if (v === scale) kept++;
      else if (v !== 0) other++;
    }
    expect(other).toBe(0);
    const sigma = Math.sqrt((rate * (1 - rate)) / n);
    expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(5 * sigma);
  });

  it('rate 0 is the identity', async () => {
    const gpu = await testGpu();
    const n = 1000, x = randomF32(n, 4);
    const tx = uploadTensor(gpu, x, [n]), out = createTensor(gpu, [n]);
    await runDispatches(gpu, [dropoutForward(gpu, out, tx, seedsTensor(gpu, 1), { rate: 0, stream: 0 })]);
    assertClose('identity', await readTensor(gpu, out), x, EXACT);
  });

  it('a rewritten seed changes the mask without new GPU objects; streams differ', async () => {
    const gpu = await testGpu();
    const n = 4096, seeds = seedsTensor(gpu, 1);
    const ones = uploadTensor(gpu, new Float32Array(n).fill(1), [n]);
    const a = createTensor(gpu, [n]), b = createTensor(gpu, [n]);
    const opts = { rate: 0.5, stream: 2, seedIndex: 3 };
    const fwd = dropoutForward(gpu, a, ones, seeds, opts);
    const other = dropoutForward(gpu, b, ones, seeds, { ...opts, stream: 9 });
    const before = gpuObjects(gpu);
    for (const seed of [17, 0xfffffff0]) {
      writeDropoutSeed(gpu, seeds, seed, 3);
      await runDispatches(gpu, [fwd, other]);
      const mask = await readTensor(gpu, a);
      assertClose(`seed ${seed}`, mask, ref.dropoutMask(n, seed, 2, 0.5), EXACT);
      const differ = (await readTensor(gpu, b)).filter((v, i) => v !== mask[i]).length;
      expect(differ).toBeGreaterThan(n / 4);
    }
    expect(gpuObjects(gpu)).toEqual(before);
  });

  it('reference backward matches finite differences', () => {
    const x = Float64Array.from(randomF32(64, 7)), w = randomF32(64, 8);
    const numeric = numericalGradient(() => weightedSum(ref.dropoutForward(x, 3, 1, 0.4), w), x);
    assertClose('ddropout', ref.dropoutBackward(w, 3, 1, 0.4), numeric, { atol: 1e-8, rtol: 1e-7 });
  });

  it('launcher rejects bad rates, sizes and seed indices', async () => {
    const gpu = await testGpu();
    const seeds = seedsTensor(gpu, 1), t3 = createTensor(gpu, [3]);
    expect(() => dropoutForward(gpu, t3, t3, seeds, { rate: 1, stream: 0 })).toThrow(/dropoutForward: rate/);
    expect(() => dropoutBackward(gpu, t3, createTensor(gpu, [4]), seeds, { rate: 0.1, stream: 0 })).toThrow(/dropoutBackward: element counts differ/);
    expect(() => dropoutForward(gpu, t3, t3, seeds, { rate: 0.1, stream: 0, seedIndex: 4 })).toThrow(/dropoutForward: seed index/);
  });
});
