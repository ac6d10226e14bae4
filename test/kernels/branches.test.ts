// GPU branch-weight kernels (kappa scale, alpha sum, effective weights) against the f64 references on
// ragged shapes, weight vectors at offsets, accumulate paths, multi-chunk reductions; the references'
// backward against finite differences.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { runDispatches, type Dispatch } from '../../src/gpu/kernel.ts';
import { createTensor, readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import * as k from '../../src/gpu/kernels/branches.ts';
import { segmentFinish } from '../../src/gpu/kernels/reduce.ts';
import * as ref from '../../src/reference/branches.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';
import { numericalGradient, weightedSum } from '../../src/testing/finite-diff.ts';

const TOL = { atol: 1e-5, rtol: 1e-5 };
const SUM_TOL = { atol: 1e-4, rtol: 1e-4 };
const OFFSET = 3; // weight vectors sit at this element offset in a larger buffer

async function run(gpu: Gpu, build: () => Dispatch[]): Promise<void> {
  gpu.device.pushErrorScope('validation');
  await runDispatches(gpu, build());
  const error = await gpu.device.popErrorScope();
  if (error) throw new Error(error.message);
}

/** A (size)-element buffer holding `values` at OFFSET (the rest random), as a VectorSlice. */
function sliceOf(gpu: Gpu, values: Float32Array, seed: number): k.VectorSlice {
  const data = randomF32(values.length + OFFSET + 2, seed);
  data.set(values, OFFSET);
  return k.vectorSlice(uploadTensor(gpu, data, [data.length]), OFFSET);
}

async function readSlice(gpu: Gpu, s: k.VectorSlice, n: number): Promise<Float32Array> {
  return Float32Array.from((await readTensor(gpu, s.tensor)).subarray(s.offset, s.offset + n));
}

const plus = (a: Float64Array, prior: ArrayLike<number>): Float64Array => a.map((v, i) => v + prior[i]);

const SHAPES: Array<[m: number, n: number, d: number]> = [
  [1, 1, 1],
  [2, 7, 13],
  [3, 65, 33],
  [4, 40, 70], // len 2800: two reduction chunks
  [8, 300, 64], // len 19200: ten chunks
];

describe('branch kernels', () => {
  for (const [m, n, d] of SHAPES) {
    const len = n * d;
    for (const accumulate of [false, true]) {
      it(`kappa scale forward/backward, M=${m} N=${n} D=${d}, accumulate ${accumulate}`, async () => {
        const gpu = await testGpu();
        const h = randomF32(m * len, len + m), da = randomF32(m * len, len + 1), kappa = randomF32(m, 7, 0, 1);
        const priorDh = randomF32(m * len, 8), priorDk = randomF32(m, 9);
        const th = uploadTensor(gpu, h, [m, n, d]), tda = uploadTensor(gpu, da, [m, n, d]);
        const a = createTensor(gpu, [m, n, d]), dh = uploadTensor(gpu, priorDh, [m, n, d]);
        const tk = sliceOf(gpu, kappa, 10), dkappa = sliceOf(gpu, priorDk, 11);
        await run(gpu, () => [
          k.kappaScaleForward(gpu, a, th, tk),
          ...k.kappaScaleBackward(gpu, { dh, dkappa, da: tda, h: th, kappa: tk, accumulate, accumulateWeights: accumulate }),
        ]);
        const e = ref.kappaScaleBackward(da, h, kappa, m);
        assertClose('a', await readTensor(gpu, a), ref.kappaScaleForward(h, kappa, m), TOL);
        assertClose('dh', await readTensor(gpu, dh), accumulate ? plus(e.dh, priorDh) : e.dh, TOL);
        assertClose('dkappa', await readSlice(gpu, dkappa, m), accumulate ? plus(e.dkappa, priorDk) : e.dkappa, SUM_TOL);
      });

      it(`alpha sum forward/backward, M=${m} N=${n} D=${d}, accumulate ${accumulate}`, async () => {
        const gpu = await testGpu();
        const f = randomF32(m * len, len + m + 20), dyv = randomF32(len, len + 21), alpha = randomF32(m, 22, 0, 1);
        const priorDf = randomF32(m * len, 23), priorDa = randomF32(m, 24);
        const tf = uploadTensor(gpu, f, [m, n, d]), tdy = uploadTensor(gpu, dyv, [n, d]);
        const y = createTensor(gpu, [n, d]), df = uploadTensor(gpu, priorDf, [m, n, d]);
        const ta = sliceOf(gpu, alpha, 25), dalpha = sliceOf(gpu, priorDa, 26);
        await run(gpu, () => [
          k.alphaSumForward(gpu, y, tf, ta),
          ...k.alphaSumBackward(gpu, { df, dalpha, dy: tdy, f: tf, alpha: ta, accumulate, accumulateWeights: accumulate }),
        ]);
        const e = ref.alphaSumBackward(dyv, f, alpha, m);
        assertClose('y', await readTensor(gpu, y), ref.alphaSumForward(f, alpha, m), TOL);
        assertClose('df', await readTensor(gpu, df), accumulate ? plus(e.df, priorDf) : e.df, TOL);
        assertClose('dalpha', await readSlice(gpu, dalpha, m), accumulate ? plus(e.dalpha, priorDa) : e.dalpha, SUM_TOL);
      });
    }
  }

  // The fused dh + dkappa (df + dalpha) pass with its chunk partials left for a deferred finish
  // (segmentFinish, as src/graph/finish.ts runs it) against the reference of the two separate kernels.
  it('dh + dkappa and df + dalpha with deferred finishes match the reference', async () => {
    const gpu = await testGpu();
    const [m, len] = [3, 3 * k.BRANCH_DOT_CHUNK + 100];
    const chunks = k.branchDotChunks(len);
    expect(chunks).toBe(4);
    const h = randomF32(m * len, 61), da = randomF32(m * len, 62), kappa = randomF32(m, 63, 0, 1), dyv = randomF32(len, 64);
    const [th, tda, tdy] = [uploadTensor(gpu, h, [m, len]), uploadTensor(gpu, da, [m, len]), uploadTensor(gpu, dyv, [1, len])];
    const dh = createTensor(gpu, [m, len]), df = createTensor(gpu, [m, len]);
    const tk = sliceOf(gpu, kappa, 5);
    const grads = createTensor(gpu, [2 * m]);
    const partials = createTensor(gpu, [128]);
    const view = (at: number) => ({ ...partials, shape: [m, chunks], byteOffset: at * 4 });
    const finish = (src: number, dst: number) => ({ src, chunks, cols: m, chunkStride: 1, colStride: chunks, dst, accumulate: false });
    await run(gpu, () => [
      ...k.kappaScaleBackward(gpu, { dh, dkappa: k.vectorSlice(grads, 0), da: tda, h: th, kappa: tk, partials: view(0) }),
      ...k.alphaSumBackward(gpu, { df, dalpha: k.vectorSlice(grads, m), dy: tdy, f: th, alpha: tk, partials: view(64) }),
      segmentFinish(gpu, grads, partials, [finish(0, 0), finish(64, m)]),
    ]);
    const ek = ref.kappaScaleBackward(da, h, kappa, m), ea = ref.alphaSumBackward(dyv, h, kappa, m);
    assertClose('dh', await readTensor(gpu, dh), ek.dh, TOL);
    assertClose('df', await readTensor(gpu, df), ea.df, TOL);
    const g = await readTensor(gpu, grads);
    assertClose('dkappa', g.subarray(0, m), ek.dkappa, SUM_TOL);
    assertClose('dalpha', g.subarray(m), ea.dalpha, SUM_TOL);
  });

  it('dkappa is bitwise deterministic across replays', async () => {
    const gpu = await testGpu();
    const [m, len] = [3, 10_000];
    const h = uploadTensor(gpu, randomF32(m * len, 30, -50, 50), [m, len]), da = uploadTensor(gpu, randomF32(m * len, 31), [m, len]);
    const dkappa = createTensor(gpu, [m]);
    const dispatches = k.kappaScaleBackward(gpu, { dkappa, da, h, kappa: createTensor(gpu, [m]) });
    await run(gpu, () => dispatches);
    const first = Array.from(await readTensor(gpu, dkappa));
    await run(gpu, () => dispatches);
    expect(Array.from(await readTensor(gpu, dkappa))).toEqual(first);
  });

  for (const accumulate of [false, true]) {
    it(`softmax weights forward/backward over (rows, M) at offsets, accumulate ${accumulate}`, async () => {
      const gpu = await testGpu();
      const [rows, m] = [5, 6];
      const logits = randomF32(rows * m, 40, -3, 3), dwv = randomF32(rows * m, 41), prior = randomF32(rows * m, 42);
      const tl = sliceOf(gpu, logits, 43), w = sliceOf(gpu, new Float32Array(rows * m), 44);
      const dw = sliceOf(gpu, dwv, 45), dlogits = sliceOf(gpu, prior, 46);
      await run(gpu, () => [
        k.weightsSoftmaxForward(gpu, w, tl, rows, m),
        k.weightsSoftmaxBackward(gpu, { dlogits, w, dw, rows, m, accumulate }),
      ]);
      const ew = ref.weightsSoftmaxForward(logits, rows, m);
      const ed = ref.weightsSoftmaxBackward(ew, dwv, rows, m);
      assertClose('w', await readSlice(gpu, w, rows * m), ew, TOL);
      assertClose('dlogits', await readSlice(gpu, dlogits, rows * m), accumulate ? plus(ed, prior) : ed, TOL);
    });
  }

  it('uniform weights are 1/M and leave the rest of the buffer alone', async () => {
    const gpu = await testGpu();
    const before = randomF32(20, 50);
    const t = uploadTensor(gpu, before, [20]);
    await run(gpu, () => [k.weightsUniform(gpu, k.vectorSlice(t, 2), 3, 5)]);
    const expected = Float64Array.from(before);
    expected.set(ref.weightsUniform(3, 5), 2);
    assertClose('w', await readTensor(gpu, t), expected, TOL);
  });

  it('reference backward matches finite differences (dh, dkappa, df, dalpha, softmax)', () => {
    const [m, len] = [3, 4];
    const tol = { atol: 1e-6, rtol: 1e-5 };
    const h = Float64Array.from(randomF32(m * len, 60)), kappa = Float64Array.from(randomF32(m, 61));
    const wa = randomF32(m * len, 62);
    const lossA = () => weightedSum(ref.kappaScaleForward(h, kappa, m), wa);
    const gk = ref.kappaScaleBackward(wa, h, kappa, m);
    assertClose('dh', gk.dh, numericalGradient(lossA, h), tol);
    assertClose('dkappa', gk.dkappa, numericalGradient(lossA, kappa), tol);

    const f = Float64Array.from(randomF32(m * len, 63)), alpha = Float64Array.from(randomF32(m, 64));
    const wy = randomF32(len, 65);
    const lossY = () => weightedSum(ref.alphaSumForward(f, alpha, m), wy);
    const ga = ref.alphaSumBackward(wy, f, alpha, m);
    assertClose('df', ga.df, numericalGradient(lossY, f), tol);
    assertClose('dalpha', ga.dalpha, numericalGradient(lossY, alpha), tol);

    const rows = 2;
    const logits = Float64Array.from(randomF32(rows * m, 66, -2, 2)), ww = randomF32(rows * m, 67);
    const lossW = () => weightedSum(ref.weightsSoftmaxForward(logits, rows, m), ww);
    const dl = ref.weightsSoftmaxBackward(ref.weightsSoftmaxForward(logits, rows, m), ww, rows, m);
    assertClose('dlogits', dl, numericalGradient(lossW, logits), tol);
  });

  it('launchers check shapes, offsets and aliasing', async () => {
    const gpu = await testGpu();
    const h = createTensor(gpu, [2, 3, 4]);
    expect(() => k.kappaScaleForward(gpu, createTensor(gpu, [2, 3, 4]), h, k.vectorSlice(createTensor(gpu, [4]), 3))).toThrow(/kappaScaleForward: kappa needs 2 elements at offset 3/);
    expect(() => k.alphaSumForward(gpu, createTensor(gpu, [2, 3, 4]), h, createTensor(gpu, [2]))).toThrow(/alphaSumForward: y/);
    expect(() => k.kappaScaleForward(gpu, h, h, createTensor(gpu, [2]))).toThrow(/kappaScaleForward: the output must not share/);
  });
});
