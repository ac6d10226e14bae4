// GPU LayerNorm forward/backward against the f64 reference on ragged shapes (D not a multiple of any lane
// count, N not a multiple of the rows per workgroup and spanning several dg/db chunks), accumulate paths,
// every row-kernel variant (subgroups where the device has them, with the butterfly and with subgroupAdd,
// and the workgroup-memory fallback), and the reference backward against finite differences.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { runDispatches, type Dispatch } from '../../src/gpu/kernel.ts';
import { createTensor, readBuffer, readTensor, uploadTensor, type GpuTensor } from '../../src/gpu/tensor.ts';
import { layernormBackward, layernormForward, LAYERNORM_ROWS_PER_CHUNK } from '../../src/gpu/kernels/layernorm.ts';
import * as ref from '../../src/reference/layernorm.ts';
import { residualAdd as refResidualAdd } from '../../src/reference/elementwise.ts';
import { dropoutBackward as refDropoutBackward, dropoutForward as refDropoutForward } from '../../src/reference/dropout.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';
import { numericalGradient, weightedSum } from '../../src/testing/finite-diff.ts';

const TOL = { atol: 5e-5, rtol: 1e-4 };

async function run(gpu: Gpu, build: () => Dispatch[]): Promise<void> {
  gpu.device.pushErrorScope('validation');
  await runDispatches(gpu, build());
  const error = await gpu.device.popErrorScope();
  if (error) throw new Error(error.message);
}

const addInto = (a: Float64Array, prior: ArrayLike<number>): Float64Array => a.map((v, i) => v + prior[i]);

const SHAPES: Array<[rows: number, dim: number, offset: number]> = [
  [1, 1, 0],
  [7, 13, 0],
  [37, 128, 0], // the model's width; rows not a multiple of any rows-per-workgroup
  [65, 33, 3], // x around 3: the variance must be taken of centred values
  [3 * LAYERNORM_ROWS_PER_CHUNK + 5, 300, 0],
  [9, 1024, 0],
];

const VARIANTS = [
  { name: 'subgroups', subgroups: true, subgroupAdd: false },
  { name: 'subgroups, subgroupAdd', subgroups: true, subgroupAdd: true },
  { name: 'workgroup memory', subgroups: false, subgroupAdd: false },
] as const;

/** The device, or a skip when the variant needs subgroups the device lacks. */
async function gpuFor(subgroups: boolean, skip: (note?: string) => void): Promise<Gpu> {
  const gpu = await testGpu();
  if (subgroups && !gpu.features.subgroups) skip('the device has no subgroups');
  return gpu;
}

