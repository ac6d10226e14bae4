// Launchers for shaders/branches.wgsl: the weighted block's kappa scale and alpha sum (model.md "Weighted
// layers") with their backward, and the effective weights of the `weighting` modes. Branch tensors are
// branch-major (M, ...) with len = numel / M elements per branch. Weight vectors may sit at an element
// offset in a larger buffer (VectorSlice). Reductions are two-stage with a scratch created here once.
import type { Gpu } from '../device.ts';
import { ceilDiv, createUniform, linearGrid, makeDispatch, require, type Dispatch } from '../kernel.ts';
import { createTensor, numel, type GpuTensor } from '../tensor.ts';

const SHADER = 'branches';
/** Elements per dot-product chunk (one workgroup of 256 threads, 32 each: fewer workgroups, each with its
 *  barrier tree, made dkappa/dalpha 3x faster on lavapipe than 8 each; still 32 workgroups at tiny). */
export const BRANCH_DOT_CHUNK = 8192;

/** A vector at element `offset` of a larger tensor (e.g. layer l's kappa in an (L, M) buffer). */
export interface VectorSlice {
  tensor: GpuTensor;
  offset: number;
}
export type VectorRef = GpuTensor | VectorSlice;

export const vectorSlice = (tensor: GpuTensor, offset: number): VectorSlice => ({ tensor, offset });

/** `ref` as a slice (the tensor is bound whole, its own range if it is a view), checking `length` fits. */
function resolve(op: string, name: string, ref: VectorRef, length: number): VectorSlice {
  const slice = 'tensor' in ref ? ref : { tensor: ref, offset: 0 };
  const size = numel(slice.tensor.shape);
  require(Number.isInteger(slice.offset) && slice.offset >= 0, op, `${name} offset must be a non-negative integer`);
  require(slice.offset + length <= size, op, `${name} needs ${length} elements at offset ${slice.offset}, tensor has ${size}`);
  return slice;
}

/** M and len of a branch-major tensor (M, ...). */
function branchShape(op: string, t: GpuTensor): [number, number] {
  const m = t.shape[0];
  const total = numel(t.shape);
  require(t.shape.length >= 2 && m > 0 && total > 0, op, `expected a branch-major tensor (M, ...), got [${t.shape}]`);
  return [m, total / m];
}

function distinct(op: string, out: GPUBuffer, ...inputs: GPUBuffer[]): void {
  // WebGPU forbids a buffer bound writable and read-only in one dispatch, even at disjoint ranges.
  require(inputs.every((b) => b !== out), op, 'the output must not share a buffer with an input');
}

function branchUniform(gpu: Gpu, m: number, len: number, wOffset: number, accumulate: boolean, chunks = 1, aStride = 0, dwOffset = 0, accumulateDw = false) {
  return createUniform(gpu, [
    ['u32', m],
    ['u32', len],
    ['u32', wOffset],
    ['u32', accumulate ? 1 : 0],
    ['u32', chunks],
    ['u32', BRANCH_DOT_CHUNK],
    ['u32', aStride],
    ['u32', dwOffset],
    ['u32', accumulateDw ? 1 : 0],
  ]);
}

/** Chunks of a branch dot product over len elements per branch (1: written directly, no finish). */
export const branchDotChunks = (len: number): number => ceilDiv(len, BRANCH_DOT_CHUNK);

/**
 * out[m, k] (+)= w[m] * a[m*aStride + k] and dw[m] (+)= sum_k a[m*aStride + k] * b[m*len + k] in one pass
 * (branch_scale_dot), then the chunk finish, unless `partials` (M, chunks) take the chunk sums for a
 * finish elsewhere (src/graph/finish.ts). Same values, in the same order, as the elementwise kernel and
 * branchDot it replaces.
 */
