// Launchers for shaders/attention.wgsl: fused softmax attention for all B*H heads in one dispatch,
// forward (1 dispatch) and backward (3 dispatches: delta, dQ, dK+dV), flash-attention style, and the
// probabilities P of chosen heads recomputed from the saved lse (1 dispatch, for attention maps).
//
// Forward saves only lse (B, H, Tq), the per-row log-sum-exp; the backward recomputes the probabilities
// from it, so memory is O(T) per row and nothing limits T but the checks below (B*H*Tq*Tk < 2^32 for the
// dropout index, ceil(T/32) and B*H within the workgroup grid). d_k (dHead) must be 1..64.
// Dropout: the seed is read on the GPU from seeds[seedIndex] (the u32 buffer the caller rewrites every
// step, as for shaders/dropout.wgsl), so a new step needs no new object; forward and backward of one site
// must use the same seeds buffer, seedIndex and stream, and the backward must run before the seed changes.
// A query row whose keys are all masked outputs 0, stores lse 0 and gets 0 gradient.
import type { Gpu } from '../device.ts';
import { ceilDiv, createUniform, linearGrid, makeDispatch, require, type Dispatch, type UniformField } from '../kernel.ts';
import { createTensor, numel, type GpuTensor } from '../tensor.ts';

const SHADER = 'attention';
/** Widest head the kernels take (registers and tiles hold 64 columns); rows (threads) per workgroup. */
export const ATTENTION_LIMITS = { maxDHead: 64, rowsPerWorkgroup: 32 } as const;

/** A (rows, *) matrix inside `tensor`: element (row, col) at offset + row * rowStride + col. */
export interface AttentionView {
  tensor: GpuTensor;
  offset?: number;
  rowStride: number;
}

export interface AttentionSpec {
  batch: number;
  heads: number;
  dHead: number;
  tq: number;
  tk: number;
  /** Mask key j > query i (decoder self-attention). */
  causal?: boolean;
  /** i32 (B, Tk) key-side token ids; keys with id 0 (PAD) are masked. */
  keyTokens?: GpuTensor;
  /** Dropout rate on the probabilities, in [0, 1); default 0 (then no seeds are needed). */
  dropout?: number;
  /** Dropout site id (u32), the same for forward and backward. */
  stream?: number;
  /** Which u32 of the seeds buffer holds this step's seed (default 0). */
  seedIndex?: number;
  /**
   * Use the pipelines shared by every head width (dk read at run time) instead of ones specialized to
   * ceil(dHead/4) (the default: unrolled loops, rows in registers, ~2x faster on lavapipe and likely more
   * on GPUs, but each width compiles its own pipelines, ~3x slower to compile on lavapipe).
   */
  genericHeadWidth?: boolean;
}

/** Override constants of the pipelines for `spec` (DK4 = 0 selects the run-time head width). */
const constantsFor = (s: AttentionSpec) => ({ DK4: s.genericHeadWidth ? 0 : Math.ceil(s.dHead / 4) });

type Named = [string, AttentionView];

function checkSpec(op: string, s: AttentionSpec): void {
  for (const key of ['batch', 'heads', 'dHead', 'tq', 'tk'] as const) {
    require(Number.isInteger(s[key]) && s[key] >= 1, op, `${key} = ${s[key]} must be a positive integer`);
  }
  require(s.dHead <= ATTENTION_LIMITS.maxDHead, op, `dHead ${s.dHead} exceeds ${ATTENTION_LIMITS.maxDHead}`);
  require(s.batch * s.heads * s.tq * s.tk <= 0xffffffff, op, `B*H*Tq*Tk = ${s.batch * s.heads * s.tq * s.tk} overflows the u32 dropout index`);
  const rate = s.dropout ?? 0;
  require(rate >= 0 && rate < 1, op, `dropout ${rate} outside [0, 1)`);
  const stream = s.stream ?? 0;
  require(Number.isInteger(stream) && stream >= 0 && stream <= 0xffffffff, op, `stream ${stream} is not a u32`);
  if (s.keyTokens) {
    require(s.keyTokens.dtype === 'i32', op, 'keyTokens must be i32');
    require(numel(s.keyTokens.shape) === s.batch * s.tk, op, `keyTokens [${s.keyTokens.shape}] is not (B=${s.batch}, Tk=${s.tk})`);
  }
}

