// Compute pipelines cached by shader + entry point + override constants (with the 'auto' layout that
// follows from them), so nothing is compiled twice. Constants equal to the shader's declared default are
// left out of the key, so { HAS_BIAS: false } and {} are one pipeline.
// Two ways a pipeline gets made:
// - outside a batch, get() creates a missing pipeline at once with createComputePipeline (the synchronous
//   path: kernel tests, a batch shape first seen mid-run, the translator's decoding graphs);
// - inside a batch (openBatch ... settle), get() starts createComputePipelineAsync and returns a pending
//   handle; every pipeline of the batch is being created at once, in the order the launchers asked for
//   them (the order the step runs them). Dispatches made from a pending handle get their bind group when
//   the batch settles (kernel.ts makeDispatch registers them with the batch), so nothing waits for one
//   pipeline before asking for the next, and nothing is encoded before the batch has settled. (In Node a
//   batch creates synchronously by default: see defaultAsyncCreation.)
// Shader modules are created once per shader file (override constants specialize one module).
import type { GpuCounters } from './device.ts';
import { shaderSource } from './shaders.ts';

export type OverrideConstants = Record<string, number | boolean>;

/** The phases of preparing a step's GPU work (the worker reports them as 'compile-progress'). */
export type CompilePhase = 'shaders' | 'pipelines' | 'buffers' | 'first-step';

/** Progress of one phase: `done` of `total` items (modules, pipelines, bind groups, steps). */
export interface CompileProgress {
  phase: CompilePhase;
  done: number;
  total: number;
}

export type ProgressCallback = (progress: CompileProgress) => void;

/** A cached pipeline: made (pipeline set), or still being created by a batch (pipeline null). */
export class PipelineHandle {
  pipeline: GPUComputePipeline | null = null;
  /** Set while createComputePipelineAsync runs; resolves when `pipeline` is set, rejects with its error. */
  pending: Promise<GPUComputePipeline> | null = null;

  constructor(
    readonly key: string,
    readonly shader: string,
    readonly entryPoint: string,
  ) {}

  /** The pipeline, which must be made by now (a dispatch is finished only after its batch settled). */
  get made(): GPUComputePipeline {
    if (!this.pipeline) throw new Error(`pipeline ${this.key} is still being created: settle its batch (await the compilation) first`);
    return this.pipeline;
  }
}

/** What creating GPU work cost so far, by kind (wall ms of the creating calls). */
export interface PipelineStats {
  modules: number;
  moduleMs: number;
  /** Distinct pipelines made (synchronously or asynchronously). */
  pipelines: number;
  /** Of those, made with createComputePipelineAsync. */
  asyncPipelines: number;
  /** Wall ms inside synchronous createComputePipeline calls. */
  syncPipelineMs: number;
  /** get() calls answered from the cache (a pipeline asked for again, by any launcher). */
  hits: number;
}

/**
 * Pipelines asked for while a batch is open. `settle` waits for every pipeline it started, then runs the
 * finishers (bind groups of the dispatches made from pending pipelines), reporting progress.
 */
export class PipelineBatch {
  readonly started: PipelineHandle[] = [];
  private readonly finishers: (() => void)[] = [];
  private open = true;
  private settled = false;

  constructor(private readonly cache: PipelineCache) {}

  /** Pipelines of this batch made so far. */
  get made(): number {
    return this.started.filter((h) => h.pipeline !== null).length;
  }

  /** Run `finish` once the batch's pipelines exist (kernel.ts: the bind group of a pending dispatch). */
  whenMade(finish: () => void): void {
    if (this.settled) throw new Error('a settled pipeline batch takes no more dispatches');
    this.finishers.push(finish);
  }

  get pendingDispatches(): number {
    return this.finishers.length;
  }

  /** Give the batch up (its compilation failed): no dispatch is finished; its pipelines still finish being made. */
  abandon(): void {
    this.close();
    this.settled = true;
    this.finishers.length = 0;
  }

