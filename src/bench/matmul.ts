// Matmul side by side: our tiled kernel against tf.matMul on TF.js's WebGPU backend, on the same device,
// the same operands and the same shapes (the kernel bench's cases: squares and the model's own shapes,
// transposes, the batched per-branch FFN as a 3-D tf.matMul). Each case is first checked: both products
// agree within 1e-3 of the largest magnitude. Timing, steady state after warm-up, best of 5 rounds taken
// in turn (ours, TF.js, ours, ...) so that load on a shared machine hits both sides alike:
//   ours:  timestamp queries around N repeats in one pass (src/gpu/timing.ts), else wall clock;
//   tfjs:  tf.time() kernelMs (TF.js's per-program timestamp queries) over N calls, else (and also,
//          as `tfjs_wall_gflops`) wall clock of N calls until the device is idle.
// While the GPU works the host sleeps (host.sleep) instead of awaiting where awaiting busy-polls (Node);
// both sides get the same treatment.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Gpu } from '../gpu/device.ts';
import type { GpuTimer } from '../gpu/timing.ts';
import { matmulDispatches, resolveMatmul, type MatmulLayout } from '../gpu/kernels/matmul.ts';
import { createTensor, readTensor, releaseTensor, uploadTensor } from '../gpu/tensor.ts';
import { runDispatches, type Dispatch } from '../gpu/kernel.ts';
import { randomF32 } from '../testing/random.ts';
import { sideBySideMatmulCases } from './cases.ts';
import type { BenchHost, BenchSize, SideBySideMatmulRow } from './report.ts';
import { submitTfjs, tfjsProgramNames, type TfjsSetup } from './tfjs.ts';

const round = (x: number) => Number(x.toPrecision(4));

function shapeName(s: ReturnType<typeof resolveMatmul>): string {
  return `${s.m}x${s.n}x${s.k}${s.transA ? ' ta' : ''}${s.transB ? ' tb' : ''}${s.batch > 1 ? ` batch ${s.batch}` : ''}`;
}

/** Repeats per round so that a round takes about `roundMs`. */
const repeatsFor = (roundMs: number, oneMs: number) => Math.max(1, Math.min(200, Math.round(roundMs / Math.max(oneMs, 1e-3))));

/** Ours: a timed warm-up sets the repeats; each round is one timer measurement of that many repeats. */
async function oursRounds(gpu: Gpu, timer: GpuTimer, dispatches: Dispatch[], roundMs: number): Promise<() => Promise<number>> {
  const t0 = performance.now();
  await runDispatches(gpu, dispatches);
  const first = await timer.time(dispatches, 1, 0, performance.now() - t0);
  const repeats = repeatsFor(roundMs, first);
  return () => timer.time(dispatches, repeats, 0, first);
}

interface TfTiming {
  kernelMs: number | null;
  wallMs: number;
}

/** TF.js: warm-up sets the repeats; each round is N calls by wall clock, then by tf.time kernelMs (when available). */
async function tfjsRounds(setup: TfjsSetup, sleep: BenchHost['sleep'], call: () => TfCore.Tensor, roundMs: number): Promise<() => Promise<TfTiming>> {
  const { tf } = setup;
  const wallRound = async (repeats: number, expectMs: number): Promise<number> => {
    const start = performance.now();
    let out: TfCore.Tensor | null = null;
    for (let i = 0; i < repeats; i++) {
      out?.dispose();
      out = call();
    }
    const queue = submitTfjs(tf);
    sleep(0.85 * expectMs * repeats - (performance.now() - start));
    await queue.onSubmittedWorkDone();
    out?.dispose();
    return (performance.now() - start) / repeats;
  };
  for (let i = 0; i < 2; i++) {
    const warm = call();
    await warm.data();
    warm.dispose();
  }
  const first = await wallRound(1, 0);
  const repeats = repeatsFor(roundMs, first);
  return async () => {
    const wallMs = await wallRound(repeats, first);
    if (!setup.timestampQuery) return { kernelMs: null, wallMs };
    const outs: TfCore.Tensor[] = [];
    const info = await tf.time(() => {
      for (let i = 0; i < repeats; i++) outs.push(call());
      sleep(0.85 * wallMs * repeats); // the kernels were submitted one by one (one query each)
    });
    outs.forEach((t) => t.dispose());
    return { kernelMs: (info.kernelMs as number) / repeats, wallMs };
  };
}

/**
 * Best of `rounds` for each side, the rounds interleaved (ours, TF.js, ours, ...) so that a slow period of
 * a shared machine hits both sides alike.
 */
