// GPU matmul (tiled and naive) against the f64 reference over shapes, layouts and epilogues; split-K
// (partial sums + ordered reduction, epilogue once) and f16-stored operands against the same reference;
// the reference backward against finite differences; the gradient layouts on the GPU; launcher checks.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { createTensor, readTensor, uploadTensor, type GpuTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import {
  MATMUL_VARIANTS, matmul, matmulDispatches, matmulGradSpecs, matmulNaive, matmulShapeClass, matmulSplitK, matmulTileRows, matmulVariantFor, resolveMatmul,
  type MatmulLayout, type MatmulSpec, type MatmulVariant,
} from '../../src/gpu/kernels/matmul.ts';
import * as ref from '../../src/reference/matmul.ts';
import { columnSum as refColumnSum } from '../../src/reference/reduce.ts';
import { fillZero as refFillZero, reluBackward as refReluBackward } from '../../src/reference/elementwise.ts';
import { dropoutForward as refDropoutForward } from '../../src/reference/dropout.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';
import { numericalGradient, weightedSum } from '../../src/testing/finite-diff.ts';

const TOL = { atol: 3e-5, rtol: 1e-4 };

/** Elements each operand's buffer needs for a layout, plus `slack` untouched ones at the end. */
function sizes(layout: MatmulLayout, slack = 3): { a: number; b: number; c: number } {
  const s = resolveMatmul(layout);
  const end = (rows: number, cols: number, ld: number, offset: number, stride: number) =>
    offset + (s.batch - 1) * stride + (rows - 1) * ld + cols + slack;
  return {
    a: end(s.transA ? s.k : s.m, s.transA ? s.m : s.k, s.lda, s.offsetA, s.strideA),
    b: end(s.transB ? s.n : s.k, s.transB ? s.k : s.n, s.ldb, s.offsetB, s.strideB),
    c: end(s.m, s.n, s.ldc, s.offsetC, s.strideC),
  };
}

type Options = Pick<MatmulSpec, 'storageA' | 'storageB' | 'splitK' | 'variant'>;

/** The fixed-tile variants ('auto', the default, runs in every other test). */
const FIXED_VARIANTS = MATMUL_VARIANTS.filter((v) => v !== 'auto');

/** An operand's buffer as the launcher takes it: f32, or f16 halves packed in u32 (even length). */
function operand(gpu: Gpu, values: Float32Array, storage: MatmulSpec['storageA']): GpuTensor {
  if (storage !== 'f16') return uploadTensor(gpu, values, [values.length]);
  const words = ref.packF16(values);
  return uploadTensor(gpu, words, [words.length], 'u32');
}

/**
 * Run the GPU kernel and the reference on the same random buffers (C starts random too) and compare.
 * With `options` the dispatch list of matmulDispatches runs (split-K, f16 storage: the reference then
 * sees the f16-rounded operands).
 */
async function checkMatmul(name: string, layout: MatmulLayout, biasSize = 0, seed = 1, options?: Options): Promise<void> {
  const gpu = await testGpu();
  const n = sizes(layout);
  const a = randomF32(n.a, seed), b = randomF32(n.b, seed + 1), c0 = randomF32(n.c, seed + 2);
  const bias = biasSize > 0 ? randomF32(biasSize, seed + 3) : undefined;
  const tc = uploadTensor(gpu, c0, [n.c]);
  const tb = bias ? uploadTensor(gpu, bias, [biasSize]) : undefined;
  const [ta, tB] = [operand(gpu, a, options?.storageA), operand(gpu, b, options?.storageB)];
  const spec = { ...layout, ...options, bias: tb };
  await runDispatches(gpu, options ? matmulDispatches(gpu, tc, ta, tB, spec) : [matmul(gpu, tc, ta, tB, spec)]);
  const round = (x: Float32Array, storage: MatmulSpec['storageA']) => (storage === 'f16' ? x.map(ref.roundF16) : x);
  const expected = ref.matmul(Float64Array.from(c0), round(a, options?.storageA), round(b, options?.storageB), { ...layout, bias });
  assertClose(name, await readTensor(gpu, tc), expected, TOL);
}

