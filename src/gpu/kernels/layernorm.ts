// Launchers for shaders/layernorm.wgsl (LayerNorm over the last dim, model.md "Shared pieces"). Each
// returns dispatches built once; the dg/db partial scratch is created here once and owned by them.
import type { Gpu } from '../device.ts';
import { ceilDiv, createUniform, linearGrid, makeDispatch, require, type Dispatch } from '../kernel.ts';
import { createTensor, numel, type GpuTensor } from '../tensor.ts';

const SHADER = 'layernorm';
export const LAYERNORM_EPS = 1e-5;
/** Rows reduced by one dg/db workgroup; more rows than this take a finish dispatch. */
export const LAYERNORM_ROWS_PER_CHUNK = 64;

export interface LayerNormForwardArgs {
  y: GpuTensor; // (N, D)
  mean: GpuTensor; // (N) saved for the backward
  rstd: GpuTensor; // (N) saved for the backward
  x: GpuTensor; // (N, D)
  g: GpuTensor; // (D)
  b: GpuTensor; // (D)
}

export interface LayerNormBackwardArgs {
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
}

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

function uniform(gpu: Gpu, rows: number, dim: number, accumulate: boolean, chunks = 1) {
  return createUniform(gpu, [
    ['u32', rows],
    ['u32', dim],
    ['f32', LAYERNORM_EPS],
    ['u32', accumulate ? 1 : 0],
    ['u32', chunks],
    ['u32', LAYERNORM_ROWS_PER_CHUNK],
  ]);
}

/** y = LN(x) * g + b over the last dim; also writes mean and rstd per row. */
export function layernormForward(gpu: Gpu, a: LayerNormForwardArgs): Dispatch {
  const op = 'layernormForward';
  const [rows, dim] = layerShape(op, a.x, a.g, [a.mean, a.rstd], [a.b], [a.y]);
  require(a.y.buffer !== a.x.buffer, op, 'y must not alias x');
  const pipeline = gpu.pipelines.get(SHADER, 'layernorm_forward');
  const resources = [uniform(gpu, rows, dim, false), a.y, a.mean, a.rstd, a.x, a.g, a.b];
  return makeDispatch(gpu, op, pipeline, resources, linearGrid(gpu, rows, 1));
}

/**
 * dx, dg, db from dy and the forward's saved mean/rstd: one dispatch for dx (a workgroup per row), then
 * dg/db as chunk partials (written straight to dg/db when N <= LAYERNORM_ROWS_PER_CHUNK) and a
 * fixed-order finish.
 */
export function layernormBackward(gpu: Gpu, a: LayerNormBackwardArgs): Dispatch[] {
  const op = 'layernormBackward';
  const [rows, dim] = layerShape(op, a.x, a.g, [a.mean, a.rstd], [a.dg, a.db], [a.dx, a.dy]);
  require(a.dx.buffer !== a.dy.buffer && a.dx.buffer !== a.x.buffer, op, 'dx must not alias dy or x');
  require(!overlaps(a.dg, a.db), op, 'dg and db overlap');
  const accumulateParams = a.accumulateParams ?? false;
  const inputPipeline = gpu.pipelines.get(SHADER, 'layernorm_backward_input');
  const inputRes = [uniform(gpu, rows, dim, a.accumulate ?? false), a.dx, a.dy, a.x, a.g, a.mean, a.rstd];
  const dispatches = [makeDispatch(gpu, `${op}.dx`, inputPipeline, inputRes, linearGrid(gpu, rows, 1))];

  const chunks = ceilDiv(rows, LAYERNORM_ROWS_PER_CHUNK);
  const paramsPipeline = gpu.pipelines.get(SHADER, 'layernorm_backward_params');
  const grid = [ceilDiv(dim, 64), chunks] as const;
  const stats = [a.dy, a.x, a.mean, a.rstd];
  if (chunks === 1) {
    const res = [uniform(gpu, rows, dim, accumulateParams), a.dg, a.db, ...stats];
    dispatches.push(makeDispatch(gpu, `${op}.dgdb`, paramsPipeline, res, grid));
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
