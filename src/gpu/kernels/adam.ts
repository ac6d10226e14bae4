// Launcher for shaders/adam.wgsl: Adam over one range of the flat params/grads/m/v buffers (dispatched per
// binding window when the range exceeds the device's largest storage binding), and the
// per-step schedule buffer (step t, bias corrections, one learning rate per parameter group) that the
// caller rewrites each step, so a learning-rate schedule changes nothing but buffer contents.
import type { Gpu } from '../device.ts';
import { bindingWindows, createUniform, linearGrid, makeDispatch, maxBindingElements, require, windowOf, type BindingWindow, type Dispatch, type UniformField } from '../kernel.ts';
import { createTensor, numel, uploadTensor, type GpuTensor } from '../tensor.ts';
import { STEP_STATUS_WORDS } from './grad_norm.ts';

const SHADER = 'adam';
const WORKGROUP = 256;
/** Words before the learning rates in the schedule buffer: [t, 1 - beta1^t, sqrt(1 - beta2^t), unused]. */
export const ADAM_SCHEDULE_HEADER = 4;

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
}

/** model.md: beta1 0.9, beta2 0.98, eps 1e-9 (weight decay is always 0). */
export const ADAM_DEFAULTS: AdamHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-9 };

/** Contents of the schedule buffer for step t (1-based): bias corrections in f64, then the group lrs. */
export function adamScheduleWords(step: number, lrs: readonly number[], hyper: AdamHyper, out: Float32Array<ArrayBuffer> = new Float32Array(ADAM_SCHEDULE_HEADER + lrs.length)): Float32Array<ArrayBuffer> {
  require(Number.isInteger(step) && step >= 1, 'adamSchedule', `step ${step} must be an integer >= 1`);
  out[0] = step;
  out[1] = 1 - hyper.beta1 ** step;
  out[2] = Math.sqrt(1 - hyper.beta2 ** step);
  out[3] = 0;
  out.set(lrs, ADAM_SCHEDULE_HEADER);
  return out;
}

export interface AdamSchedule {
  tensor: GpuTensor<'f32'>;
  groups: number;
  hyper: AdamHyper;
  /** Rewrite step t and the learning rates (one per group); a queue write, nothing is created. */
  write(step: number, lrs: readonly number[]): void;
}

/** The schedule buffer for `groups` parameter groups, initialized to step 1 with learning rates 0. */
export function createAdamSchedule(gpu: Gpu, groups: number, hyper: AdamHyper = ADAM_DEFAULTS): AdamSchedule {
  require(Number.isInteger(groups) && groups >= 1, 'adamSchedule', `groups ${groups} must be >= 1`);
  const words = adamScheduleWords(1, new Array<number>(groups).fill(0), hyper);
  const tensor = uploadTensor(gpu, words, [words.length], 'f32', 'adam schedule');
  const write = (step: number, lrs: readonly number[]): void => {
    require(lrs.length === groups, 'adamSchedule', `${lrs.length} learning rates for ${groups} groups`);
    gpu.device.queue.writeBuffer(tensor.buffer, 0, adamScheduleWords(step, lrs, hyper, words));
  };
  return { tensor, groups, hyper, write };
}

/** The flat buffers Adam reads and writes (params, grads, m, v share offsets) and the per-step inputs. */
export interface AdamBuffers {
  params: GpuTensor;
  grads: GpuTensor;
  m: GpuTensor;
  v: GpuTensor;
  /** Step status from gradNorm (or createStepStatus): clip scale and the non-finite skip flag. */
  status: GpuTensor;
  schedule: AdamSchedule;
}

export interface AdamRange {
  /** First element of the range in the flat buffers (default 0). */
  offset?: number;
  /** Elements in the range (default: the rest of the buffers). */
  count?: number;
  /** Parameter group whose learning rate this range uses. */
  group: number;
}

/** The range's offset and count, after the launcher preconditions shared by adamUpdate and adamGuard. */
function checkRange(op: string, bufs: AdamBuffers, range: AdamRange): { offset: number; count: number } {
  const total = numel(bufs.params.shape);
  const offset = range.offset ?? 0;
  const count = range.count ?? total - offset;
  const { hyper, groups } = bufs.schedule;
  for (const name of ['grads', 'm', 'v'] as const) {
    require(numel(bufs[name].shape) === total, op, `${name} has ${numel(bufs[name].shape)} elements, params ${total}`);
  }
  require(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 0 && offset + count <= total, op, `range [${offset}, ${offset}+${count}) outside params of ${total} elements`);
  require(Number.isInteger(range.group) && range.group >= 0 && range.group < groups, op, `group ${range.group} outside the schedule's ${groups} groups`);
  require(numel(bufs.status.shape) >= STEP_STATUS_WORDS, op, `status needs ${STEP_STATUS_WORDS} words`);
  require(hyper.beta1 >= 0 && hyper.beta1 < 1 && hyper.beta2 >= 0 && hyper.beta2 < 1 && hyper.eps > 0, op, 'betas must be in [0, 1) and eps > 0');
  return { offset, count };
}

/** One dispatch's part of the update: a binding window, its group(s) and where the second group starts. */
interface AdamWindow {
  window: BindingWindow;
  group: number;
  group2: number;
  /** Elements of the window before group2 starts (window.count when it holds one group). */
  split: number;
}

/**
 * The binding windows (bindingWindows) of `ranges`, two consecutive contiguous ranges sharing their
 * windows (each element takes its own range's learning rate), so a step's parameter groups need one
 * dispatch per window, not one per group and window.
 */
