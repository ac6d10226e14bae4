// Matmul side by side: our tiled kernel against tf.matMul on TF.js's WebGPU backend, on the same adapter,
// the same operands and the same shapes (the kernel bench's cases: squares and the model's own shapes,
// transposes, the batched per-branch FFN as a 3-D tf.matMul). Each case is first checked: both products
// agree within 1e-3 of the largest magnitude. Timing, steady state after warm-up, best of a few rounds:
//   ours:  timestamp queries around N repeats in one pass (src/gpu/timing.ts), else wall clock;
//   tfjs:  tf.time() kernelMs (TF.js's per-program timestamp queries) over N calls, else (and also,
//          as `tfjs_wall_gflops`) wall clock of N calls until the device is idle.
// While the GPU works the host thread sleeps instead of awaiting (dawn.node busy-polls, which steals a
// core from a software driver); both sides get the same treatment.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Gpu } from '../../gpu/device.ts';
import { sleepBlocking, type GpuTimer } from '../../gpu/timing.ts';
import { matmul, resolveMatmul, type MatmulLayout } from '../../gpu/kernels/matmul.ts';
import { createTensor, readTensor, releaseTensor, uploadTensor } from '../../gpu/tensor.ts';
import { runDispatches, type Dispatch } from '../../gpu/kernel.ts';
import { randomF32 } from '../../testing/random.ts';
import { matmulBenchCases } from './matmul.ts';
import { submitTfjs, type TfjsSetup } from './tfjs-setup.ts';

export interface SideBySideMatmulRow {
  name: string;
  /** "MxNxK[ ta][ tb][ batch b]" */
  shape: string;
  ours_ms: number;
  tfjs_ms: number;
  ours_gflops: number;
  tfjs_gflops: number;
  /** ours_gflops / tfjs_gflops: above 1 when ours is faster. */
  ratio: number;
  /** TF.js measured by wall clock over N calls (includes its host-side dispatch cost). */
  tfjs_wall_gflops: number;
  /** The TF.js programs one tf.matMul ran (from tf.time's profile). */
  tfjs_programs: string;
  max_abs_diff: number;
  equal: boolean;
}

const round = (x: number) => Number(x.toPrecision(4));

function shapeName(s: ReturnType<typeof resolveMatmul>): string {
  return `${s.m}x${s.n}x${s.k}${s.transA ? ' ta' : ''}${s.transB ? ' tb' : ''}${s.batch > 1 ? ` batch ${s.batch}` : ''}`;
}

/** Repeats per round so that a round takes about `roundMs`. */
const repeatsFor = (roundMs: number, oneMs: number) => Math.max(1, Math.min(200, Math.round(roundMs / Math.max(oneMs, 1e-3))));

/** Ours: best of `rounds` timer measurements after one timed warm-up. */
async function timeOurs(gpu: Gpu, timer: GpuTimer, dispatch: Dispatch, roundMs: number, rounds: number): Promise<number> {
  const t0 = performance.now();
  await runDispatches(gpu, [dispatch]);
  let best = await timer.time([dispatch], 1, 0, performance.now() - t0);
  const repeats = repeatsFor(roundMs, best);
  for (let r = 0; r < rounds; r++) best = Math.min(best, await timer.time([dispatch], repeats, 0, best));
  return best;
}

interface TfTiming {
  kernelMs: number | null;
  wallMs: number;
  programs: string;
}

/** TF.js: warm-up, then best of `rounds` of N calls by tf.time kernelMs (when available) and by wall clock. */
async function timeTfjs(setup: TfjsSetup, call: () => TfCore.Tensor, roundMs: number, rounds: number): Promise<TfTiming> {
  const { tf } = setup;
  const wallRound = async (repeats: number, expectMs: number): Promise<number> => {
    const start = performance.now();
    let out: TfCore.Tensor | null = null;
    for (let i = 0; i < repeats; i++) {
      out?.dispose();
      out = call();
    }
    const queue = submitTfjs(tf);
    sleepBlocking(0.85 * expectMs * repeats - (performance.now() - start));
    await queue.onSubmittedWorkDone();
    out?.dispose();
    return (performance.now() - start) / repeats;
  };
  for (let i = 0; i < 2; i++) {
    const warm = call();
    await warm.data();
    warm.dispose();
  }
  let wall = await wallRound(1, 0);
  const repeats = repeatsFor(roundMs, wall);
  for (let r = 0; r < rounds; r++) wall = Math.min(wall, await wallRound(repeats, wall));
  if (!setup.timestampQuery) return { kernelMs: null, wallMs: wall, programs: '' };
  let kernel = Infinity, programs = '';
  for (let r = 0; r < rounds; r++) {
    const outs: TfCore.Tensor[] = [];
    const info = await tf.time(() => {
      for (let i = 0; i < repeats; i++) outs.push(call());
      sleepBlocking(0.85 * wall * repeats); // the kernels were submitted one by one (one query each)
    });
    outs.forEach((t) => t.dispose());
    kernel = Math.min(kernel, info.kernelMs as number / repeats);
    const profile = (info as { getExtraProfileInfo?: () => string }).getExtraProfileInfo?.() ?? '';
    const names = profile ? profile.split(', ').map((p) => p.split(':')[0]) : [];
    programs = names.slice(0, Math.max(1, Math.round(names.length / repeats))).join('+');
  }
  return { kernelMs: kernel, wallMs: wall, programs };
}

