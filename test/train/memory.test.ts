// GPU memory is owned: a trainer that trained, evaluated, translated (greedy and beam), drew attention
// maps and saved a checkpoint gives back every byte on destroy(); so does a translator on its own. The
// figure is the device's live bytes (every buffer is created through a BufferOwner, src/gpu/memory.ts).
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { makeBatch } from '../../src/data/batching.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { CACHE_LIMIT, Translator } from '../../src/train/translate.ts';
import { createTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { initParams } from '../../src/model/init.ts';
import { buildParamTable } from '../../src/model/params.ts';

const BASE = { vocab: 40, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 2, maxLen: 40, dropout: 0.1, labelSmoothing: 0.1 };
const OPTIONS = { seed: 3, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps: 10, freezeSteps: 0 };
const ids = (n: number, from: number) => Array.from({ length: n }, (_, i) => 4 + ((from + i * 7) % 36));

describe('GPU memory returns to its value before a run', () => {
  for (const [variant, weighting] of [['baseline', 'projected'], ['weighted', 'projected'], ['weighted', 'softmax'], ['weighted', 'uniform']] as const) {
    it(`${variant}/${weighting}: train (two batch shapes), evaluate, translate, attention maps, checkpoint, destroy`, async () => {
      const gpu = await testGpu();
      const before = { bytes: gpu.memory.liveBytes, buffers: gpu.memory.liveBuffers };
      const config = validateModelConfig({ ...BASE, variant, weighting });
      const trainer = new Trainer(gpu, config, OPTIONS);
      const short = makeBatch([{ src: ids(5, 1), tgt: ids(4, 2) }, { src: ids(3, 5), tgt: ids(6, 3) }], 8, 8);
      const long = makeBatch([{ src: ids(20, 4), tgt: ids(18, 1) }], 24, 24);
      for (const batch of [short, long, short]) trainer.trainStep(batch);
      await trainer.flush();
      await trainer.evaluate([short, long]);
      await trainer.gradients(short);
      const translator = trainer.translator();
      await translator.translate([ids(5, 1), ids(19, 2)], { beam: 1, maxLen: 20 });
      await translator.translate([ids(5, 1)], { beam: 4, maxLen: 20 });
      await translator.crossAttention(ids(5, 1), ids(6, 2), 1, { inputs: true });
      await trainer.checkpoint();
      expect(gpu.memory.liveBytes).toBeGreaterThan(before.bytes);
      expect(trainer.gpuBytes()).toBe(gpu.memory.liveBytes - before.bytes); // the trainer owns all of it
      trainer.destroy();
      expect(gpu.memory.liveBytes).toBe(before.bytes);
      expect(gpu.memory.liveBuffers).toBe(before.buffers);
      await expect(translator.translate([ids(3, 1)])).rejects.toThrow(/destroyed/);
    });
  }

  it('a translator on its own frees what it compiled, and keeps a bounded cache over many shapes', async () => {
    const gpu = await testGpu();
    const config = validateModelConfig({ ...BASE, variant: 'weighted', weighting: 'projected' });
    const table = buildParamTable(config);
    const params = uploadTensor(gpu, initParams(table, 1), [table.size]);
    const grads = createTensor(gpu, [table.size]);
    const seeds = uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32');
    const before = gpu.memory.liveBytes;
    const translator = new Translator(gpu, config, params, grads, seeds);
    for (let b = 1; b <= CACHE_LIMIT + 4; b++) await translator.translate(Array.from({ length: b }, (_, i) => ids(3 + i, b)), { maxLen: 4 });
    // One encoder and one decoder shape per batch size; the least recently used beyond the limit are gone.
    expect(translator.cachedGraphs).toEqual({ encoders: CACHE_LIMIT, decoders: CACHE_LIMIT, probes: 0 });
    translator.destroy();
    expect(gpu.memory.liveBytes).toBe(before);
  });
});