describe('matmul kernel', () => {
  for (const [m, n, k] of [[1, 1, 1], [7, 13, 5], [65, 33, 129], [64, 64, 16], [70, 130, 33]]) {
    it(`plain ${m}x${n}x${k}`, () => checkMatmul(`matmul ${m}x${n}x${k}`, { m, n, k }));
  }

  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      // 128-row tiles (the other tests mostly get 64-row ones, see matmulTileRows).
      it(`transA=${transA} transB=${transB}, batch 4, odd shapes`, () =>
        checkMatmul(`trans ${transA} ${transB}`, { m: 200, n: 71, k: 45, batch: 4, transA, transB }));
    }
  }

  it('batch of 3 with broadcast B, padded ld, offsets and a custom C stride', () =>
    checkMatmul('strided', {
      m: 20, n: 19, k: 18, batch: 3,
      lda: 23, offsetA: 5, strideA: 20 * 23 + 7,
      ldb: 25, offsetB: 2, strideB: 0,
      ldc: 30, offsetC: 4, strideC: 20 * 30 + 1,
    }));

  it('heads as column slices: batch over heads with stride d_k inside a (B*T, D) tensor', () =>
    // Q (BT, D) times K (BT, D)ᵀ per head: scores (H, BT, BT); head h reads columns h*dk..(h+1)*dk.
    checkMatmul('heads', { m: 33, n: 33, k: 8, batch: 4, lda: 32, strideA: 8, ldb: 32, strideB: 8, transB: true }));

  it('bias with a per-batch stride, ReLU and alpha', () =>
    checkMatmul('bias relu', { m: 66, n: 17, k: 40, batch: 3, biasOffset: 1, biasStride: 17, relu: true, alpha: 0.5 }, 1 + 3 * 17));

  it('shared bias, transB, no ReLU', () => checkMatmul('bias', { m: 9, n: 100, k: 64, transB: true }, 100));

  it('accumulate adds to C, with alpha and all flags', () =>
    checkMatmul('accumulate', { m: 50, n: 70, k: 21, batch: 2, transA: true, accumulate: true, alpha: -1.5, relu: true }, 70));

  // Every variant on the layouts that exercise its tiles: ragged edges, each transpose, batch strides, the epilogue.
  for (const variant of FIXED_VARIANTS) {
    it(`variant ${variant}: ragged, transposes, strided bias + ReLU, accumulate, split, f16`, async () => {
      await checkMatmul(`${variant} plain`, { m: 70, n: 130, k: 33 }, 0, 1, { variant, splitK: 1 });
      await checkMatmul(`${variant} transA transB`, { m: 200, n: 71, k: 45, batch: 2, transA: true, transB: true }, 0, 2, { variant, splitK: 1 });
      await checkMatmul(`${variant} bias relu`, { m: 66, n: 17, k: 40, batch: 3, biasOffset: 1, biasStride: 17, relu: true, alpha: 0.5 }, 1 + 3 * 17, 3, { variant, splitK: 1 });
      await checkMatmul(`${variant} accumulate`, { m: 50, n: 70, k: 21, batch: 2, transA: true, accumulate: true, alpha: -1.5, relu: true }, 70, 4, { variant, splitK: 1 });
      await checkMatmul(`${variant} split`, { m: 40, n: 30, k: 700, batch: 2, transA: true, relu: true }, 30, 5, { variant, splitK: 3 });
      await checkMatmul(`${variant} f16`, { m: 66, n: 40, k: 34, transB: true }, 0, 6, { variant, storageA: 'f16', storageB: 'f16', splitK: 2 });
    });
  }

  it('variants: the spec\'s own wins over the tuned choice, which wins over auto; unknown names refused', async () => {
    const gpu = await testGpu();
    const layout = { m: 1024, n: 64, k: 64 };
    const cls = matmulShapeClass(layout);
    expect(cls).toBe('1024x64x64 b1 NN');
    expect(matmulShapeClass({ m: 1000, n: 33, k: 64, batch: 3, transB: true })).toBe('1024x64x64 b4 NT');
    expect(matmulVariantFor(gpu, layout)).toBe('auto');
    const tuned = { ...gpu, kernelChoice: { matmul: { [cls]: 'tile32' as const } } };
    expect(matmulVariantFor(tuned, layout)).toBe('tile32');
    expect(matmulVariantFor(tuned, { ...layout, variant: 'tile128' })).toBe('tile128');
    expect(matmulVariantFor(tuned, { m: 10, n: 10, k: 10 })).toBe('auto');
    expect(() => matmulVariantFor(gpu, { ...layout, variant: 'tile256' as never })).toThrow(/variant "tile256" is not one of auto, tile32, tile64, tile128/);
    // The tuned choice reaches the launch: 32-row tiles make 32 row tiles of a 1024-row product (auto: 16 of 64).
    const [a, b, c] = [createTensor(gpu, [1024 * 64]), createTensor(gpu, [64 * 64]), createTensor(gpu, [1024 * 64])];
    expect(matmul(tuned, c, a, b, layout).workgroups).toEqual([1, 32, 1]);
    expect(matmul(gpu, c, a, b, layout).workgroups).toEqual([1, 16, 1]);
  });

  it('tile rows: 64 for short matrices and small grids, else 128', () => {
    expect(matmulTileRows(200, 71, 4)).toBe(128);
    expect(matmulTileRows(130, 512, 4)).toBe(64); // 192 padded rows instead of 256
    expect(matmulTileRows(1024, 64, 1)).toBe(64); // 8 workgroups of 128 rows: too few
    expect(matmulTileRows(2048, 128, 1)).toBe(128);
  });

  it('naive matmul matches the reference', async () => {
    const gpu = await testGpu();
    const [m, n, k] = [45, 67, 29];
    const a = randomF32(m * k, 7), b = randomF32(k * n, 8);
    const tc = createTensor(gpu, [m * n]);
    await runDispatches(gpu, [matmulNaive(gpu, tc, uploadTensor(gpu, a, [m * k]), uploadTensor(gpu, b, [k * n]), { m, n, k })]);
    assertClose('naive', await readTensor(gpu, tc), ref.matmul(new Float64Array(m * n), a, b, { m, n, k }), TOL);
  });

  it('launcher rejects out-of-bounds and malformed specs', async () => {
    const gpu = await testGpu();
    const t = (n: number) => createTensor(gpu, [n]);
    const [a, b, c] = [t(12), t(12), t(9)];
    expect(() => matmul(gpu, c, a, b, { m: 3, n: 3, k: 4 })).not.toThrow();
    expect(() => matmul(gpu, c, a, b, { m: 3, n: 3, k: 5 })).toThrow(/matmul: A accesses element 14 but its tensor holds 12/);
    expect(() => matmul(gpu, c, a, b, { m: 3, n: 3, k: 4, offsetB: 1 })).toThrow(/matmul: B accesses element 12/);
    expect(() => matmul(gpu, c, a, b, { m: 3, n: 3, k: 4, batch: 2, strideA: 0, strideB: 0 })).toThrow(/matmul: C accesses element 17/);
    expect(() => matmul(gpu, c, a, b, { m: 3, n: 3, k: 4, ldc: 2 })).toThrow(/matmul: C: leading dimension 2/);
    expect(() => matmul(gpu, c, a, b, { m: 0, n: 3, k: 4 })).toThrow(/matmul: m = 0 must be a positive integer/);
    expect(() => matmul(gpu, c, a, b, { m: 3, n: 3, k: 1.5 })).toThrow(/matmul: k = 1.5/);
    expect(() => matmul(gpu, c, a, b, { m: 3, n: 3, k: 4, bias: t(2) })).toThrow(/matmul: bias accesses element 2/);
    expect(() => matmul(gpu, a, a, b, { m: 3, n: 3, k: 4 })).toThrow(/matmul: C must not share a buffer/);
    expect(() => matmul(gpu, t(18), a, b, { m: 3, n: 3, k: 4, batch: 2, strideA: 0, strideB: 0, strideC: 0 })).toThrow(/race/);
  });
});

