// The kernel checks the browser runs: each uploads seeded inputs, runs the GPU kernel, compares it with
// the CPU reference and returns the validator's message (throws on mismatch).
import type { Gpu } from '../gpu/device.ts';
import { createTensor, readTensor, uploadTensor } from '../gpu/tensor.ts';
import { runDispatches } from '../gpu/kernel.ts';
import { compareClose } from '../testing/compare.ts';
import { randomF32 } from '../testing/random.ts';
import { randomInts } from '../testing/random.ts';
import * as elementwise from '../gpu/kernels/elementwise.ts';
import * as elementwiseRef from '../reference/elementwise.ts';
import { matmul, type MatmulLayout } from '../gpu/kernels/matmul.ts';
import * as matmulRef from '../reference/matmul.ts';
import { attentionForward } from '../gpu/kernels/attention.ts';
import * as attentionRef from '../reference/attention.ts';
import { layernormForward } from '../gpu/kernels/layernorm.ts';
import * as layernormRef from '../reference/layernorm.ts';
import { crossEntropyForward } from '../gpu/kernels/cross_entropy.ts';
import * as crossEntropyRef from '../reference/cross_entropy.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  message: string;
}

export interface KernelCheck {
  name: string;
  run(gpu: Gpu): Promise<string>;
}

function verdict(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): string {
  const report = compareClose(name, actual, expected, { atol, rtol });
  if (!report.ok) throw new Error(report.message);
  return report.message;
}

/** A matmul check: random A, B (and bias) in a layout, GPU vs reference. */
async function checkMatmul(gpu: Gpu, name: string, layout: MatmulLayout, sizes: { a: number; b: number; c: number; bias?: number }): Promise<string> {
  const a = randomF32(sizes.a, 11), b = randomF32(sizes.b, 12), bias = sizes.bias ? randomF32(sizes.bias, 13) : undefined;
  const c = createTensor(gpu, [sizes.c]);
  gpu.device.queue.writeBuffer(c.buffer, 0, new Float32Array(sizes.c));
  const spec = { ...layout, bias: bias ? uploadTensor(gpu, bias, [bias.length]) : undefined };
  await runDispatches(gpu, [matmul(gpu, c, uploadTensor(gpu, a, [sizes.a]), uploadTensor(gpu, b, [sizes.b]), spec)]);
  const expected = matmulRef.matmul(new Float64Array(sizes.c), a, b, { ...layout, bias });
  return verdict(name, await readTensor(gpu, c), expected, 1e-4, 1e-4);
}

export const KERNEL_CHECKS: KernelCheck[] = [
  { name: 'matmul 65x33x129', run: (gpu) => checkMatmul(gpu, 'matmul 65x33x129', { m: 65, n: 33, k: 129 }, { a: 65 * 129, b: 129 * 33, c: 65 * 33 }) },
  {
    name: 'matmul both transposes, batch 3, bias + relu',
    run: (gpu) => checkMatmul(gpu, 'matmul transA transB batch 3 bias relu', { m: 7, n: 13, k: 5, batch: 3, transA: true, transB: true, biasStride: 13, relu: true },
      { a: 3 * 5 * 7, b: 3 * 13 * 5, c: 3 * 7 * 13, bias: 3 * 13 }),
  },
  {
    name: 'fused attention, causal + key padding',
    async run(gpu) {
      const [B, H, dk, T] = [2, 3, 5, 13];
      const D = H * dk;
      const q = randomF32(B * T * D, 21), k = randomF32(B * T * D, 22), v = randomF32(B * T * D, 23);
      const tokens = randomInts(B * T, 24, 1, 9);
      tokens.fill(0, T - 4, T); // row 0 ends in 4 PAD keys
      const spec = { batch: B, heads: H, dHead: dk, tq: T, tk: T, causal: true };
      const o = createTensor(gpu, [B * T * D]), lse = createTensor(gpu, [B * H * T]);
      const view = (x: Float32Array) => ({ tensor: uploadTensor(gpu, x, [x.length]), rowStride: D });
      await runDispatches(gpu, attentionForward(gpu, { ...spec, keyTokens: uploadTensor(gpu, tokens, [B, T], 'i32') }, view(q), view(k), view(v), { tensor: o, rowStride: D }, lse));
      const expected = new Float64Array(B * T * D);
      attentionRef.attentionForward({ ...spec, keyTokens: tokens }, { data: q, rowStride: D }, { data: k, rowStride: D }, { data: v, rowStride: D }, { data: expected, rowStride: D });
      return verdict('attention forward', await readTensor(gpu, o), expected, 1e-5, 1e-4);
    },
  },
  {
    name: 'layernorm 7x300',
    async run(gpu) {
      const [N, D] = [7, 300];
      const x = randomF32(N * D, 31, -3, 3), g = randomF32(D, 32), b = randomF32(D, 33);
      const y = createTensor(gpu, [N, D]), mean = createTensor(gpu, [N]), rstd = createTensor(gpu, [N]);
      await runDispatches(gpu, [layernormForward(gpu, { y, mean, rstd, x: uploadTensor(gpu, x, [N, D]), g: uploadTensor(gpu, g, [D]), b: uploadTensor(gpu, b, [D]) })]);
      return verdict('layernorm forward', await readTensor(gpu, y), layernormRef.layernormForward(x, g, b, N, D).y, 1e-5, 1e-4);
    },
  },
  {
    name: 'cross-entropy with label smoothing and PAD',
    async run(gpu) {
      const [N, V] = [13, 1000];
      const logits = randomF32(N * V, 41, -4, 4), targets = randomInts(N, 42, 0, V);
      targets[3] = 0;
      const stats = createTensor(gpu, [2]), lse = createTensor(gpu, [N]);
      await runDispatches(gpu, crossEntropyForward(gpu, { stats, lse, logits: uploadTensor(gpu, logits, [N, V]), targets: uploadTensor(gpu, targets, [N], 'i32'), smoothing: 0.1 }));
      const ref = crossEntropyRef.crossEntropyForward(logits, targets, N, V, 0.1);
      return verdict('cross-entropy loss and count', await readTensor(gpu, stats), [ref.loss, ref.count], 1e-5, 1e-5);
    },
  },
  {
    name: 'residual add 7x13x5',
    async run(gpu) {
      const n = 7 * 13 * 5;
      const a = randomF32(n, 1), b = randomF32(n, 2);
      const out = createTensor(gpu, [n]);
      await runDispatches(gpu, [elementwise.residualAdd(gpu, out, uploadTensor(gpu, a, [n]), uploadTensor(gpu, b, [n]))]);
      return verdict('residual add', await readTensor(gpu, out), elementwiseRef.residualAdd(a, b), 1e-6, 1e-6);
    },
  },
];
