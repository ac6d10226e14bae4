// Launcher for shaders/simplex.wgsl: after the optimizer step, project each kappa/alpha vector (rows of a
// (L, M) block of the flat params buffer) onto the probability simplex, unless the step was skipped.
import type { Gpu } from '../device.ts';
import { ceilDiv, createUniform, makeDispatch, require, windowOf, type Dispatch } from '../kernel.ts';
import { numel, type GpuTensor } from '../tensor.ts';
import { STEP_STATUS_WORDS } from './grad_norm.ts';

const SHADER = 'simplex';
const WORKGROUP = 64;
export const SIMPLEX_MAX_M = 16;

export interface SimplexRows {
  /** Element offset of row 0 in the flat params buffer. */
  offset: number;
  /** Number of vectors L. */
  rows: number;
  /** Entries per vector M, 1..16. */
  m: number;
  /** Elements from one row to the next (default m: contiguous rows). */
  stride?: number;
}

/** params[row r] = projection onto the simplex, for r < rows; nothing when status says non-finite. */
export function simplexProject(gpu: Gpu, params: GpuTensor, status: GpuTensor, layout: SimplexRows): Dispatch {
  const op = 'simplexProject';
  const { offset, rows, m, stride = m } = layout;
  const total = numel(params.shape);
  require(Number.isInteger(m) && m >= 1 && m <= SIMPLEX_MAX_M, op, `M = ${m} must be in 1..${SIMPLEX_MAX_M}`);
  require(Number.isInteger(rows) && rows >= 0 && Number.isInteger(offset) && offset >= 0, op, `rows ${rows} and offset ${offset} must be integers >= 0`);
  require(Number.isInteger(stride) && stride >= m, op, `stride ${stride} < M = ${m} would overlap rows`);
  require(rows === 0 || offset + (rows - 1) * stride + m <= total, op, `${rows} rows of ${m} at offset ${offset} (stride ${stride}) exceed params of ${total} elements`);
  require(numel(status.shape) >= STEP_STATUS_WORDS, op, `status needs ${STEP_STATUS_WORDS} words`);
  // Bind only the rows' window of the (possibly huge) flat buffer, from the 256-byte boundary below row 0.
  const start = Math.floor(offset / 64) * 64;
  const size = Math.max(1, rows === 0 ? 1 : offset + (rows - 1) * stride + m - start);
  const config = createUniform(gpu, [['u32', offset - start], ['u32', rows], ['u32', m], ['u32', stride]]);
  const pipeline = gpu.pipelines.get(SHADER, 'simplex_project');
  return makeDispatch(gpu, op, pipeline, [config, status.buffer, windowOf(params, start, Math.min(size, total - start))], [ceilDiv(rows, WORKGROUP)]);
}