describe('matmul split-K', () => {
  it('splits small grids with long K, within bounds', () => {
    expect(matmulSplitK(64, 64, 1024)).toBe(4); // tiny dW: one workgroup, K 1024 in 4 ranges of 256
    expect(matmulSplitK(64, 192, 1024)).toBe(2); // 3 workgroups
    expect(matmulSplitK(128, 128, 2048)).toBe(1); // 4 workgroups of 64 x 64: enough
    expect(matmulSplitK(64, 64, 1024, 4)).toBe(1);
    expect(matmulSplitK(64, 64, 300)).toBe(1); // K too short to split
    expect(matmulSplitK(1024, 1024, 1024)).toBe(1); // grid large enough
  });

  it('batched, transA, uneven K ranges: bias, ReLU, alpha and accumulate applied once', () =>
    // K 700 in 3 ranges (240, 240, 220); C starts random and is accumulated into.
    checkMatmul('split 3', { m: 70, n: 33, k: 700, batch: 2, transA: true, biasOffset: 2, biasStride: 33, relu: true, alpha: 0.5, accumulate: true },
      2 + 2 * 33, 5, { splitK: 3 }));

  it('more splits than K steps, and strided C', () =>
    // K 33 asked in 8 splits: ranges of one K step (16, 16, 1).
    checkMatmul('split tiny K', { m: 20, n: 70, k: 33, transA: true, ldc: 75, offsetC: 3, biasOffset: 2, relu: true, alpha: 0.5, accumulate: true }, 72, 6, { splitK: 8 }));

  it('auto split on the weight-gradient shape: two dispatches, deterministic', async () => {
    const gpu = await testGpu();
    const layout: MatmulLayout = { m: 64, n: 64, k: 1024, transA: true };
    const n = sizes(layout);
    const a = randomF32(n.a, 7), b = randomF32(n.b, 8);
    const [ta, tb, tc] = [uploadTensor(gpu, a, [n.a]), uploadTensor(gpu, b, [n.b]), createTensor(gpu, [n.c])];
    const dispatches = matmulDispatches(gpu, tc, ta, tb, layout);
    expect(dispatches.length).toBe(2);
    await runDispatches(gpu, dispatches);
    const first = await readTensor(gpu, tc);
    assertClose('auto split', first, ref.matmul(new Float64Array(n.c), a, b, layout), TOL);
    await runDispatches(gpu, dispatches);
    expect(await readTensor(gpu, tc)).toEqual(first);
    expect(matmulDispatches(gpu, tc, ta, tb, { ...layout, splitK: 1 }).length).toBe(1);
    expect(() => matmul(gpu, tc, ta, tb, { ...layout, splitK: 2 })).toThrow(/matmul: matmul\(\) makes one dispatch/);
    expect(() => matmulDispatches(gpu, tc, ta, tb, { ...layout, splitK: 0 })).toThrow(/splitK = 0/);
  });
});

