// Fused attention kernels (shaders/attention.wgsl) against the f64 reference, forward and backward, for
// every mask kind, ragged and multi-tile shapes, dropout and fused QKV slices; the reference backward
// against central finite differences; the probabilities recomputed from lse (attentionProbs) against the
// reference and against a plain softmax.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { createTensor, readTensor, uploadTensor, type GpuTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { attentionBackward, attentionForward, attentionProbs, type AttentionSpec, type AttentionView, type HeadRange } from '../../src/gpu/kernels/attention.ts';
import * as ref from '../../src/reference/attention.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';
import { numericalGradient, weightedSum } from '../../src/testing/finite-diff.ts';
import type { Gpu } from '../../src/gpu/device.ts';

const TOL = { atol: 3e-5, rtol: 2e-4 };
const SEEDS = [11, 0x9e3779b9]; // the step seed sits at index 1

type Spec = Omit<AttentionSpec, 'keyTokens' | 'seedIndex'>;

interface Case {
  spec: Spec;
  /** Unpadded key length per batch row (no padding mask when absent). */
  lengths?: number[];
  /** Explicit (B, Tk) key tokens instead of lengths. */
  tokens?: number[];
  /** Q, K, V (and dQ, dK, dV) as column slices of one (B*T, 3D) buffer. */
  fused?: boolean;
  /** Every tensor a view (byteOffset) into a shared buffer: one for inputs, one for grads, one for O and lse. */
  arena?: boolean;
}

function keyTokens(c: Case): Int32Array | undefined {
  if (c.tokens) return Int32Array.from(c.tokens);
  const lengths = c.lengths;
  if (!lengths) return undefined;
  const { batch, tk } = c.spec;
  const out = new Int32Array(batch * tk);
  for (let b = 0; b < batch; b++) for (let j = 0; j < lengths[b]; j++) out[b * tk + j] = 4 + ((b * 7 + j) % 20);
  return out;
}

/** Host arrays and their views: separate dense tensors, or one fused (B*T, 3D) buffer. */
interface Layout {
  sizes: number[]; // element count of each distinct buffer (inputs and, with the same shape, gradients)
  views: Array<{ buf: number; offset: number; rowStride: number }>; // q, k, v
}

function layoutOf(c: Case): Layout {
  const { batch, heads, dHead, tq, tk } = c.spec;
  const D = heads * dHead;
  if (c.fused) {
    expect(tq).toBe(tk);
    return { sizes: [batch * tq * 3 * D], views: [0, 1, 2].map((i) => ({ buf: 0, offset: i * D, rowStride: 3 * D })) };
  }
  return { sizes: [batch * tq * D, batch * tk * D, batch * tk * D], views: [0, 1, 2].map((i) => ({ buf: i, offset: 0, rowStride: D })) };
}

const nanTensor = (gpu: Gpu, n: number): GpuTensor => uploadTensor(gpu, new Float32Array(n).fill(NaN), [n]);

/** The arrays as tensors at 256-byte aligned offsets (with gaps) of one buffer. */
function arena(gpu: Gpu, parts: Float32Array[]): GpuTensor[] {
  const starts: number[] = [];
  let total = 64;
  for (const p of parts) {
    starts.push(total);
    total += Math.ceil(p.length / 64) * 64 + 64;
  }
  const data = new Float32Array(total).fill(NaN);
  parts.forEach((p, i) => data.set(p, starts[i]));
  const whole = uploadTensor(gpu, data, [total]);
  return parts.map((p, i) => ({ buffer: whole.buffer, shape: [p.length], dtype: 'f32', byteOffset: starts[i] * 4 }));
}

