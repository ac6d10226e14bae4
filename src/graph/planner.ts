// The memory planner: every planned tensor (activations, gradients, scratch) gets a buffer slot for its
// lifetime [first node that touches it, last node that touches it] over the whole step (forward then
// backward); slots are reused by best fit once their tensor is dead. A graph output (Graph.outputs) lives
// to the end in a private slot: never reused within the graph and never part of an arena shared with other
// graphs, so what is read after the pass (loss stats, logits, the encoder output) is what the graph wrote.
import type { Graph, Tensor } from './graph.ts';
import { numel } from '../gpu/tensor.ts';
import { sizeClass } from '../gpu/buffers.ts';

export interface MemoryPlan {
  /** Slot index for every planned tensor id. */
  slotOf: Map<number, number>;
  /** Byte size of every slot. */
  slotBytes: number[];
  /** Per slot: true when it may live in an arena shared with other graphs, false for a graph output's own. */
  slotShared: boolean[];
  /** [first, last] node index touching each planned tensor id (last = nodes.length for outputs). */
  lifetime: Map<number, readonly [number, number]>;
  /** Sum of slot sizes (the planned activation/gradient memory). */
  plannedBytes: number;
  /** What a plan without reuse would need (one buffer per tensor). */
  unplannedBytes: number;
}

export function planMemory(graph: Graph): MemoryPlan {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  graph.nodes.forEach((node, i) => {
    for (const t of [...node.writes, ...node.reads]) {
      if (t.storage.kind !== 'planned') continue;
      if (!first.has(t.id)) first.set(t.id, i);
      last.set(t.id, i);
    }
  });
  const outputs = new Set<number>();
  for (const t of graph.outputs) {
    if (t.storage.kind !== 'planned') continue; // params, inputs and constants have buffers of their own
    if (!first.has(t.id)) throw new Error(`graph output ${t.name} is never written by a node`);
    outputs.add(t.id);
    last.set(t.id, graph.nodes.length);
  }
  const planned = graph.tensors.filter((t) => first.has(t.id));
  const startingAt = new Map<number, Tensor[]>();
  const endingAt = new Map<number, Tensor[]>();
  for (const t of planned) {
    push(startingAt, first.get(t.id)!, t);
    push(endingAt, last.get(t.id)!, t);
  }
  const slotOf = new Map<number, number>();
  const slotBytes: number[] = [];
  const slotShared: boolean[] = [];
  const free: number[] = []; // shared slot indices not in use
  let unplannedBytes = 0;
  const newSlot = (bytes: number, shared: boolean): number => {
    slotBytes.push(bytes);
    slotShared.push(shared);
    return slotBytes.length - 1;
  };
  for (let i = 0; i < graph.nodes.length; i++) {
    // Allocate what node i starts before releasing what it ends: a node's inputs and outputs never share.
    for (const t of startingAt.get(i) ?? []) {
      const bytes = sizeClass(numel(t.shape) * 4);
      unplannedBytes += bytes;
      if (outputs.has(t.id)) {
        slotOf.set(t.id, newSlot(bytes, false));
        continue;
      }
      let best = -1;
      for (let f = 0; f < free.length; f++) {
        const s = free[f];
        if (slotBytes[s] >= bytes && (best < 0 || slotBytes[s] < slotBytes[free[best]])) best = f;
      }
      slotOf.set(t.id, best >= 0 ? free.splice(best, 1)[0] : newSlot(bytes, true));
    }
    for (const t of endingAt.get(i) ?? []) free.push(slotOf.get(t.id)!);
  }
  const lifetime = new Map<number, readonly [number, number]>();
  for (const t of planned) lifetime.set(t.id, [first.get(t.id)!, last.get(t.id)!]);
  return { slotOf, slotBytes, slotShared, lifetime, plannedBytes: slotBytes.reduce((a, b) => a + b, 0), unplannedBytes };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
