// A pool of storage buffers keyed by size class and usage: released buffers are reused, so a compiled
// graph (and repeated test runs) allocate once. Every creation is counted.
import type { GpuCounters } from './device.ts';

// GPUBufferUsage bit values from the WebGPU spec, as numbers: in Node the GPUBufferUsage global only
// exists once the `webgpu` package's globals are installed, which is after module evaluation.
export const Usage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
} as const;

export const STORAGE_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

/** Round a byte size up to its size class (multiples of 256 B, then powers of two above 1 MiB). */
export function sizeClass(bytes: number): number {
  const atLeast = Math.max(16, Math.ceil(bytes / 256) * 256);
  if (atLeast <= 1 << 20) return atLeast;
  return 2 ** Math.ceil(Math.log2(atLeast));
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  /** Bytes currently handed out (not released). */
  liveBytes = 0;
  /** The largest liveBytes has been. */
  peakBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly counters: GpuCounters,
  ) {}

  acquire(bytes: number, usage: GPUBufferUsageFlags = STORAGE_USAGE, label = 'pooled'): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(`${size}:${usage}`);
    const buffer = list?.pop() ?? this.create(size, usage, label);
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const key = `${buffer.size}:${buffer.usage}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.liveBytes -= buffer.size;
  }

  /** Destroy every free buffer (the handed-out ones stay valid). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }

  private create(size: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    this.counters.buffers++;
    return this.device.createBuffer({ size, usage, label });
  }
}