async function runCase(c: Case, stepSeed = SEEDS[1]) {
  const gpu = await testGpu();
  const { batch, heads, dHead, tq } = c.spec;
  const D = heads * dHead;
  const lay = layoutOf(c);
  const inputs = lay.sizes.map((n, i) => randomF32(n, 100 + i));
  const tokens = keyTokens(c);
  const dOut = randomF32(batch * tq * D, 7);

  // GPU
  const nans = (n: number) => new Float32Array(n).fill(NaN);
  const inT = c.arena ? arena(gpu, inputs) : inputs.map((x) => uploadTensor(gpu, x, [x.length]));
  const gradT = c.arena ? arena(gpu, lay.sizes.map(nans)) : lay.sizes.map((n) => nanTensor(gpu, n));
  const [o, lse] = c.arena ? arena(gpu, [nans(batch * tq * D), nans(batch * heads * tq)]) : [nanTensor(gpu, batch * tq * D), nanTensor(gpu, batch * heads * tq)];
  const view = (ts: GpuTensor[], i: number): AttentionView => ({ tensor: ts[lay.views[i].buf], offset: lay.views[i].offset, rowStride: lay.views[i].rowStride });
  const spec: AttentionSpec = { ...c.spec, keyTokens: tokens && uploadTensor(gpu, tokens, [batch, c.spec.tk], 'i32'), seedIndex: 1 };
  const seeds = uploadTensor(gpu, Uint32Array.from([SEEDS[0], stepSeed]), [2], 'u32');
  const dO = uploadTensor(gpu, dOut, [dOut.length]);
  const oView = { tensor: o, rowStride: D };
  const [q, k, v] = [0, 1, 2].map((i) => view(inT, i));
  const fwd = attentionForward(gpu, spec, q, k, v, oView, lse, seeds);
  const bwd = attentionBackward(gpu, spec, q, k, v, oView, lse, { tensor: dO, rowStride: D }, view(gradT, 0), view(gradT, 1), view(gradT, 2), seeds);
  await runDispatches(gpu, [...fwd, ...bwd]);

  // Reference
  const rspec: ref.AttentionRefSpec = { ...c.spec, keyTokens: tokens };
  const rview = (arrs: ArrayLike<number>[], i: number) => ({ data: arrs[lay.views[i].buf], offset: lay.views[i].offset, rowStride: lay.views[i].rowStride });
  const [rq, rk, rv] = [0, 1, 2].map((i) => rview(inputs, i));
  const refO = new Float64Array(batch * tq * D);
  const refLse = new Float64Array(batch * heads * tq);
  ref.attentionForward(rspec, rq, rk, rv, { data: refO, rowStride: D }, refLse, stepSeed);
  const refGrads = lay.sizes.map((n) => new Float64Array(n));
  const [rdq, rdk, rdv] = [0, 1, 2].map((i) => rview(refGrads, i) as ref.RefOutView);
  ref.attentionBackward(rspec, rq, rk, rv, { data: dOut, rowStride: D }, rdq, rdk, rdv, stepSeed);

  const gpuO = await readTensor(gpu, o);
  assertClose('O', gpuO, refO, TOL);
  assertClose('lse', await readTensor(gpu, lse), refLse, TOL);
  const gpuGrads = await Promise.all(gradT.map((t) => readTensor(gpu, t)));
  gpuGrads.forEach((g, i) => assertClose(`grad buffer ${i}`, g, refGrads[i], TOL));
  return { gpu, gpuO, refO, gpuGrads, refGrads, fwd, bwd, seeds, o, gradT };
}

