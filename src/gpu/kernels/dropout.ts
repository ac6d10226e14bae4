// Launchers for shaders/dropout.wgsl: dropout forward and backward, both out = inp * mask with the mask
// regenerated from (seed, stream, index) by the counter RNG of shaders/rng.wgsl.
//
// The seed is read on the GPU from `seeds[seedIndex]` (a u32 storage buffer the caller owns and rewrites
// every step, e.g. with writeDropoutSeed), so a new step needs no new bind group. `stream` names the
// dropout site (one per site and layer); forward and backward of a site must use the same stream.
import type { Gpu } from '../device.ts';
import { createUniform, linearGrid, makeDispatch, require, type Dispatch } from '../kernel.ts';
import { numel, type GpuTensor } from '../tensor.ts';

const SHADER = 'dropout';
const WORKGROUP = 256;

export interface DropoutOptions {
  /** Dropout probability in [0, 1); 0 makes the op an identity (copy). */
  rate: number;
  /** Dropout site id, a u32; the same for a site's forward and backward. */
  stream: number;
  /** Which u32 of the seeds buffer holds this step's seed (default 0). */
  seedIndex?: number;
}

function dropoutDispatch(gpu: Gpu, op: string, out: GpuTensor, inp: GpuTensor, seeds: GpuTensor<'u32'>, opts: DropoutOptions): Dispatch {
  const n = numel(out.shape);
  const seedIndex = opts.seedIndex ?? 0;
  require(numel(inp.shape) === n, op, `element counts differ: [${out.shape}] vs [${inp.shape}]`);
  require(out.dtype === 'f32' && inp.dtype === 'f32', op, 'tensors must be f32');
  require(opts.rate >= 0 && opts.rate < 1, op, `rate ${opts.rate} outside [0, 1)`);
  require(Number.isInteger(opts.stream) && opts.stream >= 0 && opts.stream <= 0xffffffff, op, `stream ${opts.stream} is not a u32`);
  require(seeds.dtype === 'u32' && seedIndex >= 0 && seedIndex < numel(seeds.shape), op, `seed index ${seedIndex} outside the u32 seeds buffer [${seeds.shape}]`);
  const inPlace = out.buffer === inp.buffer;
  const params = createUniform(gpu, [['u32', n], ['u32', opts.stream], ['f32', opts.rate], ['u32', seedIndex]]);
  const pipeline = gpu.pipelines.get(SHADER, inPlace ? 'dropout_inplace' : 'dropout_apply');
  const resources = inPlace ? [params, seeds.buffer, out] : [params, seeds.buffer, out, inp];
  return makeDispatch(gpu, op, pipeline, resources, linearGrid(gpu, n, WORKGROUP));
}

/** out = dropout(inp): inp * (0 with probability rate, else 1/(1-rate)). out may be inp (in place). */
export function dropoutForward(gpu: Gpu, out: GpuTensor, inp: GpuTensor, seeds: GpuTensor<'u32'>, opts: DropoutOptions): Dispatch {
  return dropoutDispatch(gpu, 'dropoutForward', out, inp, seeds, opts);
}

/** dinp = dout * the forward's mask (same seed, stream, rate). dinp may be dout (in place). */
export function dropoutBackward(gpu: Gpu, dinp: GpuTensor, dout: GpuTensor, seeds: GpuTensor<'u32'>, opts: DropoutOptions): Dispatch {
  return dropoutDispatch(gpu, 'dropoutBackward', dinp, dout, seeds, opts);
}

/** Rewrite this step's seed in the caller's seeds buffer (a queue write; no GPU object is created). */
export function writeDropoutSeed(gpu: Gpu, seeds: GpuTensor<'u32'>, seed: number, seedIndex = 0): void {
  gpu.device.queue.writeBuffer(seeds.buffer, seedIndex * 4, Uint32Array.of(seed >>> 0));
}
