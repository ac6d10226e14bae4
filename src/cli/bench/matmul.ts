// Matmul rows of the kernel bench: the tiled kernel (matmulDispatches: split along K when the grid is
// small) against the naive floor on square sizes and on the model's own shapes (projections, FFN, tied
// logits, weight gradient, per-branch FFN), with two variants timed interleaved with it: the same product
// unsplit (when it splits) and with B stored as f16 (MatmulStorage; when ldb, offset and stride are even).
// Every result is first validated: batch entry 0 must equal the naive product of the same matrices
// (f16-rounded B for the f16 variant).
import type { Gpu } from '../../gpu/device.ts';
import type { GpuTimer } from '../../gpu/timing.ts';
import { matmulDispatches, matmulNaive, matmulSplits, resolveMatmul, type MatmulSpec, type ResolvedMatmul } from '../../gpu/kernels/matmul.ts';
import { createTensor, readTensor, releaseTensor, uploadTensor, type GpuTensor } from '../../gpu/tensor.ts';
import { runDispatches, type Dispatch } from '../../gpu/kernel.ts';
import { packF16, roundF16 } from '../../reference/matmul.ts';
import { compareClose } from '../../testing/compare.ts';
import { randomF32 } from '../../testing/random.ts';
import { matmulBenchCases, type MatmulBenchCase } from '../../bench/cases.ts';

export interface MatmulBenchRow {
  name: string;
  m: number;
  n: number;
  k: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  /** K splits of the default launch (1: one dispatch). */
  split_k: number;
  ms: number;
  gflops: number;
  /** The same product in one dispatch, when the default splits it (else null). */
  nosplit_gflops: number | null;
  /** B stored as f16 (A f32, f32 accumulation), when the layout allows it (else null). */
  f16b_gflops: number | null;
  /** Naive kernel on one untransposed m×n×k product (batch entry 0). */
  naive_ms: number;
  naive_gflops: number;
}

export interface BenchOptions {
  quick: boolean;
}

/** Batch entry 0 of op(X) as a dense (rows, cols) matrix, from X stored transposed or not with row stride ld. */
function denseOp(x: Float32Array, rows: number, cols: number, trans: boolean, ld: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = x[trans ? j * ld + i : i * ld + j];
  return out;
}

/**
 * Time the naive dispatch: the best of `rounds` measurements, each with repeats chosen to take about
 * targetMs / rounds. `firstMs` is the wall time of the validation run, which compiled the pipeline and
 * touched the memory, so it serves as the warm-up; when it was long the first timed run is a single
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

/**
 * Time several dispatch lists, their rounds interleaved (A B C, A B C, ...) so that a disturbance from
 * other processes on a shared CPU hits them alike: the best ms per repeat of each, over `rounds` rounds
 * of about targetMs / rounds each.
 */
async function timeInterleaved(timer: GpuTimer, lists: Dispatch[][], targetMs: number, rounds: number): Promise<number[]> {
  const best: number[] = [];
  for (const list of lists) best.push(await timer.time(list, 1, 1));
  const repeats = best.map((ms) => Math.max(1, Math.min(200, Math.round(targetMs / rounds / ms))));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < lists.length; i++) best[i] = Math.min(best[i], await timer.time(lists[i], repeats[i], 0, best[i]));
  }
  return best;
}

/** Run a dispatch list once, returning the wall time in ms. */
async function runOnce(gpu: Gpu, list: readonly Dispatch[]): Promise<number> {
  const start = performance.now();
  await runDispatches(gpu, list);
  return performance.now() - start;
}

/** One launch of the case: its dispatches, its output, and the naive product its batch entry 0 must equal. */
interface Launch {
  key: 'tiled' | 'nosplit' | 'f16b';
  list: Dispatch[];
  c: GpuTensor<'f32'>;
  naive: Dispatch;
  naiveC: GpuTensor<'f32'>;
}

