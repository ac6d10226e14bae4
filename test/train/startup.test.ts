// Time to first step (issue 15, part 1): Trainer.prepare compiles a step with its pipelines created
// asynchronously, reporting the phases in order ('shaders', then 'pipelines' up to their total, then
// 'buffers' up to theirs); trainer.startup then has every part, and the first step's time once it has
// reported. A prepared trainer computes what one compiled on its first step (synchronously) does. The
// worker's session posts the phases as 'compile-progress' while a run is prepared, then 'first-step'; a
// 'warm' (the page, while the user is on the form) starts the pipelines in the background, holding no
// GPU memory afterwards, and the Start after it finds them made.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { Trainer, type StepMetrics } from '../../src/train/trainer.ts';
import { microBatches, microConfig, microOptions, trainSteps } from '../helpers/micro-trainer.ts';
import { PipelineCache, type CompileProgress } from '../../src/gpu/pipelines.ts';
import { sessionHarness } from '../helpers/session.ts';
import type { RunSpec, WorkerMessage } from '../../src/train/protocol.ts';

const batches = microBatches(3);
const [config, options] = [microConfig, microOptions];
const steps = (trainer: Trainer): Promise<StepMetrics[]> => trainSteps(trainer, batches);

describe('startup', () => {
  it('prepare reports shaders, pipelines and buffers up to their totals; startup has every part and the first step', async () => {
    const gpu = await testGpu();
    const trainer = new Trainer(gpu, config, options);
    const progress: CompileProgress[] = [];
    gpu.pipelines.createAsync = true; // the page's way (Node's default is synchronous: see defaultAsyncCreation)
    try {
      await trainer.prepare([batches[0]], (p) => progress.push({ ...p }));
      const phases = progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
      expect(phases).toEqual(['shaders', 'pipelines', 'buffers']);
      for (const phase of ['shaders', 'pipelines', 'buffers'] as const) {
        const of = progress.filter((p) => p.phase === phase);
        const last = of.at(-1)!;
        expect(last.done, phase).toBe(last.total);
        expect(of.every((p) => p.total === last.total && p.done <= p.total), phase).toBe(true);
        expect(of.map((p) => p.done), phase).toEqual([...of.map((p) => p.done)].sort((a, b) => a - b)); // never backwards
      }
      const s = trainer.startup;
      // The shared test device may have made some pipelines for earlier tests: those are cache hits.
      const pipelines = progress.filter((p) => p.phase === 'pipelines').at(-1)!.total;
      expect(s.pipelines).toBe(pipelines);
      expect(s.pipelines + s.pipelineHits).toBeGreaterThan(20);
      expect(progress.filter((p) => p.phase === 'buffers').at(-1)!.total).toBeLessThanOrEqual(s.bindGroups);
      for (const key of ['constructMs', 'shadersMs', 'pipelinesMs', 'buffersMs', 'compileMs'] as const) {
        expect(Number.isFinite(s[key]) && s[key] >= 0, key).toBe(true);
      }
      expect(s.compileMs).toBeCloseTo(s.constructMs + s.shadersMs + s.pipelinesMs + s.buffersMs, 6);
      expect(s.firstStepMs).toBeNull();
      const before = { ...s };
      const metrics = await steps(trainer);
      expect(metrics.map((m) => m.step)).toEqual([1, 2, 3]);
      expect(trainer.startup.firstStepMs).toBeGreaterThan(0);
      // The first step used the prepared bucket: nothing more was compiled for the start.
      expect({ ...trainer.startup, firstStepMs: null }).toEqual(before);
      // A second prepare of the same shape does nothing and reports nothing.
      const again: CompileProgress[] = [];
      await trainer.prepare([batches[0]], (p) => again.push(p));
      expect(again).toEqual([]);
      expect(gpu.pipelines.stats.asyncPipelines).toBe(s.pipelines);
    } finally {
      gpu.pipelines.createAsync = false;
      trainer.destroy();
    }
  });

  it('a prepared trainer computes what one compiled on its first step does', async () => {
    const gpu = await testGpu();
    const prepared = new Trainer(gpu, config, options);
    const plain = new Trainer(gpu, config, options);
    try {
      await prepared.prepare(batches);
      const a = await steps(prepared);
      const b = await steps(plain);
      expect(a.map((m) => m.loss)).toEqual(b.map((m) => m.loss));
      expect(a.map((m) => m.gradNorm)).toEqual(b.map((m) => m.gradNorm));
      expect(a.at(-1)!.branches).toEqual(b.at(-1)!.branches);
      expect(plain.startup.firstStepMs).toBeGreaterThan(0);
    } finally {
      prepared.destroy();
      plain.destroy();
    }
  });

  it('the session posts compile-progress for each phase before the first metrics', async () => {
    const h = await sessionHarness();
    const spec: RunSpec = {
      id: 0, label: 'weighted', model: config, train: { ...options, steps: 2 },
      data: { source: { kind: 'reverse', symbols: 12 }, vocab: 280, batchTokens: 256, devPairs: 10 }, evalEvery: 0, bleuSentences: 0,
    };
    h.send({ type: 'start', runs: [spec], paused: false });
    await h.until((m) => m.type === 'status' && m.status === 'done');
    const firstMetrics = h.messages.findIndex((m) => m.type === 'metrics');
    const compile = h.messages.slice(0, firstMetrics).filter((m): m is Extract<WorkerMessage, { type: 'compile-progress' }> => m.type === 'compile-progress');
    const phases = compile.map((m) => m.phase).filter((p, i, all) => p !== all[i - 1]);
    // (Pipelines the shared device made for the tests above are cache hits: the pipelines phase may count none.)
    expect(phases).toEqual(['shaders', 'pipelines', 'buffers', 'first-step']);
    expect(compile.at(-1)).toEqual({ type: 'compile-progress', phase: 'first-step', done: 0, total: 1 });
    expect(h.messages.slice(firstMetrics).some((m) => m.type === 'compile-progress')).toBe(false);
    h.send({ type: 'reset' });
    await h.until((m) => m.type === 'status' && m.status === 'idle');
  });

  it('warm starts the step\'s pipelines in the background, holds no memory, and the Start after it reuses them', async () => {
    const h = await sessionHarness();
    const shared = h.gpu.pipelines;
    const fresh = new PipelineCache(h.gpu.device, h.gpu.counters); // (the file's device already made the usual ones)
    fresh.createAsync = true; // the page's way
    h.gpu.pipelines = fresh;
    try {
      const spec: RunSpec = {
        id: 0, label: 'weighted', model: config, train: { ...options, steps: 1 },
        data: { source: { kind: 'reverse', symbols: 12 }, vocab: 280, batchTokens: 256, devPairs: 10 }, evalEvery: 0, bleuSentences: 0,
      };
      const live = h.gpu.memory.liveBytes;
      h.clear();
      h.send({ type: 'warm', runs: [{ model: spec.model, train: spec.train, batchTokens: 256 }] });
      await new Promise((r) => setTimeout(r, 20));
      const warmed = fresh.size;
      expect(warmed).toBeGreaterThan(20);
      expect(fresh.stats.asyncPipelines).toBe(warmed);
      expect(h.gpu.memory.liveBytes).toBe(live); // the throwaway trainer's buffers are gone
      expect(h.messages).toEqual([]); // nothing answers
      h.send({ type: 'start', runs: [spec], paused: false });
      await h.until((m) => m.type === 'status' && m.status === 'done');
      expect(h.of('error')).toEqual([]);
      expect(fresh.stats.pipelines - warmed).toBeLessThan(warmed / 2); // most were made by the warm-up
      expect(fresh.stats.hits).toBeGreaterThan(warmed / 2);
      h.send({ type: 'reset' });
      await h.until((m) => m.type === 'status' && m.status === 'idle');
    } finally {
      h.gpu.pipelines = shared;
    }
  });
});
