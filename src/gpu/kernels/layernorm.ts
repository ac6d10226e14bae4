// Launchers for shaders/layernorm.wgsl (LayerNorm over the last dim, model.md "Shared pieces"). Each
// returns dispatches built once; the dg/db partial scratch is created here once and owned by them. The row
// kernels (forward, dx) run from shaders/layernorm_subgroups.wgsl when the device has subgroups.
import type { Gpu } from '../device.ts';
import { Usage } from '../buffers.ts';
import { ceilDiv, createUniform, linearGrid, makeDispatch, require, type Dispatch } from '../kernel.ts';
import { createTensor, numel, type GpuTensor } from '../tensor.ts';

const SHADER = 'layernorm';
const SUBGROUP_SHADER = 'layernorm_subgroups';
/** Threads of the workgroup-memory row kernels (several rows per workgroup). */
const ROW_WORKGROUP = 256;
/** Threads of the subgroup row kernels; each covers ROW_WORKGROUP_SG / OWNER_STRIDE = 8 rows. */
const ROW_WORKGROUP_SG = 64;
/**
 * Threads per row slot of the subgroup kernels. Lavapipe (subgroups of 8) times the same from 1 to 32;
 * 8 gives a 32-wide subgroup 4 rows, enough workgroups for a GPU's occupancy at the model's N.
 */
const OWNER_STRIDE = 8;
export const LAYERNORM_EPS = 1e-5;
/** Rows reduced by one dg/db workgroup; more rows than this take a finish dispatch. */
export const LAYERNORM_ROWS_PER_CHUNK = 64;

/** How the row kernels reduce: subgroup operations (the default where the device has them) or workgroup memory. */
export interface LayerNormRowOptions {
  /** false forces the workgroup-memory kernels; true requires the `subgroups` feature. */
  subgroups?: boolean;
  /** Tests: sum rows with subgroupAdd even in full subgroups (the path partial subgroups take). */
  subgroupAdd?: boolean;
}

export interface LayerNormForwardArgs extends LayerNormRowOptions {
  y: GpuTensor; // (N, D)
  mean: GpuTensor; // (N) saved for the backward
  rstd: GpuTensor; // (N) saved for the backward
  x: GpuTensor; // (N, D)
  g: GpuTensor; // (D)
  b: GpuTensor; // (D)
  /**
   * The residual add fused in front: the LayerNorm's input is x + dropout(x2), and x2 (N, D) is overwritten
   * with it (the backward's x; x2's own values are not needed after: its only reader is this LayerNorm).
   */
  residual?: { x2: GpuTensor; dropout?: ResidualDropout };
}

/** The dropout of a fused residual's second addend: shaders/dropout.wgsl's mask (same seed, stream, rate). */
export interface ResidualDropout {
  rate: number;
  stream: number;
  seeds: GpuTensor<'u32'>;
  seedIndex?: number;
}

export interface LayerNormBackwardArgs extends LayerNormRowOptions {
  dx: GpuTensor; // (N, D)
  dg: GpuTensor; // (D)
  db: GpuTensor; // (D)
  dy: GpuTensor; // (N, D)
  x: GpuTensor; // (N, D)
  g: GpuTensor; // (D)
  mean: GpuTensor; // (N)
  rstd: GpuTensor; // (N)
  /** Add into dx (e.g. the residual branch's gradient already there) instead of overwriting it. */
  accumulate?: boolean;
  /** Add into dg, db instead of overwriting them. */
  accumulateParams?: boolean;
  /** A second dx output (the other addend of a fused residual add), (N, D), with its own accumulate flag. */
  dx2?: GpuTensor;
  accumulate2?: boolean;
  /** The forward's residual dropout: dx2 gets dx times its mask. */
  dropout?: ResidualDropout;
  /**
   * Where the dg/db chunk partials go ((chunks, D) each, see layernormParamChunks) when another dispatch
   * finishes them (src/graph/finish.ts): then no finish dispatch is made here. Ignored when chunks = 1.
   */
  partials?: { g: GpuTensor; b: GpuTensor };
}

/** Row chunks of the dg/db reduction of N rows (1: written directly, no finish). */
export const layernormParamChunks = (rows: number): number => ceilDiv(rows, LAYERNORM_ROWS_PER_CHUNK);

/** Whether two tensors share bytes (views of one buffer may sit side by side). */
function overlaps(p: GpuTensor, q: GpuTensor): boolean {
  if (p.buffer !== q.buffer) return false;
  const [p0, q0] = [p.byteOffset ?? 0, q.byteOffset ?? 0];
  return p0 < q0 + numel(q.shape) * 4 && q0 < p0 + numel(p.shape) * 4;
}