function checkView(op: string, name: string, view: AttentionView, rows: number, width: number): void {
  const off = view.offset ?? 0;
  require(view.tensor.dtype === 'f32', op, `${name} must be f32`);
  require(Number.isInteger(off) && off >= 0, op, `${name} offset ${off} must be a non-negative integer`);
  require(Number.isInteger(view.rowStride) && view.rowStride >= width, op, `${name} row stride ${view.rowStride} < width ${width}`);
  const end = off + (rows - 1) * view.rowStride + width;
  require(end <= numel(view.tensor.shape), op, `${name} needs ${end} elements, tensor [${view.tensor.shape}] has ${numel(view.tensor.shape)}`);
}

/** Byte range [start, end) a tensor occupies in its buffer. */
function byteRange(t: GpuTensor): [number, number] {
  const start = t.byteOffset ?? 0;
  return [start, start + numel(t.shape) * 4];
}

function rangesOverlap(a: GpuTensor, b: GpuTensor): boolean {
  const [a0, a1] = byteRange(a);
  const [b0, b1] = byteRange(b);
  return a.buffer === b.buffer && a0 < b1 && b0 < a1;
}

/**
 * Written tensors must not share a buffer with read ones (WebGPU forbids read-only and writable use of
 * one buffer in a dispatch), and written views whose tensors overlap must hold disjoint columns.
 */
function checkOutputs(op: string, width: number, inputs: GpuTensor[], outputs: Named[]): void {
  for (const [name, view] of outputs) require(!inputs.some((t) => t.buffer === view.tensor.buffer), op, `${name} shares a buffer with an input`);
  for (let a = 0; a < outputs.length; a++) {
    for (let b = a + 1; b < outputs.length; b++) {
      const [na, va] = outputs[a];
      const [nb, vb] = outputs[b];
      if (!rangesOverlap(va.tensor, vb.tensor)) continue;
      const col = (x: AttentionView) => ((x.tensor.byteOffset ?? 0) / 4 + (x.offset ?? 0)) % x.rowStride;
      const [ca, cb] = [col(va), col(vb)];
      const disjoint = va.rowStride === vb.rowStride && (ca + width <= cb || cb + width <= ca);
      require(disjoint, op, `${na} and ${nb} overlap in memory with overlapping columns`);
    }
  }
}

function checkSeeds(op: string, s: AttentionSpec, seeds: GpuTensor | undefined): void {
  if ((s.dropout ?? 0) === 0) return;
  const index = s.seedIndex ?? 0;
  require(seeds !== undefined, op, 'dropout > 0 needs a seeds buffer');
  require(seeds.dtype === 'u32' && Number.isInteger(index) && index >= 0 && index < numel(seeds.shape), op, `seed index ${index} outside the u32 seeds buffer [${seeds.shape}]`);
}

const VIEW_ORDER = ['q', 'k', 'v', 'o', 'dO', 'dQ', 'dK', 'dV'] as const;

/** Heads [first, first + count) of attentionProbs. */
export interface HeadRange {
  first: number;
  count: number;
}

/** The Params uniform of shaders/attention.wgsl, fields in struct order (absent views get 0, 0). */
function paramFields(
  s: AttentionSpec, views: Partial<Record<(typeof VIEW_ORDER)[number], AttentionView>>, probs: HeadRange = { first: 0, count: 0 },
): UniformField[] {
  const fields: UniformField[] = [['u32', s.batch], ['u32', s.heads], ['u32', s.dHead], ['u32', s.tq], ['u32', s.tk]];
  for (const key of VIEW_ORDER) fields.push(['u32', views[key]?.offset ?? 0], ['u32', views[key]?.rowStride ?? 0]);
  fields.push(
    ['u32', s.causal ? 1 : 0],
    ['u32', s.keyTokens ? 1 : 0],
    ['f32', s.dropout ?? 0],
    ['u32', s.stream ?? 0],
    ['u32', s.seedIndex ?? 0],
    ['f32', 1 / Math.sqrt(s.dHead)],
    ['u32', probs.first],
    ['u32', probs.count],
  );
  return fields;
}

/**
 * O = dropout(softmax(Q K^T / sqrt(dHead) + mask)) V per head, and lse (B, H, Tq) f32 for the backward.
 * q, o: (B*Tq) rows; k, v: (B*Tk) rows; each row holds H*dHead columns from its offset.
 * `seeds` (u32) is needed when spec.dropout > 0.
 */
