// The deferred parameter-gradient finishes (src/graph/finish.ts) on the CPU: which reductions the model's
// training graph leaves to the one finish node at the end (LayerNorm dg/db and dkappa/dalpha of trained
// parameters), which it must not (a gradient read or written after its reduction: the softmax weighting's
// effective weights), and that the node comes after every other backward node. The GPU results of the
// deferred path are checked by the parity and kernel tests.
import { describe, expect, it } from 'vitest';
import { Graph, buildBackward, type Node } from '../../src/graph/graph.ts';
import { buildModelGraph } from '../../src/model/transformer.ts';
import { validateModelConfig, type Weighting } from '../../src/model/config.ts';

const config = (variant: 'baseline' | 'weighted', weighting: Weighting = 'projected') =>
  validateModelConfig({ variant, weighting, vocab: 40, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0.1, labelSmoothing: 0.1 });

// 8 sentences of 16 + 16 positions: 128 rows, so the LayerNorm dg/db reductions take two chunks.
const SHAPE = { batch: 8, srcLen: 16, tgtLen: 16 };

function finishNode(graph: Graph): Node | undefined {
  return graph.nodes.find((n) => n.label === 'parameter gradient finishes');
}

describe('deferred parameter-gradient finishes', () => {
  it('baseline: every LayerNorm dg/db finish, in one node after all other backward nodes', () => {
    const { graph } = buildModelGraph(config('baseline'), SHAPE);
    const node = finishNode(graph)!;
    expect(graph.nodes.at(-1)).toBe(node);
    const names = node.writes.map((t) => t.name).sort();
    // enc.0: ln1, ln2; dec.0: ln0, ln1, ln2 (gain and bias each).
    expect(names).toEqual(['denc.0.ln1.b', 'denc.0.ln1.g', 'denc.0.ln2.b', 'denc.0.ln2.g',
      'ddec.0.ln0.b', 'ddec.0.ln0.g', 'ddec.0.ln1.b', 'ddec.0.ln1.g', 'ddec.0.ln2.b', 'ddec.0.ln2.g'].sort());
    expect(node.writes.every((t) => t.storage.kind === 'grads')).toBe(true);
  });

  it('weighted, projected: dkappa and dalpha are deferred too', () => {
    const { graph } = buildModelGraph(config('weighted'), { batch: 64, srcLen: 16, tgtLen: 16 }); // 1024 rows: 2 dot chunks
    const names = finishNode(graph)!.writes.map((t) => t.name);
    for (const w of ['denc.0.kappa', 'denc.0.alpha', 'ddec.0.kappa', 'ddec.0.alpha']) expect(names).toContain(w);
  });

  it('weighted, softmax: the effective weights\' gradients are read after their reduction, so they finish in place', () => {
    const { graph } = buildModelGraph(config('weighted', 'softmax'), { batch: 64, srcLen: 16, tgtLen: 16 });
    const node = finishNode(graph)!;
    expect(node.writes.every((t) => t.storage.kind === 'grads')).toBe(true);
    expect(node.writes.some((t) => t.name.includes('kappa') || t.name.includes('alpha'))).toBe(false);
  });

  it('a gradient touched after its reduction is not deferred; nor are the other segments of its node', () => {
    const graph = new Graph();
    const target = graph.tensor('dg', [4], 'f32', { kind: 'grads', offset: 0 });
    const other = graph.tensor('db', [4], 'f32', { kind: 'grads', offset: 64 });
    const lone = graph.tensor('dc', [4], 'f32', { kind: 'grads', offset: 128 });
    const writer: Node = { label: 'writer', reads: [], writes: [target, other], lower: () => [] };
    const loneWriter: Node = { label: 'lone', reads: [], writes: [lone], lower: () => [] };
    const [a, b] = [graph.finishes.add(target, 2, 4, false), graph.finishes.add(other, 2, 4, false)];
    const c = graph.finishes.add(lone, 3, 4, true, true);
    graph.finishes.writtenBy(a, writer);
    graph.finishes.writtenBy(b, writer);
    graph.finishes.writtenBy(c, loneWriter);
    graph.add(writer);
    graph.add(loneWriter);
    graph.add({ label: 'later reader', reads: [target], writes: [], lower: () => [] });
    buildBackward(graph); // no grad rules: only seals
    expect([graph.finishes.deferred(a), graph.finishes.deferred(b), graph.finishes.deferred(c)]).toEqual([false, false, true]);
    expect(finishNode(graph)!.writes).toEqual([lone]);
    expect(() => graph.finishes.add(lone, 1, 1, false)).toThrow(/after the graph was sealed/);
  });
});