/** N and D of a LayerNorm call, checked against every tensor. */
function layerShape(op: string, x: GpuTensor, g: GpuTensor, rowTensors: GpuTensor[], dimTensors: GpuTensor[], sameAsX: GpuTensor[]): [number, number] {
  const dim = numel(g.shape);
  const total = numel(x.shape);
  require(dim > 0 && total > 0 && total % dim === 0, op, `x [${x.shape}] is not (N, D = ${dim})`);
  const rows = total / dim;
  for (const t of rowTensors) require(numel(t.shape) === rows, op, `expected ${rows} row statistics, got [${t.shape}]`);
  for (const t of dimTensors) require(numel(t.shape) === dim, op, `expected a (D = ${dim}) vector, got [${t.shape}]`);
  for (const t of sameAsX) require(numel(t.shape) === total, op, `expected [${x.shape}], got [${t.shape}]`);
  return [rows, dim];
}

function uniform(gpu: Gpu, rows: number, dim: number, accumulate: boolean, chunks = 1, accumulate2 = false, dropout?: ResidualDropout) {
  return createUniform(gpu, [
    ['u32', rows],
    ['u32', dim],
    ['f32', LAYERNORM_EPS],
    ['u32', accumulate ? 1 : 0],
    ['u32', chunks],
    ['u32', LAYERNORM_ROWS_PER_CHUNK],
    ['u32', accumulate2 ? 1 : 0],
    ['u32', dropout?.stream ?? 0],
    ['f32', dropout?.rate ?? 0],
    ['u32', dropout?.seedIndex ?? 0],
  ]);
}

/** The seeds binding (9) of the row kernels: the dropout's seeds, checked, or a stand-in. */
function seedsOf(gpu: Gpu, op: string, dropout?: ResidualDropout): GPUBuffer {
  if (!dropout) return gpu.owner.shared('layernorm no seeds', 256, Usage.STORAGE, 'layernorm unused seeds');
  const { rate, stream, seeds, seedIndex = 0 } = dropout;
  require(rate >= 0 && rate < 1, op, `dropout rate ${rate} outside [0, 1)`);
  require(Number.isInteger(stream) && stream >= 0 && stream <= 0xffffffff, op, `stream ${stream} is not a u32`);
  require(seeds.dtype === 'u32' && Number.isInteger(seedIndex) && seedIndex >= 0 && seedIndex < numel(seeds.shape), op, `seed index ${seedIndex} outside the u32 seeds buffer [${seeds.shape}]`);
  return seeds.buffer;
}

/** The stand-in for an unused fused binding (never read or written). */
function unused(gpu: Gpu): GPUBuffer {
  return gpu.owner.shared('layernorm unused', 256, Usage.STORAGE, 'layernorm unused binding');
}

/** Threads per row of the workgroup-memory kernels: about 4 elements each, 8..32 (a power of two). */
function layernormLanes(dim: number): number {
  let lanes = 8;
  while (lanes < 32 && lanes * 4 < dim) lanes *= 2;
  return lanes;
}

/** Pipeline and workgroup grid of a row kernel (`entry` forward or backward_input) in the chosen variant. */
function rowKernel(gpu: Gpu, op: string, entry: string, rows: number, dim: number, o: LayerNormRowOptions, fused: Record<string, boolean>) {
  const subgroups = o.subgroups ?? gpu.features.subgroups;
  require(!subgroups || gpu.features.subgroups, op, 'subgroups requested but the device has no `subgroups` feature');
  if (subgroups) {
    const pipeline = gpu.pipelines.get(SUBGROUP_SHADER, `${entry}_sg`, { OWNER_STRIDE, SUBGROUP_ADD: o.subgroupAdd ?? false, ...fused });
    return { pipeline, grid: linearGrid(gpu, rows, ROW_WORKGROUP_SG / OWNER_STRIDE) };
  }
  const lanes = layernormLanes(dim);
  return { pipeline: gpu.pipelines.get(SHADER, entry, { LANES: lanes, ...fused }), grid: linearGrid(gpu, rows, ROW_WORKGROUP / lanes) };
}

