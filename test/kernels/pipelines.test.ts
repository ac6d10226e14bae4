// The pipeline cache (src/gpu/pipelines.ts): inside a batch, pipelines are created with
// createComputePipelineAsync, once per distinct key (shader, entry point, constants other than the
// shader's declared defaults), all started before any is awaited; dispatches made from pending pipelines
// are refused by the encoder until the batch settles, then finished with their bind groups. Every entry
// point of every shader in shaders/ still validates when created that way (the kernel tests check what
// they compute).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { testGpu } from '../helpers/gpu.ts';
import { overrideDefaults, PipelineCache } from '../../src/gpu/pipelines.ts';
import { encodeDispatches, runDispatches } from '../../src/gpu/kernel.ts';
import { createTensor, readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { copyTensor } from '../../src/gpu/kernels/elementwise.ts';
import type { Gpu, GpuCounters } from '../../src/gpu/device.ts';

/** A fresh cache on the test device whose pipeline calls are counted (the device's own cache is shared by the file). */
function countingCache(gpu: Gpu) {
  const calls = { async: 0, sync: 0, modules: 0 };
  const device = new Proxy(gpu.device, {
    get(target, prop) {
      if (prop === 'createComputePipelineAsync') return (d: GPUComputePipelineDescriptor) => (calls.async++, target.createComputePipelineAsync(d));
      if (prop === 'createComputePipeline') return (d: GPUComputePipelineDescriptor) => (calls.sync++, target.createComputePipeline(d));
      if (prop === 'createShaderModule') return (d: GPUShaderModuleDescriptor) => (calls.modules++, target.createShaderModule(d));
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const counters: GpuCounters = { pipelines: 0, buffers: 0, bindGroups: 0 };
  const cache = new PipelineCache(device, counters);
  cache.createAsync = true; // (Node's default is synchronous creation: see defaultAsyncCreation)
  return { cache, calls, counters };
}

const SHADER_DIR = new URL('../../shaders/', import.meta.url);

/** Every @compute entry point of every shader file the device can compile (its `enable`d features present). */
function entryPoints(gpu: Gpu): { shader: string; entry: string }[] {
  const features: Record<string, boolean> = { f16: gpu.features.shaderF16, subgroups: gpu.features.subgroups };
  const out: { shader: string; entry: string }[] = [];
  for (const file of readdirSync(SHADER_DIR).filter((f) => f.endsWith('.wgsl')).sort()) {
    const text = readFileSync(new URL(file, SHADER_DIR), 'utf8');
    const enabled = [...text.matchAll(/^enable\s+(\w+)\s*;/gm)].map((m) => m[1]);
    if (enabled.some((f) => !features[f])) continue;
    for (const m of text.matchAll(/@compute[^\n]*\n?\s*fn\s+(\w+)/g)) out.push({ shader: file.slice(0, -5), entry: m[1] });
  }
  return out;
}

describe('pipeline cache', () => {
  it('reads the literal defaults of override declarations', () => {
    const d = overrideDefaults('override A: bool = false;\n  override B: u32 = 128u; // note\noverride C: f32 = -1.5;\noverride D: bool = true;\noverride E: u32;\noverride F = 2 * 3;');
    expect([...d.entries()]).toEqual([['A', 0], ['B', 128], ['C', -1.5], ['D', 1]]);
  });

  it('dedupes identical pipelines in a batch: one async creation per distinct key, constants at their default left out', async () => {
    const gpu = await testGpu();
    const { cache, calls, counters } = countingCache(gpu);
    const batch = cache.openBatch();
    const a = cache.get('matmul', 'matmul', { TRANS_A: false, TILE_M: 64 });
    const b = cache.get('matmul', 'matmul', { TILE_M: 64 }); // TRANS_A false is its default: the same pipeline
    const c = cache.get('matmul', 'matmul', { TILE_M: 64, TRANS_A: 0 }); // as a number, still the default
    const d = cache.get('matmul', 'matmul', { TILE_M: 128 }); // 128 is the default: the plain pipeline
    const e = cache.get('matmul', 'matmul');
    const f = cache.get('matmul', 'matmul', { TRANS_A: true, TILE_M: 64 });
    const g = cache.get('elementwise', 'copy');
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(d).toBe(e);
    expect(new Set([a, e, f, g]).size).toBe(4);
    expect(a.key).toBe('matmul:matmul:TILE_M=64');
    // All four started before any is awaited, none created synchronously; one module per shader file.
    expect(calls).toEqual({ async: 4, sync: 0, modules: 2 });
    expect([a, e, f, g].every((h) => h.pipeline === null && h.pending !== null)).toBe(true);
    expect(cache.size).toBe(4);
    expect(counters.pipelines).toBe(4);
    const progress: string[] = [];
    await batch.settle((p) => progress.push(`${p.phase} ${p.done}/${p.total}`));
    expect(progress.slice(0, 1)).toEqual(['pipelines 0/4']);
    expect(progress.filter((p) => p.startsWith('pipelines')).at(-1)).toBe('pipelines 4/4');
    expect(progress.slice(-2)).toEqual(['buffers 0/0', 'buffers 0/0']);
    expect([a, e, f, g].every((h) => h.pipeline !== null && h.pending === null)).toBe(true);
    // After the batch, the same keys come from the cache; a new one is made synchronously.
    expect(cache.get('matmul', 'matmul', { TILE_M: 64 })).toBe(a);
    cache.get('elementwise', 'fill_zero');
    expect(calls).toEqual({ async: 4, sync: 1, modules: 2 });
    expect(cache.stats.hits).toBe(4); // b, c, e in the batch; TILE_M 64 after it
  });

  it('refuses to encode a dispatch of a pending pipeline, and finishes it when the batch settles', async () => {
    const gpu = await testGpu();
    const { cache } = countingCache(gpu);
    const local: Gpu = { ...gpu, pipelines: cache };
    const src = uploadTensor(local, [1, 2, 3, 4], [4], 'f32', 'src');
    const dst = createTensor(local, [4], 'f32', 'dst');
    const batch = cache.openBatch();
    const dispatch = copyTensor(local, dst, src);
    expect(dispatch.pending).toBe(true);
    expect(batch.pendingDispatches).toBe(1);
    dispatch.label = 'relabelled copy'; // compileGraph prefixes node labels in place, before the batch settles
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    expect(() => encodeDispatches(pass, [dispatch])).toThrow(/relabelled copy: its pipeline is still being created/);
    pass.end();
    batch.close();
    await batch.settle();
    expect(dispatch.pending).toBe(false);
    expect(dispatch.bindGroup.label).toBe('relabelled copy');
    await runDispatches(local, [dispatch]);
    expect(Array.from(await readTensor(local, dst))).toEqual([1, 2, 3, 4]);
    expect(gpu.uncapturedErrors).toEqual([]);
  });

  it('rejects a refused pipeline with its key, and a second batch waits for an earlier batch\'s pending pipeline', async () => {
    const gpu = await testGpu();
    const { cache } = countingCache(gpu);
    const first = cache.openBatch();
    const bad = cache.get('elementwise', 'no_such_entry');
    first.close();
    await expect(first.settle()).rejects.toThrow(/creating the pipeline elementwise:no_such_entry:/);
    expect(bad.pipeline).toBeNull();
    const one = cache.openBatch();
    const copy = cache.get('elementwise', 'copy');
    one.close();
    const two = cache.openBatch();
    expect(cache.get('elementwise', 'copy')).toBe(copy); // still pending: the second batch takes it on
    expect(two.started).toEqual([copy]);
    await two.settle();
    expect(copy.pipeline).not.toBeNull();
    await one.settle();
  });

  it('an abandoned batch\'s pipelines land in the cache; the synchronous path does not wait for one still pending', async () => {
    const gpu = await testGpu();
    const { cache, calls } = countingCache(gpu);
    const warm = cache.openBatch();
    const copy = cache.get('elementwise', 'copy');
    const fill = cache.get('elementwise', 'fill_zero');
    warm.abandon(); // (warmPipelines: started, never settled)
    const made = cache.get('elementwise', 'copy'); // no batch: made now, synchronously
    expect(made).toBe(copy);
    expect(copy.pipeline).not.toBeNull();
    const own = copy.pipeline;
    await Promise.all([copy.pending, fill.pending]);
    expect(copy.pipeline).toBe(own); // the late asynchronous one is dropped
    expect(fill.pipeline).not.toBeNull();
    expect(calls).toEqual({ async: 2, sync: 1, modules: 1 });
  });

  it('with synchronous creation a batch makes each pipeline as it is asked for, and settles the same way', async () => {
    const gpu = await testGpu();
    const { cache, calls } = countingCache(gpu);
    cache.createAsync = false;
    const local: Gpu = { ...gpu, pipelines: cache };
    const batch = cache.openBatch();
    const dispatch = copyTensor(local, createTensor(local, [4], 'f32', 'dst'), createTensor(local, [4], 'f32', 'src'));
    expect(dispatch.pending).toBe(false);
    expect(cache.get('elementwise', 'copy').pipeline).not.toBeNull();
    const progress: string[] = [];
    await batch.settle((p) => progress.push(`${p.phase} ${p.done}/${p.total}`));
    expect(progress).toEqual(['pipelines 0/1', 'pipelines 1/1', 'buffers 0/0', 'buffers 0/0']);
    expect(calls).toEqual({ async: 0, sync: 1, modules: 1 });
  });

  it('creates every entry point of every shader asynchronously, all at once, without an error', async () => {
    const gpu = await testGpu();
    const { cache, calls } = countingCache(gpu);
    const entries = entryPoints(gpu);
    expect(entries.length).toBeGreaterThan(30);
    const batch = cache.openBatch();
    const handles = entries.map(({ shader, entry }) => cache.get(shader, entry));
    await batch.settle();
    expect(handles.every((h) => h.pipeline !== null)).toBe(true);
    expect(calls.async).toBe(entries.length);
    expect(calls.sync).toBe(0);
    expect(gpu.uncapturedErrors).toEqual([]);
  });
});