function branchScaleDot(
  gpu: Gpu, op: string, out: GpuTensor, a: GpuTensor, aStride: number, w: VectorSlice, b: GpuTensor, dw: VectorSlice,
  shape: [number, number], accumulate: boolean, accumulateDw: boolean, partials?: GpuTensor,
): Dispatch[] {
  const [m, len] = shape;
  distinct(op, out.buffer, a.buffer, w.tensor.buffer, b.buffer, dw.tensor.buffer);
  distinct(op, dw.tensor.buffer, a.buffer, w.tensor.buffer, b.buffer);
  const chunks = branchDotChunks(len);
  const pipeline = gpu.pipelines.get(SHADER, 'branch_scale_dot');
  if (chunks === 1) {
    const uniform = branchUniform(gpu, m, len, w.offset, accumulate, 1, aStride, dw.offset, accumulateDw);
    return [makeDispatch(gpu, op, pipeline, [uniform, out, a, w.tensor, b, dw.tensor], [1, m])];
  }
  if (partials) require(numel(partials.shape) === m * chunks && partials.buffer !== dw.tensor.buffer, op, `partials [${partials.shape}] are not (${m}, ${chunks})`);
  const scratch = partials ?? createTensor(gpu, [m, chunks], 'f32', `${op}.partials`);
  distinct(op, scratch.buffer, a.buffer, w.tensor.buffer, b.buffer, out.buffer);
  const uniform = branchUniform(gpu, m, len, w.offset, accumulate, chunks, aStride);
  const first = makeDispatch(gpu, `${op}.scale+partial`, pipeline, [uniform, out, a, w.tensor, b, scratch], [chunks, m]);
  if (partials) return [first];
  const finishUniform = branchUniform(gpu, m, len, dw.offset, accumulateDw, chunks, aStride);
  return [first, makeDispatch(gpu, `${op}.finish`, gpu.pipelines.get(SHADER, 'branch_dot_finish'), [finishUniform, dw.tensor, scratch], [m])];
}

/** One elementwise entry point (branch_scale, branch_broadcast, branch_sum) over `threads` elements. */
function elementwise(gpu: Gpu, op: string, entry: string, out: GpuTensor, inp: GpuTensor, w: VectorSlice, shape: [number, number], accumulate: boolean, threads: number): Dispatch {
  distinct(op, out.buffer, inp.buffer, w.tensor.buffer);
  const uniform = branchUniform(gpu, shape[0], shape[1], w.offset, accumulate);
  const pipeline = gpu.pipelines.get(SHADER, entry);
  return makeDispatch(gpu, op, pipeline, [uniform, out, inp, w.tensor], linearGrid(gpu, threads, 256));
}

/** dw[m] (+)= sum_k a[m*aStride + k] * b[m*len + k], two-stage (one stage when len fits one chunk). */
function branchDot(gpu: Gpu, op: string, dw: VectorSlice, a: GpuTensor, aStride: number, b: GpuTensor, m: number, len: number, accumulate: boolean): Dispatch[] {
  distinct(op, dw.tensor.buffer, a.buffer, b.buffer);
  const chunks = ceilDiv(len, BRANCH_DOT_CHUNK);
  const partials = gpu.pipelines.get(SHADER, 'branch_dot_partials');
  if (chunks === 1) {
    const uniform = branchUniform(gpu, m, len, dw.offset, accumulate, 1, aStride);
    return [makeDispatch(gpu, op, partials, [uniform, dw.tensor, a, b], [1, m])];
  }
  const scratch = createTensor(gpu, [m, chunks], 'f32', `${op}.partials`);
  const partialUniform = branchUniform(gpu, m, len, 0, false, chunks, aStride);
  const finishUniform = branchUniform(gpu, m, len, dw.offset, accumulate, chunks, aStride);
  const finish = gpu.pipelines.get(SHADER, 'branch_dot_finish');
  return [
    makeDispatch(gpu, `${op}.partial`, partials, [partialUniform, scratch, a, b], [chunks, m]),
    makeDispatch(gpu, `${op}.finish`, finish, [finishUniform, dw.tensor, scratch], [m]),
  ];
}

/** a (M, N, D) = kappa[m] * h (M, N, D): the concatenation weight. */
export function kappaScaleForward(gpu: Gpu, a: GpuTensor, h: GpuTensor, kappa: VectorRef): Dispatch {
  const op = 'kappaScaleForward';
  const shape = branchShape(op, h);
  require(numel(a.shape) === numel(h.shape), op, `a [${a.shape}] and h [${h.shape}] differ in size`);
  return elementwise(gpu, op, 'branch_scale', a, h, resolve(op, 'kappa', kappa, shape[0]), shape, false, numel(h.shape));
}