describe.for(VARIANTS)('layernorm kernels ($name)', ({ subgroups, subgroupAdd }) => {
  for (const [rows, dim, offset] of SHAPES) {
    it(`forward, ${rows}x${dim}`, async ({ skip }) => {
      const gpu = await gpuFor(subgroups, skip);
      const x = randomF32(rows * dim, rows + dim, offset - 1, offset + 1);
      const g = randomF32(dim, 2, 0.5, 1.5), b = randomF32(dim, 3);
      const tx = uploadTensor(gpu, x, [rows, dim]), tg = uploadTensor(gpu, g, [dim]), tb = uploadTensor(gpu, b, [dim]);
      const y = createTensor(gpu, [rows, dim]), mean = createTensor(gpu, [rows]), rstd = createTensor(gpu, [rows]);
      await run(gpu, () => [layernormForward(gpu, { y, mean, rstd, x: tx, g: tg, b: tb, subgroups, subgroupAdd })]);
      const expected = ref.layernormForward(x, g, b, rows, dim);
      assertClose('y', await readTensor(gpu, y), expected.y, TOL);
      assertClose('mean', await readTensor(gpu, mean), expected.mean, TOL);
      assertClose('rstd', await readTensor(gpu, rstd), expected.rstd, { atol: 1e-4, rtol: 1e-4 });
    });

    for (const accumulate of [false, true]) {
      it(`backward, ${rows}x${dim}, accumulate ${accumulate}`, async ({ skip }) => {
        const gpu = await gpuFor(subgroups, skip);
        const x = randomF32(rows * dim, rows * dim + 7, offset - 1, offset + 1);
        const g = randomF32(dim, 4, 0.5, 1.5), dyv = randomF32(rows * dim, 5);
        const stats = ref.layernormForward(x, g, new Float32Array(dim), rows, dim);
        const prior = { dx: randomF32(rows * dim, 6), dg: randomF32(dim, 7), db: randomF32(dim, 8) };
        const dx = uploadTensor(gpu, prior.dx, [rows, dim]), dg = uploadTensor(gpu, prior.dg, [dim]), db = uploadTensor(gpu, prior.db, [dim]);
        const args = {
          dx, dg, db,
          dy: uploadTensor(gpu, dyv, [rows, dim]),
          x: uploadTensor(gpu, x, [rows, dim]),
          g: uploadTensor(gpu, g, [dim]),
          mean: uploadTensor(gpu, Float32Array.from(stats.mean), [rows]),
          rstd: uploadTensor(gpu, Float32Array.from(stats.rstd), [rows]),
          accumulate,
          accumulateParams: accumulate,
          subgroups,
          subgroupAdd,
        };
        await run(gpu, () => layernormBackward(gpu, args));
        const e = ref.layernormBackward(dyv, x, g, stats.mean, stats.rstd, rows, dim);
        assertClose('dx', await readTensor(gpu, dx), accumulate ? addInto(e.dx, prior.dx) : e.dx, TOL);
        assertClose('dg', await readTensor(gpu, dg), accumulate ? addInto(e.dg, prior.dg) : e.dg, TOL);
        assertClose('db', await readTensor(gpu, db), accumulate ? addInto(e.db, prior.db) : e.db, TOL);
      });
    }
  }

  // The fused residual add + LayerNorm against the composition it replaces: residualAdd, then LayerNorm;
  // backward: LayerNorm backward, then a copy (or add) of dx into each addend's gradient.
  // The residual's dropout (rate 0.25, stream 7, seed 12345) against dropoutForward / dropoutBackward first.
  const SEED = 12345, STREAM = 7;
  for (const [rows, dim, rate] of [[37, 128, 0], [3 * LAYERNORM_ROWS_PER_CHUNK + 5, 300, 0], [37, 128, 0.25]] as const) {
    const dropoutOf = (gpu: Gpu) => (rate > 0 ? { rate, stream: STREAM, seeds: uploadTensor(gpu, Uint32Array.of(9, SEED), [2], 'u32'), seedIndex: 1 } : undefined);
    it(`residual add + forward, ${rows}x${dim}, dropout ${rate}`, async ({ skip }) => {
      const gpu = await gpuFor(subgroups, skip);
      const x = randomF32(rows * dim, 31), x2 = randomF32(rows * dim, 32, 1, 3);
      const g = randomF32(dim, 33, 0.5, 1.5), b = randomF32(dim, 34);
      const y = createTensor(gpu, [rows, dim]), mean = createTensor(gpu, [rows]), rstd = createTensor(gpu, [rows]);
      const [tx, tx2] = [uploadTensor(gpu, x, [rows, dim]), uploadTensor(gpu, x2, [rows, dim])];
      await run(gpu, () => [layernormForward(gpu, {
        y, mean, rstd, x: tx, g: uploadTensor(gpu, g, [dim]), b: uploadTensor(gpu, b, [dim]), residual: { x2: tx2, dropout: dropoutOf(gpu) }, subgroups, subgroupAdd,
      })]);
      const dropped = Float32Array.from(refDropoutForward(x2, SEED, STREAM, rate)); // f32, as the kernel has it
      const added = refResidualAdd(Float32Array.from(x), dropped);
      const expected = ref.layernormForward(added, g, b, rows, dim);
      assertClose('sum (over x2)', await readTensor(gpu, tx2), added, { atol: 1e-6, rtol: 1e-6 });
      assertClose('y', await readTensor(gpu, y), expected.y, TOL);
      assertClose('mean', await readTensor(gpu, mean), expected.mean, TOL);
      assertClose('rstd', await readTensor(gpu, rstd), expected.rstd, { atol: 1e-4, rtol: 1e-4 });
    });

    for (const [accumulate, accumulate2] of [[false, false], [true, false], [false, true]] as const) {
      it(`backward into both addends, ${rows}x${dim}, dropout ${rate}, accumulate ${accumulate}/${accumulate2}`, async ({ skip }) => {
        const gpu = await gpuFor(subgroups, skip);
        const x = randomF32(rows * dim, 41), g = randomF32(dim, 42, 0.5, 1.5), dyv = randomF32(rows * dim, 43);
        const stats = ref.layernormForward(x, g, new Float32Array(dim), rows, dim);
        const prior = { dx: randomF32(rows * dim, 44), dx2: randomF32(rows * dim, 45) };
        const dx = uploadTensor(gpu, prior.dx, [rows, dim]), dx2 = uploadTensor(gpu, prior.dx2, [rows, dim]);
        const dg = createTensor(gpu, [dim]), db = createTensor(gpu, [dim]);
        await run(gpu, () => layernormBackward(gpu, {
          dx, dx2, dg, db, dy: uploadTensor(gpu, dyv, [rows, dim]), x: uploadTensor(gpu, x, [rows, dim]), g: uploadTensor(gpu, g, [dim]),
          mean: uploadTensor(gpu, Float32Array.from(stats.mean), [rows]), rstd: uploadTensor(gpu, Float32Array.from(stats.rstd), [rows]),
          accumulate, accumulate2, dropout: dropoutOf(gpu), subgroups, subgroupAdd,
        }));
        const e = ref.layernormBackward(dyv, x, g, stats.mean, stats.rstd, rows, dim);
        const e2 = refDropoutBackward(e.dx, SEED, STREAM, rate);
        assertClose('dx', await readTensor(gpu, dx), accumulate ? addInto(e.dx, prior.dx) : e.dx, TOL);
        assertClose('dx2', await readTensor(gpu, dx2), accumulate2 ? addInto(e2, prior.dx2) : e2, TOL);
        assertClose('dg', await readTensor(gpu, dg), e.dg, TOL);
        assertClose('db', await readTensor(gpu, db), e.db, TOL);
      });
    }
  }
});

