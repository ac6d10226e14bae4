// Launcher for shaders/reduce.wgsl: deterministic column sums for bias gradients. The partial-sum scratch
// is created once here and owned by the returned dispatches; replaying them creates nothing.
import type { Gpu } from '../device.ts';
import { ceilDiv, createUniform, linearGrid, makeDispatch, require, type Dispatch, type UniformField } from '../kernel.ts';
import { createTensor, numel, uploadTensor, type GpuTensor } from '../tensor.ts';

const SHADER = 'reduce';
const COLS_PER_GROUP = 64;
/** Rows summed by one stage-1 workgroup; more rows than this take a second (finish) dispatch. */
export const ROWS_PER_CHUNK = 128;

export interface ColumnSumOptions {
  /** Independent sums stacked on the leading axis: inp (batch, rows, cols) -> out (batch, cols). */
  batch?: number;
  /** Add into out instead of overwriting it. */
  accumulate?: boolean;
}

function params(rows: number, cols: number, chunks: number, accumulate: boolean, outputs: number): UniformField[] {
  return [
    ['u32', rows],
    ['u32', cols],
    ['u32', chunks],
    ['u32', ROWS_PER_CHUNK],
    ['u32', accumulate ? 1 : 0],
    ['u32', outputs],
  ];
}

/**
 * out (batch, cols) (+)= sum over rows of inp (batch, rows, cols), e.g. db (N) from dY (rows, N), or the
 * per-branch db2 (M, D) from dY (M, B*T, D) with batch = M. Shapes are taken from element counts:
 * cols = numel(out) / batch, rows = numel(inp) / numel(out).
 * One dispatch when rows <= ROWS_PER_CHUNK; otherwise chunk partials into a scratch (batch, chunks, cols)
 * and a finish that adds them in chunk order.
 */
export function columnSum(gpu: Gpu, out: GpuTensor, inp: GpuTensor, options: ColumnSumOptions = {}): Dispatch[] {
  const op = 'columnSum';
  const { batch = 1, accumulate = false } = options;
  const outputs = numel(out.shape);
  const total = numel(inp.shape);
  require(Number.isInteger(batch) && batch >= 1, op, `batch must be a positive integer, got ${batch}`);
  require(outputs > 0 && outputs % batch === 0, op, `out [${out.shape}] does not split into ${batch} batch entries`);
  require(total > 0 && total % outputs === 0, op, `inp [${inp.shape}] is not (batch ${batch}, rows, cols ${outputs / batch})`);
  require(out.buffer !== inp.buffer, op, 'out and inp must be different buffers');
  const cols = outputs / batch;
  const rows = total / outputs;
  const chunks = ceilDiv(rows, ROWS_PER_CHUNK);
  const grid = [ceilDiv(cols, COLS_PER_GROUP), chunks, batch] as const;
  const partial = gpu.pipelines.get(SHADER, 'column_sum_partial');
  if (chunks === 1) {
    const uniform = createUniform(gpu, params(rows, cols, 1, accumulate, outputs));
    return [makeDispatch(gpu, op, partial, [uniform, out, inp], grid)];
  }
  const scratch = createTensor(gpu, [batch, chunks, cols], 'f32', `${op}.partials`);
  const partialUniform = createUniform(gpu, params(rows, cols, chunks, false, outputs));
  const finishUniform = createUniform(gpu, params(rows, cols, chunks, accumulate, outputs));
  const finish = gpu.pipelines.get(SHADER, 'column_sum_finish');
  return [
    makeDispatch(gpu, `${op}.partial`, partial, [partialUniform, scratch, inp], grid),
    makeDispatch(gpu, `${op}.finish`, finish, [finishUniform, out, scratch], linearGrid(gpu, outputs, 256)),
  ];
}

/**
 * One reduction's finish: out[dst + j] (+)= sum over c < chunks, in order, of partials[src + c * chunkStride +
 * j * colStride], j < cols (defaults: chunkStride cols, colStride 1: partials (chunks, cols)).
 */
export interface FinishSegment {
  src: number;
  chunks: number;
  cols: number;
  chunkStride?: number;
  colStride?: number;
  dst: number;
  accumulate: boolean;
}

/**
 * The finishes of many two-stage reductions in one dispatch (shaders/reduce.wgsl segment_finish): each
 * segment sums its chunk partials in chunk order, like column_sum_finish. Segments must not write
 * overlapping outputs. The segment table is uploaded here once.
 */
export function segmentFinish(gpu: Gpu, out: GpuTensor, partials: GpuTensor, segments: readonly FinishSegment[]): Dispatch {
  const op = 'segmentFinish';
  require(segments.length > 0, op, 'no segments');
  require(out.buffer !== partials.buffer, op, 'out and partials must be different buffers');
  const outSize = numel(out.shape), partSize = numel(partials.shape);
  const words: number[] = [];
  for (const [i, s] of segments.entries()) {
    const { chunkStride = s.cols, colStride = 1 } = s;
    require([s.src, s.chunks, s.cols, s.dst, chunkStride, colStride].every((v) => Number.isInteger(v) && v >= 0) && s.chunks > 0 && s.cols > 0, op, `segment ${i}: bad table entry ${JSON.stringify(s)}`);
    const last = s.src + (s.chunks - 1) * chunkStride + (s.cols - 1) * colStride;
    require(last < partSize, op, `segment ${i} reads partials up to element ${last} of ${partSize}`);
    require(s.dst + s.cols <= outSize, op, `segment ${i} writes out [${s.dst}, +${s.cols}) of ${outSize}`);
    words.push(s.src, s.chunks, s.cols, chunkStride, colStride, s.dst, s.accumulate ? 1 : 0);
  }
  const table = uploadTensor(gpu, Uint32Array.from(words), [words.length], 'u32', `${op} table`);
  const uniform = createUniform(gpu, params(0, 0, segments.length, false, 0));
  return makeDispatch(gpu, op, gpu.pipelines.get(SHADER, 'segment_finish'), [uniform, out, partials, table], [segments.length]);
}