function adamWindows(op: string, gpu: Gpu, bufs: AdamBuffers, ranges: readonly AdamRange[]): AdamWindow[] {
  const checked = ranges.map((r) => ({ ...checkRange(op, bufs, r), group: r.group }));
  const out: AdamWindow[] = [];
  for (let i = 0; i < checked.length; i++) {
    const a = checked[i], b = checked[i + 1];
    const pair = b !== undefined && a.offset + a.count === b.offset;
    const count = a.count + (pair ? b.count : 0);
    for (const w of bindingWindows(a.offset, count, maxBindingElements(gpu))) {
      const first = w.start + w.offset - a.offset; // the window's first element, relative to the piece
      out.push({ window: w, group: a.group, group2: pair ? b.group : a.group, split: Math.min(w.count, Math.max(0, a.count - first)) });
    }
    if (pair) i++;
  }
  return out;
}

/**
 * One Adam step over ranges of the flat buffers (PyTorch form, see shaders/adam.wgsl), each range with
 * its parameter group's learning rate: one dispatch per binding window (bindingWindows), two consecutive
 * ranges (the main weights and kappa/alpha) sharing them, so a model whose flat buffers exceed the
 * device's largest storage binding still trains; each dispatch binds only its window of params, grads, m
 * and v. Elementwise, so the result does not depend on the windows.
 */
export function adamUpdate(gpu: Gpu, bufs: AdamBuffers, ranges: AdamRange | readonly AdamRange[]): Dispatch[] {
  const op = 'adamUpdate';
  const list = Array.isArray(ranges) ? (ranges as readonly AdamRange[]) : [ranges as AdamRange];
  require(list.length > 0, op, 'no ranges');
  const pipeline = gpu.pipelines.get(SHADER, 'adam_update');
  return adamWindows(op, gpu, bufs, list).map(({ window: w, group, group2, split }) => {
    const config = createUniform(gpu, configFields(bufs.schedule.hyper, w.offset, w.count, group, 0, 0, split, group2));
    const resources = [config, bufs.schedule.tensor.buffer, bufs.status.buffer, ...flatWindows(bufs, w)];
    return makeDispatch(gpu, op, pipeline, resources, linearGrid(gpu, w.count, WORKGROUP));
  });
}

/** The window `w` of params, grads, m and v (bindings 3..6). */
function flatWindows(bufs: AdamBuffers, w: BindingWindow): GpuTensor[] {
  return [bufs.params, bufs.grads, bufs.m, bufs.v].map((t) => windowOf(t, w.start, w.size));
}

function configFields(hyper: AdamHyper, offset: number, count: number, group: number, chunk: number, flagBase: number, split = count, group2 = group): UniformField[] {
  return [
    ['u32', offset], ['u32', count], ['u32', group],
    ['f32', hyper.beta1], ['f32', hyper.beta2], ['f32', 1 - hyper.beta1], ['f32', 1 - hyper.beta2], ['f32', hyper.eps],
    ['u32', chunk], ['u32', flagBase], ['u32', split], ['u32', group2],
  ];
}

/** Elements per adam_check workgroup that the chunking aims for, and the most workgroups per range. */
const CHECK_PER_WORKGROUP = 16384;
const CHECK_MAX_GROUPS = 1024;

/**
 * The update guard (shaders/adam.wgsl adam_check, adam_check_final): encoded after the gradient status and
 * before the adamUpdate dispatches of the same ranges, it sets status.nonfinite = 2 when any range's update
 * would make a parameter or moment NaN/Inf, so that no update of the step writes anything and the weights
 * stay the last finite ones. The flags scratch is owned by the owner of `gpu`.
 */
export function adamGuard(gpu: Gpu, bufs: AdamBuffers, ranges: readonly AdamRange[]): Dispatch[] {
  const op = 'adamGuard';
  require(ranges.length > 0, op, 'no ranges');
  // One check dispatch per binding window of the ranges (two consecutive ranges share them, as in
  // adamUpdate; the flags are ORed: windows change nothing).
  const plans = adamWindows(op, gpu, bufs, ranges).map((p) => {
    const groups = Math.min(CHECK_MAX_GROUPS, Math.max(1, Math.ceil(p.window.count / CHECK_PER_WORKGROUP)));
    return { ...p, groups, chunk: Math.ceil(p.window.count / groups) };
  });
  const flagCount = plans.reduce((n, p) => n + p.groups, 0);
  const flags = createTensor(gpu, [flagCount], 'u32', 'adam guard flags');
  const { hyper } = bufs.schedule;
  const check = gpu.pipelines.get(SHADER, 'adam_check');
  let base = 0;
  const out = plans.map((p) => {
    const config = createUniform(gpu, configFields(hyper, p.window.offset, p.window.count, p.group, p.chunk, base, p.split, p.group2));
    base += p.groups;
    const resources = [config, bufs.schedule.tensor.buffer, bufs.status.buffer, ...flatWindows(bufs, p.window), flags.buffer];
    return makeDispatch(gpu, `${op}.check`, check, resources, [p.groups]);
  });
  const finalConfig = createUniform(gpu, configFields(hyper, 0, flagCount, 0, 0, 0));
  const final = gpu.pipelines.get(SHADER, 'adam_check_final');
  out.push(makeDispatch(gpu, `${op}.final`, final, [finalConfig, flags.buffer, bufs.status.buffer], [1]));
  return out;
}
