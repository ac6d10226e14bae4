// Who owns every GPU buffer. Each buffer is created through a BufferOwner (a compiled graph, a trainer, a
// translator, a test) and destroyed with it, so `destroy()` of an owner frees everything it created and the
// device-wide live bytes return to their value before it existed. Owners nest: a trainer's compiled graphs
// and translator are its children. Launchers never allocate from module globals: they allocate from the
// owner of the Gpu handle they are given (see ownedBy), which the compiler sets to the compiled graph's.
import type { GpuCounters } from './device.ts';

/** Device-wide figures of the buffers alive now (every owner together). */
export interface GpuMemory {
  liveBytes: number;
  liveBuffers: number;
  /** The largest liveBytes has been. */
  peakBytes: number;
}

export class BufferOwner {
  private readonly buffers = new Set<GPUBuffer>();
  private readonly querySets = new Set<GPUQuerySet>();
  private readonly children = new Set<BufferOwner>();
  /** Scratch buffers shared by the launchers of this owner, by key (see shared). */
  private readonly scratch = new Map<string, GPUBuffer>();
  private destroyed = false;
  /** Bytes of the buffers this owner (not its children) holds. */
  ownBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly counters: GpuCounters,
    readonly memory: GpuMemory,
    readonly label: string,
    private readonly parent: BufferOwner | null = null,
  ) {}

  /** A new buffer owned here. */
  create(descriptor: GPUBufferDescriptor): GPUBuffer {
    if (this.destroyed) throw new Error(`GPU buffer "${descriptor.label ?? ''}": its owner "${this.label}" was destroyed`);
    this.counters.buffers++;
    const buffer = this.device.createBuffer(descriptor);
    this.buffers.add(buffer);
    this.ownBytes += buffer.size;
    this.memory.liveBytes += buffer.size;
    this.memory.liveBuffers++;
    this.memory.peakBytes = Math.max(this.memory.peakBytes, this.memory.liveBytes);
    return buffer;
  }

  /**
   * A scratch buffer of at least `bytes` shared by every launcher of this owner that asks with `key`: only
   * for work that dispatches run one after another (a compute pass orders them), never for results read
   * later. A bigger request creates a bigger buffer; dispatches built earlier keep the smaller one.
   */
  shared(key: string, bytes: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    let buffer = this.scratch.get(key);
    if (!buffer || buffer.size < size) {
      buffer = this.create({ size, usage, label });
      this.scratch.set(key, buffer);
    }
    return buffer;
  }

  /** A timestamp query set owned here. */
  querySet(descriptor: GPUQuerySetDescriptor): GPUQuerySet {
    const set = this.device.createQuerySet(descriptor);
    this.querySets.add(set);
    return set;
  }

  /** Destroy one buffer of this owner now. */
  release(buffer: GPUBuffer): void {
    if (!this.buffers.delete(buffer)) throw new Error(`GPU buffer "${buffer.label}" is not owned by "${this.label}"`);
    this.free(buffer);
  }

  /** An owner whose buffers are destroyed with this one (or before, by its own destroy). */
  child(label: string): BufferOwner {
    const owner = new BufferOwner(this.device, this.counters, this.memory, label, this);
    this.children.add(owner);
    return owner;
  }

  /** Bytes held by this owner and all its children. */
  get bytes(): number {
    let total = this.ownBytes;
    for (const c of this.children) total += c.bytes;
    return total;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Destroy every buffer and query set of this owner and its children. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    for (const c of [...this.children]) c.destroy();
    for (const b of this.buffers) this.free(b);
    for (const q of this.querySets) q.destroy();
    this.buffers.clear();
    this.querySets.clear();
    this.scratch.clear();
    this.destroyed = true;
    this.parent?.children.delete(this);
  }

  private free(buffer: GPUBuffer): void {
    this.ownBytes -= buffer.size;
    this.memory.liveBytes -= buffer.size;
    this.memory.liveBuffers--;
    buffer.destroy();
  }
}
