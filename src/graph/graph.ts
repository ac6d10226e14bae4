// The dispatch graph's IR (tinygrad/micrograd style, at kernel granularity): named tensors with declared
// shapes, and nodes that read and write them. A forward node knows how to lower itself to launcher calls
// and, if differentiable, how to emit its backward nodes (its gradient rule, kept in src/graph/ops.ts).
// Backward is the forward list walked in reverse (buildBackward).
import type { Gpu } from '../gpu/device.ts';
import type { Dispatch } from '../gpu/kernel.ts';
import type { DType, GpuTensor } from '../gpu/tensor.ts';
import { DeferredFinish } from './finish.ts';

/** Where a tensor's data lives. Planned tensors get a pooled buffer from the memory planner. */
export type Storage =
  | { kind: 'planned' }
  | { kind: 'params'; offset: number } // a block of the flat parameter buffer (element offset, 256-B aligned)
  | { kind: 'grads'; offset: number } // the same block of the flat gradient buffer
  | { kind: 'input' } // a step input (token ids), written by the host each step
  | { kind: 'constant'; values: Float32Array }; // uploaded once at compile time

export interface Tensor {
  id: number;
  name: string;
  shape: readonly number[];
  dtype: DType;
  storage: Storage;
}

/** A tensor's place on the GPU: a whole-buffer tensor and the element offset of element 0 in it. */
export interface Location {
  tensor: GpuTensor;
  offset: number;
}

/** What lowering needs: the device, where every tensor lives, and the per-step seed buffer. */
export interface LowerContext {
  gpu: Gpu;
  /** Base tensor + element offset (for launchers that take offsets: matmul, attention, branch weights). */
  loc(t: Tensor): Location;
  /** The tensor as a bindable view (its offset must be 256-byte aligned, as planned and block tensors are). */
  view(t: Tensor): GpuTensor;
  /** u32 seeds rewritten every step: index 0 is the step's dropout seed. */
  seeds: GpuTensor<'u32'>;
}

export interface Node {
  label: string;
  reads: readonly Tensor[];
  writes: readonly Tensor[];
  lower(ctx: LowerContext): Dispatch[];
  /** The gradient rule: emit backward nodes given the gradients of `writes`. */
  grad?(g: GradContext): void;
  /** The loss node: its rule seeds the backward (d loss = 1). */
  isLoss?: boolean;
}

/** A gradient contribution target: write when `accumulate` is false (the first), else add into it. */
export interface GradTarget {
  tensor: Tensor;
  accumulate: boolean;
}

export interface GradContext {
  /** The complete gradient of a forward tensor, or null when the loss does not depend on it. */
  gradOf(t: Tensor): Tensor | null;
  /** Where to put a contribution to t's gradient; the first call for t overwrites, later ones accumulate. */
  contribute(t: Tensor): GradTarget;
  /** A temporary tensor for backward work. */
  scratch(name: string, shape: readonly number[], dtype?: DType): Tensor;
  emit(node: Node): void;
}

export class Graph {
  readonly tensors: Tensor[] = [];
  readonly nodes: Node[] = [];
  /**
   * Tensors read after the graph's pass (by a readback or by another graph): the loss stats, kappa/alpha,
   * logits, the encoder output the decoder graphs read. The planner keeps each alive to the end in a slot of
   * its own, outside any arena shared with other graphs, so no node of any graph overwrites it.
   */
  readonly outputs: Tensor[] = [];
  /** Number of forward nodes (set by buildBackward). */
  forwardCount = 0;

  tensor(name: string, shape: readonly number[], dtype: DType = 'f32', storage: Storage = { kind: 'planned' }): Tensor {
    if (shape.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error(`tensor ${name}: bad shape [${shape}]`);
    const t: Tensor = { id: this.tensors.length, name, shape: [...shape], dtype, storage };
    this.tensors.push(t);
    return t;
  }

  add(node: Node): void {
    this.nodes.push(node);
  }

  /** Declare `t` an output of the graph (see outputs); returns it. */
  output<T extends Tensor>(t: T): T {
    if (this.tensors[t.id] !== t) throw new Error(`output ${t.name}: not a tensor of this graph`);
    if (!this.outputs.includes(t)) this.outputs.push(t);
    return t;
  }

  /** A fresh dropout stream id (one per dropout site, shared by its forward and backward). */
  nextStream(): number {
    return this.streams++;
  }

  private streams = 1;

  /** ReLU matmul outputs (their gradient may be stored already masked: see maskedGradients), by id, with
   *  the scale of a dropout fused after the ReLU (1 / (1 - rate); 1 without). */
  readonly reluOutputs = new Map<number, number>();
  /** Ids of forward tensors whose gradient tensor holds the gradient of their pre-activation (masked by
   *  the ReLU), because the matmul that produced it fused the ReLU backward (src/graph/ops.ts). */
  readonly maskedGradients = new Set<number>();

  /** The parameter-gradient reduction finishes done in one dispatch at the end (sealed by buildBackward). */
  readonly finishes = new DeferredFinish();

  /** Names of the tensors whose gradient a forward tensor's id maps to (for inspection and tests). */
  gradients = new Map<number, Tensor>();
}

/**
 * Append the backward of every forward node, in reverse order, seeded by the nodes themselves (the loss
 * node's rule produces its input's gradient directly). Parameter tensors' gradients go to the flat
 * gradient buffer at the same offset.
 */
export function buildBackward(graph: Graph): void {
  graph.forwardCount = graph.nodes.length;
  const contributed = new Set<number>();
  const ctx: GradContext = {
    gradOf: (t) => (contributed.has(t.id) ? graph.gradients.get(t.id)! : null),
    contribute(t) {
      let g = graph.gradients.get(t.id);
      if (!g) {
        const storage: Storage = t.storage.kind === 'params' ? { kind: 'grads', offset: t.storage.offset } : { kind: 'planned' };
        g = graph.tensor(`d${t.name}`, t.shape, 'f32', storage);
        graph.gradients.set(t.id, g);
      }
      const accumulate = contributed.has(t.id);
      contributed.add(t.id);
      return { tensor: g, accumulate };
    },
    scratch: (name, shape, dtype = 'f32') => graph.tensor(name, shape, dtype),
    emit: (node) => graph.add(node),
  };
  for (let i = graph.forwardCount - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.grad) continue;
    // Skip nodes none of whose outputs reach the loss (no gradient arrived), except the loss itself,
    // whose rule seeds the backward.
    if (node.isLoss || node.writes.some((t) => contributed.has(t.id))) node.grad(ctx);
  }
  graph.finishes.seal(graph);
}
