// Compile a graph once: plan memory, create every buffer, and lower every node to its Dispatches
// (pipelines, uniforms and bind groups are created here and only here). Replaying the result encodes
// the precompiled list and creates nothing. The compiled graph owns every buffer it made (destroy()).
import type { Gpu } from '../gpu/device.ts';
import type { Dispatch } from '../gpu/kernel.ts';
import { ownedBy } from '../gpu/device.ts';
import { captureErrors } from '../gpu/errors.ts';
import { STORAGE_USAGE } from '../gpu/buffers.ts';
import type { BufferOwner } from '../gpu/memory.ts';
import { createTensor, numel, uploadTensor, type GpuTensor } from '../gpu/tensor.ts';
import type { Graph, LowerContext, Location, Tensor } from './graph.ts';
import { planMemory, type MemoryPlan } from './planner.ts';
import type { PipelineBatch, ProgressCallback } from '../gpu/pipelines.ts';

/**
 * Slot buffers shared between graphs that never run at the same time (the shape buckets of one model: the
 * queue runs their steps one after another). Shared slot i is reused when big enough, else replaced by a
 * bigger one (graphs compiled earlier keep the old one). Graph outputs never live here (see planMemory).
 * Every buffer belongs to the arena's owner and is destroyed with it.
 */
export class Arena {
  private readonly slots: GPUBuffer[] = [];

  constructor(private readonly owner: BufferOwner) {}

  slot(index: number, bytes: number): GPUBuffer {
    const have = this.slots[index];
    if (have && have.size >= bytes) return have;
    const buffer = this.owner.create({ size: bytes, usage: STORAGE_USAGE, label: `arena slot ${index}` });
    this.slots[index] = buffer;
    return buffer;
  }

  /** Bytes of the slots in use now (replaced, smaller ones are still held by the owner until it goes). */
  get bytes(): number {
    return this.slots.reduce((sum, b) => sum + (b?.size ?? 0), 0);
  }
}

export interface CompileOptions {
  /** The flat parameter and gradient buffers (owned by the caller, shared by every compiled shape). */
  params: GpuTensor;
  grads: GpuTensor;
  /** u32 seeds rewritten every step (index 0: dropout seed). */
  seeds: GpuTensor<'u32'>;
  /** Where the shared slots live; without one the graph owns all its slots. */
  arena?: Arena;
  /** A label for the graph's buffer owner (errors and inspection). */
  label?: string;
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
  /** Bytes this compiled graph owns: its own slots, inputs, constants, launcher uniforms and scratch. */
  readonly bytes: number;
  /** Free every buffer the graph created (arena slots belong to the arena's owner). */
  destroy(): void;
  /** The verdict of the error scopes around the compilation: null, or the first GPU validation or
   *  out-of-memory error (already reported through gpu.reportFault; see src/gpu/errors.ts). */
  errors: Promise<string | null>;
}

const ALIGN_ELEMENTS = 64; // 256 bytes: WebGPU's minStorageBufferOffsetAlignment

/**
 * A parameter (or gradient) tensor at element `offset` of the flat buffer, located in a window of its own:
 * the elements from the 256-byte boundary at or below it to its end, so that every launcher binds that
 * block, never the whole flat buffer (which may exceed the device's largest storage binding). The
 * location's offset is then relative to the window (0 for a block, < 64 for a kappa/alpha vector).
 */
function blockWindow(flat: GpuTensor, t: Tensor, offset: number): Location {
  const start = Math.floor(offset / ALIGN_ELEMENTS) * ALIGN_ELEMENTS;
  const size = offset - start + numel(t.shape);
  if (offset + numel(t.shape) > numel(flat.shape)) throw new Error(`tensor ${t.name} [${t.shape}] at element ${offset} lies outside the flat buffer of ${numel(flat.shape)}`);
  return { tensor: { buffer: flat.buffer, shape: [size], dtype: flat.dtype, byteOffset: (flat.byteOffset ?? 0) + start * 4 }, offset: offset - start };
}

