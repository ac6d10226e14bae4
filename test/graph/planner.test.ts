// The memory planner on the CPU: lifetimes, graph outputs kept to the end in private slots, no two live
// tensors in one slot; on hand-made graphs and on every model graph the engine compiles (both variants,
// every weighting, training and forward-only, encoder and decoder graphs for translation).
import { describe, expect, it } from 'vitest';
import { Graph, type Node, type Tensor } from '../../src/graph/graph.ts';
import { planMemory, type MemoryPlan } from '../../src/graph/planner.ts';
import { buildDecoderGraph, buildEncoderGraph, buildModelGraph } from '../../src/model/transformer.ts';
import { validateModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { numel } from '../../src/gpu/tensor.ts';

/** A node that reads and writes the given tensors and lowers to nothing. */
function node(label: string, reads: Tensor[], writes: Tensor[]): Node {
  return { label, reads, writes, lower: () => [] };
}

/**
 * The invariants every plan must hold: each planned tensor has a slot big enough; two tensors whose
 * lifetimes overlap (inclusive: a node's inputs and outputs never share) are in different slots; an
 * output lives to the end in a private slot nobody else uses; the first node touching a planned tensor
 * writes it (nothing reads garbage).
 */
function checkPlan(graph: Graph, plan: MemoryPlan): void {
  const planned = graph.tensors.filter((t) => plan.slotOf.has(t.id));
  const outputs = new Set(graph.outputs.filter((t) => t.storage.kind === 'planned').map((t) => t.id));
  for (const t of planned) {
    expect(plan.slotBytes[plan.slotOf.get(t.id)!], `slot of ${t.name}`).toBeGreaterThanOrEqual(numel(t.shape) * 4);
  }
  const bySlot = new Map<number, Tensor[]>();
  for (const t of planned) {
    const s = plan.slotOf.get(t.id)!;
    bySlot.set(s, [...(bySlot.get(s) ?? []), t]);
  }
  for (const [slot, tensors] of bySlot) {
    for (let i = 0; i < tensors.length; i++) {
      for (let j = i + 1; j < tensors.length; j++) {
        const [a0, a1] = plan.lifetime.get(tensors[i].id)!, [b0, b1] = plan.lifetime.get(tensors[j].id)!;
        const overlap = a0 <= b1 && b0 <= a1;
        expect(overlap, `slot ${slot}: ${tensors[i].name} [${a0}, ${a1}] and ${tensors[j].name} [${b0}, ${b1}] are alive together`).toBe(false);
      }
    }
    if (tensors.some((t) => outputs.has(t.id))) {
      expect(tensors.map((t) => t.name), `output slot ${slot} is shared`).toHaveLength(1);
      expect(plan.slotShared[slot], `output slot ${slot} is in the shared arena`).toBe(false);
    }
  }
  for (const id of outputs) expect(plan.lifetime.get(id)![1]).toBe(graph.nodes.length);
  const written = new Set<number>();
  graph.nodes.forEach((n) => {
    for (const t of n.reads) {
      if (t.storage.kind === 'planned' && !written.has(t.id) && !n.writes.includes(t)) throw new Error(`${n.label} reads ${t.name} before any node writes it`);
    }
    for (const t of n.writes) written.add(t.id);
  });
}

describe('memory planner', () => {
  it('reuses a dead tensor\'s slot, never a live one, and never between a node\'s inputs and outputs', () => {
    const g = new Graph();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => g.tensor(n, [64]));
    g.add(node('w a', [], [a]));
    g.add(node('a → b', [a], [b]));
    g.add(node('b → c', [b], [c])); // a is dead: c may take a's slot, not b's
    g.add(node('c → d', [c], [d]));
    const plan = planMemory(g);
    checkPlan(g, plan);
    expect(plan.slotOf.get(c.id)).toBe(plan.slotOf.get(a.id));
    expect(plan.slotOf.get(d.id)).toBe(plan.slotOf.get(b.id));
    expect(plan.slotBytes).toHaveLength(2);
    expect(plan.lifetime.get(a.id)).toEqual([0, 1]);
  });

  it('keeps an output alive to the end in a private slot (the stats-overwritten-by-a-later-gradient bug)', () => {
    const g = new Graph();
    const x = g.tensor('x', [4]);
    const stats = g.tensor('stats', [2]);
    const later = g.tensor('dkappa', [2]); // same size class as stats: best fit would pick its slot
    g.add(node('x', [], [x]));
    g.add(node('loss', [x], [stats]));
    g.add(node('dkappa', [x], [later]));
    const unprotected = planMemory(g);
    expect(unprotected.slotOf.get(later.id)).toBe(unprotected.slotOf.get(stats.id)); // what went wrong before
    g.output(stats);
    const plan = planMemory(g);
    checkPlan(g, plan);
    expect(plan.slotOf.get(later.id)).not.toBe(plan.slotOf.get(stats.id));
    expect(plan.slotShared[plan.slotOf.get(stats.id)!]).toBe(false);
    expect(plan.lifetime.get(stats.id)).toEqual([1, 3]);
  });

  it('refuses an output no node writes, and ignores outputs with storage of their own', () => {
    const g = new Graph();
    const t = g.tensor('t', [4]);
    const input = g.tensor('ids', [4], 'i32', { kind: 'input' });
    g.add(node('t', [input], [t]));
    g.output(input);
    expect(() => planMemory(g)).not.toThrow();
    const orphan = g.tensor('orphan', [4]);
    g.output(orphan);
    expect(() => planMemory(g)).toThrow(/orphan is never written/);
    expect(() => new Graph().output(t)).toThrow(/not a tensor of this graph/);
  });

  it('holds on random graphs with random outputs', () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 50; trial++) {
      const g = new Graph();
      const made: Tensor[] = [];
      for (let i = 0; i < 30; i++) {
        const t = g.tensor(`t${i}`, [1 + Math.floor(rand() * 3000)]);
        const reads = made.length ? Array.from({ length: Math.floor(rand() * 3) }, () => made[Math.floor(rand() * made.length)]) : [];
        g.add(node(`n${i}`, reads, [t]));
        made.push(t);
        if (rand() < 0.15) g.output(t);
      }
      checkPlan(g, planMemory(g));
    }
  });
});

