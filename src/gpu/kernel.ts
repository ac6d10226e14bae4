// The unit a launcher produces and a graph replays: one compute dispatch with its pipeline, its bind
// group and its workgroup counts, all created once. Encoding a Dispatch creates no GPU object.
// A launcher asks the pipeline cache for a handle (gpu.pipelines.get) and builds its Dispatch with
// makeDispatch. While a pipeline batch is open (pipelines.ts) the handle may still be pending: the
// Dispatch is then checked now (bindings, grid) and finished (pipeline and bind group set) when the batch
// settles; until then it must not be encoded (encodeDispatches refuses it, naming it).
import type { Gpu } from './device.ts';
import type { PipelineHandle } from './pipelines.ts';
import { Usage } from './buffers.ts';
import { bindingOf, numel, type GpuTensor } from './tensor.ts';

export interface Dispatch {
  label: string;
  /** Set once the pipeline exists (at once, or when its batch settles: see `pending`). */
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
  /** True until its pending pipeline's batch has settled (it is not encodable before); false or absent once made. */
  pending?: boolean;
}

export const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

/** Assert a launcher precondition (llm.c style) with a message naming the op. */
export function require(condition: boolean, op: string, message: string): asserts condition {
  if (!condition) throw new Error(`${op}: ${message}`);
}

/** What a bind group entry can be given as: a whole buffer, a buffer range, or a tensor (its range). */
export type Resource = GPUBuffer | GPUBufferBinding | GpuTensor;

function toBinding(r: Resource): GPUBufferBinding {
  if ('dtype' in r) return bindingOf(r);
  if ('buffer' in r) return r;
  return { buffer: r };
}

/**
 * Bind group 0 of `pipeline` with `resources[i]` at binding i (a buffer means the whole buffer). A binding
 * larger than the device's maxStorageBufferBindingSize (as `gpu.limits` says: a test view may lower it)
 * throws here, naming the dispatch and the buffer, instead of becoming an invalid bind group whose
 * dispatches silently do nothing (Dawn only logs it).
 */
export function createBindGroup(gpu: Gpu, pipeline: GPUComputePipeline, resources: Resource[], label?: string): GPUBindGroup {
  const entries = checkedEntries(gpu, resources, label);
  gpu.counters.bindGroups++;
  return gpu.device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
}

/** Bind group entries for `resources`, checked against the device's binding limits (see createBindGroup). */
function checkedEntries(gpu: Gpu, resources: Resource[], label?: string): GPUBindGroupEntry[] {
  const entries = resources.map((r, binding) => ({ binding, resource: toBinding(r) }));
  const limit = gpu.limits.maxStorageBufferBindingSize;
  for (const { binding, resource } of entries) {
    const bytes = resource.size ?? resource.buffer.size - (resource.offset ?? 0);
    require(bytes <= limit, label ?? 'bind group',
      `binding ${binding} (buffer "${resource.buffer.label}") is ${bytes} bytes, more than this device's maxStorageBufferBindingSize ` +
      `(${limit} bytes): the model or batch is too large for this GPU`);
    require(((resource.offset ?? 0) & 255) === 0, label ?? 'bind group', `binding ${binding} (buffer "${resource.buffer.label}") starts at byte ${resource.offset}, not a multiple of 256`);
  }
  return entries;
}

/** Elements of the largest storage binding of this device, a multiple of 64 (so windows start 256-B aligned). */
export function maxBindingElements(gpu: Gpu): number {
  return Math.floor(gpu.limits.maxStorageBufferBindingSize / 256) * 64;
}

/**
 * One binding window of a range of a big flat buffer: elements [start, start + size) are bound (start a
 * multiple of 64 elements = 256 bytes), and the range's part [start + offset, start + offset + count) is what
 * the kernel works on (offset < 64: the range's own misalignment, in the first window only).
 */
export interface BindingWindow {
  start: number;
  size: number;
  offset: number;
  count: number;
}

/**
 * Cover elements [offset, offset + count) with windows of at most `maxElements` elements each (a multiple of
 * 64), in order: one window when the range fits one binding. Kernels over a flat buffer (Adam, the update
 * guard, the gradient norm) dispatch once per window, each binding only its window.
 */
export function bindingWindows(offset: number, count: number, maxElements: number): BindingWindow[] {
  require(maxElements >= 128 && maxElements % 64 === 0, 'bindingWindows', `window of ${maxElements} elements must be a multiple of 64, at least 128`);
  const windows: BindingWindow[] = [];
  let at = offset;
  const end = offset + count;
  do {
    const start = Math.floor(at / 64) * 64;
    const n = Math.min(end - at, maxElements - (at - start));
    windows.push({ start, size: at - start + n, offset: at - start, count: n });
    at += n;
  } while (at < end);
  return windows;
}