/**
 * Compile `graph` with buffers owned by a child of `gpu.owner`: planned slots (shared ones from
 * options.arena), inputs, constants, and every uniform and scratch buffer its launchers create (they
 * are lowered with a Gpu handle whose owner is the graph's).
 */
export function compileGraph(gpu: Gpu, graph: Graph, options: CompileOptions): CompiledGraph {
  const label = options.label ?? 'compiled graph';
  let owner: BufferOwner | null = null;
  try {
    const { value, errors } = captureErrors(gpu, `compiling ${label}`, () => compileUnchecked(gpu, graph, options, (o) => (owner = o)));
    return Object.assign(value, { errors }); // (not a spread: `bytes` is a getter)
  } catch (err) {
    (owner as BufferOwner | null)?.destroy(); // nothing of a failed compilation stays allocated
    throw err;
  }
}

function compileUnchecked(gpu: Gpu, graph: Graph, options: CompileOptions, created: (owner: BufferOwner) => void): Omit<CompiledGraph, 'errors'> {
  const plan = planMemory(graph);
  const owner = gpu.owner.child(options.label ?? 'compiled graph');
  created(owner);
  const lowerGpu = ownedBy(gpu, owner);
  const { arena } = options;
  let sharedIndex = 0;
  const slots = plan.slotBytes.map((bytes, i) => {
    if (arena && plan.slotShared[i]) return arena.slot(sharedIndex++, bytes);
    return owner.create({ size: bytes, usage: STORAGE_USAGE, label: `slot ${i}` });
  });
  const inputs = new Map<string, GpuTensor>();
  const fixed = new Map<number, GpuTensor>();
  for (const t of graph.tensors) {
    if (t.storage.kind === 'input') {
      const tensor = createTensor(lowerGpu, t.shape, t.dtype, t.name);
      inputs.set(t.name, tensor);
      fixed.set(t.id, tensor);
    } else if (t.storage.kind === 'constant') {
      fixed.set(t.id, uploadTensor(lowerGpu, t.storage.values, t.shape, 'f32', t.name));
    }
  }

  const locate = (t: Tensor): Location => {
    switch (t.storage.kind) {
      case 'params':
        return blockWindow(options.params, t, t.storage.offset);
      case 'grads':
        return blockWindow(options.grads, t, t.storage.offset);
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
    gpu: lowerGpu,
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
        // (In place, not a copy: a dispatch of a pending pipeline is finished later through this object.)
        for (const d of node.lower(ctx)) {
          d.label = `${node.label}: ${d.label}`;
          out.push(d);
        }
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
    get bytes() {
      return owner.bytes;
    },
    destroy: () => owner.destroy(),
  };
}

/**
 * Settle a pipeline batch (pipelines.ts): wait for its pipelines, then finish its pending dispatches (their
 * bind groups) inside error scopes. Resolves with the scopes' verdict (null, or the first GPU error, already
 * reported); rejects when the device refused a pipeline.
 */
export async function settlePipelines(gpu: Gpu, batch: PipelineBatch, what: string, onProgress?: ProgressCallback): Promise<{ errors: Promise<string | null> }> {
  let errors: Promise<string | null> = Promise.resolve(null);
  await batch.settle(onProgress, (finish) => {
    errors = captureErrors(gpu, what, finish).errors;
  });
  return { errors };
}

/**
 * compileGraph with every new pipeline created asynchronously, all at once (one batch), then the bind
 * groups: resolves with the graph ready to encode. `onProgress` hears 'pipelines' and 'buffers'.
 */
export async function compileGraphAsync(gpu: Gpu, graph: Graph, options: CompileOptions, onProgress?: ProgressCallback): Promise<CompiledGraph> {
  const batch = gpu.pipelines.openBatch();
  let compiled: CompiledGraph;
  try {
    compiled = compileGraph(gpu, graph, options);
  } finally {
    batch.close();
  }
  try {
    const { errors } = await settlePipelines(gpu, batch, `compiling ${options.label ?? 'compiled graph'}`, onProgress);
    const lowered = compiled.errors;
    compiled.errors = Promise.all([lowered, errors]).then(([a, b]) => a ?? b);
  } catch (err) {
    compiled.destroy();
    throw err;
  }
  return compiled;
}