export interface KappaScaleBackwardArgs {
  dh?: GpuTensor; // (M, N, D) = kappa[m] * da (omit when not needed)
  dkappa?: VectorRef; // (M) = sum_{n,d} da * h (omit when kappa is not trained)
  da: GpuTensor; // (M, N, D)
  h: GpuTensor; // (M, N, D)
  kappa: VectorRef; // (M)
  accumulate?: boolean; // add into dh
  accumulateWeights?: boolean; // add into dkappa
  /** With dh and dkappa: the (M, chunks) chunk sums for a finish elsewhere (see branchScaleDot). */
  partials?: GpuTensor;
}

/** dh (+)= kappa[m] * da and dkappa (+)= sum_{n,d} da * h (deterministic two-stage reduction). */
export function kappaScaleBackward(gpu: Gpu, args: KappaScaleBackwardArgs): Dispatch[] {
  const op = 'kappaScaleBackward';
  const shape = branchShape(op, args.h);
  const [m, len] = shape;
  require(numel(args.da.shape) === m * len, op, `da [${args.da.shape}] and h [${args.h.shape}] differ in size`);
  const out: Dispatch[] = [];
  if (args.dh) require(numel(args.dh.shape) === m * len, op, `dh [${args.dh.shape}] and h [${args.h.shape}] differ in size`);
  if (args.dh && args.dkappa) {
    return branchScaleDot(gpu, `${op}.dh+dkappa`, args.dh, args.da, len, resolve(op, 'kappa', args.kappa, m), args.h, resolve(op, 'dkappa', args.dkappa, m),
      shape, args.accumulate ?? false, args.accumulateWeights ?? false, args.partials);
  }
  if (args.dh) {
    const kappa = resolve(op, 'kappa', args.kappa, m);
    out.push(elementwise(gpu, `${op}.dh`, 'branch_scale', args.dh, args.da, kappa, shape, args.accumulate ?? false, m * len));
  }
  if (args.dkappa) {
    const dkappa = resolve(op, 'dkappa', args.dkappa, m);
    out.push(...branchDot(gpu, `${op}.dkappa`, dkappa, args.da, len, args.h, m, len, args.accumulateWeights ?? false));
  }
  return out;
}

/** y (N, D) = sum_m alpha[m] * f (M, N, D): the addition weight, branches summed in order. */
export function alphaSumForward(gpu: Gpu, y: GpuTensor, f: GpuTensor, alpha: VectorRef): Dispatch {
  const op = 'alphaSumForward';
  const shape = branchShape(op, f);
  require(numel(y.shape) === shape[1], op, `y [${y.shape}] is not one branch of f [${f.shape}]`);
  return elementwise(gpu, op, 'branch_sum', y, f, resolve(op, 'alpha', alpha, shape[0]), shape, false, shape[1]);
}

export interface AlphaSumBackwardArgs {
  df?: GpuTensor; // (M, N, D) = alpha[m] * dy
  dalpha?: VectorRef; // (M) = sum_{n,d} dy * f[m]
  dy: GpuTensor; // (N, D)
  f: GpuTensor; // (M, N, D)
  alpha: VectorRef; // (M)
  accumulate?: boolean; // add into df
  accumulateWeights?: boolean; // add into dalpha
  /** With df and dalpha: the (M, chunks) chunk sums for a finish elsewhere (see branchScaleDot). */
  partials?: GpuTensor;
}