/** One case: same random operands in both, products compared, then both timed. */
async function benchCase(gpu: Gpu, timer: GpuTimer, setup: TfjsSetup, name: string, layout: MatmulLayout, roundMs: number): Promise<SideBySideMatmulRow> {
  const { tf } = setup;
  const s = resolveMatmul(layout);
  const sizeA = s.batch * s.strideA, sizeB = s.batch * s.strideB, sizeC = s.batch * s.strideC;
  const a = randomF32(sizeA, 1), b = randomF32(sizeB, 2);
  const ta = uploadTensor(gpu, a, [sizeA]), tb = uploadTensor(gpu, b, [sizeB]), tc = createTensor(gpu, [sizeC]);
  const dispatch = matmul(gpu, tc, ta, tb, layout);
  await runDispatches(gpu, [dispatch]);
  const ours = await readTensor(gpu, tc);
  const batchDims = s.batch > 1 ? [s.batch] : [];
  const tfA = tf.tensor(a, [...batchDims, ...(s.transA ? [s.k, s.m] : [s.m, s.k])]);
  const tfB = tf.tensor(b, [...batchDims, ...(s.transB ? [s.n, s.k] : [s.k, s.n])]);
  const call = () => tf.matMul(tfA, tfB, s.transA, s.transB);
  const check = call();
  const theirs = (await check.data()) as Float32Array;
  check.dispose();
  let diff = 0, scale = 0;
  for (let i = 0; i < sizeC; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  const rounds = 3;
  const oursMs = await timeOurs(gpu, timer, dispatch, roundMs, rounds);
  const t = await timeTfjs(setup, call, roundMs, rounds);
  tfA.dispose();
  tfB.dispose();
  for (const x of [ta, tb, tc]) releaseTensor(gpu, x);
  const flops = 2 * s.m * s.n * s.k * s.batch;
  const tfMs = t.kernelMs ?? t.wallMs;
  const gf = (ms: number) => round(flops / (ms * 1e6));
  return {
    name, shape: shapeName(s), ours_ms: round(oursMs), tfjs_ms: round(tfMs), ours_gflops: gf(oursMs), tfjs_gflops: gf(tfMs),
    ratio: round(tfMs / oursMs), tfjs_wall_gflops: gf(t.wallMs), tfjs_programs: t.programs,
    max_abs_diff: round(diff), equal: scale > 0 && diff <= 1e-3 * scale,
  };
}

/** Every case of the kernel bench, side by side, printing a row as each finishes. */
export async function benchMatmulSideBySide(gpu: Gpu, timer: GpuTimer, setup: TfjsSetup, quick: boolean): Promise<SideBySideMatmulRow[]> {
  const roundMs = quick ? 60 : 200;
  const widths = [32, 24, 11, 11, 8, 11, 7, 24];
  const line = (cells: Array<string | number>) => console.log(cells.map((x, i) => String(x).padEnd(widths[i])).join(' '));
  line(['matmul case', 'shape', 'ours GF/s', 'tfjs GF/s', 'ratio', 'tfjs wall', 'equal', 'tfjs programs']);
  const rows: SideBySideMatmulRow[] = [];
  for (const c of matmulBenchCases(quick)) {
    const r = await benchCase(gpu, timer, setup, c.name, c.layout, roundMs);
    rows.push(r);
    line([r.name, r.shape, r.ours_gflops, r.tfjs_gflops, `${r.ratio.toFixed(2)}x`, r.tfjs_wall_gflops, r.equal ? 'yes' : `NO ${r.max_abs_diff}`, r.tfjs_programs]);
  }
  return rows;
}
