// GPU column sums (bias gradients) against the f64 reference: ragged shapes, one- and two-stage paths,
// batched (per-branch) sums, accumulation and run-to-run determinism.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { runDispatches, type Dispatch } from '../../src/gpu/kernel.ts';
import { readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { columnSum, ROWS_PER_CHUNK } from '../../src/gpu/kernels/reduce.ts';
import * as ref from '../../src/reference/reduce.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';

const TOL = { atol: 2e-5, rtol: 1e-5 };

/** Build and run dispatches inside a validation error scope, so WGSL or binding errors fail the test. */
async function run(gpu: Gpu, build: () => Dispatch[]): Promise<void> {
  gpu.device.pushErrorScope('validation');
  await runDispatches(gpu, build());
  const error = await gpu.device.popErrorScope();
  if (error) throw new Error(error.message);
}

const SHAPES: Array<[batch: number, rows: number, cols: number]> = [
  [1, 1, 1],
  [1, 7, 13],
  [1, 65, 33],
  [1, ROWS_PER_CHUNK, 70],
  [1, 3 * ROWS_PER_CHUNK + 5, 129],
  [4, 9, 17],
  [3, 2 * ROWS_PER_CHUNK + 1, 45],
];

describe('column sum (reduce.wgsl)', () => {
  for (const [batch, rows, cols] of SHAPES) {
    for (const accumulate of [false, true]) {
      it(`batch ${batch}, ${rows}x${cols}, accumulate ${accumulate}`, async () => {
        const gpu = await testGpu();
        const seed = batch * 1000 + rows + cols;
        const x = randomF32(batch * rows * cols, seed);
        const prior = randomF32(batch * cols, seed + 1);
        const inp = uploadTensor(gpu, x, [batch, rows, cols]);
        const out = uploadTensor(gpu, prior, [batch, cols]);
        await run(gpu, () => columnSum(gpu, out, inp, { batch, accumulate }));
        const expected = ref.columnSum(x, rows, cols, batch);
        if (accumulate) for (let i = 0; i < expected.length; i++) expected[i] += prior[i];
        assertClose('columnSum', await readTensor(gpu, out), expected, TOL);
      });
    }
  }

  it('is bitwise deterministic across replays', async () => {
    const gpu = await testGpu();
    const rows = 5 * ROWS_PER_CHUNK + 3, cols = 77;
    const inp = uploadTensor(gpu, randomF32(rows * cols, 9, -100, 100), [rows, cols]);
    const out = uploadTensor(gpu, new Float32Array(cols), [cols]);
    const dispatches = columnSum(gpu, out, inp);
    await run(gpu, () => dispatches);
    const first = await readTensor(gpu, out);
    await run(gpu, () => dispatches);
    expect(Array.from(await readTensor(gpu, out))).toEqual(Array.from(first));
  });

  it('launcher rejects shapes that do not factor', async () => {
    const gpu = await testGpu();
    const inp = uploadTensor(gpu, new Float32Array(10), [2, 5]);
    expect(() => columnSum(gpu, uploadTensor(gpu, new Float32Array(3), [3]), inp)).toThrow(/columnSum: inp/);
    expect(() => columnSum(gpu, uploadTensor(gpu, new Float32Array(5), [5]), inp, { batch: 2 })).toThrow(/columnSum: out/);
  });
});
