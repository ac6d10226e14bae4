// GPU embedding forward (with the PE table) and the deterministic scatter-add backward against the f64
// reference: ragged shapes, repeated tokens and PAD runs spanning sort tiles, accumulation into dembed,
// replay determinism; the reference backward against finite differences.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { runDispatches, type Dispatch } from '../../src/gpu/kernel.ts';
import { createTensor, readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { createPositionalTable, embeddingBackward, embeddingForward, embeddingSortShape } from '../../src/gpu/kernels/embedding.ts';
import * as ref from '../../src/reference/embedding.ts';
import * as refDropout from '../../src/reference/dropout.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32, randomInts } from '../../src/testing/random.ts';
import { numericalGradient, weightedSum } from '../../src/testing/finite-diff.ts';

const TOL = { atol: 1e-5, rtol: 1e-5 };

async function run(gpu: Gpu, build: () => Dispatch[]): Promise<void> {
  gpu.device.pushErrorScope('validation');
  await runDispatches(gpu, build());
  const error = await gpu.device.popErrorScope();
  if (error) throw new Error(error.message);
}

/** Tokens (B, T) in [0, V) with a PAD (0) tail on every other sentence, as a batch would have. */
function batchTokens(b: number, t: number, vocab: number, seed: number): Int32Array {
  const tokens = randomInts(b * t, seed, 0, vocab);
  for (let s = 1; s < b; s += 2) tokens.fill(0, s * t + Math.ceil(t / 2), (s + 1) * t);
  return tokens;
}

const SHAPES: Array<[b: number, t: number, vocab: number, dim: number]> = [
  [1, 1, 1, 1],
  [3, 7, 11, 13],
  [5, 13, 50, 33],
  [4, 100, 9, 70], // 400 positions: several sort tiles, long runs of equal tokens
  [2, 5, 20, 1024],
];

describe('embedding kernels', () => {
  for (const [b, t, vocab, dim] of SHAPES) {
    it(`forward, B=${b} T=${t} V=${vocab} D=${dim}`, async () => {
      const gpu = await testGpu();
      const tokens = batchTokens(b, t, vocab, b * t + dim);
      const embed = randomF32(vocab * dim, 2);
      const out = createTensor(gpu, [b * t, dim]);
      const args = {
        out,
        tokens: uploadTensor(gpu, tokens, [b, t], 'i32'),
        embed: uploadTensor(gpu, embed, [vocab, dim]),
        pe: createPositionalTable(gpu, t + 3, dim),
      };
      await run(gpu, () => [embeddingForward(gpu, args)]);
      assertClose('out', await readTensor(gpu, out), ref.embeddingForward(tokens, embed, b, t, dim), TOL);
    });

    it(`backward accumulates, B=${b} T=${t} V=${vocab} D=${dim}`, async () => {
      const gpu = await testGpu();
      const tokens = batchTokens(b, t, vocab, b * t + dim + 1);
      const doutv = randomF32(b * t * dim, 3), prior = randomF32(vocab * dim, 4);
      const dembed = uploadTensor(gpu, prior, [vocab, dim]);
      const args = { dembed, tokens: uploadTensor(gpu, tokens, [b, t], 'i32'), dout: uploadTensor(gpu, doutv, [b * t, dim]) };
      await run(gpu, () => embeddingBackward(gpu, args));
      const expected = ref.embeddingBackward(tokens, doutv, vocab, dim).map((v, i) => v + prior[i]);
      assertClose('dembed', await readTensor(gpu, dembed), expected, { atol: 1e-4, rtol: 1e-5 });
    });
  }

  // The sort made in the forward's dispatch (a training step) against the separate forward, sort and
  // scatter it replaces: the same forward output and the same (bitwise) embedding gradient.
  for (const [b, t, vocab, dim] of [[4, 100, 9, 70], [16, 64, 1000, 64]] as const) {
    it(`forward + dropout + sort in one dispatch, then the scatter with the dropout's mask, B=${b} T=${t} V=${vocab} D=${dim}`, async () => {
      // Against the composition replaced: embeddingForward, dropoutForward; dropoutBackward, embeddingBackward.
      const gpu = await testGpu();
      const [rate, stream, seed] = [0.3, 5, 987];
      const tokens = batchTokens(b, t, vocab, 81), embed = randomF32(vocab * dim, 82), doutv = randomF32(b * t * dim, 83);
      const tt = uploadTensor(gpu, tokens, [b, t], 'i32');
      const out = createTensor(gpu, [b * t, dim]), dembed = createTensor(gpu, [vocab, dim]), sorted = createTensor(gpu, embeddingSortShape(tt), 'i32');
      const dropout = { rate, stream, seeds: uploadTensor(gpu, Uint32Array.of(seed), [1], 'u32') };
      await run(gpu, () => [
        embeddingForward(gpu, { out, tokens: tt, embed: uploadTensor(gpu, embed, [vocab, dim]), pe: createPositionalTable(gpu, t, dim), sorted, dropout }),
        ...embeddingBackward(gpu, { dembed, tokens: tt, dout: uploadTensor(gpu, doutv, [b * t, dim]), sorted, dropout }),
      ]);
      const forward = Float32Array.from(ref.embeddingForward(tokens, embed, b, t, dim));
      assertClose('out', await readTensor(gpu, out), refDropout.dropoutForward(forward, seed, stream, rate), TOL);
      const dkept = refDropout.dropoutBackward(doutv, seed, stream, rate);
      assertClose('dembed', await readTensor(gpu, dembed), ref.embeddingBackward(tokens, dkept, vocab, dim), { atol: 1e-4, rtol: 1e-5 });
    });

    it(`forward + sort in one dispatch, then the scatter, B=${b} T=${t} V=${vocab} D=${dim}`, async () => {
      const gpu = await testGpu();
      const tokens = batchTokens(b, t, vocab, 71), embed = randomF32(vocab * dim, 72), doutv = randomF32(b * t * dim, 73);
      const tt = uploadTensor(gpu, tokens, [b, t], 'i32'), te = uploadTensor(gpu, embed, [vocab, dim]), pe = createPositionalTable(gpu, t, dim);
      const dout = uploadTensor(gpu, doutv, [b * t, dim]);
      const [out1, out2] = [createTensor(gpu, [b * t, dim]), createTensor(gpu, [b * t, dim])];
      const [d1, d2] = [createTensor(gpu, [vocab, dim]), createTensor(gpu, [vocab, dim])];
      const sorted = createTensor(gpu, embeddingSortShape(tt), 'i32');
      const fused = [embeddingForward(gpu, { out: out1, tokens: tt, embed: te, pe, sorted }), ...embeddingBackward(gpu, { dembed: d1, tokens: tt, dout, sorted })];
      expect(fused.length).toBe(2);
      await run(gpu, () => fused);
      await run(gpu, () => [embeddingForward(gpu, { out: out2, tokens: tt, embed: te, pe }), ...embeddingBackward(gpu, { dembed: d2, tokens: tt, dout })]);
      expect(Array.from(await readTensor(gpu, out1))).toEqual(Array.from(await readTensor(gpu, out2)));
      expect(Array.from(await readTensor(gpu, d1))).toEqual(Array.from(await readTensor(gpu, d2)));
      assertClose('dembed', await readTensor(gpu, d1), ref.embeddingBackward(tokens, doutv, vocab, dim), { atol: 1e-4, rtol: 1e-5 });
    });
  }

  it('PE table matches the reference at long positions', async () => {
    const gpu = await testGpu();
    const [len, dim] = [512, 65];
    const pe = createPositionalTable(gpu, len, dim);
    assertClose('pe', await readTensor(gpu, pe), ref.positionalEncoding(len, dim), { atol: 1e-6, rtol: 0 });
  });

  it('backward is bitwise deterministic across replays', async () => {
    const gpu = await testGpu();
    const [b, t, vocab, dim] = [8, 64, 5, 40];
    const tokens = uploadTensor(gpu, batchTokens(b, t, vocab, 70), [b, t], 'i32');
    const dout = uploadTensor(gpu, randomF32(b * t * dim, 71, -10, 10), [b * t, dim]);
    const dembed = uploadTensor(gpu, new Float32Array(vocab * dim), [vocab, dim]);
    const dispatches = embeddingBackward(gpu, { dembed, tokens, dout });
    await run(gpu, () => dispatches);
    const first = Array.from(await readTensor(gpu, dembed));
    gpu.device.queue.writeBuffer(dembed.buffer, 0, new Float32Array(vocab * dim));
    await run(gpu, () => dispatches);
    expect(Array.from(await readTensor(gpu, dembed))).toEqual(first);
  });

  it('reference backward matches finite differences', () => {
    const [b, t, vocab, dim] = [2, 3, 4, 5];
    const tokens = Int32Array.from([1, 3, 1, 0, 1, 2]);
    const embed = Float64Array.from(randomF32(vocab * dim, 80));
    const w = randomF32(b * t * dim, 81);
    const numeric = numericalGradient(() => weightedSum(ref.embeddingForward(tokens, embed, b, t, dim), w), embed);
    assertClose('dembed', ref.embeddingBackward(tokens, w, vocab, dim), numeric, { atol: 1e-6, rtol: 1e-5 });
  });

  it('launchers check shapes', async () => {
    const gpu = await testGpu();
    const tokens = uploadTensor(gpu, new Int32Array(6), [2, 3], 'i32');
    const embed = createTensor(gpu, [4, 8]);
    const pe = createPositionalTable(gpu, 2, 8);
    expect(() => embeddingForward(gpu, { out: createTensor(gpu, [6, 8]), tokens, embed, pe })).toThrow(/embeddingForward: pe must be/);
    expect(() => embeddingBackward(gpu, { dembed: embed, tokens, dout: createTensor(gpu, [5, 8]) })).toThrow(/embeddingBackward: expected/);
  });
});
