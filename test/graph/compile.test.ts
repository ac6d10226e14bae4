// The compiler on the CPU, over a fake device that records buffers: shared slots come from the arena,
// graph outputs and launcher scratch belong to the compiled graph, and destroy() (of the graph, then of
// the arena's owner) brings the device's live bytes back to where they were.
import { describe, expect, it } from 'vitest';
import { Graph, type Tensor } from '../../src/graph/graph.ts';
import { Arena, compileGraph } from '../../src/graph/compile.ts';
import { BufferOwner, type GpuMemory } from '../../src/gpu/memory.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { createTensor, type GpuTensor } from '../../src/gpu/tensor.ts';
import type { Gpu, GpuCounters } from '../../src/gpu/device.ts';

interface FakeBuffer {
  size: number;
  usage: number;
  label: string;
  destroyed: boolean;
  destroy(): void;
}

function fakeGpu(): { gpu: Gpu; buffers: FakeBuffer[] } {
  const buffers: FakeBuffer[] = [];
  const device = {
    createBuffer(d: GPUBufferDescriptor): FakeBuffer {
      const b: FakeBuffer = { size: d.size, usage: d.usage, label: d.label ?? '', destroyed: false, destroy() { this.destroyed = true; } };
      buffers.push(b);
      return b;
    },
    createQuerySet: () => ({ destroy() {} }),
    pushErrorScope() {},
    popErrorScope: async () => null,
    queue: { writeBuffer() {} },
  } as unknown as GPUDevice;
  const counters: GpuCounters = { pipelines: 0, buffers: 0, bindGroups: 0 };
  const memory: GpuMemory = { liveBytes: 0, liveBuffers: 0, peakBytes: 0 };
  const gpu: Gpu = {
    device, adapterName: 'fake', features: { timestampQuery: false, shaderF16: false, subgroups: false },
    limits: {} as GPUSupportedLimits, pipelines: new PipelineCache(device, counters), owner: new BufferOwner(device, counters, memory, 'device'),
    memory, counters, lost: new Promise(() => {}), uncapturedErrors: [], onFault() {}, reportFault() {},
  };
  return { gpu, buffers };
}

/** input → a → b → out (an output), each node lowering to a launcher that makes a scratch tensor. */
function chain(): { graph: Graph; out: Tensor; a: Tensor; scratch: GpuTensor[] } {
  const graph = new Graph();
  const ids = graph.tensor('ids', [8], 'i32', { kind: 'input' });
  const table = graph.tensor('table', [4], 'f32', { kind: 'constant', values: new Float32Array(4) });
  const a = graph.tensor('a', [300]);
  const b = graph.tensor('b', [300]);
  const out = graph.tensor('out', [2]);
  const scratch: GpuTensor[] = [];
  const step = (label: string, reads: Tensor[], writes: Tensor[]) => graph.add({
    label, reads, writes,
    lower: (c) => {
      scratch.push(createTensor(c.gpu, [64], 'f32', `${label} scratch`)); // as a launcher's partial sums would
      return [];
    },
  });
  step('a', [ids, table], [a]);
  step('b', [a], [b]);
  step('out', [b], [out]);
  graph.output(out);
  return { graph, out, a, scratch };
}

describe('compileGraph', () => {
  it('takes shared slots from the arena and gives outputs buffers of their own', () => {
    const { gpu } = fakeGpu();
    const flat = createTensor(gpu, [16]), seeds = createTensor(gpu, [4], 'u32');
    const arenaOwner = gpu.owner.child('arena');
    const arena = new Arena(arenaOwner);
    const [g1, g2] = [chain(), chain()];
    const c1 = compileGraph(gpu, g1.graph, { params: flat, grads: flat, seeds, arena });
    const c2 = compileGraph(gpu, g2.graph, { params: flat, grads: flat, seeds, arena });
    expect(c1.locate(g1.a).tensor.buffer).toBe(c2.locate(g2.a).tensor.buffer); // shared: the same arena slot
    const [o1, o2] = [c1.locate(g1.out).tensor.buffer, c2.locate(g2.out).tensor.buffer];
    expect(o1).not.toBe(o2);
    expect(c2.locate(g2.a).tensor.buffer).not.toBe(o1);
    expect(c1.inputs.get('ids')!.buffer).not.toBe(c2.inputs.get('ids')!.buffer);
  });

  it('owns its inputs, constants, private slots and launcher scratch; destroy() frees them all', () => {
    const { gpu, buffers } = fakeGpu();
    const flat = createTensor(gpu, [16]), seeds = createTensor(gpu, [4], 'u32');
    const before = { ...gpu.memory };
    const arenaOwner = gpu.owner.child('arena');
    const arena = new Arena(arenaOwner);
    const g = chain();
    const created = buffers.length;
    const compiled = compileGraph(gpu, g.graph, { params: flat, grads: flat, seeds, arena });
    const mine = buffers.slice(created);
    expect(g.scratch).toHaveLength(3);
    expect(compiled.bytes).toBeGreaterThan(0);
    expect(gpu.memory.liveBytes).toBe(before.liveBytes + compiled.bytes + arena.bytes);
    compiled.destroy();
    const arenaBuffers = new Set(mine.filter((b) => b.label.startsWith('arena')));
    expect(arenaBuffers.size).toBeGreaterThan(0);
    for (const b of mine) expect(b.destroyed, `${b.label} destroyed with the graph`).toBe(!arenaBuffers.has(b));
    for (const s of g.scratch) expect((s.buffer as unknown as FakeBuffer).destroyed).toBe(true);
    arenaOwner.destroy();
    expect(mine.every((b) => b.destroyed)).toBe(true);
    expect(gpu.memory.liveBytes).toBe(before.liveBytes);
    expect(gpu.memory.liveBuffers).toBe(before.liveBuffers);
  });

  it('without an arena, a graph owns every slot', () => {
    const { gpu } = fakeGpu();
    const flat = createTensor(gpu, [16]), seeds = createTensor(gpu, [4], 'u32');
    const before = gpu.memory.liveBytes;
    const compiled = compileGraph(gpu, chain().graph, { params: flat, grads: flat, seeds });
    expect(gpu.memory.liveBytes - before).toBe(compiled.bytes);
    compiled.destroy();
    compiled.destroy(); // idempotent
    expect(gpu.memory.liveBytes).toBe(before);
  });
});

describe('BufferOwner', () => {
  it('nests: destroying a parent destroys its children; a destroyed owner refuses new buffers', () => {
    const { gpu, buffers } = fakeGpu();
    const parent = gpu.owner.child('trainer');
    const child = parent.child('graph');
    parent.create({ size: 64, usage: 0, label: 'p' });
    child.create({ size: 32, usage: 0, label: 'c' });
    const shared = child.shared('split-K', 100, 0, 's');
    expect(child.shared('split-K', 50, 0, 's')).toBe(shared); // big enough: reused
    expect(child.shared('split-K', 500, 0, 's')).not.toBe(shared); // bigger: a new one
    expect(parent.bytes).toBe(64 + 32 + 112 + 512);
    parent.destroy();
    expect(buffers.every((b) => b.destroyed)).toBe(true);
    expect(gpu.memory.liveBytes).toBe(0);
    expect(() => child.create({ size: 4, usage: 0 })).toThrow(/destroyed/);
    const other = gpu.owner.child('other');
    const b = other.create({ size: 16, usage: 0 });
    expect(() => gpu.owner.release(b)).toThrow(/not owned/);
  });
});