// The fused gradient epilogues against the compositions they replace: the weight gradient followed by a
// column sum of dC and a fillZero (biasGrad), and dA followed by reluBackward (gradMask).
describe('matmul fused gradient epilogues', () => {
  /**
   * dW (batch, k_in, n) = Aᵀ (stored (rows, k_in)) @ dC (rows, n) per batch entry, with the bias gradient
   * (batch, n) at `offset` with `stride` in a buffer of its own; both buffers start random.
   */
  async function checkBiasGrad(name: string, dims: { rows: number; kIn: number; n: number; batch: number }, opts: {
    split?: number; accumulate?: boolean; accumulateBias?: boolean; offset?: number; stride?: number; zero?: [number, number]; variant?: MatmulVariant;
  }): Promise<void> {
    const gpu = await testGpu();
    const { rows, kIn, n, batch } = dims;
    const layout: MatmulLayout = { m: kIn, n, k: rows, batch, transA: true, accumulate: opts.accumulate };
    const a = randomF32(batch * rows * kIn, 11), dc = randomF32(batch * rows * n, 12), c0 = randomF32(batch * kIn * n, 13);
    const offset = opts.offset ?? 0, stride = opts.stride ?? n;
    const dbSize = offset + (batch - 1) * stride + n + 3;
    const db0 = randomF32(dbSize, 14);
    const [ta, tdc, tc, tdb] = [uploadTensor(gpu, a, [a.length]), uploadTensor(gpu, dc, [dc.length]), uploadTensor(gpu, c0, [c0.length]), uploadTensor(gpu, db0, [dbSize])];
    const [zeroStart, zeroCount] = opts.zero ?? [0, 0];
    const dispatches = matmulDispatches(gpu, tc, ta, tdc, {
      ...layout, variant: opts.variant, splitK: opts.split ?? 1, biasGrad: { out: tdb, offset, stride, accumulate: opts.accumulateBias, zeroStart, zeroCount },
    });
    expect(dispatches.length).toBe((opts.split ?? 1) > 1 ? 2 : 1);
    await runDispatches(gpu, dispatches);
    assertClose(`${name}: dW`, await readTensor(gpu, tc), ref.matmul(Float64Array.from(c0), a, dc, layout), TOL);
    // The composition replaced: columnSum(dC) (+ what was there), then fillZero of the exact-zero columns.
    const sums = refColumnSum(dc, rows, n, batch);
    const expected = Float64Array.from(db0);
    for (let e = 0; e < batch; e++) {
      const entry = refFillZero(Array.from({ length: n }, (_, j) => sums[e * n + j] + (opts.accumulateBias ? db0[offset + e * stride + j] : 0)), zeroStart, zeroCount);
      expected.set(entry, offset + e * stride);
    }
    assertClose(`${name}: dbias`, await readTensor(gpu, tdb), expected, TOL);
  }

  it('bias gradient in the weight-gradient matmul, one dispatch', () => checkBiasGrad('biasGrad', { rows: 300, kIn: 70, n: 90, batch: 1 }, {}));
  it('bias gradient split along K, with accumulate, an offset and exact-zero columns', () =>
    checkBiasGrad('biasGrad split', { rows: 1024, kIn: 64, n: 192, batch: 1 }, { split: 4, accumulate: true, accumulateBias: true, offset: 5, zero: [64, 64] }));
  it('bias gradient of a batched (branch) product, strided per entry, split in 3', () =>
    checkBiasGrad('biasGrad batched', { rows: 700, kIn: 33, n: 40, batch: 3 }, { split: 3, stride: 45, offset: 2 }));
  it('bias gradient of a batched product without split, zero columns at the end', () =>
    checkBiasGrad('biasGrad batched nosplit', { rows: 130, kIn: 20, n: 70, batch: 2 }, { zero: [60, 10], accumulateBias: true }));
  for (const variant of FIXED_VARIANTS) {
    it(`variant ${variant}: bias gradient, one dispatch and split`, async () => {
      await checkBiasGrad(`${variant} biasGrad`, { rows: 300, kIn: 70, n: 90, batch: 1 }, { variant, zero: [10, 5] });
      await checkBiasGrad(`${variant} biasGrad split`, { rows: 700, kIn: 33, n: 40, batch: 3 }, { variant, split: 3, stride: 45, offset: 2, accumulateBias: true });
    });
  }

  /** dA (rows, k) = dC (rows, n) @ Bᵀ (B stored (k, n)), masked by saved (rows, k) > 0 and scaled. */
  async function checkGradMask(name: string, dims: { rows: number; k: number; n: number; batch: number }, opts: { scale: number; split?: number; accumulate?: boolean; variant?: MatmulVariant }) {
    const gpu = await testGpu();
    const { rows, k, n, batch } = dims;
    const layout: MatmulLayout = { m: rows, n: k, k: n, batch, transB: true, accumulate: opts.accumulate };
    const dc = randomF32(batch * rows * n, 21), b = randomF32(batch * k * n, 22), c0 = randomF32(batch * rows * k, 23);
    const saved = randomF32(batch * rows * k, 24); // about half positive
    const [tdc, tb, tc, ts] = [dc, b, c0, saved].map((x) => uploadTensor(gpu, x, [x.length]));
    await runDispatches(gpu, matmulDispatches(gpu, tc, tdc, tb, { ...layout, variant: opts.variant, splitK: opts.split ?? 1, gradMask: { saved: ts, scale: opts.scale } }));
    // The composition replaced: the product, reluBackward against the saved output, the scale, then accumulate.
    const product = ref.matmul(new Float64Array(c0.length), dc, b, { ...layout, accumulate: false });
    const masked = refReluBackward(product, saved).map((v) => v * opts.scale);
    const expected = masked.map((v, i) => (opts.accumulate ? c0[i] + v : v));
    assertClose(name, await readTensor(gpu, tc), expected, TOL);
  }

  it('ReLU gradient in the dA matmul', () => checkGradMask('gradMask', { rows: 130, k: 256, n: 64, batch: 1 }, { scale: 1 }));
  it('ReLU and dropout gradient (scale 1 / (1 - p)), batched, accumulated', () =>
    checkGradMask('gradMask dropout', { rows: 70, k: 40, n: 33, batch: 2 }, { scale: 1 / 0.9, accumulate: true }));
  it('gradient mask applied once after a split-K reduction', () =>
    checkGradMask('gradMask split', { rows: 40, k: 30, n: 700, batch: 1 }, { scale: 2, split: 3 }));
  for (const variant of FIXED_VARIANTS) {
    it(`variant ${variant}: gradient mask, batched and split`, async () => {
      await checkGradMask(`${variant} gradMask`, { rows: 70, k: 40, n: 33, batch: 2 }, { scale: 1 / 0.9, accumulate: true, variant });
      await checkGradMask(`${variant} gradMask split`, { rows: 40, k: 30, n: 700, batch: 1 }, { scale: 2, split: 3, variant });
    });
  }

  /** relu(A @ B + bias) then dropout over C's flat index: against the matmul reference, then dropoutForward. */
  async function checkDropout(name: string, layout: MatmulLayout, split: number, variant?: MatmulVariant) {
    const gpu = await testGpu();
    const n = sizes(layout, 0);
    const a = randomF32(n.a, 31), b = randomF32(n.b, 32), bias = randomF32(layout.n * (layout.batch ?? 1), 33);
    const [ta, tb, tbias, tc] = [uploadTensor(gpu, a, [n.a]), uploadTensor(gpu, b, [n.b]), uploadTensor(gpu, bias, [bias.length]), createTensor(gpu, [n.c])];
    const seeds = uploadTensor(gpu, Uint32Array.of(77, 4242), [2], 'u32');
    const spec: MatmulSpec = { ...layout, bias: tbias, relu: true, splitK: split, variant, dropout: { rate: 0.2, stream: 9, seeds, seedIndex: 1 } };
    await runDispatches(gpu, matmulDispatches(gpu, tc, ta, tb, spec));
    const product = ref.matmul(new Float64Array(n.c), a, b, { ...layout, bias, relu: true });
    assertClose(name, await readTensor(gpu, tc), refDropoutForward(Float32Array.from(product), 4242, 9, 0.2), TOL);
  }

  it('dropout after bias and ReLU in the epilogue: the dropout op\'s mask', () => checkDropout('dropout', { m: 130, n: 256, k: 64 }, 1));
  it('dropout in the epilogue of a batched product, applied once after split-K', () =>
    checkDropout('dropout split', { m: 40, n: 48, k: 700, batch: 2, biasStride: 48 }, 3));
  for (const variant of FIXED_VARIANTS) {
    it(`variant ${variant}: dropout epilogue`, () => checkDropout(`${variant} dropout`, { m: 130, n: 256, k: 64 }, 1, variant));
  }

  it('launcher checks the fused epilogues', async () => {
    const gpu = await testGpu();
    const [a, b, c] = [createTensor(gpu, [64 * 64]), createTensor(gpu, [64 * 64]), createTensor(gpu, [64 * 64])];
    const layout: MatmulLayout = { m: 64, n: 64, k: 64 };
    expect(() => matmul(gpu, c, a, b, { ...layout, biasGrad: { out: createTensor(gpu, [63]) } })).toThrow(/biasGrad.out accesses element 63/);
    expect(() => matmul(gpu, c, a, b, { ...layout, biasGrad: { out: a } })).toThrow(/must not share a buffer with A/);
    expect(() => matmul(gpu, c, a, b, { ...layout, biasGrad: { out: createTensor(gpu, [64]), zeroStart: 60, zeroCount: 5 } })).toThrow(/zero columns/);
    expect(() => matmul(gpu, c, a, b, { ...layout, gradMask: { saved: createTensor(gpu, [100]) } })).toThrow(/gradMask.saved accesses element/);
    expect(() => matmul(gpu, c, a, b, { ...layout, gradMask: { saved: c } })).toThrow(/must not share a buffer/);
    expect(() => matmul(gpu, c, a, b, { ...layout, gradMask: { saved: createTensor(gpu, [4096]) }, biasGrad: { out: createTensor(gpu, [64]) } })).toThrow(/not both/);
    const seeds = createTensor(gpu, [1], 'u32');
    expect(() => matmul(gpu, c, a, b, { ...layout, n: 60, ldc: 64, dropout: { rate: 0.1, stream: 1, seeds } })).toThrow(/dense C/);
    expect(() => matmul(gpu, c, a, b, { ...layout, dropout: { rate: 1, stream: 1, seeds } })).toThrow(/rate 1 outside/);
  });
});

