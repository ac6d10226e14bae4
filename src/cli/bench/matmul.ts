// Matmul rows of the kernel bench: the tiled kernel against the naive floor on square sizes and on the
// model's own shapes (projections, FFN, tied logits, weight gradient, per-branch FFN). Every case is first
// validated: the tiled result for batch entry 0 must equal the naive product of the same matrices.
import type { Gpu } from '../../gpu/device.ts';
import type { GpuTimer } from '../../gpu/timing.ts';
import { matmul, matmulNaive, resolveMatmul, type MatmulLayout } from '../../gpu/kernels/matmul.ts';
import { createTensor, readTensor, releaseTensor, uploadTensor, type GpuTensor } from '../../gpu/tensor.ts';
import { runDispatches, type Dispatch } from '../../gpu/kernel.ts';
import { compareClose } from '../../testing/compare.ts';
import { randomF32 } from '../../testing/random.ts';

export interface MatmulBenchCase {
  name: string;
  layout: MatmulLayout;
}

export interface MatmulBenchRow {
  name: string;
  m: number;
  n: number;
  k: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  ms: number;
  gflops: number;
  /** Naive kernel on one untransposed m×n×k product (batch entry 0). */
  naive_ms: number;
  naive_gflops: number;
}

export interface BenchOptions {
  quick: boolean;
}

/** Model sizes: tokens per batch m, width D, FFN width F, vocabulary V, branches M. */
const MODELS = [
  { name: 'tiny', m: 1024, D: 64, F: 256, V: 1000, M: 4 },
  { name: 'small', m: 2048, D: 128, F: 512, V: 2000, M: 4 },
] as const;

/** The cases to run: square sizes, then each model's shapes (only `tiny` and up to 512³ when quick). */
export function matmulBenchCases(quick: boolean): MatmulBenchCase[] {
  const squares = (quick ? [256, 512] : [256, 512, 1024]).map((s) => ({ name: `square ${s}`, layout: { m: s, n: s, k: s } }));
  const models = (quick ? MODELS.slice(0, 1) : MODELS).flatMap(({ name, m, D, F, V, M }) => [
    { name: `${name} qkv/out m×D×D`, layout: { m, n: D, k: D } },
    { name: `${name} ffn1 m×F×D`, layout: { m, n: F, k: D } },
    { name: `${name} ffn2 m×D×F`, layout: { m, n: D, k: F } },
    { name: `${name} logits m×V×D ᵀB`, layout: { m, n: V, k: D, transB: true } },
    { name: `${name} dW D×D×m ᵀA`, layout: { m: D, n: D, k: m, transA: true } },
    { name: `${name} branch ffn1 M×(m×F/M×D)`, layout: { m, n: F / M, k: D, batch: M } },
  ]);
  return [...squares, ...models];
}

/** Batch entry 0 of op(X) as a dense (rows, cols) matrix, from X stored transposed or not with row stride ld. */
function denseOp(x: Float32Array, rows: number, cols: number, trans: boolean, ld: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = x[trans ? j * ld + i : i * ld + j];
  return out;
}

/** Repeats so that one measurement takes about `targetMs`, from a first timed repeat. */
async function timeAdaptive(timer: GpuTimer, dispatches: Dispatch[], targetMs: number): Promise<number> {
  const first = await timer.time(dispatches, 1, 1);
  if (first * 2 >= targetMs) return first;
  const repeats = Math.min(200, Math.max(2, Math.round(targetMs / first)));
  return timer.time(dispatches, repeats, 1);
}

/** Run one case: validate tiled against naive, then time both. */
async function benchCase(gpu: Gpu, timer: GpuTimer, c: MatmulBenchCase, targetMs: number): Promise<MatmulBenchRow> {
  const s = resolveMatmul(c.layout);
  const sizeA = s.batch * s.strideA, sizeB = s.batch * s.strideB, sizeC = s.batch * s.strideC;
  const a = randomF32(sizeA, 1), b = randomF32(sizeB, 2);
  const tensors: GpuTensor[] = [];
  const keep = (t: GpuTensor) => (tensors.push(t), t);
  const tiled = matmul(gpu, keep(createTensor(gpu, [sizeC])), keep(uploadTensor(gpu, a, [sizeA])), keep(uploadTensor(gpu, b, [sizeB])), c.layout);
  const a0 = denseOp(a, s.m, s.k, s.transA, s.lda), b0 = denseOp(b, s.k, s.n, s.transB, s.ldb);
  const naiveC = keep(createTensor(gpu, [s.m * s.n]));
  const naive = matmulNaive(gpu, naiveC, keep(uploadTensor(gpu, a0, [s.m * s.k])), keep(uploadTensor(gpu, b0, [s.k * s.n])), s);
  await runDispatches(gpu, [tiled, naive]);
  const got = (await readTensor(gpu, tensors[0] as GpuTensor<'f32'>)).subarray(0, s.m * s.n);
  const report = compareClose(`${c.name}: tiled vs naive`, got, await readTensor(gpu, naiveC as GpuTensor<'f32'>), { atol: 1e-5 + 1e-6 * s.k, rtol: 1e-4 });
  if (!report.ok) throw new Error(report.message);
  const ms = await timeAdaptive(timer, [tiled], targetMs);
  const naiveMs = await timeAdaptive(timer, [naive], targetMs);
  for (const t of tensors) releaseTensor(gpu, t);
  const flops = 2 * s.m * s.n * s.k;
  return {
    name: c.name, m: s.m, n: s.n, k: s.k, batch: s.batch, transA: s.transA, transB: s.transB,
    ms: round(ms), gflops: round((flops * s.batch) / (ms * 1e6)),
    naive_ms: round(naiveMs), naive_gflops: round(flops / (naiveMs * 1e6)),
  };
}

const round = (x: number) => Number(x.toPrecision(4));

/** Bench every case, printing a table row as each finishes. */
export async function benchMatmul(gpu: Gpu, timer: GpuTimer, options: BenchOptions): Promise<MatmulBenchRow[]> {
  const targetMs = options.quick ? 150 : 600;
  const rows: MatmulBenchRow[] = [];
  const widths = [34, 16, 6, 10, 10, 12, 8];
  const line = (cells: Array<string | number>) => console.log(cells.map((x, i) => String(x).padEnd(widths[i])).join(' '));
  line(['matmul case', 'm×n×k', 'batch', 'ms', 'GFLOP/s', 'naive GF/s', 'speedup']);
  for (const c of matmulBenchCases(options.quick)) {
    const r = await benchCase(gpu, timer, c, targetMs);
    rows.push(r);
    line([r.name, `${r.m}×${r.n}×${r.k}`, r.batch, r.ms, r.gflops, r.naive_gflops, `${(r.gflops / r.naive_gflops).toFixed(1)}x`]);
  }
  return rows;
}
