// Launchers for shaders/grad_norm.wgsl: the global gradient norm, the non-finite flag and the clip scale
// of one training step, written into the small "step status" buffer that Adam and the simplex projection
// read (to scale the gradient, or to skip the whole update when a gradient is NaN/Inf).
import type { Gpu } from '../device.ts';
import { createUniform, makeDispatch, maxBindingElements, require, windowOf, writeUniform, type Dispatch, type UniformField } from '../kernel.ts';
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
  /** Partial sums (one dispatch per binding window), then the final sum: encode all, in order, every step. */
  dispatches: readonly Dispatch[];
  /** Change the clip threshold (a uniform rewrite; nothing is recreated). */
  setClip(clip: number): void;
}

/**
 * status = norm, non-finite flag and clip scale of grads[offset .. offset + count). The chunking (workgroup
 * w sums elements [w·chunk, (w+1)·chunk) of the range) depends on the range only; when the range exceeds
 * the device's largest storage binding, the partial stage is dispatched per window of whole chunks, each
 * binding only its window, so the norm is bit-identical to the one-binding run.
 */
export function gradNorm(gpu: Gpu, grads: GpuTensor, status: GpuTensor, opts: GradNormOptions = {}): GradNorm {
  const op = 'gradNorm';
  const total = numel(grads.shape);
  const offset = opts.offset ?? 0;
  const count = opts.count ?? total - offset;
  require(grads.dtype === 'f32', op, 'grads must be f32');
  require(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 0 && offset + count <= total, op, `range [${offset}, ${offset}+${count}) outside grads of ${total} elements`);
  require(numel(status.shape) >= STEP_STATUS_WORDS, op, `status needs ${STEP_STATUS_WORDS} words, has [${status.shape}]`);
  const groups = Math.min(MAX_PARTIALS, Math.max(1, Math.ceil(count / TARGET_PER_WORKGROUP)));
  const chunk = Math.max(1, Math.ceil(count / groups));
  const fields = (clip: number, rel = 0, n = count, base = 0): UniformField[] => {
    require(clip >= 0 && Number.isFinite(clip), op, `clip ${clip} must be finite and >= 0 (0 = off)`);
    return [['u32', rel], ['u32', n], ['u32', chunk], ['u32', groups], ['f32', clip], ['u32', opts.haltAfterNonfinite ? 1 : 0], ['u32', base]];
  };
  const clip = opts.clip ?? 0;
  fields(clip);
  const partials = createTensor(gpu, [groups * 2], 'f32', 'grad norm partials').buffer;
  const partialPipeline = gpu.pipelines.get(SHADER, 'grad_norm_partial');
  // Whole chunks per window: a window starts up to 63 elements before its first chunk (256-B alignment).
  const perWindow = Math.floor((maxBindingElements(gpu) - 63) / chunk);
  require(perWindow >= 1, op, `a chunk of ${chunk} gradients (+ alignment) exceeds this device's maxStorageBufferBindingSize (${gpu.limits.maxStorageBufferBindingSize} bytes)`);
  const dispatches: Dispatch[] = [];
  for (let w0 = 0; w0 < groups; w0 += perWindow) {
    const w1 = Math.min(groups, w0 + perWindow);
    const first = offset + w0 * chunk, end = offset + Math.min(count, w1 * chunk);
    const start = Math.floor(first / 64) * 64;
    const uniform = createUniform(gpu, fields(clip, first - start, end - start - (first - start), w0));
    const window = windowOf(grads, start, end - start);
    dispatches.push(makeDispatch(gpu, `${op}.partial`, partialPipeline, [uniform, partials, window], [w1 - w0]));
  }
  const finalUniform = createUniform(gpu, fields(clip));
  dispatches.push(makeDispatch(gpu, `${op}.final`, gpu.pipelines.get(SHADER, 'grad_norm_final'), [finalUniform, partials, status.buffer], [1]));
  return { dispatches, setClip: (c) => writeUniform(gpu, finalUniform, fields(c)) };
}
