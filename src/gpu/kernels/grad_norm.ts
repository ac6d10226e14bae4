// Launchers for shaders/grad_norm.wgsl: the global gradient norm, the non-finite flag and the clip scale
// of one training step, written into the small "step status" buffer that Adam and the simplex projection
// read (to scale the gradient, or to skip the whole update when a gradient is NaN/Inf).
import type { Gpu } from '../device.ts';
import { createUniform, makeDispatch, require, writeUniform, type Dispatch, type UniformField } from '../kernel.ts';
import { createTensor, numel, readBuffer, uploadTensor, type GpuTensor } from '../tensor.ts';

const SHADER = 'grad_norm';
/** Elements per thread that the chunking aims for, and the most partial sums (scratch entries). */
const TARGET_PER_WORKGROUP = 256 * 8;
const MAX_PARTIALS = 1024;

/** Step status layout: 4 words, [norm f32, nonfinite u32, clipScale f32, skipped u32]. */
export const STEP_STATUS_WORDS = 4;

export interface StepStatus {
  /** L2 norm of the reduced gradient range (NaN/Inf when nonfinite). */
  norm: number;
  /** Some gradient (or the sum of squares) was NaN/Inf, or the update would have made a weight NaN/Inf
   *  (adamGuard): the optimizer writes nothing this step. */
  nonfinite: boolean;
  /** The non-finite value was in the update (adamGuard), not in the gradient. */
  nonfiniteUpdate: boolean;
  /** Factor the optimizer applies to the gradient: min(1, clip / norm), 1 when clipping is off. */
  clipScale: number;
  /** Runs of the reduction that found a non-finite value since the buffer was created. */
  skipped: number;
}

/** A fresh step status: norm 0, finite, clip scale 1, nothing skipped (Adam may run without gradNorm). */
export function createStepStatus(gpu: Gpu): GpuTensor<'f32'> {
  return uploadTensor(gpu, Float32Array.of(0, 0, 1, 0), [STEP_STATUS_WORDS], 'f32', 'step status');
}

export function decodeStepStatus(bytes: ArrayBuffer): StepStatus {
  const view = new DataView(bytes);
  return {
    norm: view.getFloat32(0, true),
    nonfinite: view.getUint32(4, true) !== 0,
    nonfiniteUpdate: view.getUint32(4, true) === 2,
    clipScale: view.getFloat32(8, true),
    skipped: view.getUint32(12, true),
  };
}

/** Read the status back (a staging copy: for tests and tools, not the step loop). */
export async function readStepStatus(gpu: Gpu, status: GpuTensor): Promise<StepStatus> {
  return decodeStepStatus(await readBuffer(gpu, status.buffer, STEP_STATUS_WORDS * 4));
}

export interface GradNormOptions {
  /** First element of the range in the flat grads buffer (default 0). */
  offset?: number;
  /** Elements in the range (default: the rest of the buffer). */
  count?: number;
  /** Clip the global norm to this value; 0 (default) turns clipping off. */
  clip?: number;
  /** Halt after the first non-finite step: every later step reports non-finite too, so the optimizer
   *  writes nothing from then on (steps already queued behind a diverging one cannot move the weights). */
  haltAfterNonfinite?: boolean;
}

export interface GradNorm {
  /** Partial sums, then the final sum: encode both, in order, every step. */
  dispatches: readonly [Dispatch, Dispatch];
  /** Change the clip threshold (a uniform rewrite; nothing is recreated). */
  setClip(clip: number): void;
}

/** status = norm, non-finite flag and clip scale of grads[offset .. offset + count). */
export function gradNorm(gpu: Gpu, grads: GpuTensor, status: GpuTensor, opts: GradNormOptions = {}): GradNorm {
  const op = 'gradNorm';
  const total = numel(grads.shape);
  const offset = opts.offset ?? 0;
  const count = opts.count ?? total - offset;
  require(grads.dtype === 'f32', op, 'grads must be f32');
  require(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 0 && offset + count <= total, op, `range [${offset}, ${offset}+${count}) outside grads of ${total} elements`);
  require(numel(status.shape) >= STEP_STATUS_WORDS, op, `status needs ${STEP_STATUS_WORDS} words, has [${status.shape}]`);
  const groups = Math.min(MAX_PARTIALS, Math.max(1, Math.ceil(count / TARGET_PER_WORKGROUP)));
  const chunk = Math.ceil(count / groups);
  const fields = (clip: number): UniformField[] => {
    require(clip >= 0 && Number.isFinite(clip), op, `clip ${clip} must be finite and >= 0 (0 = off)`);
    return [['u32', offset], ['u32', count], ['u32', chunk], ['u32', groups], ['f32', clip], ['u32', opts.haltAfterNonfinite ? 1 : 0]];
  };
  const params = createUniform(gpu, fields(opts.clip ?? 0));
  const partials = createTensor(gpu, [groups * 2], 'f32', 'grad norm partials').buffer;
  const partial = makeDispatch(gpu, `${op}.partial`, gpu.pipelines.get(SHADER, 'grad_norm_partial'), [params, partials, grads.buffer], [groups]);
  const final = makeDispatch(gpu, `${op}.final`, gpu.pipelines.get(SHADER, 'grad_norm_final'), [params, partials, status.buffer], [1]);
  return { dispatches: [partial, final], setClip: (clip) => writeUniform(gpu, params, fields(clip)) };
}