describe('attention kernels vs reference', () => {
  // Head widths stay in ceil(dk/4) = 1 or 2 (plus the generic pipelines) so that lavapipe compiles only
  // three pipeline sets; the specialization changes loop counts only.
  const cases: Array<[string, Case]> = [
    ['B=1 H=1 T=1 dk=1', { spec: { batch: 1, heads: 1, dHead: 1, tq: 1, tk: 1 } }],
    ['ragged cross shape, no mask', { spec: { batch: 2, heads: 3, dHead: 5, tq: 7, tk: 13 } }],
    ['key padding only, per-row lengths', { spec: { batch: 3, heads: 2, dHead: 4, tq: 9, tk: 9 }, lengths: [9, 5, 1] }],
    ['causal only', { spec: { batch: 2, heads: 3, dHead: 5, tq: 13, tk: 13, causal: true } }],
    ['causal + padding', { spec: { batch: 2, heads: 2, dHead: 6, tq: 19, tk: 19, causal: true }, lengths: [19, 11] }],
    ['cross-attention Tq != Tk with padding', { spec: { batch: 2, heads: 3, dHead: 5, tq: 7, tk: 13 }, lengths: [4, 13] }],
    ['T=70 (several tiles), causal + padding', { spec: { batch: 2, heads: 2, dHead: 8, tq: 70, tk: 70, causal: true }, lengths: [70, 37] }],
    ['T=70 cross, dk=64 (widest head), generic-width pipelines', { spec: { batch: 1, heads: 2, dHead: 64, tq: 33, tk: 70, genericHeadWidth: true }, lengths: [61] }],
    ['generic-width pipelines, ragged shape with padding', { spec: { batch: 2, heads: 3, dHead: 5, tq: 7, tk: 13, genericHeadWidth: true }, lengths: [4, 13] }],
    ['dropout 0.1, causal + padding', { spec: { batch: 2, heads: 2, dHead: 8, tq: 20, tk: 20, causal: true, dropout: 0.1, stream: 3 }, lengths: [20, 14] }],
    ['dropout 0.1, T=70 cross', { spec: { batch: 1, heads: 2, dHead: 7, tq: 21, tk: 70, dropout: 0.1, stream: 9 }, lengths: [66] }],
    ['fused QKV slices (row stride 3D), padding + dropout', { spec: { batch: 2, heads: 2, dHead: 8, tq: 19, tk: 19, dropout: 0.1, stream: 5 }, lengths: [19, 7], fused: true }],
    ['fused QKV slices, causal', { spec: { batch: 2, heads: 4, dHead: 4, tq: 17, tk: 17, causal: true }, fused: true }],
    ['tensors as byte-offset views of shared buffers', { spec: { batch: 2, heads: 3, dHead: 5, tq: 7, tk: 13, causal: true, dropout: 0.1 }, lengths: [9, 13], arena: true }],
    ['fused QKV slices inside a shared buffer', { spec: { batch: 2, heads: 2, dHead: 8, tq: 19, tk: 19 }, lengths: [19, 7], fused: true, arena: true }],
  ];
  for (const [name, c] of cases) it(name, async () => void (await runCase(c)));

  it('fully masked rows output 0 and get 0 gradient', async () => {
    // Batch row 1 has no real key; in row 0 key 0 is PAD, so causal query 0 sees nothing.
    const tokens = [0, 5, 6, 7, 8, 0, 0, 0, 0, 0];
    const c: Case = { spec: { batch: 2, heads: 2, dHead: 3, tq: 5, tk: 5, causal: true }, tokens };
    const { gpuO, gpuGrads } = await runCase(c);
    const D = 6;
    const dq = gpuGrads[0];
    for (const row of [0, 5, 6, 7, 8, 9]) {
      for (let col = 0; col < D; col++) {
        expect(gpuO[row * D + col]).toBe(0);
        expect(dq[row * D + col]).toBe(0);
      }
    }
    for (const grad of [gpuGrads[1], gpuGrads[2]]) {
      for (let col = 0; col < 5 * D; col++) expect(grad[5 * D + col]).toBe(0); // dK, dV of batch row 1: all keys PAD
    }
  });

  it('dropout mask follows the seed buffer without rebuilding, and the backward is deterministic', async () => {
    const c: Case = { spec: { batch: 1, heads: 2, dHead: 8, tq: 12, tk: 12, dropout: 0.3, stream: 1 }, lengths: [10] };
    const first = await runCase(c);
    const noDrop = await runCase({ ...c, spec: { ...c.spec, dropout: 0 } });
    expect(Array.from(first.gpuO)).not.toEqual(Array.from(noDrop.gpuO));
    const { gpu, fwd, bwd, seeds, o, gradT } = first;
    const before = { ...gpu.counters };
    const newSeed = 424242;
    gpu.device.queue.writeBuffer(seeds.buffer, 4, Uint32Array.of(newSeed));
    await runDispatches(gpu, [...fwd, ...bwd]);
    expect(gpu.counters).toEqual(before);
    const again = await runCase(c, newSeed); // reference (and a fresh GPU build) with the new seed
    assertClose('O after seed change', await readTensor(gpu, o), again.refO, TOL);
    const grads = await Promise.all(gradT.map((t) => readTensor(gpu, t)));
    grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(again.gpuGrads[i])));
  });

  it('launcher checks its preconditions', async () => {
    const gpu = await testGpu();
    const t = (n: number) => createTensor(gpu, [n]);
    const view = (n: number, rowStride: number) => ({ tensor: t(n), rowStride });
    const spec = { batch: 1, heads: 1, dHead: 65, tq: 2, tk: 2 };
    expect(() => attentionForward(gpu, spec, view(130, 65), view(130, 65), view(130, 65), view(130, 65), t(2))).toThrow(/attentionForward: dHead 65 exceeds 64/);
    const ok = { ...spec, dHead: 4 };
    expect(() => attentionForward(gpu, ok, view(7, 4), view(8, 4), view(8, 4), view(8, 4), t(2))).toThrow(/q needs 8 elements/);
    expect(() => attentionForward(gpu, { ...ok, dropout: 0.1 }, view(8, 4), view(8, 4), view(8, 4), view(8, 4), t(2))).toThrow(/needs a seeds buffer/);
    const shared = t(16);
    const g = (offset: number) => ({ tensor: shared, offset, rowStride: 8 });
    const v8 = view(8, 4);
    expect(() => attentionBackward(gpu, ok, v8, v8, v8, v8, t(2), v8, g(0), g(2), g(4))).toThrow(/overlapping columns/);
  });
});