/** df[m] (+)= alpha[m] * dy and dalpha[m] (+)= sum_{n,d} dy * f[m]. */
export function alphaSumBackward(gpu: Gpu, args: AlphaSumBackwardArgs): Dispatch[] {
  const op = 'alphaSumBackward';
  const shape = branchShape(op, args.f);
  const [m, len] = shape;
  require(numel(args.dy.shape) === len, op, `dy [${args.dy.shape}] is not one branch of f [${args.f.shape}]`);
  const out: Dispatch[] = [];
  if (args.df) require(numel(args.df.shape) === m * len, op, `df [${args.df.shape}] and f [${args.f.shape}] differ in size`);
  if (args.df && args.dalpha) {
    return branchScaleDot(gpu, `${op}.df+dalpha`, args.df, args.dy, 0, resolve(op, 'alpha', args.alpha, m), args.f, resolve(op, 'dalpha', args.dalpha, m),
      shape, args.accumulate ?? false, args.accumulateWeights ?? false, args.partials);
  }
  if (args.df) {
    const alpha = resolve(op, 'alpha', args.alpha, m);
    out.push(elementwise(gpu, `${op}.df`, 'branch_broadcast', args.df, args.dy, alpha, shape, args.accumulate ?? false, m * len));
  }
  if (args.dalpha) {
    const dalpha = resolve(op, 'dalpha', args.dalpha, m);
    out.push(...branchDot(gpu, `${op}.dalpha`, dalpha, args.dy, 0, args.f, m, len, args.accumulateWeights ?? false));
  }
  return out;
}

// ---- Effective weights of `rows` vectors of length M (model.md `weighting`) ----

function vecUniform(gpu: Gpu, rows: number, m: number, outOffset: number, inOffset: number, in2Offset: number, accumulate: boolean) {
  return createUniform(gpu, [
    ['u32', rows],
    ['u32', m],
    ['u32', outOffset],
    ['u32', inOffset],
    ['u32', in2Offset],
    ['u32', accumulate ? 1 : 0],
  ]);
}

function vecShape(op: string, rows: number, m: number): number {
  require(Number.isInteger(rows) && rows > 0 && Number.isInteger(m) && m > 0, op, `rows (${rows}) and M (${m}) must be positive integers`);
  return rows * m;
}

/** w (rows, M) = softmax(logits (rows, M)) per row: `weighting` = softmax. */
export function weightsSoftmaxForward(gpu: Gpu, w: VectorRef, logits: VectorRef, rows: number, m: number): Dispatch {
  const op = 'weightsSoftmaxForward';
  const n = vecShape(op, rows, m);
  const out = resolve(op, 'w', w, n);
  const inp = resolve(op, 'logits', logits, n);
  distinct(op, out.tensor.buffer, inp.tensor.buffer);
  const uniform = vecUniform(gpu, rows, m, out.offset, inp.offset, 0, false);
  const pipeline = gpu.pipelines.get(SHADER, 'weights_softmax_forward');
  return makeDispatch(gpu, op, pipeline, [uniform, out.tensor, inp.tensor], [ceilDiv(rows, 64)]);
}

export interface WeightsSoftmaxBackwardArgs {
  dlogits: VectorRef; // (rows, M)
  w: VectorRef; // (rows, M) the forward's output
  dw: VectorRef; // (rows, M)
  rows: number;
  m: number;
  accumulate?: boolean; // add into dlogits
}

/** dlogits (+)= w * (dw - sum(dw * w)) per row. */
export function weightsSoftmaxBackward(gpu: Gpu, args: WeightsSoftmaxBackwardArgs): Dispatch {
  const op = 'weightsSoftmaxBackward';
  const n = vecShape(op, args.rows, args.m);
  const out = resolve(op, 'dlogits', args.dlogits, n);
  const w = resolve(op, 'w', args.w, n);
  const dw = resolve(op, 'dw', args.dw, n);
  distinct(op, out.tensor.buffer, w.tensor.buffer, dw.tensor.buffer);
  const uniform = vecUniform(gpu, args.rows, args.m, out.offset, w.offset, dw.offset, args.accumulate ?? false);
  const pipeline = gpu.pipelines.get(SHADER, 'weights_softmax_backward');
  return makeDispatch(gpu, op, pipeline, [uniform, out.tensor, w.tensor, dw.tensor], [ceilDiv(args.rows, 64)]);
}

/** w (rows, M) = 1/M: `weighting` = uniform (no gradient). */
export function weightsUniform(gpu: Gpu, w: VectorRef, rows: number, m: number): Dispatch {
  const op = 'weightsUniform';
  const n = vecShape(op, rows, m);
  const out = resolve(op, 'w', w, n);
  const uniform = vecUniform(gpu, rows, m, out.offset, 0, 0, false);
  const pipeline = gpu.pipelines.get(SHADER, 'weights_uniform');
  return makeDispatch(gpu, op, pipeline, [uniform, out.tensor], [ceilDiv(n, 64)]);
}