/** y = LN(x) * g + b over the last dim (x + x2 with `residual`); also writes mean and rstd per row. */
export function layernormForward(gpu: Gpu, a: LayerNormForwardArgs): Dispatch {
  const op = 'layernormForward';
  const r = a.residual;
  const [rows, dim] = layerShape(op, a.x, a.g, [a.mean, a.rstd], [a.b], r ? [a.y, r.x2] : [a.y]);
  require(a.y.buffer !== a.x.buffer, op, 'y must not alias x');
  if (r) require(![a.x.buffer, a.g.buffer, a.b.buffer, a.y.buffer].includes(r.x2.buffer), op, 'x2 must not share a buffer with x, g, b or y');
  const { pipeline, grid } = rowKernel(gpu, op, 'layernorm_forward', rows, dim, a, { ADD_RESIDUAL: r !== undefined });
  const resources = [uniform(gpu, rows, dim, false, 1, false, r?.dropout), a.y, a.mean, a.rstd, a.x, a.g, a.b, r?.x2 ?? unused(gpu), seedsOf(gpu, op, r?.dropout)];
  return makeDispatch(gpu, op, pipeline, resources, grid);
}

/**
 * dx, dg, db from dy and the forward's saved mean/rstd: one dispatch for dx (several rows per workgroup), then
 * dg/db as chunk partials (written straight to dg/db when N <= LAYERNORM_ROWS_PER_CHUNK) and a
 * fixed-order finish.
 */
export function layernormBackward(gpu: Gpu, a: LayerNormBackwardArgs): Dispatch[] {
  const op = 'layernormBackward';
  const [rows, dim] = layerShape(op, a.x, a.g, [a.mean, a.rstd], [a.dg, a.db], a.dx2 ? [a.dx, a.dy, a.dx2] : [a.dx, a.dy]);
  require(a.dx.buffer !== a.dy.buffer && a.dx.buffer !== a.x.buffer, op, 'dx must not alias dy or x');
  if (a.dx2) require(a.dx2.buffer !== a.dy.buffer && a.dx2.buffer !== a.x.buffer && !overlaps(a.dx, a.dx2), op, 'dx2 must not alias dx, dy or x');
  require(!overlaps(a.dg, a.db), op, 'dg and db overlap');
  const accumulateParams = a.accumulateParams ?? false;
  const input = rowKernel(gpu, op, 'layernorm_backward_input', rows, dim, a, { DUAL_DX: a.dx2 !== undefined });
  require(!a.dropout || a.dx2 !== undefined, op, 'a residual dropout needs dx2 (it applies to the second addend)');
  const inputRes = [uniform(gpu, rows, dim, a.accumulate ?? false, 1, a.accumulate2 ?? false, a.dropout), a.dx, a.dy, a.x, a.g, a.mean, a.rstd, a.dx2 ?? unused(gpu), seedsOf(gpu, op, a.dropout)];
  const dispatches = [makeDispatch(gpu, `${op}.dx`, input.pipeline, inputRes, input.grid)];

  const chunks = layernormParamChunks(rows);
  const paramsPipeline = gpu.pipelines.get(SHADER, 'layernorm_backward_params');
  const grid = [ceilDiv(dim, 64), chunks] as const;
  const stats = [a.dy, a.x, a.mean, a.rstd];
  if (chunks === 1) {
    const res = [uniform(gpu, rows, dim, accumulateParams), a.dg, a.db, ...stats];
    dispatches.push(makeDispatch(gpu, `${op}.dgdb`, paramsPipeline, res, grid));
    return dispatches;
  }
  if (a.partials) {
    for (const t of [a.partials.g, a.partials.b]) require(numel(t.shape) === chunks * dim, op, `partials [${t.shape}] are not (${chunks}, ${dim})`);
    require(!overlaps(a.partials.g, a.partials.b), op, 'the dg and db partials overlap');
    const res = [uniform(gpu, rows, dim, false, chunks), a.partials.g, a.partials.b, ...stats];
    dispatches.push(makeDispatch(gpu, `${op}.dgdb.partial`, paramsPipeline, res, grid));
    return dispatches;
  }
  const partG = createTensor(gpu, [chunks, dim], 'f32', `${op}.dg.partials`);
  const partB = createTensor(gpu, [chunks, dim], 'f32', `${op}.db.partials`);
  const partialRes = [uniform(gpu, rows, dim, false, chunks), partG, partB, ...stats];
  const finishPipeline = gpu.pipelines.get(SHADER, 'layernorm_params_finish');
  const finishRes = [uniform(gpu, rows, dim, accumulateParams, chunks), a.dg, a.db, partG, partB];
  dispatches.push(makeDispatch(gpu, `${op}.dgdb.partial`, paramsPipeline, partialRes, grid));
  dispatches.push(makeDispatch(gpu, `${op}.dgdb.finish`, finishPipeline, finishRes, [ceilDiv(dim, 256)]));
  return dispatches;
}