const BASE = { vocab: 41, dModel: 24, branches: 3, dFF: 48, encLayers: 2, decLayers: 1, maxLen: 40, dropout: 0.1, labelSmoothing: 0.1 };
const CONFIGS: ModelConfig[] = [
  validateModelConfig({ ...BASE, variant: 'baseline', weighting: 'projected' }),
  ...(['projected', 'softmax', 'uniform'] as const).map((weighting) => validateModelConfig({ ...BASE, variant: 'weighted', weighting })),
];

describe('memory plans of the model graphs', () => {
  for (const config of CONFIGS) {
    const name = config.variant === 'baseline' ? 'baseline' : `weighted/${config.weighting}`;
    it(`${name}: training and forward-only graphs keep the loss stats (and logits when asked)`, () => {
      const shape = { batch: 3, srcLen: 9, tgtLen: 7 };
      for (const [train, keepLogits] of [[true, false], [false, false], [false, true]] as const) {
        const model = buildModelGraph(config, shape, train, keepLogits);
        expect(model.graph.outputs).toContain(model.stats);
        expect(model.graph.outputs.includes(model.logits)).toBe(keepLogits);
        const plan = planMemory(model.graph);
        checkPlan(model.graph, plan);
        expect(plan.slotShared[plan.slotOf.get(model.stats.id)!]).toBe(false);
      }
    });

    it(`${name}: the encoder output and the decoder logits of translation are outputs`, () => {
      const enc = buildEncoderGraph(config, 2, 17);
      expect(enc.graph.outputs).toEqual([enc.enc]);
      checkPlan(enc.graph, planMemory(enc.graph));
      const dec = buildDecoderGraph(config, { batch: 8, srcLen: 17, tgtLen: 32 });
      expect(dec.graph.outputs).toEqual([dec.logits]);
      checkPlan(dec.graph, planMemory(dec.graph));
    });
  }
});