describe('matmul f16 storage', () => {
  it('f16 bits: rounding to nearest even, subnormals, overflow', () => {
    expect([1, -2, 65504, 65519, 65520, 2 ** -24, 2 ** -25, 0.1, 1 + 2 ** -11, 1 + 3 * 2 ** -11].map(ref.f16Bits))
      .toEqual([0x3c00, 0xc000, 0x7bff, 0x7bff, 0x7c00, 1, 0, 0x2e66, 0x3c00, 0x3c02]);
    expect(ref.roundF16(0.1)).toBeCloseTo(0.0999755859375, 12);
    expect(Array.from(ref.packF16([1, -2, 0.5]))).toEqual([0xc0003c00, 0x3800]);
  });

  it('both operands f16, transA (two-word loads), ragged edges, split in two', () =>
    checkMatmul('f16 ta', { m: 67, n: 70, k: 45, transA: true, lda: 68 }, 0, 9, { storageA: 'f16', storageB: 'f16', splitK: 2 }));

  it('both operands f16, transB, batched with even offsets and strides', () =>
    checkMatmul('f16 tb', { m: 70, n: 66, k: 40, batch: 2, transB: true, offsetA: 2, strideA: 70 * 40 + 4, offsetB: 4, strideB: 0 }, 0, 10, {
      storageA: 'f16', storageB: 'f16', splitK: 1,
    }));

  it('launcher checks f16 operands', async () => {
    const gpu = await testGpu();
    const [a, c] = [createTensor(gpu, [12]), createTensor(gpu, [9])];
    const h = createTensor(gpu, [6], 'u32');
    expect(() => matmul(gpu, c, a, h, { m: 3, n: 3, k: 4, storageB: 'f16' })).toThrow(/B stored as f16 needs even ld/);
    expect(() => matmul(gpu, c, a, a, { m: 3, n: 4, k: 4, storageB: 'f16' })).toThrow(/B stored as f16 must be a u32 tensor/);
    expect(() => matmul(gpu, c, h, h, { m: 2, n: 2, k: 4, storageA: 'f16', storageB: 'f16' })).not.toThrow(); // 8 of 12 halves each
    expect(() => matmul(gpu, c, h, h, { m: 4, n: 2, k: 4, storageA: 'f16', storageB: 'f16' })).toThrow(/A accesses element 15 but its tensor holds 12/);
  });
});

