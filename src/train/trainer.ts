// The training engine: one model on one device. Parameters, gradients and Adam moments live in flat GPU
// buffers; each batch shape bucket compiles its graph once; a step writes the step's inputs and scalars,
// encodes the precompiled dispatches (forward, backward, gradient norm, Adam, simplex projection) in one
// pass, and submits once. Metrics come back through a small ring of mapped buffers, never awaited by the
// step loop. A NaN/Inf gradient, or an update that would make a weight NaN/Inf (adamGuard), makes the
// optimizer write nothing (the kernels check the step status on the GPU), so the weights stay the last
// finite ones; the trainer reports it and the caller stops the run.
// A config the kernels or the device cannot run is refused when the trainer is made (src/model/limits.ts);
// the flat buffers are bound per window where one binding would exceed the device's limit. Every creation
// of GPU objects and every submitted step runs inside error scopes (src/gpu/errors.ts): a GPU validation
// or out-of-memory error makes trainStep, gradients, evaluate and checkpoint throw (GpuFaultError) instead
// of returning the zeros an invalid dispatch leaves.
import { ownedBy, type Gpu, type KernelChoice } from '../gpu/device.ts';
import type { BufferOwner } from '../gpu/memory.ts';
import { encodeDispatches, type Dispatch } from '../gpu/kernel.ts';
import { Usage } from '../gpu/buffers.ts';
import { createTensor, readTensor, uploadTensor, type GpuTensor } from '../gpu/tensor.ts';
import { adamGuard, adamUpdate, createAdamSchedule, type AdamSchedule } from '../gpu/kernels/adam.ts';
import { createStepStatus, gradNorm, type GradNorm } from '../gpu/kernels/grad_norm.ts';
import { simplexProject } from '../gpu/kernels/simplex.ts';
import { writeDropoutSeed } from '../gpu/kernels/dropout.ts';
import { rngHash } from '../reference/rng.ts';
import { Arena, compileGraph, settlePipelines, type CompiledGraph } from '../graph/compile.ts';
import type { ProgressCallback } from '../gpu/pipelines.ts';
import { buildModelGraph, type BatchShape, type ModelGraph } from '../model/transformer.ts';
import { buildParamTable, type ParamTable } from '../model/params.ts';
import { initParams } from '../model/init.ts';
import { effectiveWeights, type ModelConfig } from '../model/config.ts';
import { assertConfigFitsDevice } from '../model/limits.ts';
import { FaultWatch, openErrorScopes } from '../gpu/errors.ts';
import type { Checkpoint } from '../model/checkpoint.ts';
import type { Batch } from '../model/batch.ts';

export type { Batch };
import { Translator } from './translate.ts';
import { MetricsRing, type SlotValues } from './metrics-ring.ts';
import { branchLearningRate, branchesFrozen, mainLearningRate, type ScheduleConfig } from './schedule.ts';


export interface TrainerOptions extends Omit<ScheduleConfig, 'dModel' | 'encLayers'> {
  /** Seeds init (when no weights are given) and every dropout mask. */
  seed: number;
  /** Global gradient-norm clip; 0 = off. */
  gradClip: number;
  /** Tuned kernel variants for this adapter (src/gpu/tune.ts tuneForGpu); absent: the device's own choice or the defaults. */
  kernelChoice?: KernelChoice;
}

/** What a step reports back (plain numbers, ready for the UI or a metrics file). */
export interface StepMetrics {
  step: number;
  loss: number;
  /** Non-PAD target tokens in the batch. */
  tokens: number;
  gradNorm: number;
  nonfinite: boolean;
  /** What was non-finite: the gradient, or the update it would have made (a learning rate too large). */
  nonfiniteCause?: 'gradient' | 'update' | null;
  lr: number;
  /** GPU time of the step's pass (timestamp queries), or null when the device has none. */
  gpuMs: number | null;
  /** Host (CPU) time of trainStep: writing the inputs, encoding every dispatch and submitting (a new batch
   *  shape's one-time compilation excluded). */
  hostMs: number;
  /** Effective kappa/alpha per branched layer (what multiplies the branches: model.md's "effective
   *  weights" of the config's weighting), as the optimizer left them after this step. */
  branches: { layer: string; kappa: number[]; alpha: number[] }[];
}