/** The case's launches on random operands in its layout (each with its naive check), and what to free. */
function prepareCase(gpu: Gpu, spec: MatmulSpec): { launches: Launch[]; tensors: GpuTensor[] } {
  const s = resolveMatmul(spec);
  const sizeA = s.batch * s.strideA, sizeB = s.batch * s.strideB;
  const a = randomF32(sizeA, 1), b = randomF32(sizeB, 2);
  const a0 = denseOp(a, s.m, s.k, s.transA, s.lda), b0 = denseOp(b, s.k, s.n, s.transB, s.ldb);
  const tensors: GpuTensor[] = [];
  const upload = (x: Float32Array | Uint32Array): GpuTensor => {
    const t = x instanceof Float32Array ? uploadTensor(gpu, x, [x.length]) : uploadTensor(gpu, x, [x.length], 'u32');
    tensors.push(t);
    return t;
  };
  const output = (size: number) => {
    const t = createTensor(gpu, [size]);
    tensors.push(t);
    return t;
  };
  const [ta, tb, ta0] = [upload(a), upload(b), upload(a0)];
  const launch = (key: Launch['key'], make: (c: GpuTensor) => Dispatch[], dense: GpuTensor): Launch => {
    const [c, naiveC] = [output(s.batch * s.strideC), output(s.m * s.n)];
    return { key, list: make(c), c, naive: matmulNaive(gpu, naiveC, ta0, dense, s), naiveC };
  };
  const tb0 = upload(b0);
  const launches = [launch('tiled', (c) => matmulDispatches(gpu, c, ta, tb, spec), tb0)];
  if (launches[0].list.length > 1) launches.push(launch('nosplit', (c) => matmulDispatches(gpu, c, ta, tb, { ...spec, splitK: 1 }), tb0));
  if (s.ldb % 2 === 0 && s.offsetB % 2 === 0 && s.strideB % 2 === 0) {
    const tb16 = upload(packF16(b));
    launches.push(launch('f16b', (c) => matmulDispatches(gpu, c, ta, tb16, { ...spec, storageB: 'f16' }), upload(b0.map(roundF16))));
  }
  return { launches, tensors };
}

/** Check batch entry 0 of a launch against its naive product; returns the naive's wall time (ms). */
async function validate(gpu: Gpu, s: ResolvedMatmul, name: string, l: Launch): Promise<number> {
  await runOnce(gpu, l.list);
  const naiveMs = await runOnce(gpu, [l.naive]);
  const got = (await readTensor(gpu, l.c)).subarray(0, s.m * s.n);
  const report = compareClose(`${name} (${l.key}) vs naive`, got, await readTensor(gpu, l.naiveC), { atol: 1e-5 + 1e-6 * s.k, rtol: 1e-4 });
  if (!report.ok) throw new Error(report.message);
  return naiveMs;
}

/** Run one case: validate every launch, then time them interleaved, and the naive one. */
async function benchCase(gpu: Gpu, timer: GpuTimer, c: MatmulBenchCase, targetMs: number): Promise<MatmulBenchRow> {
  const s = resolveMatmul(c.layout);
  const { launches, tensors } = prepareCase(gpu, c.layout);
  const firstNaive: number[] = [];
  for (const l of launches) firstNaive.push(await validate(gpu, s, c.name, l));
  const ms = await timeInterleaved(timer, launches.map((l) => l.list), targetMs, 5);
  const naiveMs = await timeAdaptive(timer, launches[0].naive, targetMs, firstNaive[0], 3);
  for (const t of tensors) releaseTensor(gpu, t);
  const flops = 2 * s.m * s.n * s.k;
  const gf = (key: Launch['key']) => {
    const i = launches.findIndex((l) => l.key === key);
    return i < 0 ? null : round((flops * s.batch) / (ms[i] * 1e6));
  };
  return {
    name: c.name, m: s.m, n: s.n, k: s.k, batch: s.batch, transA: s.transA, transB: s.transB,
    split_k: matmulSplits(c.layout), ms: round(ms[0]), gflops: gf('tiled')!, nosplit_gflops: gf('nosplit'), f16b_gflops: gf('f16b'),
    naive_ms: round(naiveMs), naive_gflops: round(flops / (naiveMs * 1e6)),
  };
}

const round = (x: number) => Number(x.toPrecision(4));

/** Bench every case, printing a table row as each finishes. */
export async function benchMatmul(gpu: Gpu, timer: GpuTimer, options: BenchOptions): Promise<MatmulBenchRow[]> {
  const targetMs = options.quick ? 150 : 600;
  const rows: MatmulBenchRow[] = [];
  const widths = [34, 16, 6, 6, 10, 10, 10, 10, 12, 8];
  const line = (cells: Array<string | number | null>) => console.log(cells.map((x, i) => String(x ?? '-').padEnd(widths[i])).join(' '));
  line(['matmul case', 'm×n×k', 'batch', 'split', 'ms', 'GFLOP/s', 'unsplit', 'f16 B', 'naive GF/s', 'speedup']);
  for (const c of matmulBenchCases(options.quick)) {
    const r = await benchCase(gpu, timer, c, targetMs);
    rows.push(r);
    line([r.name, `${r.m}×${r.n}×${r.k}`, r.batch, r.split_k, r.ms, r.gflops, r.nosplit_gflops, r.f16b_gflops, r.naive_gflops,
      `${(r.gflops / r.naive_gflops).toFixed(1)}x`]);
  }
  return rows;
}
