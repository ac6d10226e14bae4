// Tensors on the GPU: a storage buffer with a declared shape and dtype. Upload and readback helpers for
// tests and tools (the training step reads back through its own pool of mapped buffers instead).
import type { Gpu } from './device.ts';
import { STORAGE_USAGE, Usage } from './buffers.ts';

export type DType = 'f32' | 'i32' | 'u32';
export type TypedArrayOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint32Array;

export interface GpuTensor<D extends DType = DType> {
  buffer: GPUBuffer;
  shape: readonly number[];
  dtype: D;
  /** Where element 0 sits in `buffer`, in bytes (a multiple of 256; default 0): a view of a larger buffer. */
  byteOffset?: number;
}

/** The buffer range a tensor occupies, for a bind group entry. */
export function bindingOf(t: GpuTensor): GPUBufferBinding {
  return { buffer: t.buffer, offset: t.byteOffset ?? 0, size: Math.max(4, numel(t.shape) * 4) };
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A new zero-filled tensor, owned by the owner of `gpu` (see ownedBy in device.ts). */
export function createTensor<D extends DType = 'f32'>(gpu: Gpu, shape: readonly number[], dtype: D = 'f32' as D, label = 'tensor'): GpuTensor<D> {
  const size = Math.max(16, Math.ceil((numel(shape) * 4) / 16) * 16);
  return { buffer: gpu.owner.create({ size, usage: STORAGE_USAGE, label }), shape: [...shape], dtype };
}

/** A tensor filled with `data` (length must equal the shape's element count). */
export function uploadTensor<D extends DType>(
  gpu: Gpu,
  data: TypedArrayOf<D> | number[],
  shape: readonly number[],
  dtype: D = 'f32' as D,
  label = 'tensor',
): GpuTensor<D> {
  const n = numel(shape);
  if (data.length !== n) throw new Error(`${label}: ${data.length} values for shape [${shape}] (${n} elements)`);
  const typed = Array.isArray(data) ? toTyped(data, dtype) : data;
  const t = createTensor(gpu, shape, dtype, label);
  if (n > 0) gpu.device.queue.writeBuffer(t.buffer, 0, typed.buffer, typed.byteOffset, typed.byteLength);
  return t;
}

function toTyped(data: number[], dtype: DType): Float32Array | Int32Array | Uint32Array {
  return dtype === 'f32' ? Float32Array.from(data) : dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data);
}

/** Copy a tensor back to the CPU (creates a staging buffer: not for the step loop). */
export async function readTensor<D extends DType>(gpu: Gpu, t: GpuTensor<D>): Promise<TypedArrayOf<D>> {
  const bytes = numel(t.shape) * 4;
  const raw = await readBuffer(gpu, t.buffer, bytes, t.byteOffset ?? 0);
  const out = t.dtype === 'f32' ? new Float32Array(raw) : t.dtype === 'i32' ? new Int32Array(raw) : new Uint32Array(raw);
  return out as TypedArrayOf<D>;
}

export async function readBuffer(gpu: Gpu, buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
  if (bytes === 0) return new ArrayBuffer(0);
  const size = Math.ceil(bytes / 4) * 4;
  const staging = gpu.owner.create({ size, usage: Usage.MAP_READ | Usage.COPY_DST, label: 'readback' });
  const encoder = gpu.device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
  gpu.device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    const copy = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    return copy;
  } finally {
    gpu.owner.release(staging);
  }
}

/** Destroy a tensor's buffer now (it must belong to the owner of `gpu`). */
export function releaseTensor(gpu: Gpu, t: GpuTensor): void {
  gpu.owner.release(t.buffer);
}
