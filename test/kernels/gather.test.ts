// The row gather kernel against its CPU reference: ragged sizes, repeated and out-of-range indices.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { createTensor, readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { gatherRows } from '../../src/gpu/kernels/gather.ts';
import * as ref from '../../src/reference/gather.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';

describe('gather rows kernel', () => {
  for (const [n, cols, index] of [[1, 1, [0]], [7, 13, [6, 0, 3, 3]], [65, 129, [64, -1, 65, 10, 0, 1000]]] as const) {
    it(`inp (${n}, ${cols}), index [${index}]`, async () => {
      const gpu = await testGpu();
      const data = randomF32(n * cols, n + cols);
      const inp = uploadTensor(gpu, data, [n, cols]);
      const idx = uploadTensor(gpu, Int32Array.from(index), [index.length], 'i32');
      const out = createTensor(gpu, [index.length, cols]);
      await runDispatches(gpu, [gatherRows(gpu, out, inp, idx)]);
      assertClose('gather', await readTensor(gpu, out), ref.gatherRows(data, cols, index), { atol: 0, rtol: 0 });
    });
  }

  it('rejects mismatched shapes', async () => {
    const gpu = await testGpu();
    const inp = createTensor(gpu, [4, 3]), out = createTensor(gpu, [2, 3]);
    expect(() => gatherRows(gpu, out, inp, createTensor(gpu, [3], 'i32'))).toThrow(/3 entries for 2 output rows/);
    expect(() => gatherRows(gpu, out, createTensor(gpu, [5]), createTensor(gpu, [2], 'i32'))).toThrow(/whole number of rows/);
  });
});
