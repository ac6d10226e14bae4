// GPU column sums (bias gradients) against the f64 reference: ragged shapes, one- and two-stage paths,
// batched (per-branch) sums, accumulation and run-to-run determinism.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { runDispatches, type Dispatch } from '../../src/gpu/kernel.ts';
import { readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { columnSum, ROWS_PER_CHUNK, segmentFinish } from '../../src/gpu/kernels/reduce.ts';
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

  // The deferred finishes of a step (src/graph/finish.ts): several reductions' finishes in one dispatch,
  // each against the column sum of its chunk partials, stored (chunks, cols) or transposed (cols, chunks).
  it('segment finish: many finishes in one dispatch, both layouts, accumulate, untouched gaps', async () => {
    const gpu = await testGpu();
    const segs = [
      { chunks: 16, cols: 300, transposed: false, accumulate: false, dst: 0 },
      { chunks: 7, cols: 4, transposed: true, accumulate: true, dst: 310 },
      { chunks: 1, cols: 5, transposed: false, accumulate: true, dst: 320 },
      { chunks: 32, cols: 3, transposed: true, accumulate: false, dst: 400 },
    ];
    let at = 0;
    const placed = segs.map((sg) => ({ ...sg, src: (at += 64 * Math.ceil((sg.chunks * sg.cols) / 64)) - 64 * Math.ceil((sg.chunks * sg.cols) / 64) }));
    const partials = randomF32(at, 51, -10, 10), prior = randomF32(410, 52);
    const out = uploadTensor(gpu, prior, [410]);
    await run(gpu, () => [segmentFinish(gpu, out, uploadTensor(gpu, partials, [at]), placed.map((p) => ({
      src: p.src, chunks: p.chunks, cols: p.cols, dst: p.dst, accumulate: p.accumulate,
      chunkStride: p.transposed ? 1 : p.cols, colStride: p.transposed ? p.chunks : 1,
    })))]);
    const expected = Float64Array.from(prior);
    for (const p of placed) {
      // The composition replaced: a column sum over the chunk rows (transposed tables transposed back first).
      const table = Array.from({ length: p.chunks * p.cols }, (_, i) => {
        const [c, j] = [Math.floor(i / p.cols), i % p.cols];
        return partials[p.src + (p.transposed ? j * p.chunks + c : i)];
      });
      const sums = ref.columnSum(table, p.chunks, p.cols);
      for (let j = 0; j < p.cols; j++) expected[p.dst + j] = (p.accumulate ? prior[p.dst + j] : 0) + sums[j];
    }
    assertClose('segment finish', await readTensor(gpu, out), expected, TOL);
  });

  it('segment finish launcher checks its table', async () => {
    const gpu = await testGpu();
    const out = uploadTensor(gpu, new Float32Array(8), [8]), part = uploadTensor(gpu, new Float32Array(16), [16]);
    expect(() => segmentFinish(gpu, out, part, [])).toThrow(/no segments/);
    expect(() => segmentFinish(gpu, out, part, [{ src: 0, chunks: 5, cols: 4, dst: 0, accumulate: false }])).toThrow(/reads partials up to element 19/);
    expect(() => segmentFinish(gpu, out, part, [{ src: 0, chunks: 2, cols: 4, dst: 6, accumulate: false }])).toThrow(/writes out \[6, \+4\)/);
  });
});
