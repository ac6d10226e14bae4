// GPU label-smoothed cross-entropy (loss, count, lse, dlogits) against the f64 reference: ragged shapes,
// PAD rows, smoothing 0 and 0.1, a PAD-only batch (loss 0, gradient 0, no NaN), a dloss scale; the
// reference backward against finite differences.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { runDispatches, type Dispatch } from '../../src/gpu/kernel.ts';
import { createTensor, readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { crossEntropyBackward, crossEntropyForward } from '../../src/gpu/kernels/cross_entropy.ts';
import * as ref from '../../src/reference/cross_entropy.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32, randomInts } from '../../src/testing/random.ts';
import { numericalGradient } from '../../src/testing/finite-diff.ts';

async function run(gpu: Gpu, build: () => Dispatch[]): Promise<void> {
  gpu.device.pushErrorScope('validation');
  await runDispatches(gpu, build());
  const error = await gpu.device.popErrorScope();
  if (error) throw new Error(error.message);
}

interface Case {
  rows: number;
  vocab: number;
  smoothing: number;
  targets: Int32Array;
  logits: Float32Array;
  scale?: number;
}

/** Run forward + backward on the GPU and compare loss, count, lse and dlogits with the reference. */
async function check(c: Case): Promise<{ stats: Float32Array; dlogits: Float32Array }> {
  const gpu = await testGpu();
  const logits = uploadTensor(gpu, c.logits, [c.rows, c.vocab]);
  const targets = uploadTensor(gpu, c.targets, [c.rows], 'i32');
  const stats = createTensor(gpu, [2]), lse = createTensor(gpu, [c.rows]), dlogits = createTensor(gpu, [c.rows, c.vocab]);
  const smoothing = c.smoothing;
  await run(gpu, () => [
    ...crossEntropyForward(gpu, { stats, lse, logits, targets, smoothing }),
    crossEntropyBackward(gpu, { dlogits, logits, targets, lse, stats, smoothing, scale: c.scale }),
  ]);
  const e = ref.crossEntropyForward(c.logits, c.targets, c.rows, c.vocab, smoothing);
  const gotStats = await readTensor(gpu, stats);
  assertClose('loss, count', gotStats, [e.loss, e.count], { atol: 1e-5, rtol: 1e-5 });
  assertClose('lse', await readTensor(gpu, lse), e.lse, { atol: 1e-5, rtol: 1e-5 });
  const gotD = await readTensor(gpu, dlogits);
  const expectedD = ref.crossEntropyBackward(c.logits, c.targets, c.rows, c.vocab, smoothing, c.scale ?? 1);
  assertClose('dlogits', gotD, expectedD, { atol: 1e-6, rtol: 1e-4 });
  return { stats: gotStats, dlogits: gotD };
}

/** Targets in [1, V) with about a quarter PAD (row 0 is never PAD). */
function targetsWithPad(rows: number, vocab: number, seed: number): Int32Array {
  const t = randomInts(rows, seed, 1, Math.max(vocab, 2));
  const pad = randomInts(rows, seed + 1, 0, 4);
  for (let n = 1; n < rows; n++) if (pad[n] === 0) t[n] = 0;
  return t;
}

const SHAPES: Array<[rows: number, vocab: number]> = [
  [1, 2],
  [7, 13],
  [65, 33],
  [40, 1000],
  [9, 8000],
];

describe('cross-entropy kernels', () => {
  for (const [rows, vocab] of SHAPES) {
    for (const smoothing of [0, 0.1]) {
      it(`N=${rows} V=${vocab}, label smoothing ${smoothing}`, async () => {
        await check({ rows, vocab, smoothing, targets: targetsWithPad(rows, vocab, rows + vocab), logits: randomF32(rows * vocab, vocab, -5, 5) });
      });
    }
  }

  it('N=1 V=1 with a PAD target: loss 0, count 0', async () => {
    const { stats } = await check({ rows: 1, vocab: 1, smoothing: 0.1, targets: Int32Array.from([0]), logits: Float32Array.from([0.3]) });
    expect(Array.from(stats)).toEqual([0, 0]);
  });

  it('a PAD-only batch gives loss 0 and gradient 0, no NaN', async () => {
    const [rows, vocab] = [12, 50];
    const { stats, dlogits } = await check({ rows, vocab, smoothing: 0.1, targets: new Int32Array(rows), logits: randomF32(rows * vocab, 5, -5, 5) });
    expect(Array.from(stats)).toEqual([0, 0]);
    expect(dlogits.every((v) => v === 0)).toBe(true);
  });

  it('takes a dloss scale', async () => {
    await check({ rows: 10, vocab: 37, smoothing: 0.1, targets: targetsWithPad(10, 37, 6), logits: randomF32(370, 7, -3, 3), scale: 0.25 });
  });

  it('uniform logits give log V for any smoothing (formula check)', () => {
    const [rows, vocab] = [3, 4];
    const e = ref.crossEntropyForward(new Float64Array(rows * vocab), [1, 2, 3], rows, vocab, 0.1);
    expect(e.loss).toBeCloseTo(Math.log(vocab), 12);
  });

  for (const smoothing of [0, 0.1]) {
    it(`reference backward matches finite differences, smoothing ${smoothing}`, () => {
      const [rows, vocab] = [4, 6];
      const targets = Int32Array.from([2, 0, 5, 1]);
      const logits = Float64Array.from(randomF32(rows * vocab, 90, -3, 3));
      const numeric = numericalGradient(() => ref.crossEntropyForward(logits, targets, rows, vocab, smoothing).loss, logits);
      assertClose('dlogits', ref.crossEntropyBackward(logits, targets, rows, vocab, smoothing), numeric, { atol: 1e-7, rtol: 1e-5 });
    });
  }

  it('launchers check shapes', async () => {
    const gpu = await testGpu();
    const logits = createTensor(gpu, [3, 5]);
    const targets = uploadTensor(gpu, new Int32Array(4), [4], 'i32');
    expect(() => crossEntropyForward(gpu, { stats: createTensor(gpu, [2]), lse: createTensor(gpu, [4]), logits, targets, smoothing: 0 })).toThrow(/crossEntropyForward: logits/);
    const t3 = uploadTensor(gpu, new Int32Array(3), [3], 'i32');
    expect(() => crossEntropyForward(gpu, { stats: createTensor(gpu, [2]), lse: createTensor(gpu, [3]), logits, targets: t3, smoothing: 1 })).toThrow(/label smoothing/);
  });
});
