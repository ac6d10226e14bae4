// Compile a graph once: plan memory, create every buffer, and lower every node to its Dispatches
// (pipelines, uniforms and bind groups are created here and only here). Replaying the result encodes
// the precompiled list and creates nothing.
import type { Gpu } from '../gpu/device.ts';
import type { Dispatch } from '../gpu/kernel.ts';
import { Usage } from '../gpu/buffers.ts';
import { numel, uploadTensor, type GpuTensor } from '../gpu/tensor.ts';
import type { Graph, LowerContext, Location, Tensor } from './graph.ts';
import { planMemory, type MemoryPlan } from './planner.ts';

export interface CompileOptions {
  /** The flat parameter and gradient buffers (owned by the caller, shared by every compiled shape). */
  params: GpuTensor;
  grads: GpuTensor;
  /** u32 seeds rewritten every step (index 0: dropout seed). */
  seeds: GpuTensor<'u32'>;
  /**
   * Slot buffers shared between graphs that never run at the same time (the shape buckets of one model:
   * the queue runs their steps one after another). Slot i is reused when big enough, else replaced by a
   * bigger one (graphs compiled earlier keep the old one).
   */
  arena?: GPUBuffer[];
}

export interface CompiledGraph {
  graph: Graph;
  /** Forward dispatches, then backward dispatches. */
  forward: Dispatch[];
  backward: Dispatch[];
  plan: MemoryPlan;
  /** Buffers of step inputs (token ids), by tensor name. */
  inputs: Map<string, GpuTensor>;
  /** Where any tensor lives (for readback of results such as the loss). */
  locate(t: Tensor): Location;
  /** Bytes this compiled graph allocated (planned slots + inputs + constants). */
  bytes: number;
  destroy(): void;
}

const ALIGN_ELEMENTS = 64; // 256 bytes: WebGPU's minStorageBufferOffsetAlignment

export function compileGraph(gpu: Gpu, graph: Graph, options: CompileOptions): CompiledGraph {
  const plan = planMemory(graph);
  const owned: GPUBuffer[] = [];
  const create = (bytes: number, label: string): GPUBuffer => {
    gpu.counters.buffers++;
    const b = gpu.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label });
    owned.push(b);
    return b;
  };
  const arena = options.arena;
  const createShared = (bytes: number, label: string): GPUBuffer => {
    gpu.counters.buffers++;
    return gpu.device.createBuffer({ size: bytes, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label });
  };
  const slots = plan.slotBytes.map((bytes, i) => {
    if (arena?.[i] && arena[i].size >= bytes) return arena[i];
    const buffer = arena ? createShared(bytes, `slot ${i}`) : create(bytes, `slot ${i}`);
    if (arena) arena[i] = buffer;
    return buffer;
  });
  const inputs = new Map<string, GpuTensor>();
  const fixed = new Map<number, GpuTensor>();
  let bytes = plan.plannedBytes;
  for (const t of graph.tensors) {
    if (t.storage.kind === 'input') {
      const tensor: GpuTensor = { buffer: create(numel(t.shape) * 4, t.name), shape: t.shape, dtype: t.dtype };
      inputs.set(t.name, tensor);
      fixed.set(t.id, tensor);
      bytes += tensor.buffer.size;
    } else if (t.storage.kind === 'constant') {
      const tensor = uploadTensor(gpu, t.storage.values, t.shape, 'f32', t.name);
      owned.push(tensor.buffer);
      fixed.set(t.id, tensor);
      bytes += tensor.buffer.size;
    }
  }

  const locate = (t: Tensor): Location => {
    switch (t.storage.kind) {
      case 'params':
        return { tensor: options.params, offset: t.storage.offset };
      case 'grads':
        return { tensor: options.grads, offset: t.storage.offset };
      case 'planned': {
        const slot = plan.slotOf.get(t.id);
        if (slot === undefined) throw new Error(`tensor ${t.name} is never used by a node`);
        return { tensor: { buffer: slots[slot], shape: t.shape, dtype: t.dtype }, offset: 0 };
      }
      default:
        return { tensor: fixed.get(t.id)!, offset: 0 };
    }
  };
  const ctx: LowerContext = {
    gpu,
    seeds: options.seeds,
    loc: locate,
    view(t) {
      const { tensor, offset } = locate(t);
      if (offset === 0 && numel(tensor.shape) === numel(t.shape)) return { ...tensor, shape: t.shape, dtype: t.dtype };
      if (offset % ALIGN_ELEMENTS !== 0) throw new Error(`tensor ${t.name} at element ${offset} is not 256-byte aligned for a view`);
      return { buffer: tensor.buffer, shape: t.shape, dtype: t.dtype, byteOffset: (tensor.byteOffset ?? 0) + offset * 4 };
    },
  };
  const lowerRange = (from: number, to: number): Dispatch[] => {
    const out: Dispatch[] = [];
    for (let i = from; i < to; i++) {
      const node = graph.nodes[i];
      try {
        // Label each dispatch "<node>: <kernel>" (profiles and GPU error messages name the node).
        for (const d of node.lower(ctx)) out.push({ ...d, label: `${node.label}: ${d.label}` });
      } catch (err) {
        throw new Error(`compiling ${node.label}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    return out;
  };
  const forwardCount = graph.forwardCount || graph.nodes.length;
  return {
    graph,
    forward: lowerRange(0, forwardCount),
    backward: lowerRange(forwardCount, graph.nodes.length),
    plan,
    inputs,
    locate,
    bytes,
    destroy: () => owned.forEach((b) => b.destroy()), // arena slots are destroyed by their owner
  };
}