describe('attention reference backward vs finite differences', () => {
  for (const dropout of [0, 0.3]) {
    it(`causal + padding + cross shapes, dropout ${dropout}`, () => {
      for (const spec of [
        { batch: 2, heads: 2, dHead: 3, tq: 4, tk: 4, causal: true, keyTokens: [0, 3, 4, 5, 6, 7, 0, 0], dropout, stream: 2 },
        { batch: 2, heads: 2, dHead: 2, tq: 3, tk: 5, keyTokens: [5, 5, 5, 0, 0, 6, 6, 6, 6, 6], dropout, stream: 4 },
      ]) {
        const D = spec.heads * spec.dHead;
        const q = Float64Array.from(randomF32(spec.batch * spec.tq * D, 1));
        const k = Float64Array.from(randomF32(spec.batch * spec.tk * D, 2));
        const v = Float64Array.from(randomF32(spec.batch * spec.tk * D, 3));
        const w = randomF32(spec.batch * spec.tq * D, 4);
        const loss = () => {
          const o = new Float64Array(w.length);
          ref.attentionForward(spec, { data: q, rowStride: D }, { data: k, rowStride: D }, { data: v, rowStride: D }, { data: o, rowStride: D }, undefined, 77);
          return weightedSum(o, w);
        };
        const [dq, dk, dv] = [q, k, v].map((x) => new Float64Array(x.length));
        ref.attentionBackward(spec, { data: q, rowStride: D }, { data: k, rowStride: D }, { data: v, rowStride: D }, { data: w, rowStride: D },
          { data: dq, rowStride: D }, { data: dk, rowStride: D }, { data: dv, rowStride: D }, 77);
        const tol = { atol: 1e-7, rtol: 1e-5 };
        assertClose('dQ', dq, numericalGradient(loss, q), tol);
        assertClose('dK', dk, numericalGradient(loss, k), tol);
        assertClose('dV', dv, numericalGradient(loss, v), tol);
      }
    });
  }
});

/** softmax(q k^T / sqrt(dk) + mask) per (b, head in range, i) by the textbook formula, (B, count, Tq, Tk). */
function plainSoftmax(s: ref.AttentionRefSpec, q: ref.RefView, k: ref.RefView, range: HeadRange): Float64Array {
  const { batch, dHead, tq, tk } = s;
  const out = new Float64Array(batch * range.count * tq * tk);
  for (let b = 0; b < batch; b++) for (let h = 0; h < range.count; h++) for (let i = 0; i < tq; i++) {
    const scores = Array.from({ length: tk }, (_, j) => {
      if ((s.causal && j > i) || (s.keyTokens && s.keyTokens[b * tk + j] === 0)) return -Infinity;
      let dot = 0;
      const hh = range.first + h;
      for (let c = 0; c < dHead; c++) dot += q.data[(q.offset ?? 0) + (b * tq + i) * q.rowStride + hh * dHead + c] * k.data[(k.offset ?? 0) + (b * tk + j) * k.rowStride + hh * dHead + c];
      return dot / Math.sqrt(dHead);
    });
    const max = Math.max(...scores);
    if (max === -Infinity) continue;
    const e = scores.map((x) => Math.exp(x - max));
    const sum = e.reduce((a, x) => a + x, 0);
    e.forEach((x, j) => (out[((b * range.count + h) * tq + i) * tk + j] = x / sum));
  }
  return out;
}