  /** Stop collecting: get() creates synchronously again (the batch can still be settled). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.cache.closeBatch(this);
  }

  /**
   * Wait for every pipeline of the batch ('pipelines' progress as each one is made), then finish the
   * pending dispatches in the order they were made ('buffers' progress: their bind groups). `finishAll`
   * wraps the finishing (the caller's error scopes). A pipeline the device refused rejects with an Error
   * naming it; no dispatch is finished then.
   */
  async settle(onProgress?: ProgressCallback, finishAll: (finish: () => void) => void = (f) => f()): Promise<void> {
    this.close();
    if (this.settled) return;
    const total = this.started.length;
    let done = 0;
    onProgress?.({ phase: 'pipelines', done, total });
    await Promise.all(this.started.map(async (h) => {
      await h.pending;
      onProgress?.({ phase: 'pipelines', done: ++done, total });
    }));
    this.settled = true;
    const finishers = this.finishers.splice(0);
    onProgress?.({ phase: 'buffers', done: 0, total: finishers.length });
    finishAll(() => {
      for (const f of finishers) f();
    });
    onProgress?.({ phase: 'buffers', done: finishers.length, total: finishers.length });
  }
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly handles = new Map<string, PipelineHandle>();
  private readonly defaults = new Map<string, Map<string, number>>();
  private batch: PipelineBatch | null = null;
  readonly stats: PipelineStats = { modules: 0, moduleMs: 0, pipelines: 0, asyncPipelines: 0, syncPipelineMs: 0, hits: 0 };
  /**
   * Whether a batch creates its pipelines with createComputePipelineAsync (true) or, still collected and
   * settled the same way, synchronously as they are asked for (false). See defaultAsyncCreation.
   */
  createAsync = defaultAsyncCreation();

  constructor(
    private readonly device: GPUDevice,
    private readonly counters: GpuCounters,
  ) {}

  /**
   * Collect the pipelines asked for from now on into a batch (created asynchronously, all at once) until
   * it is closed or settled. One batch at a time: a second one while one is open is refused.
   */
  openBatch(): PipelineBatch {
    if (this.batch) throw new Error('a pipeline batch is already open (settle it first)');
    return (this.batch = new PipelineBatch(this));
  }

  /** The open batch, or null (kernel.ts: where a dispatch of a pending pipeline is finished). */
  get currentBatch(): PipelineBatch | null {
    return this.batch;
  }

  /** @internal PipelineBatch.close. */
  closeBatch(batch: PipelineBatch): void {
    if (this.batch === batch) this.batch = null;
  }

  /** The key of a pipeline: constants sorted, those equal to the shader's declared default left out. */
  key(shader: string, entryPoint: string, constants: OverrideConstants = {}): string {
    const defaults = this.declaredDefaults(shader);
    const constantKey = Object.keys(constants)
      .sort()
      .filter((k) => defaults.get(k) !== Number(constants[k]))
      .map((k) => `${k}=${Number(constants[k])}`)
      .join(',');
    return `${shader}:${entryPoint}:${constantKey}`;
  }

