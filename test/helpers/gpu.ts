// One Node GPU per test worker, acquired once; prints which adapter ran.
import { acquireNodeGpu } from '../../src/gpu/node.ts';
import type { Gpu } from '../../src/gpu/device.ts';

let gpuPromise: Promise<Gpu> | null = null;

export function testGpu(): Promise<Gpu> {
  if (!gpuPromise) {
    gpuPromise = acquireNodeGpu().then((gpu) => {
      const f = gpu.features;
      console.log(`[webgpu] adapter: ${gpu.adapterName} (timestamp-query ${f.timestampQuery}, shader-f16 ${f.shaderF16}, subgroups ${f.subgroups})`);
      gpu.onFault((message) => console.error(`[webgpu] ${message}`));
      return gpu;
    });
  }
  return gpuPromise;
}

/**
 * What a replayed step must leave unchanged: pipelines and bind groups created, and GPU buffers alive
 * (readbacks in a test create a staging buffer and destroy it again, so buffers are counted alive).
 */
export function gpuObjects(gpu: Gpu): { pipelines: number; bindGroups: number; liveBuffers: number } {
  return { pipelines: gpu.counters.pipelines, bindGroups: gpu.counters.bindGroups, liveBuffers: gpu.memory.liveBuffers };
}