/**
 * What the trainer's start cost, wall ms (`trainer.startup`): everything before the first step split into
 * the constructor (flat buffers, initial weights, readback ring), shader modules, pipelines and the rest of
 * the compilation (buffers, uniforms, bind groups: lowering the graphs), then the first step itself. The
 * compilation parts add up the first prepare() (or the first step's synchronous compile when there was
 * none); pipelinesMs counts synchronous pipeline creation plus the wait for the asynchronous ones.
 */
export interface StartupTimings {
  constructMs: number;
  shadersMs: number;
  pipelinesMs: number;
  buffersMs: number;
  /** constructMs + shadersMs + pipelinesMs + buffersMs: everything before the first step. */
  compileMs: number;
  /** The first trainStep, from its call to its metrics (or to flush() when it did not report); null before. */
  firstStepMs: number | null;
  /** Shader modules and distinct pipelines created for it, pipeline requests the cache answered, bind groups. */
  modules: number;
  pipelines: number;
  pipelineHits: number;
  bindGroups: number;
}

interface Bucket {
  model: ModelGraph;
  compiled: CompiledGraph;
  /** The step's whole dispatch list: forward, backward, grad norm, update guard, Adam, projection. */
  train: Dispatch[];
  /** The same with kappa/alpha frozen (no branch Adam, no projection). */
  trainFrozen: Dispatch[];
}

export class Trainer {
  readonly table: ParamTable;
  readonly params: GpuTensor<'f32'>;
  readonly grads: GpuTensor<'f32'>;
  readonly m: GpuTensor<'f32'>;
  readonly v: GpuTensor<'f32'>;
  readonly seeds: GpuTensor<'u32'>;
  readonly status: GpuTensor<'f32'>;
  readonly schedule: AdamSchedule;
  /** The gradient norm and the update guard (adamGuard) over the ranges the step updates: all, or all but
   *  kappa/alpha (frozen). Made with the first compiled bucket (their pipelines in the same batch). */
  private stepTail: { norm: GradNorm; guard: { train: Dispatch[]; frozen: Dispatch[] } } | null = null;
  /** See StartupTimings; firstStepMs and the compile parts fill in as the trainer starts. */
  readonly startup: StartupTimings;
  /** performance.now() of the first step's trainStep call and its step number, until its metrics come. */
  private firstStep: { t0: number; step: number } | null = null;
  private readonly buckets = new Map<string, Bucket>();
  /** Activation/gradient buffers shared by all buckets (their steps never overlap). */
  private readonly arena: Arena;
  /** Owns every GPU buffer of this model: flat buffers, compiled graphs, arena, metrics ring, translator. */
  private readonly owner: BufferOwner;
  /** The device, with buffers created through it owned by this trainer. */
  readonly gpu: Gpu;
  private readonly ring: MetricsRing;
  /** Steps completed (the next step is step + 1). */
  step: number;
  /** The first step whose gradient was NaN/Inf, once its metrics came back: from it on nothing is
   *  updated (the gradient-norm kernel halts), so the weights are those after step haltedAt - 1. */
  haltedAt: number | null = null;
  /** Called with the metrics of every reported step, in step order. */
  onMetrics: (m: StepMetrics) => void = () => {};
  /** Test hook (see poisonNextStep): a NaN to copy into the gradient of the next step. */
  private poison: GPUBuffer | null = null;
  /** This trainer's GPU faults: error-scope verdicts of creation, compilations and submitted steps. */
  private readonly watch: FaultWatch;