describe('layernorm kernels', () => {
  it('reference backward matches finite differences (dx, dg, db)', () => {
    const rows = 3, dim = 7;
    const x = Float64Array.from(randomF32(rows * dim, 11, -2, 2));
    const g = Float64Array.from(randomF32(dim, 12, 0.5, 1.5)), b = Float64Array.from(randomF32(dim, 13));
    const w = randomF32(rows * dim, 14);
    const loss = () => weightedSum(ref.layernormForward(x, g, b, rows, dim).y, w);
    const fwd = ref.layernormForward(x, g, b, rows, dim);
    const grads = ref.layernormBackward(w, x, g, fwd.mean, fwd.rstd, rows, dim);
    const tol = { atol: 1e-6, rtol: 1e-5 };
    assertClose('dx', grads.dx, numericalGradient(loss, x), tol);
    assertClose('dg', grads.dg, numericalGradient(loss, g), tol);
    assertClose('db', grads.db, numericalGradient(loss, b), tol);
  });

  it('dg and db may be side-by-side views of one gradient buffer', async () => {
    const gpu = await testGpu();
    const [rows, dim] = [2 * LAYERNORM_ROWS_PER_CHUNK + 1, 40];
    const x = randomF32(rows * dim, 20), g = randomF32(dim, 21, 0.5, 1.5), dyv = randomF32(rows * dim, 22);
    const stats = ref.layernormForward(x, g, new Float32Array(dim), rows, dim);
    const grads = uploadTensor(gpu, new Float32Array(128), [128]); // dg at byte 0, db at byte 256
    const dg: GpuTensor = { buffer: grads.buffer, shape: [dim], dtype: 'f32', byteOffset: 0 };
    const db: GpuTensor = { buffer: grads.buffer, shape: [dim], dtype: 'f32', byteOffset: 256 };
    const args = {
      dx: createTensor(gpu, [rows, dim]), dg, db,
      dy: uploadTensor(gpu, dyv, [rows, dim]),
      x: uploadTensor(gpu, x, [rows, dim]),
      g: uploadTensor(gpu, g, [dim]),
      mean: uploadTensor(gpu, Float32Array.from(stats.mean), [rows]),
      rstd: uploadTensor(gpu, Float32Array.from(stats.rstd), [rows]),
    };
    await run(gpu, () => layernormBackward(gpu, args));
    const e = ref.layernormBackward(dyv, x, g, stats.mean, stats.rstd, rows, dim);
    const all = new Float32Array(await readBuffer(gpu, grads.buffer, 512));
    assertClose('dg view', all.subarray(0, dim), e.dg, TOL);
    assertClose('db view', all.subarray(64, 64 + dim), e.db, TOL);
  });

  it('launchers reject mismatched shapes', async () => {
    const gpu = await testGpu();
    const t = (n: number) => createTensor(gpu, [n]);
    expect(() => layernormForward(gpu, { y: t(12), mean: t(3), rstd: t(3), x: t(12), g: t(5), b: t(5) })).toThrow(/layernormForward: x/);
    expect(() => layernormForward(gpu, { y: t(12), mean: t(2), rstd: t(3), x: t(12), g: t(4), b: t(4) })).toThrow(/layernormForward: expected 3 row/);
    const noSubgroups: Gpu = { ...gpu, features: { ...gpu.features, subgroups: false } };
    const args = { y: t(12), mean: t(3), rstd: t(3), x: t(12), g: t(4), b: t(4), subgroups: true };
    expect(() => layernormForward(noSubgroups, args)).toThrow(/layernormForward: subgroups requested/);
  });
});
