// Buffer usage flags and size classes (buffers themselves are created through a BufferOwner, memory.ts).

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
