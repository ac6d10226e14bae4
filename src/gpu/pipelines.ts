// Compute pipelines cached by shader + entry point + override constants, so nothing is compiled twice.
import type { GpuCounters } from './device.ts';
import { shaderSource } from './shaders.ts';

export type OverrideConstants = Record<string, number | boolean>;

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    private readonly counters: GpuCounters,
  ) {}

  /** The pipeline for `shader` (a file in shaders/ without extension) at `entryPoint` with `constants`. */
  get(shader: string, entryPoint: string, constants: OverrideConstants = {}): GPUComputePipeline {
    const constantKey = Object.keys(constants)
      .sort()
      .map((k) => `${k}=${Number(constants[k])}`)
      .join(',');
    const key = `${shader}:${entryPoint}:${constantKey}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const numeric: Record<string, number> = {};
      for (const [k, v] of Object.entries(constants)) numeric[k] = Number(v);
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module: this.module(shader), entryPoint, constants: numeric },
      });
      this.pipelines.set(key, pipeline);
      this.counters.pipelines++;
    }
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private module(shader: string): GPUShaderModule {
    let module = this.modules.get(shader);
    if (!module) {
      module = this.device.createShaderModule({ label: shader, code: shaderSource(shader) });
      this.modules.set(shader, module);
    }
    return module;
  }
}
