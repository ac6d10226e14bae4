// Launchers for shaders/elementwise.wgsl. Each returns a Dispatch built once; replaying it creates nothing.
import type { Gpu } from '../device.ts';
import { createUniform, linearGrid, makeDispatch, require, type Dispatch } from '../kernel.ts';
import { numel, type GpuTensor } from '../tensor.ts';

const SHADER = 'elementwise';
const WORKGROUP = 256;

function sameSize(op: string, ...tensors: GpuTensor[]): number {
  const n = numel(tensors[0].shape);
  for (const t of tensors) require(numel(t.shape) === n, op, `element counts differ: [${tensors.map((x) => x.shape).join('] vs [')}]`);
  return n;
}

/** out = a + b (residual add), all the same element count. */
export function residualAdd(gpu: Gpu, out: GpuTensor, a: GpuTensor, b: GpuTensor): Dispatch {
  const n = sameSize('residualAdd', out, a, b);
  const params = createUniform(gpu, [['u32', n], ['u32', 0]]);
  const pipeline = gpu.pipelines.get(SHADER, 'add_forward');
  return makeDispatch(gpu, 'residualAdd', pipeline, [params, out, a, b], linearGrid(gpu, n, WORKGROUP));
}

/** dinp = dout * (pre > 0), the ReLU backward from the saved pre-activation. */
export function reluBackward(gpu: Gpu, dinp: GpuTensor, dout: GpuTensor, pre: GpuTensor): Dispatch {
  const n = sameSize('reluBackward', dinp, dout, pre);
  const params = createUniform(gpu, [['u32', n], ['u32', 0]]);
  const pipeline = gpu.pipelines.get(SHADER, 'relu_backward');
  return makeDispatch(gpu, 'reluBackward', pipeline, [params, dinp, dout, pre], linearGrid(gpu, n, WORKGROUP));
}

function unary(gpu: Gpu, op: string, entry: string, out: GpuTensor, a: GpuTensor): Dispatch {
  const n = sameSize(op, out, a);
  require(out.buffer !== a.buffer, op, 'out must not share a buffer with its input');
  const params = createUniform(gpu, [['u32', n], ['u32', 0]]);
  return makeDispatch(gpu, op, gpu.pipelines.get(SHADER, entry), [params, out, a], linearGrid(gpu, n, WORKGROUP));
}

/** out += a (gradient accumulation). */
export function addInto(gpu: Gpu, out: GpuTensor, a: GpuTensor): Dispatch {
  return unary(gpu, 'addInto', 'add_into', out, a);
}

/** out = a. */
export function copyTensor(gpu: Gpu, out: GpuTensor, a: GpuTensor): Dispatch {
  return unary(gpu, 'copyTensor', 'copy', out, a);
}

/** Zero `count` elements of `out` from element `offset`. */
export function fillZero(gpu: Gpu, out: GpuTensor, offset: number, count: number): Dispatch {
  require(Number.isInteger(offset) && offset >= 0 && count >= 1 && offset + count <= numel(out.shape), 'fillZero', `range [${offset}, ${offset + count}) outside [${out.shape}]`);
  const params = createUniform(gpu, [['u32', count], ['u32', offset]]);
  return makeDispatch(gpu, 'fillZero', gpu.pipelines.get(SHADER, 'fill_zero'), [params, out], linearGrid(gpu, count, WORKGROUP));
}