export function attentionForward(
  gpu: Gpu, spec: AttentionSpec, q: AttentionView, k: AttentionView, v: AttentionView,
  o: AttentionView, lse: GpuTensor, seeds?: GpuTensor,
): Dispatch[] {
  const op = 'attentionForward';
  const D = spec.heads * spec.dHead;
  checkSpec(op, spec);
  checkSeeds(op, spec, seeds);
  const named: Named[] = [['q', q], ['k', k], ['v', v], ['o', o]];
  named.forEach(([name, view], i) => checkView(op, name, view, spec.batch * (i === 1 || i === 2 ? spec.tk : spec.tq), D));
  require(lse.dtype === 'f32' && numel(lse.shape) === spec.batch * spec.heads * spec.tq, op, `lse [${lse.shape}] is not f32 (B, H, Tq)`);
  const inputs = [q, k, v].map((x) => x.tensor).concat(spec.keyTokens ? [spec.keyTokens] : [], seeds ? [seeds] : []);
  checkOutputs(op, D, inputs, [['o', o]]);
  require(!inputs.some((t) => t.buffer === lse.buffer) && !rangesOverlap(lse, o.tensor), op, 'lse shares memory with another operand');

  const params = createUniform(gpu, paramFields(spec, { q, k, v, o }), 'attention params');
  const dummy = q.tensor; // bound where an optional input is absent (never read)
  const pipeline = gpu.pipelines.get(SHADER, 'attention_forward', constantsFor(spec));
  const resources = [params, q.tensor, k.tensor, v.tensor, spec.keyTokens ?? dummy, seeds ?? dummy, o.tensor, lse];
  const grid: [number, number] = [ceilDiv(spec.tq, ATTENTION_LIMITS.rowsPerWorkgroup), spec.batch * spec.heads];
  return [makeDispatch(gpu, op, pipeline, resources, grid)];
}

/**
 * WebGPU forbids two writable bindings over overlapping bytes: when the dK and dV tensors overlap (slices
 * of one fused gradient), the _shared entry point writes both through one binding of their common range.
 */
function keyGradEntry(op: string, dK: AttentionView, dV: AttentionView): string {
  if (!rangesOverlap(dK.tensor, dV.tensor)) return 'attention_backward_dkdv';
  require((dK.tensor.byteOffset ?? 0) === (dV.tensor.byteOffset ?? 0), op, 'dK and dV tensors overlap but start at different bytes');
  return 'attention_backward_dkdv_shared';
}

function keyGradBindings(dK: AttentionView, dV: AttentionView): Array<GpuTensor | GPUBufferBinding> {
  if (!rangesOverlap(dK.tensor, dV.tensor)) return [dK.tensor, dV.tensor];
  const [start, endK] = byteRange(dK.tensor);
  return [{ buffer: dK.tensor.buffer, offset: start, size: Math.max(endK, byteRange(dV.tensor)[1]) - start }];
}

/** Shape (u32) of the backward's scratch: the seed, then (lse, delta) per query row. */
export function attentionScratchShape(spec: AttentionSpec): number[] {
  return [2 + 2 * spec.batch * spec.heads * spec.tq];
}

/**
 * dQ, dK, dV of attentionForward given dO, from the forward's inputs, its output o and its lse (o must
 * be the forward's output unchanged: delta = rowsum(dO * O)). dQ like q, dK like k, dV like v; they may be
 * column slices of one fused buffer. Every element of their columns is written (no zeroing needed).
 * `scratch` (u32, attentionScratchShape) is taken from the pool when not given.
 */