  constructor(
    device: Gpu,
    readonly config: ModelConfig,
    readonly options: TrainerOptions,
    state?: { params: Float32Array; m?: Float32Array; v?: Float32Array; step?: number },
  ) {
    const constructStart = performance.now();
    assertConfigFitsDevice(config, device.limits);
    this.table = buildParamTable(config);
    this.watch = new FaultWatch(device);
    this.owner = device.owner.child('trainer');
    const gpu = (this.gpu = ownedBy(options.kernelChoice ? { ...device, kernelChoice: options.kernelChoice } : device, this.owner));
    const scopes = openErrorScopes(device, `creating the trainer's buffers (${this.table.size} parameters)`);
    try {
      this.arena = new Arena(this.owner.child('arena'));
      const n = this.table.size;
      const init = state?.params ?? initParams(this.table, options.seed);
      if (init.length !== n) throw new Error(`parameters: ${init.length} values for a model of ${n}`);
      this.params = uploadTensor(gpu, init, [n], 'f32', 'params');
      this.grads = createTensor(gpu, [n], 'f32', 'grads'); // new buffers are zero: block padding stays 0
      this.m = state?.m ? uploadTensor(gpu, state.m, [n], 'f32', 'adam m') : createTensor(gpu, [n], 'f32', 'adam m');
      this.v = state?.v ? uploadTensor(gpu, state.v, [n], 'f32', 'adam v') : createTensor(gpu, [n], 'f32', 'adam v');
      this.seeds = uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32', 'seeds');
      this.status = createStepStatus(gpu);
      this.schedule = createAdamSchedule(gpu, 2);
      this.step = state?.step ?? 0;
      this.ring = new MetricsRing(gpu, this.table.branchRange.count);
    } catch (err) {
      void scopes.close();
      this.owner.destroy(); // nothing of a refused trainer stays allocated
      throw err;
    }
    this.watch.track(scopes.close());
    const constructMs = performance.now() - constructStart;
    this.startup = { constructMs, shadersMs: 0, pipelinesMs: 0, buffersMs: 0, compileMs: constructMs, firstStepMs: null, modules: 0, pipelines: 0, pipelineHits: 0, bindGroups: 0 };
  }

  /** The gradient norm and update guard dispatches (made with the first bucket, see stepTail). */
  private tail() {
    if (this.stepTail) return this.stepTail;
    const gpu = this.gpu;
    const norm = gradNorm(gpu, this.grads, this.status, { clip: this.options.gradClip, haltAfterNonfinite: true });
    const bufs = { params: this.params, grads: this.grads, m: this.m, v: this.v, status: this.status, schedule: this.schedule };
    const { offset: branchOffset, count: branchCount } = this.table.branchRange;
    const mainRange = { offset: 0, count: branchOffset, group: 0 };
    const trainsBranches = branchCount > 0 && this.config.weighting !== 'uniform';
    const guard = {
      train: adamGuard(gpu, bufs, trainsBranches ? [mainRange, { offset: branchOffset, count: branchCount, group: 1 }] : [mainRange]),
      frozen: adamGuard(gpu, bufs, [mainRange]),
    };
    return (this.stepTail = { norm, guard });
  }

  /**
   * Compile the training step of each shape before its first step, every new pipeline created
   * asynchronously and all at once (one batch, in the order the step runs them), then the bind groups:
   * nothing blocks on one pipeline while the others wait. Progress: 'shaders' (modules, once the graphs
   * are lowered), 'pipelines' (as each one is made), 'buffers' (bind groups). A shape already compiled is
   * skipped; a shape never prepared compiles synchronously on its first step instead.
   */
  async prepare(shapes: readonly BatchShape[], onProgress?: ProgressCallback): Promise<void> {
    this.watch.throwIfFaulted();
    const todo = new Map<string, BatchShape>();
    for (const shape of shapes) {
      const key = bucketKey(shape);
      if (!this.buckets.has(key)) todo.set(key, shape);
    }
    if (todo.size === 0) return;
    for (const [key, shape] of todo) assertConfigFitsDevice(this.config, this.gpu.limits, { batch: shape }, `batch ${key}`);
    const measure = this.measureCompile();
    const batch = this.gpu.pipelines.openBatch();
    const made: Bucket[] = [];
    const fail = (err: unknown): never => {
      batch.abandon();
      for (const b of made) b.compiled.destroy();
      throw err;
    };
    try {
      for (const [key, shape] of todo) made.push(this.watch.captured(`compiling the training step ${key}`, () => this.compileBucket(shape)));
    } catch (err) {
      fail(err);
    } finally {
      batch.close();
    }
    const modules = this.gpu.pipelines.stats.modules - measure.modules;
    onProgress?.({ phase: 'shaders', done: modules, total: modules });
    const waitStart = performance.now();
    let waitMs = 0;
    try {
      const settled = await settlePipelines(this.gpu, batch, `finishing the training step ${[...todo.keys()].join(', ')}`, (p) => {
        if (p.phase === 'buffers' && p.done === 0) waitMs = performance.now() - waitStart; // every pipeline is made
        onProgress?.(p);
      });
      this.watch.track(settled.errors);
    } catch (err) {
      fail(err);
    }
    [...todo.keys()].forEach((key, i) => this.buckets.set(key, made[i]));
    measure.done(waitMs);
  }