// Forward layouts whose gradients exercise all four transposes, broadcast and strided operands.
const GRAD_CASES: Array<[string, MatmulLayout]> = [
  ['plain', { m: 3, n: 4, k: 5 }],
  ['transA', { m: 4, n: 3, k: 2, transA: true, alpha: 0.7 }],
  ['transB', { m: 2, n: 5, k: 3, transB: true }],
  ['both, batch 2', { m: 3, n: 2, k: 4, batch: 2, transA: true, transB: true }],
  ['broadcast B, padded', { m: 3, n: 4, k: 2, batch: 3, strideB: 0, lda: 3, offsetA: 1, ldc: 6, offsetC: 2 }],
  ['broadcast A, transA', { m: 2, n: 3, k: 4, batch: 2, strideA: 0, transA: true }],
];

describe('matmul backward', () => {
  for (const [name, fwd] of GRAD_CASES) {
    it(`reference backward matches finite differences: ${name}`, () => {
      const n = sizes(fwd, 1);
      const a = Float64Array.from(randomF32(n.a, 11)), b = Float64Array.from(randomF32(n.b, 12));
      const w = randomF32(n.c, 13);
      const loss = () => weightedSum(ref.matmul(new Float64Array(n.c), a, b, fwd), w);
      // C entries outside the layout stay 0, so dC = w there is harmless: those entries depend on nothing.
      const { da, db } = ref.matmulBackward(w, a, b, fwd, n.a, n.b);
      assertClose(`dA ${name}`, da, numericalGradient(loss, a), { atol: 1e-7, rtol: 1e-6 });
      assertClose(`dB ${name}`, db, numericalGradient(loss, b), { atol: 1e-7, rtol: 1e-6 });
    });
  }

  it('gradient layouts on the GPU match the reference backward', async () => {
    const gpu = await testGpu();
    for (const [name, fwd] of GRAD_CASES.slice(1)) {
      const n = sizes(fwd, 1);
      const a = randomF32(n.a, 21), b = randomF32(n.b, 22), dc = randomF32(n.c, 23);
      const t = { a: uploadTensor(gpu, a, [n.a]), b: uploadTensor(gpu, b, [n.b]), dc: uploadTensor(gpu, dc, [n.c]) };
      const da = uploadTensor(gpu, new Float32Array(n.a), [n.a]), db = uploadTensor(gpu, new Float32Array(n.b), [n.b]);
      const grads = matmulGradSpecs(fwd);
      const dispatches = [
        ...grads.da.map((g) => matmul(gpu, da, t[g.a], t[g.b], g.spec)),
        ...grads.db.map((g) => matmul(gpu, db, t[g.a], t[g.b], g.spec)),
      ];
      await runDispatches(gpu, dispatches);
      const expected = ref.matmulBackward(dc, a, b, fwd, n.a, n.b);
      assertClose(`gpu dA ${name}`, await readTensor(gpu, da), expected.da, TOL);
      assertClose(`gpu dB ${name}`, await readTensor(gpu, db), expected.db, TOL);
    }
  });
});