export function attentionBackward(
  gpu: Gpu, spec: AttentionSpec, q: AttentionView, k: AttentionView, v: AttentionView, o: AttentionView, lse: GpuTensor,
  dO: AttentionView, dQ: AttentionView, dK: AttentionView, dV: AttentionView, seeds?: GpuTensor, scratch?: GpuTensor,
): Dispatch[] {
  const op = 'attentionBackward';
  const D = spec.heads * spec.dHead;
  checkSpec(op, spec);
  checkSeeds(op, spec, seeds);
  const named: Named[] = [['q', q], ['k', k], ['v', v], ['o', o], ['dO', dO], ['dQ', dQ], ['dK', dK], ['dV', dV]];
  for (const [name, view] of named) checkView(op, name, view, spec.batch * (/^d?[kvKV]$/.test(name) ? spec.tk : spec.tq), D);
  require(lse.dtype === 'f32' && numel(lse.shape) === spec.batch * spec.heads * spec.tq, op, `lse [${lse.shape}] is not f32 (B, H, Tq)`);
  const stats = scratch ?? createTensor(gpu, attentionScratchShape(spec), 'u32', 'attention scratch');
  require(stats.dtype === 'u32' && numel(stats.shape) >= attentionScratchShape(spec)[0], op, `scratch [${stats.shape}] smaller than [${attentionScratchShape(spec)}] u32`);
  const inputs = [q, k, v, o, dO].map((x) => x.tensor).concat(spec.keyTokens ? [spec.keyTokens] : [], seeds ? [seeds] : [], [lse]);
  checkOutputs(op, D, inputs, [['dQ', dQ], ['dK', dK], ['dV', dV]]);
  const operands = [...inputs, dQ.tensor, dK.tensor, dV.tensor];
  require(!operands.some((t) => t.buffer === stats.buffer), op, 'scratch shares a buffer with another operand');

  const params = createUniform(gpu, paramFields(spec, { q, k, v, o, dO, dQ, dK, dV }), 'attention params');
  const dummy = q.tensor;
  const bh = spec.batch * spec.heads;
  const delta = makeDispatch(gpu, `${op} delta`, gpu.pipelines.get(SHADER, 'attention_backward_delta'),
    [params, o.tensor, dO.tensor, lse, seeds ?? dummy, stats], linearGrid(gpu, bh * spec.tq, 256));
  const common = [params, q.tensor, k.tensor, v.tensor, spec.keyTokens ?? dummy, dO.tensor, stats];
  const dq = makeDispatch(gpu, `${op} dQ`, gpu.pipelines.get(SHADER, 'attention_backward_dq', constantsFor(spec)),
    [...common, dQ.tensor], [ceilDiv(spec.tq, ATTENTION_LIMITS.rowsPerWorkgroup), bh]);
  const dkdv = makeDispatch(gpu, `${op} dK dV`, gpu.pipelines.get(SHADER, keyGradEntry(op, dK, dV), constantsFor(spec)),
    [...common, ...keyGradBindings(dK, dV)], [ceilDiv(spec.tk, ATTENTION_LIMITS.rowsPerWorkgroup), bh]);
  return [delta, dq, dkdv];
}

/**
 * The attention probabilities P = softmax(Q K^T / sqrt(dHead) + mask) of heads `range` (default all),
 * recomputed as exp(S - lse) from the forward's q, k (same views and spec) and its saved lse, into
 * probs (B, count, Tq, Tk) f32: element ((b*count + h - first)*Tq + i)*Tk + j. Masked keys get 0, a fully
 * masked row is all 0. Dropout is not applied (these are the probabilities before it; spec.dropout is
 * ignored), so the rows of unmasked queries sum to 1.
 */
export function attentionProbs(
  gpu: Gpu, spec: AttentionSpec, q: AttentionView, k: AttentionView, lse: GpuTensor, probs: GpuTensor, range?: HeadRange,
): Dispatch[] {
  const op = 'attentionProbs';
  const s = { ...spec, dropout: 0 };
  const heads = range ?? { first: 0, count: spec.heads };
  checkSpec(op, s);
  const { first, count } = heads;
  require(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 1 && first + count <= spec.heads, op,
    `heads [${first}, ${first + count}) outside the ${spec.heads} heads`);
  const D = spec.heads * spec.dHead;
  checkView(op, 'q', q, spec.batch * spec.tq, D);
  checkView(op, 'k', k, spec.batch * spec.tk, D);
  require(lse.dtype === 'f32' && numel(lse.shape) === spec.batch * spec.heads * spec.tq, op, `lse [${lse.shape}] is not f32 (B, H, Tq)`);
  const n = spec.batch * count * spec.tq * spec.tk;
  require(probs.dtype === 'f32' && numel(probs.shape) === n, op, `probs [${probs.shape}] is not f32 (B=${spec.batch}, ${count} heads, Tq=${spec.tq}, Tk=${spec.tk})`);
  const inputs = [q.tensor, k.tensor, lse].concat(spec.keyTokens ? [spec.keyTokens] : []);
  require(!inputs.some((t) => t.buffer === probs.buffer), op, 'probs shares a buffer with an input');

  const params = createUniform(gpu, paramFields(s, { q, k }, heads), 'attention probs params');
  const pipeline = gpu.pipelines.get(SHADER, 'attention_probs', constantsFor(s));
  const resources = [params, q.tensor, k.tensor, lse, spec.keyTokens ?? q.tensor, probs];
  return [makeDispatch(gpu, op, pipeline, resources, linearGrid(gpu, n, 256))];
}