/** Elements [start, start + size) of a tensor as a tensor of its own (a bindable view; start a multiple of 64). */
export function windowOf<D extends GpuTensor>(t: D, start: number, size: number): D {
  require(start % 64 === 0 && start >= 0 && start + size <= numel(t.shape), 'windowOf', `window [${start}, ${start + size}) of [${t.shape}]`);
  return { ...t, shape: [size], byteOffset: (t.byteOffset ?? 0) + start * 4 };
}

export type UniformField = readonly ['u32' | 'i32' | 'f32', number];

/** Pack scalar fields in order into a uniform block (4 bytes each, padded to 16 bytes). */
export function packUniform(fields: readonly UniformField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const view = new DataView(new ArrayBuffer(bytes));
  fields.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`u32 uniform out of range: ${value}`);
      view.setUint32(i * 4, value, true);
    }
  });
  return view.buffer;
}

/** A uniform buffer holding `fields`, created once by a launcher; rewrite it with writeUniform. */
export function createUniform(gpu: Gpu, fields: readonly UniformField[], label = 'params'): GPUBuffer {
  const data = packUniform(fields);
  const buffer = gpu.owner.create({ size: data.byteLength, usage: Usage.UNIFORM | Usage.COPY_DST, label });
  gpu.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

export function writeUniform(gpu: Gpu, buffer: GPUBuffer, fields: readonly UniformField[]): void {
  gpu.device.queue.writeBuffer(buffer, 0, packUniform(fields));
}

/**
 * Build a Dispatch from a cached pipeline: the usual body of a launcher. With a pending pipeline (an open
 * batch) the bindings and grid are checked now and the bind group is made when the batch settles, with
 * the dispatch's label as it is then (compileGraph prefixes node labels meanwhile).
 */
export function makeDispatch(
  gpu: Gpu,
  label: string,
  pipeline: PipelineHandle,
  resources: Resource[],
  workgroups: readonly [number, number?, number?],
): Dispatch {
  const [x, y = 1, z = 1] = workgroups;
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  require(x <= max && y <= max && z <= max, label, `workgroup grid ${x}x${y}x${z} exceeds ${max} per dimension`);
  if (pipeline.pipeline) return { label, pipeline: pipeline.pipeline, bindGroup: createBindGroup(gpu, pipeline.pipeline, resources, label), workgroups: [x, y, z], pending: false };
  const batch = gpu.pipelines.currentBatch;
  require(batch !== null, label, `pipeline ${pipeline.key} is still being created and no batch is open to finish this dispatch`);
  const entries = checkedEntries(gpu, resources, label);
  // Placeholders until the batch settles (never encoded: `pending` is checked first).
  const d: Dispatch = { label, pipeline: null as unknown as GPUComputePipeline, bindGroup: null as unknown as GPUBindGroup, workgroups: [x, y, z], pending: true };
  batch.whenMade(() => {
    const made = pipeline.made;
    gpu.counters.bindGroups++;
    d.pipeline = made;
    d.bindGroup = gpu.device.createBindGroup({ label: d.label, layout: made.getBindGroupLayout(0), entries });
    d.pending = false;
  });
  return d;
}

/** Encode dispatches into one compute pass (no object creation beyond the pass itself). */
export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  for (const d of dispatches) {
    if (d.pending) throw new Error(`${d.label}: its pipeline is still being created (settle the compilation's pipeline batch before encoding)`);
    if (d.workgroups[0] === 0 || d.workgroups[1] === 0 || d.workgroups[2] === 0) continue;
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}

/** Encode and submit dispatches in one pass and one submit; resolves when the GPU has finished. */
export async function runDispatches(gpu: Gpu, dispatches: readonly Dispatch[]): Promise<void> {
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
}

/**
 * Workgroup grid for a 1-D kernel over n elements with `workgroupSize` threads per group, folded into
 * y when x would exceed the per-dimension limit. Kernels recover the index as
 * `gid.x + gid.y * (num_workgroups.x * WG)` and return when it is >= n.
 */
export function linearGrid(gpu: Gpu, n: number, workgroupSize: number): [number, number, number] {
  const groups = ceilDiv(n, workgroupSize);
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1, 1];
  return [max, ceilDiv(groups, max), 1];
}
