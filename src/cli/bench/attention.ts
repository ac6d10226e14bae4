// Attention rows of the kernel bench: the fused forward and backward (shaders/attention.wgsl) on the model's
// shapes, with key padding and dropout 0.1 as in training. Each case is first validated: batch row 0 of the
// GPU output must match the f64 reference.
import type { Gpu } from '../../gpu/device.ts';
import type { GpuTimer } from '../../gpu/timing.ts';
import { attentionBackward, attentionForward, type AttentionSpec } from '../../gpu/kernels/attention.ts';
import { createTensor, readTensor, releaseTensor, uploadTensor, type GpuTensor } from '../../gpu/tensor.ts';
import { runDispatches, type Dispatch } from '../../gpu/kernel.ts';
import { attentionForward as referenceForward } from '../../reference/attention.ts';
import { compareClose } from '../../testing/compare.ts';
import { randomF32 } from '../../testing/random.ts';

export interface AttentionRow {
  name: string;
  batch: number;
  heads: number;
  t: number;
  d_head: number;
  causal: boolean;
  dropout: number;
  fwd_ms: number;
  bwd_ms: number;
  /** 4·B·H·T²·d_k (QKᵀ and PV) per forward. */
  gflops_fwd: number;
  /** 10·B·H·T²·d_k (recomputed QKᵀ, dO Vᵀ, dV, dQ, dK) per backward, the usual accounting. */
  gflops_bwd: number;
}

export interface AttentionBenchOptions {
  quick: boolean;
}

const CASES = [
  { name: 'tiny', batch: 32, heads: 4, t: 32, dHead: 16, causal: false },
  { name: 'small', batch: 64, heads: 4, t: 32, dHead: 32, causal: false },
  { name: 'small T=128', batch: 16, heads: 4, t: 128, dHead: 32, causal: false },
  { name: 'small T=128 causal', batch: 16, heads: 4, t: 128, dHead: 32, causal: true },
] as const;

const DROPOUT = 0.1;
const round = (x: number) => Number(x.toPrecision(4));

/** Repeats so that one measurement takes about `targetMs`, from a first timed repeat. */
async function timeAdaptive(timer: GpuTimer, dispatches: Dispatch[], targetMs: number): Promise<number> {
  const first = await timer.time(dispatches, 1, 1);
  if (first * 2 >= targetMs) return first;
  return timer.time(dispatches, Math.min(200, Math.max(2, Math.round(targetMs / first))), 1);
}

/** Key tokens (B, T): row b keeps T - (b mod 4) real tokens, the rest PAD. */
function paddedTokens(batch: number, t: number): Int32Array {
  const out = new Int32Array(batch * t);
  for (let b = 0; b < batch; b++) for (let j = 0; j < t - (b % 4); j++) out[b * t + j] = 4 + j;
  return out;
}

async function benchCase(gpu: Gpu, timer: GpuTimer, c: (typeof CASES)[number], targetMs: number): Promise<AttentionRow> {
  const { batch, heads, t, dHead } = c;
  const D = heads * dHead;
  const n = batch * t * D;
  const tensors: GpuTensor[] = [];
  const keep = <T extends GpuTensor>(x: T): T => (tensors.push(x), x);
  const qkv = randomF32(3 * n, 1);
  const fused = keep(uploadTensor(gpu, qkv, [batch * t, 3 * D])); // Q | K | V slices, as the model projects them
  const tokens = paddedTokens(batch, t);
  const spec: AttentionSpec = { batch, heads, dHead, tq: t, tk: t, causal: c.causal, keyTokens: keep(uploadTensor(gpu, tokens, [batch, t], 'i32')), dropout: DROPOUT, stream: 1 };
  const seeds = keep(uploadTensor(gpu, Uint32Array.of(12345), [1], 'u32'));
  const view = (tensor: GpuTensor, i: number) => ({ tensor, offset: i * D, rowStride: 3 * D });
  const o = { tensor: keep(createTensor(gpu, [batch * t, D])), rowStride: D };
  const lse = keep(createTensor(gpu, [batch, heads, t]));
  const dO = { tensor: keep(uploadTensor(gpu, randomF32(n, 2), [batch * t, D])), rowStride: D };
  const grads = keep(createTensor(gpu, [batch * t, 3 * D]));
  const fwd = attentionForward(gpu, spec, view(fused, 0), view(fused, 1), view(fused, 2), o, lse, seeds);
  const bwd = attentionBackward(gpu, spec, view(fused, 0), view(fused, 1), view(fused, 2), o, lse, dO, view(grads, 0), view(grads, 1), view(grads, 2), seeds);
  await runDispatches(gpu, [...fwd, ...bwd]);
  await validateRow0(gpu, c, qkv, tokens, o.tensor);
  const fwdMs = await timeAdaptive(timer, fwd, targetMs);
  const bwdMs = await timeAdaptive(timer, bwd, targetMs);
  for (const x of tensors) releaseTensor(gpu, x);
  const work = batch * heads * t * t * dHead;
  return {
    name: c.name, batch, heads, t, d_head: dHead, causal: c.causal, dropout: DROPOUT,
    fwd_ms: round(fwdMs), bwd_ms: round(bwdMs), gflops_fwd: round((4 * work) / (fwdMs * 1e6)), gflops_bwd: round((10 * work) / (bwdMs * 1e6)),
  };
}

/** Batch row 0 of the GPU output against the reference (row 0's dropout indices are the same with B = 1). */
async function validateRow0(gpu: Gpu, c: (typeof CASES)[number], qkv: Float32Array, tokens: Int32Array, o: GpuTensor): Promise<void> {
  const D = c.heads * c.dHead;
  const expected = new Float64Array(c.t * D);
  const spec = { batch: 1, heads: c.heads, dHead: c.dHead, tq: c.t, tk: c.t, causal: c.causal, keyTokens: tokens, dropout: DROPOUT, stream: 1 };
  const view = (i: number) => ({ data: qkv, offset: i * D, rowStride: 3 * D });
  referenceForward(spec, view(0), view(1), view(2), { data: expected, rowStride: D }, undefined, 12345);
  const got = (await readTensor(gpu, o as GpuTensor<'f32'>)).subarray(0, c.t * D);
  const report = compareClose(`attention ${c.name}: GPU vs reference (batch row 0)`, got, expected, { atol: 1e-4, rtol: 1e-3 });
  if (!report.ok) throw new Error(report.message);
}

/**
 * Bench every case, printing a table row as each finishes. Takes the bench's shared timer, or makes one
 * (src/gpu/timing.ts: timestamp queries when available, else wall clock around onSubmittedWorkDone).
 */
export async function benchAttention(gpu: Gpu, timer: GpuTimer, options: AttentionBenchOptions): Promise<AttentionRow[]> {
  const targetMs = options.quick ? 150 : 600;
  const cases = options.quick ? CASES.slice(0, 3) : CASES;
  const widths = [20, 18, 10, 10, 12, 12];
  const line = (cells: Array<string | number>) => console.log(cells.map((x, i) => String(x).padEnd(widths[i])).join(' '));
  line(['attention case', 'B×H×T×d_k', 'fwd ms', 'bwd ms', 'fwd GF/s', 'bwd GF/s']);
  const rows: AttentionRow[] = [];
  for (const c of cases) {
    const r = await benchCase(gpu, timer, c, targetMs);
    rows.push(r);
    line([r.name, `${r.batch}×${r.heads}×${r.t}×${r.d_head}`, r.fwd_ms, r.bwd_ms, r.gflops_fwd, r.gflops_bwd]);
  }

  return rows;
}
