// GPU elementwise kernels against their CPU references, and the references' backward against finite differences.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { readTensor, uploadTensor, createTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { residualAdd, reluBackward, addInto, copyTensor, fillZero } from '../../src/gpu/kernels/elementwise.ts';
import * as ref from '../../src/reference/elementwise.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';
import { numericalGradient, weightedSum } from '../../src/testing/finite-diff.ts';

const TOL = { atol: 1e-6, rtol: 1e-6 };

describe('elementwise kernels', () => {
  for (const n of [1, 255, 257, 70_001]) {
    it(`residual add, n=${n}`, async () => {
      const gpu = await testGpu();
      const a = randomF32(n, 1), b = randomF32(n, 2);
      const ta = uploadTensor(gpu, a, [n]), tb = uploadTensor(gpu, b, [n]), out = createTensor(gpu, [n]);
      await runDispatches(gpu, [residualAdd(gpu, out, ta, tb)]);
      assertClose('add', await readTensor(gpu, out), ref.residualAdd(a, b), TOL);
    });

    it(`relu backward, n=${n}`, async () => {
      const gpu = await testGpu();
      const dout = randomF32(n, 3), pre = randomF32(n, 4);
      const td = uploadTensor(gpu, dout, [n]), tp = uploadTensor(gpu, pre, [n]), dinp = createTensor(gpu, [n]);
      await runDispatches(gpu, [reluBackward(gpu, dinp, td, tp)]);
      assertClose('relu_backward', await readTensor(gpu, dinp), ref.reluBackward(dout, pre), TOL);
    });
  }

  it('add into, copy and fill zero (gradient plumbing)', async () => {
    const gpu = await testGpu();
    const n = 1000;
    const a = randomF32(n, 7), b = randomF32(n, 8);
    const ta = uploadTensor(gpu, a, [n]), tb = uploadTensor(gpu, b, [n]), tc = createTensor(gpu, [n]);
    await runDispatches(gpu, [copyTensor(gpu, tc, ta), addInto(gpu, tc, tb), addInto(gpu, ta, tb)]);
    assertClose('copy + add_into', await readTensor(gpu, tc), ref.residualAdd(a, b), TOL);
    await runDispatches(gpu, [fillZero(gpu, tc, 13, 300)]);
    assertClose('fill_zero', await readTensor(gpu, tc), ref.fillZero(ref.addInto(a, b), 13, 300), TOL);
    expect(() => fillZero(gpu, tc, 900, 101)).toThrow(/fillZero: range \[900, 1001\) outside \[1000\]/);
  });

  it('reference relu backward matches finite differences', () => {
    const x = Float64Array.from(randomF32(50, 5)).map((v) => (Math.abs(v) < 1e-3 ? 0.5 : v));
    const w = randomF32(50, 6);
    const numeric = numericalGradient(() => weightedSum(ref.relu(x), w), x);
    assertClose('drelu', ref.reluBackward(w, x), numeric, { atol: 1e-6, rtol: 1e-5 });
  });

  it('launcher rejects mismatched sizes', async () => {
    const gpu = await testGpu();
    expect(() => residualAdd(gpu, createTensor(gpu, [3]), createTensor(gpu, [3]), createTensor(gpu, [4]))).toThrow(/residualAdd: element counts differ/);
  });
});