async function timeInterleaved(ours: () => Promise<number>, theirs: () => Promise<TfTiming>, rounds: number): Promise<{ oursMs: number; tf: TfTiming }> {
  let oursMs = Infinity;
  const tf: TfTiming = { kernelMs: null, wallMs: Infinity };
  for (let r = 0; r < rounds; r++) {
    oursMs = Math.min(oursMs, await ours());
    const t = await theirs();
    tf.wallMs = Math.min(tf.wallMs, t.wallMs);
    if (t.kernelMs !== null) tf.kernelMs = Math.min(tf.kernelMs ?? Infinity, t.kernelMs);
  }
  return { oursMs, tf };
}

/** One case: same random operands in both, products compared, then both timed. */
async function benchCase(gpu: Gpu, timer: GpuTimer, setup: TfjsSetup, host: BenchHost, name: string, layout: MatmulLayout, roundMs: number): Promise<SideBySideMatmulRow> {
  const { tf } = setup;
  const s = resolveMatmul(layout);
  const sizeA = s.batch * s.strideA, sizeB = s.batch * s.strideB, sizeC = s.batch * s.strideC;
  const a = randomF32(sizeA, 1), b = randomF32(sizeB, 2);
  const ta = uploadTensor(gpu, a, [sizeA]), tb = uploadTensor(gpu, b, [sizeB]), tc = createTensor(gpu, [sizeC]);
  const dispatches = matmulDispatches(gpu, tc, ta, tb, layout); // as the training graph launches it (split-K)
  await runDispatches(gpu, dispatches);
  const ours = await readTensor(gpu, tc);
  const batchDims = s.batch > 1 ? [s.batch] : [];
  const tfA = tf.tensor(a, [...batchDims, ...(s.transA ? [s.k, s.m] : [s.m, s.k])]);
  const tfB = tf.tensor(b, [...batchDims, ...(s.transB ? [s.n, s.k] : [s.k, s.n])]);
  const call = () => tf.matMul(tfA, tfB, s.transA, s.transB);
  const check = call();
  const theirs = (await check.data()) as Float32Array;
  check.dispose();
  const programs = tfjsProgramNames(tf, () => call().dispose()).join('+');
  let diff = 0, scale = 0;
  for (let i = 0; i < sizeC; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  const ourRound = await oursRounds(gpu, timer, dispatches, roundMs);
  const theirRound = await tfjsRounds(setup, (ms) => host.sleep(ms), call, roundMs);
  const { oursMs, tf: t } = await timeInterleaved(ourRound, theirRound, 5);
  tfA.dispose();
  tfB.dispose();
  for (const x of [ta, tb, tc]) releaseTensor(gpu, x);
  const flops = 2 * s.m * s.n * s.k * s.batch;
  const tfMs = t.kernelMs ?? t.wallMs;
  const gf = (ms: number) => round(flops / (ms * 1e6));
  return {
    name, shape: shapeName(s), ours_ms: round(oursMs), tfjs_ms: round(tfMs), ours_gflops: gf(oursMs), tfjs_gflops: gf(tfMs),
    ratio: round(tfMs / oursMs), tfjs_wall_gflops: gf(t.wallMs), tfjs_programs: programs,
    max_abs_diff: round(diff), equal: scale > 0 && diff <= 1e-3 * scale,
  };
}

/** Every case of the size, side by side, logging a table line and reporting each row as it finishes. */
export async function benchMatmulSideBySide(gpu: Gpu, timer: GpuTimer, setup: TfjsSetup, size: BenchSize, host: BenchHost): Promise<SideBySideMatmulRow[]> {
  const roundMs = size === 'full' ? 200 : size === 'quick' ? 60 : 20;
  const widths = [32, 24, 11, 11, 8, 11, 7, 24];
  const line = (cells: Array<string | number>) => host.log(cells.map((x, i) => String(x).padEnd(widths[i])).join(' '));
  line(['matmul case', 'shape', 'ours GF/s', 'tfjs GF/s', 'ratio', 'tfjs wall', 'equal', 'tfjs programs']);
  const rows: SideBySideMatmulRow[] = [];
  for (const c of sideBySideMatmulCases(size)) {
    const r = await benchCase(gpu, timer, setup, host, c.name, c.layout, roundMs);
    rows.push(r);
    host.onMatmulRow?.(r);
    line([r.name, r.shape, r.ours_gflops, r.tfjs_gflops, `${r.ratio.toFixed(2)}x`, r.tfjs_wall_gflops, r.equal ? 'yes' : `NO ${r.max_abs_diff}`, r.tfjs_programs]);
  }
  return rows;
}