  /** Start measuring a compilation; done(waitMs) adds its parts to `startup` (before the first step only). */
  private measureCompile() {
    const stats = this.gpu.pipelines.stats;
    const t0 = performance.now();
    const before = { moduleMs: stats.moduleMs, syncMs: stats.syncPipelineMs, modules: stats.modules, pipelines: stats.pipelines, hits: stats.hits, bindGroups: this.gpu.counters.bindGroups };
    return {
      modules: before.modules,
      done: (waitMs: number) => {
        if (this.startup.firstStepMs !== null || this.firstStep) return; // a later shape: not part of the start
        const s = this.startup;
        const wall = performance.now() - t0;
        const shaders = stats.moduleMs - before.moduleMs;
        const pipelines = stats.syncPipelineMs - before.syncMs + waitMs;
        s.shadersMs += shaders;
        s.pipelinesMs += pipelines;
        s.buffersMs += Math.max(0, wall - shaders - pipelines);
        s.compileMs = s.constructMs + s.shadersMs + s.pipelinesMs + s.buffersMs;
        s.modules += stats.modules - before.modules;
        s.pipelines += stats.pipelines - before.pipelines;
        s.pipelineHits += stats.hits - before.hits;
        s.bindGroups += this.gpu.counters.bindGroups - before.bindGroups;
      },
    };
  }

  /** GPU errors since this trainer was made (validation, out-of-memory, device lost), oldest first. */
  get faults(): string[] {
    return this.watch.faults;
  }

  /** Wait for every error scope's verdict; throws GpuFaultError when the GPU reported any error. */
  checkGpu(): Promise<void> {
    return this.watch.check();
  }

  private scheduleConfig(): ScheduleConfig {
    return { ...this.options, lrScale: this.lrScale, dModel: this.config.dModel, encLayers: this.config.encLayers };
  }

  private lrScaleLive: number | null = null;

  /** The learning-rate scale in effect (options.lrScale unless changed by setLrScale). */
  get lrScale(): number {
    return this.lrScaleLive ?? this.options.lrScale;
  }

  /** Change the learning-rate scale from the next step on (the playground's live slider). */
  setLrScale(lrScale: number): void {
    if (!Number.isFinite(lrScale) || lrScale < 0) throw new Error(`setLrScale: expected a finite number >= 0, got ${lrScale}`);
    this.lrScaleLive = lrScale;
  }