describe('attention probabilities from the saved lse (attentionProbs)', () => {
  interface ProbsCase extends Case {
    range?: HeadRange;
  }
  const cases: Array<[string, ProbsCase]> = [
    ['cross shape Tq != Tk with padding', { spec: { batch: 2, heads: 3, dHead: 5, tq: 7, tk: 13 }, lengths: [4, 13] }],
    ['causal + padding, a fully masked row', { spec: { batch: 2, heads: 2, dHead: 3, tq: 5, tk: 5, causal: true }, tokens: [0, 5, 6, 7, 8, 0, 0, 0, 0, 0] }],
    ['heads 1..2 of 4, fused QKV slices, dropout in the spec ignored', { spec: { batch: 2, heads: 4, dHead: 4, tq: 17, tk: 17, dropout: 0.2 }, lengths: [17, 6], fused: true, range: { first: 1, count: 2 } }],
    ['T=70 cross (several tiles), generic-width pipelines', { spec: { batch: 1, heads: 2, dHead: 8, tq: 33, tk: 70, genericHeadWidth: true }, lengths: [61], range: { first: 1, count: 1 } }],
  ];
  for (const [name, c] of cases) {
    it(name, async () => {
      const gpu = await testGpu();
      const { batch, heads, dHead, tq, tk } = c.spec;
      const D = heads * dHead;
      const range = c.range ?? { first: 0, count: heads };
      const lay = layoutOf(c);
      const inputs = lay.sizes.map((n, i) => randomF32(n, 200 + i));
      const tokens = keyTokens(c);
      const inT = inputs.map((x) => uploadTensor(gpu, x, [x.length]));
      const [q, k, v] = [0, 1, 2].map((i): AttentionView => ({ tensor: inT[lay.views[i].buf], offset: lay.views[i].offset, rowStride: lay.views[i].rowStride }));
      const spec: AttentionSpec = { ...c.spec, keyTokens: tokens && uploadTensor(gpu, tokens, [batch, tk], 'i32') };
      const seeds = uploadTensor(gpu, Uint32Array.of(5), [1], 'u32');
      const o = nanTensor(gpu, batch * tq * D), lse = nanTensor(gpu, batch * heads * tq);
      const probs = nanTensor(gpu, batch * range.count * tq * tk);
      const fwd = attentionForward(gpu, spec, q, k, v, { tensor: o, rowStride: D }, lse, seeds);
      await runDispatches(gpu, [...fwd, ...attentionProbs(gpu, spec, q, k, lse, probs, c.range)]);
      const gpuP = Float32Array.from(await readTensor(gpu, probs));

      const rspec: ref.AttentionRefSpec = { ...c.spec, keyTokens: tokens };
      const [rq, rk] = [0, 1].map((i) => ({ data: inputs[lay.views[i].buf], offset: lay.views[i].offset, rowStride: lay.views[i].rowStride }));
      const refLse = new Float64Array(batch * heads * tq);
      ref.attentionForward({ ...rspec, dropout: 0 }, rq, rk, rq, { data: new Float64Array(batch * tq * D), rowStride: D }, refLse);
      const refP = new Float64Array(gpuP.length);
      ref.attentionProbs(rspec, rq, rk, refLse, refP, range);
      const plain = plainSoftmax(rspec, rq, rk, range);
      assertClose('reference P vs plain softmax', refP, plain, { atol: 1e-12, rtol: 1e-9 });
      assertClose('P', gpuP, refP, TOL);
      // Rows of queries that see a key sum to 1; masked entries are exactly 0.
      for (let r = 0; r < gpuP.length / tk; r++) {
        const row = gpuP.subarray(r * tk, (r + 1) * tk);
        const expected = plain.subarray(r * tk, (r + 1) * tk);
        if (expected.some((x) => x > 0)) expect(Math.abs(row.reduce((a, x) => a + x, 0) - 1)).toBeLessThan(1e-5);
        row.forEach((x, j) => expected[j] === 0 && expect(x).toBe(0));
      }
    });
  }

  it('launcher checks its preconditions', async () => {
    const gpu = await testGpu();
    const t = (n: number) => createTensor(gpu, [n]);
    const spec = { batch: 1, heads: 2, dHead: 2, tq: 3, tk: 4 };
    const q = { tensor: t(12), rowStride: 4 }, k = { tensor: t(16), rowStride: 4 };
    expect(() => attentionProbs(gpu, spec, q, k, t(6), t(24), { first: 1, count: 2 })).toThrow(/attentionProbs: heads \[1, 3\) outside the 2 heads/);
    expect(() => attentionProbs(gpu, spec, q, k, t(6), t(23))).toThrow(/attentionProbs: probs \[23\] is not f32/);
    expect(() => attentionProbs(gpu, spec, q, k, t(5), t(24))).toThrow(/lse \[5\]/);
    expect(() => attentionProbs(gpu, spec, q, q, t(6), t(24))).toThrow(/k needs 16 elements/);
    const whole = t(64);
    const qIn = { tensor: { ...whole, shape: [12] }, rowStride: 4 }, pOut = { ...whole, shape: [24], byteOffset: 128 };
    expect(() => attentionProbs(gpu, spec, qIn, k, t(6), pOut)).toThrow(/shares a buffer/);
  });
});
