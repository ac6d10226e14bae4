// Launcher for shaders/gather.wgsl: out (R, C) = inp[index[r], :], built once; replaying it creates nothing.
import type { Gpu } from '../device.ts';
import { createUniform, linearGrid, makeDispatch, require, type Dispatch } from '../kernel.ts';
import { numel, type GpuTensor } from '../tensor.ts';

const WORKGROUP = 256;

/** out (R, C) = inp (N, C) rows picked by index (R, i32); an index outside [0, N) gives a zero row. */
export function gatherRows(gpu: Gpu, out: GpuTensor, inp: GpuTensor, index: GpuTensor): Dispatch {
  const op = 'gatherRows';
  const cols = out.shape[out.shape.length - 1];
  const rows = numel(out.shape) / cols;
  require(out.dtype === 'f32' && inp.dtype === 'f32' && index.dtype === 'i32', op, 'out and inp must be f32, index i32');
  require(numel(index.shape) === rows, op, `index has ${numel(index.shape)} entries for ${rows} output rows`);
  require(numel(inp.shape) % cols === 0, op, `inp [${inp.shape}] is not a whole number of rows of ${cols}`);
  require(out.buffer !== inp.buffer, op, 'out must not share a buffer with inp');
  const params = createUniform(gpu, [['u32', rows], ['u32', cols], ['u32', numel(inp.shape) / cols]], 'gather params');
  return makeDispatch(gpu, op, gpu.pipelines.get('gather', 'gather_rows'), [params, out, inp, index], linearGrid(gpu, rows * cols, WORKGROUP));
}