  /** The compiled step for a batch shape (compiled on first use, then reused). */
  bucket(shape: BatchShape): Bucket {
    const key = bucketKey(shape);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      assertConfigFitsDevice(this.config, this.gpu.limits, { batch: shape }, `batch ${key}`);
      const measure = this.measureCompile();
      bucket = this.watch.captured(`compiling the training step ${key}`, () => this.compileBucket(shape));
      this.buckets.set(key, bucket);
      measure.done(0);
    }
    return bucket;
  }

  private compileBucket(shape: BatchShape): Bucket {
    const key = bucketKey(shape);
    const model = buildModelGraph(this.config, shape, true);
    const compiled = compileGraph(this.gpu, model.graph, { params: this.params, grads: this.grads, seeds: this.seeds, arena: this.arena, label: `train ${key}` });
    this.watch.track(compiled.errors);
    try {
      const bufs = { params: this.params, grads: this.grads, m: this.m, v: this.v, status: this.status, schedule: this.schedule };
      const { offset: branchOffset, count: branchCount } = this.table.branchRange;
      const { norm, guard } = this.tail();
      const mainRange = { offset: 0, count: branchOffset, group: 0 };
      const main = adamUpdate(this.gpu, bufs, mainRange);
      const gradientAndNorm = [...compiled.forward, ...compiled.backward, ...norm.dispatches];
      // Trained kappa/alpha: both parameter groups in one Adam dispatch (per binding window), then the projection.
      let update = main;
      if (branchCount > 0 && this.config.weighting !== 'uniform') {
        update = adamUpdate(this.gpu, bufs, [mainRange, { offset: branchOffset, count: branchCount, group: 1 }]);
        if (this.config.weighting === 'projected') {
          update.push(simplexProject(this.gpu, this.params, this.status, { offset: branchOffset, rows: branchCount / this.config.branches, m: this.config.branches }));
        }
      }
      return {
        model, compiled,
        train: [...gradientAndNorm, ...guard.train, ...update],
        trainFrozen: [...gradientAndNorm, ...guard.frozen, ...main],
      };
    } catch (err) {
      compiled.destroy();
      throw err;
    }
  }

  /**
   * Run one optimizer step on `batch`; reports its metrics through onMetrics when `report` (async; the
   * step never waits). Returns the step number.
   */
  trainStep(batch: Batch, report = true): number {
    this.watch.throwIfFaulted();
    const step = this.step + 1;
    const bucket = this.bucket(batch); // compiles on a shape's first step: not part of the host time below
    const t0 = performance.now();
    if (this.startup.firstStepMs === null && !this.firstStep) this.firstStep = { t0, step };
    const q = this.gpu.device.queue;
    writeBatch(q, bucket.compiled, batch);
    writeDropoutSeed(this.gpu, this.seeds, rngHash((this.options.seed ^ Math.imul(step, 0x9e3779b1)) >>> 0));
    const sc = this.scheduleConfig();
    const lrs = [mainLearningRate(sc, step), branchLearningRate(sc, step)];
    this.schedule.write(step, lrs);
    const frozen = branchesFrozen(sc, step);
    const slot = report ? this.ring.take() : null;
    const dispatches = frozen ? bucket.trainFrozen : bucket.train;
    this.watch.submit(`training step ${step}`, (encoder) => {
      if (this.poison) {
        this.encodePoisoned(encoder, bucket, dispatches, this.poison);
        this.poison = null;
      } else {
        const pass = encoder.beginComputePass(slot === null ? undefined : this.ring.passDescriptor(slot));
        encodeDispatches(pass, dispatches);
        pass.end();
      }
      if (slot !== null) this.encodeReadback(encoder, bucket, slot);
    });
    this.step = step;
    if (slot !== null) {
      const hostMs = performance.now() - t0;
      this.ring.collect(slot, (values) => {
        if (this.firstStep?.step === step) this.firstStepDone();
        this.onMetrics(this.stepMetrics(values, step, lrs[0], hostMs));
      });
    }
    return step;
  }

  /**
   * Test hook for the NaN/Inf path (the playground's e2e test): the next step's gradient gets a NaN after
   * the backward pass, as a diverging step's would, so the real guard (gradient norm status, optimizer
   * skipping the update, the caller stopping the run) is what the test sees. Creates one small buffer.
   */
  poisonNextStep(): void {
    const nan = new Float32Array([Number.NaN]);
    const buffer = this.owner.create({ size: 4, usage: Usage.COPY_SRC | Usage.COPY_DST, label: 'nan poison' });
    this.gpu.device.queue.writeBuffer(buffer, 0, nan);
    this.poison = buffer;
  }

  private encodePoisoned(encoder: GPUCommandEncoder, bucket: Bucket, dispatches: Dispatch[], poison: GPUBuffer): void {
    const split = bucket.compiled.forward.length + bucket.compiled.backward.length;
    const first = encoder.beginComputePass();
    encodeDispatches(first, dispatches.slice(0, split));
    first.end();
    encoder.copyBufferToBuffer(poison, 0, this.grads.buffer, 0, 4);
    const second = encoder.beginComputePass();
    encodeDispatches(second, dispatches.slice(split));
    second.end();
  }

  /**
   * Mean loss over `batches` (token-weighted) with dropout off: a forward-only graph per shape, compiled
   * once and sharing the weights and the activation arena. Waits for the GPU.
   */
  async evaluate(batches: readonly Batch[]): Promise<{ loss: number; tokens: number }> {
    if (batches.length === 0) return { loss: NaN, tokens: 0 }; // nothing measured: never a loss of 0
    let sum = 0, tokens = 0;
    for (const batch of batches) {
      const bucket = this.evalBucket(batch);
      writeBatch(this.gpu.device.queue, bucket.compiled, batch);
      this.watch.submit('evaluation', (encoder) => {
        const pass = encoder.beginComputePass();
        encodeDispatches(pass, bucket.compiled.forward);
        pass.end();
      });
      const stats = bucket.compiled.locate(bucket.model.stats);
      const [loss, count] = await readTensor(this.gpu, { ...stats.tensor, shape: [2] });
      sum += loss * count;
      tokens += count;
    }
    await this.checkGpu();
    return { loss: tokens > 0 ? sum / tokens : NaN, tokens };
  }

  private readonly evalBuckets = new Map<string, { model: ModelGraph; compiled: CompiledGraph }>();

  private evalBucket(shape: BatchShape) {
    const key = `${shape.batch}x${shape.srcLen}x${shape.tgtLen}`;
    let bucket = this.evalBuckets.get(key);
    if (!bucket) {
      assertConfigFitsDevice(this.config, this.gpu.limits, { batch: shape }, `batch ${key}`);
      const model = buildModelGraph({ ...this.config, dropout: 0 }, shape, false);
      const compiled = compileGraph(this.gpu, model.graph, { params: this.params, grads: this.grads, seeds: this.seeds, arena: this.arena, label: `eval ${key}` });
      this.watch.track(compiled.errors);
      bucket = { model, compiled };
      this.evalBuckets.set(key, bucket);
    }
    return bucket;
  }

  /** Loss and the flat gradient of one batch at the current weights (no optimizer step; waits). */
  async gradients(batch: Batch): Promise<{ loss: number; tokens: number; grads: Float32Array }> {
    const bucket = this.bucket(batch);
    writeBatch(this.gpu.device.queue, bucket.compiled, batch);
    writeDropoutSeed(this.gpu, this.seeds, rngHash((this.options.seed ^ Math.imul(this.step + 1, 0x9e3779b1)) >>> 0));
    this.watch.submit('the gradient pass', (encoder) => {
      const pass = encoder.beginComputePass();
      encodeDispatches(pass, [...bucket.compiled.forward, ...bucket.compiled.backward]);
      pass.end();
    });
    const stats = bucket.compiled.locate(bucket.model.stats);
    const [values, grads] = await Promise.all([readTensor(this.gpu, { ...stats.tensor, shape: [2] }), readTensor(this.gpu, this.grads)]);
    await this.checkGpu();
    return { loss: values[0], tokens: values[1], grads };
  }

  private encodeReadback(encoder: GPUCommandEncoder, bucket: Bucket, slot: number): void {
    const stats = bucket.compiled.locate(bucket.model.stats);
    const { offset, count } = this.table.branchRange;
    this.ring.encode(encoder, slot, {
      stats: { buffer: stats.tensor.buffer, offset: stats.offset * 4 },
      status: this.status.buffer,
      branches: { buffer: this.params.buffer, offset: offset * 4, count },
    });
  }

  private stepMetrics(v: SlotValues, step: number, lr: number, hostMs: number): StepMetrics {
    const m = this.config.branches;
    if (v.status.nonfinite && this.haltedAt === null) this.haltedAt = step;
    const effective = (from: number) => effectiveWeights(this.config.weighting, Array.from(v.branches.subarray(from, from + m)));
    return {
      step, loss: v.loss, tokens: v.tokens, gradNorm: v.status.norm, nonfinite: v.status.nonfinite, lr, gpuMs: v.gpuMs, hostMs,
      nonfiniteCause: !v.status.nonfinite ? null : v.status.nonfiniteUpdate ? 'update' : 'gradient',
      branches: this.branchedLayers().map((layer, i) => ({ layer, kappa: effective(2 * i * m), alpha: effective(2 * i * m + m) })),
    };
  }

  branchedLayers(): string[] {
    return this.table.entries.filter((e) => e.key.endsWith('.kappa')).map((e) => e.key.slice(0, -'.kappa'.length));
  }

  /** True when the next step can report its metrics (a readback slot is free). */
  get canReport(): boolean {
    return this.ring.canReport;
  }

  /** Resolves when every submitted step has finished and its metrics were delivered. */
  async flush(): Promise<void> {
    await this.gpu.device.queue.onSubmittedWorkDone();
    while (this.ring.pending > 0) await new Promise((r) => setTimeout(r, 1));
    if (this.firstStep) this.firstStepDone(); // a first step that did not report: done by now
  }

  private firstStepDone(): void {
    if (!this.firstStep) return;
    this.startup.firstStepMs = performance.now() - this.firstStep.t0;
    this.firstStep = null;
  }

  /** Parameters and Adam moments as a checkpoint (waits for the GPU). */
  async checkpoint(extras: Record<string, unknown> = {}): Promise<Checkpoint> {
    await this.flush();
    const [params, m, v] = await Promise.all([readTensor(this.gpu, this.params), readTensor(this.gpu, this.m), readTensor(this.gpu, this.v)]);
    await this.checkGpu(); // a step the GPU refused did not run: the weights are not those of `step`
    // After a NaN/Inf step the weights and moments are those of the last good step.
    const step = this.haltedAt === null ? this.step : this.haltedAt - 1;
    return { config: this.config, params, step, adam: { m, v }, extras };
  }

  /** A translator reading this trainer's live weights (decoding graphs compile on first use). */
  translator(): Translator {
    return (this.translatorInstance ??= new Translator(this.gpu, this.config, this.params, this.grads, this.seeds));
  }

  private translatorInstance: Translator | null = null;

  /** Counters of GPU objects created so far (a step after warm-up must not change them). */
  get counters() {
    return { ...this.gpu.counters };
  }

  /** Dispatches per step for a shape (after compiling it). */
  dispatchesPerStep(shape: BatchShape): number {
    return this.bucket(shape).train.length;
  }

  /** Bytes of GPU memory this model holds: flat buffers, compiled buckets, arena, readbacks, translator. */
  gpuBytes(): number {
    return this.owner.bytes;
  }

  /** Free every GPU buffer this trainer created (its compiled graphs' and translator's too). */
  destroy(): void {
    this.owner.destroy();
    this.buckets.clear();
    this.evalBuckets.clear();
    this.translatorInstance = null;
  }
}

