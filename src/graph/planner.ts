// The memory planner: every planned tensor (activations, gradients, scratch) gets a buffer for its
// lifetime [first node that touches it, last node that touches it] over the whole step (forward then
// backward); buffers are reused by best fit once their tensor is dead. Reported: peak bytes.
import type { Graph, Tensor } from './graph.ts';
import { numel } from '../gpu/tensor.ts';
import { sizeClass } from '../gpu/buffers.ts';

export interface MemoryPlan {
  /** Buffer index for every planned tensor id. */
  slotOf: Map<number, number>;
  /** Byte size of every buffer slot. */
  slotBytes: number[];
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
  const planned = graph.tensors.filter((t) => first.has(t.id));
  const startingAt = new Map<number, Tensor[]>();
  const endingAt = new Map<number, Tensor[]>();
  for (const t of planned) {
    push(startingAt, first.get(t.id)!, t);
    push(endingAt, last.get(t.id)!, t);
  }
  const slotOf = new Map<number, number>();
  const slotBytes: number[] = [];
  const free: number[] = []; // slot indices not in use
  let unplannedBytes = 0;
  for (let i = 0; i < graph.nodes.length; i++) {
    // Allocate what node i starts before releasing what it ends: a node's inputs and outputs never share.
    for (const t of startingAt.get(i) ?? []) {
      const bytes = sizeClass(numel(t.shape) * 4);
      unplannedBytes += bytes;
      let best = -1;
      for (let f = 0; f < free.length; f++) {
        const s = free[f];
        if (slotBytes[s] >= bytes && (best < 0 || slotBytes[s] < slotBytes[free[best]])) best = f;
      }
      if (best >= 0) slotOf.set(t.id, free.splice(best, 1)[0]);
      else {
        slotOf.set(t.id, slotBytes.length);
        slotBytes.push(bytes);
      }
    }
    for (const t of endingAt.get(i) ?? []) free.push(slotOf.get(t.id)!);
  }
  return { slotOf, slotBytes, plannedBytes: slotBytes.reduce((a, b) => a + b, 0), unplannedBytes };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
