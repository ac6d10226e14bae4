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

/**
 * Time a dispatch: the best of `rounds` measurements, each with repeats chosen to take about
 * targetMs / rounds (the best is the least disturbed by other processes on a shared CPU). `firstMs` is
 * the wall time of the validation run, which compiled the pipeline and touched the memory, so it serves
 * as the warm-up; when it was long (slow kernel, or slow compilation) the first timed run is a single
 * repeat, which is the answer for a kernel much slower than the target.
 */
async function timeAdaptive(timer: GpuTimer, dispatch: Dispatch, targetMs: number, firstMs: number, rounds: number): Promise<number> {
  // Sleeping past the end only delays a timestamp measurement, but it would inflate a wall-clock one.
  const guess = timer.method === 'timestamp-query' ? firstMs / 2 : 0;
  let best = firstMs > 4 * targetMs ? await timer.time([dispatch], 1, 0, guess) : await timer.time([dispatch], 1, 1);
  const repeats = Math.min(200, Math.round(targetMs / rounds / best));
  if (repeats < 2) return best;
  for (let r = 0; r < rounds; r++) best = Math.min(best, await timer.time([dispatch], repeats, 0, best));
  return best;
}

/** Run a dispatch once, returning the wall time in ms. */
async function runOnce(gpu: Gpu, dispatch: Dispatch): Promise<number> {
  const start = performance.now();
  await runDispatches(gpu, [dispatch]);
  return performance.now() - start;
}

interface PreparedCase {
  tiled: Dispatch;
  naive: Dispatch;
  tiledC: GpuTensor<'f32'>;
  naiveC: GpuTensor<'f32'>;
  tensors: GpuTensor[];
}

/** Random operands in the case's layout, and the naive product of batch entry 0 of the same values. */
function prepareCase(gpu: Gpu, layout: MatmulLayout): PreparedCase {
  const s = resolveMatmul(layout);
  const sizeA = s.batch * s.strideA, sizeB = s.batch * s.strideB;
  const a = randomF32(sizeA, 1), b = randomF32(sizeB, 2);
  const tiledC = createTensor(gpu, [s.batch * s.strideC]), naiveC = createTensor(gpu, [s.m * s.n]);
  const ta = uploadTensor(gpu, a, [sizeA]), tb = uploadTensor(gpu, b, [sizeB]);
  const a0 = uploadTensor(gpu, denseOp(a, s.m, s.k, s.transA, s.lda), [s.m * s.k]);
  const b0 = uploadTensor(gpu, denseOp(b, s.k, s.n, s.transB, s.ldb), [s.k * s.n]);
  return {
    tiled: matmul(gpu, tiledC, ta, tb, layout),
    naive: matmulNaive(gpu, naiveC, a0, b0, s),
    tiledC,
    naiveC,
    tensors: [tiledC, naiveC, ta, tb, a0, b0],
  };
}

/** Run one case: validate tiled against naive (batch entry 0), then time both. */
async function benchCase(gpu: Gpu, timer: GpuTimer, c: MatmulBenchCase, targetMs: number): Promise<MatmulBenchRow> {
  const s = resolveMatmul(c.layout);
  const p = prepareCase(gpu, c.layout);
  const firstTiled = await runOnce(gpu, p.tiled);
  const firstNaive = await runOnce(gpu, p.naive);
  const got = (await readTensor(gpu, p.tiledC)).subarray(0, s.m * s.n);
  const report = compareClose(`${c.name}: tiled vs naive`, got, await readTensor(gpu, p.naiveC), { atol: 1e-5 + 1e-6 * s.k, rtol: 1e-4 });
  if (!report.ok) throw new Error(report.message);
  const rounds = 3;
  const ms = await timeAdaptive(timer, p.tiled, targetMs, firstTiled, rounds);
  const naiveMs = await timeAdaptive(timer, p.naive, targetMs, firstNaive, rounds);
  for (const t of p.tensors) releaseTensor(gpu, t);
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