/**
 * Start making the pipelines of `config`'s training step at `shape` in the background, and return at
 * once with how many were started: the step is lowered by a throwaway trainer (its buffers made and freed
 * within this call) inside a pipeline batch that is abandoned, never settled, so the pipelines land in
 * gpu.pipelines while nobody waits. A later Trainer.prepare finds them made or still being made (and
 * waits for those); a shape that needs other variants makes those then. The page asks for this while
 * the user is still on the form (the worker's 'warm'), so Start finds most of the compiling done.
 */
export function warmPipelines(gpu: Gpu, config: ModelConfig, options: TrainerOptions, shape: BatchShape): number {
  const before = gpu.pipelines.stats.pipelines;
  const trainer = new Trainer(gpu, config, options);
  const batch = gpu.pipelines.openBatch();
  try {
    trainer.bucket(shape);
  } finally {
    batch.abandon();
    trainer.destroy();
  }
  return gpu.pipelines.stats.pipelines - before;
}

const bucketKey = (shape: BatchShape) => `${shape.batch}x${shape.srcLen}x${shape.tgtLen}`;

/** Write a batch's token ids into a compiled graph's input buffers. */
export function writeBatch(queue: GPUQueue, compiled: CompiledGraph, batch: Batch): void {
  const { batch: b, srcLen: s, tgtLen: t } = batch;
  if (batch.src.length !== b * s || batch.tgtIn.length !== b * t || batch.tgtOut.length !== b * t) {
    throw new Error(`batch arrays do not match its shape (B=${b}, S=${s}, T=${t})`);
  }
  queue.writeBuffer(compiled.inputs.get('src')!.buffer, 0, batch.src);
  queue.writeBuffer(compiled.inputs.get('tgt_in')!.buffer, 0, batch.tgtIn);
  queue.writeBuffer(compiled.inputs.get('tgt_out')!.buffer, 0, batch.tgtOut);
}

/** Why a step's metrics say non-finite, for messages ("training stopped at step N: ..."). */
export function nonfiniteReason(m: Pick<StepMetrics, 'nonfiniteCause'>): string {
  return m.nonfiniteCause === 'update'
    ? 'the update would have made the weights NaN/Inf (is the learning rate too large?)'
    : 'the gradient was NaN/Inf';
}