  /**
   * The pipeline for `shader` (a file in shaders/ without extension) at `entryPoint` with `constants`:
   * made now (no batch open), or being made by the open batch.
   */
  get(shader: string, entryPoint: string, constants: OverrideConstants = {}): PipelineHandle {
    const key = this.key(shader, entryPoint, constants);
    const have = this.handles.get(key);
    if (have) {
      this.stats.hits++;
      if (!have.pipeline) {
        // Still being made by an earlier batch (one abandoned, such as warmPipelines'): a batch waits for
        // it too; the synchronous path cannot wait, so it makes its own (the late one is then dropped).
        if (this.batch) {
          if (!this.batch.started.includes(have)) this.batch.started.push(have);
        } else {
          const t0 = performance.now();
          have.pipeline = this.device.createComputePipeline(this.descriptor(shader, entryPoint, constants, key));
          this.stats.syncPipelineMs += performance.now() - t0;
        }
      }
      return have;
    }
    const descriptor = this.descriptor(shader, entryPoint, constants, key);
    const handle = new PipelineHandle(key, shader, entryPoint);
    this.handles.set(key, handle);
    this.counters.pipelines++;
    this.stats.pipelines++;
    if (this.batch && this.createAsync) {
      this.stats.asyncPipelines++;
      handle.pending = this.device.createComputePipelineAsync(descriptor).then(
        (pipeline) => {
          handle.pipeline ??= pipeline; // (unless the synchronous path made one meanwhile)
          handle.pending = null;
          return handle.pipeline;
        },
        (err: unknown) => {
          this.handles.delete(key); // asked for again, it is created again (and refused again, with its message)
          throw new Error(`creating the pipeline ${key}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        },
      );
      handle.pending.catch(() => {}); // settle() reports it; an abandoned batch's failure is not unhandled
      this.batch.started.push(handle);
    } else {
      const t0 = performance.now();
      handle.pipeline = this.device.createComputePipeline(descriptor);
      this.stats.syncPipelineMs += performance.now() - t0;
      this.batch?.started.push(handle); // made already: counted in the batch's progress all the same
    }
    return handle;
  }

  private descriptor(shader: string, entryPoint: string, constants: OverrideConstants, key: string): GPUComputePipelineDescriptor {
    const numeric: Record<string, number> = {};
    for (const [k, v] of Object.entries(constants)) numeric[k] = Number(v);
    return { label: key, layout: 'auto', compute: { module: this.module(shader), entryPoint, constants: numeric } };
  }

  /** Distinct pipelines asked for (made or being made). */
  get size(): number {
    return this.handles.size;
  }

  private module(shader: string): GPUShaderModule {
    let module = this.modules.get(shader);
    if (!module) {
      const t0 = performance.now();
      module = this.device.createShaderModule({ label: shader, code: shaderSource(shader) });
      this.stats.moduleMs += performance.now() - t0;
      this.stats.modules++;
      this.modules.set(shader, module);
    }
    return module;
  }

  private declaredDefaults(shader: string): Map<string, number> {
    let map = this.defaults.get(shader);
    if (!map) this.defaults.set(shader, (map = overrideDefaults(shaderSource(shader))));
    return map;
  }
}

/**
 * Asynchronous creation everywhere but in Node: dawn.node (the `webgpu` package) has no worker pool for
 * it, and creating every entry point of shaders/ asynchronously there measured slower than one by one
 * (lavapipe, 2 cores: 1.3-2.7x the wall time, 1.5-2x the CPU time; docs/bench/2026-12-04-startup.md).
 * WEBGPU_PIPELINES=async (or sync) overrides it in Node.
 */
export function defaultAsyncCreation(): boolean {
  const env = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
  if (!env?.versions?.node) return true;
  const choice = env.env?.WEBGPU_PIPELINES;
  if (choice !== undefined && choice !== 'async' && choice !== 'sync') throw new Error(`WEBGPU_PIPELINES must be async or sync, not "${choice}"`);
  return choice === 'async';
}

/**
 * The literal defaults of a WGSL source's pipeline-overridable constants (`override NAME: T = 3u;`,
 * `= true`), as numbers the way the constants record passes them (true 1, false 0). A constant without a
 * default, or with an expression for one, is not listed (its value always goes into the key).
 */
export function overrideDefaults(source: string): Map<string, number> {
  const out = new Map<string, number>();
  const declaration = /^\s*override\s+([A-Za-z_]\w*)\s*(?::\s*\w+\s*)?=\s*([^;]+);/gm;
  for (const [, name, value] of source.matchAll(declaration)) {
    const v = value.trim();
    if (v === 'true' || v === 'false') out.set(name, v === 'true' ? 1 : 0);
    else if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[uif]?$/.test(v)) out.set(name, Number(v.replace(/[uif]$/, '')));
  }
  return out;
}
