// The WebGPU engine against the PyTorch twin's committed fixtures (reference/make_fixtures.py): the loss
// and every parameter gradient at the initial weights, within 1e-4 of each tensor's largest magnitude.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testGpu } from '../helpers/gpu.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { buildModelGraph } from '../../src/model/transformer.ts';
import { compileGraph } from '../../src/graph/compile.ts';
import { readParam } from '../../src/model/params.ts';
import { createTensor, readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { maxAbs, compareClose } from '../../src/testing/compare.ts';
import { Trainer, type Batch } from '../../src/train/trainer.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'parity');

for (const variant of ['baseline', 'weighted'] as const) {
  describe(`parity with the PyTorch twin: ${variant}`, () => {
    it('loss and every gradient at the initial weights', async () => {
      const gpu = await testGpu();
      const dir = join(FIXTURES, variant);
      const ckpt = decodeCheckpoint(readFileSync(join(dir, 'weights.safetensors')), 'weights.safetensors');
      const batch = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')) as Record<'src' | 'tgt_in' | 'tgt_out', number[][]>;
      const shape = { batch: batch.src.length, srcLen: batch.src[0].length, tgtLen: batch.tgt_in[0].length };
      const model = buildModelGraph(ckpt.config, shape);
      const params = uploadTensor(gpu, ckpt.params, [ckpt.params.length], 'f32', 'params');
      const grads = createTensor(gpu, [ckpt.params.length], 'f32', 'grads');
      const seeds = uploadTensor(gpu, [0, 0, 0, 0], [4], 'u32', 'seeds');
      const compiled = compileGraph(gpu, model.graph, { params, grads, seeds });
      gpu.device.queue.writeBuffer(compiled.inputs.get('src')!.buffer, 0, Int32Array.from(batch.src.flat()));
      gpu.device.queue.writeBuffer(compiled.inputs.get('tgt_in')!.buffer, 0, Int32Array.from(batch.tgt_in.flat()));
      gpu.device.queue.writeBuffer(compiled.inputs.get('tgt_out')!.buffer, 0, Int32Array.from(batch.tgt_out.flat()));
      await runDispatches(gpu, [...compiled.forward, ...compiled.backward]);
      const statsLoc = compiled.locate(model.stats);
      const stats = await readTensor(gpu, statsLoc.tensor);
      const expected = readSafetensors(readFileSync(join(dir, 'grads.safetensors')));
      const loss = expected.tensors.get('loss')!.data[0];
      console.log(`[parity] ${variant}: loss ${stats[0]} (twin ${loss}), ${stats[1]} target tokens`);
      expect(Math.abs(stats[0] - loss)).toBeLessThanOrEqual(1e-4 * Math.abs(loss));
      const flatGrads = await readTensor(gpu, grads);
      const failures: string[] = [];
      for (const e of model.table.entries) {
        const want = expected.tensors.get(`grad.${e.key}`)!.data;
        const got = readParam(flatGrads, e);
        const report = compareClose(`grad.${e.key}`, got, want, { atol: 1e-4 * maxAbs(want) + 1e-12, rtol: 0 });
        if (!report.ok) failures.push(report.message);
      }
      expect(failures, failures.join('\n')).toEqual([]);
      expect(gpu.uncapturedErrors).toEqual([]);
    });

    it('parameters after 5 Adam steps, and no GPU object created after the first step', async () => {
      const gpu = await testGpu();
      const dir = join(FIXTURES, variant);
      const ckpt = decodeCheckpoint(readFileSync(join(dir, 'weights.safetensors')), 'weights.safetensors');
      const raw = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')) as Record<'src' | 'tgt_in' | 'tgt_out', number[][]>;
      const batch: Batch = {
        batch: raw.src.length, srcLen: raw.src[0].length, tgtLen: raw.tgt_in[0].length,
        src: Int32Array.from(raw.src.flat()), tgtIn: Int32Array.from(raw.tgt_in.flat()), tgtOut: Int32Array.from(raw.tgt_out.flat()),
      };
      const trainer = new Trainer(gpu, ckpt.config, { seed: 0, gradClip: 0, lrScale: 1, warmup: 4, kappaWarmup: 2, steps: 5, freezeSteps: 0 }, { params: ckpt.params });
      const losses: number[] = [];
      trainer.onMetrics = (m) => losses.push(m.loss);
      trainer.trainStep(batch);
      await trainer.flush();
      const after1 = trainer.counters;
      for (let i = 0; i < 4; i++) trainer.trainStep(batch);
      await trainer.flush();
      expect(trainer.counters).toEqual(after1);
      const expected = readSafetensors(readFileSync(join(dir, 'step5.safetensors')));
      const twinLosses = JSON.parse(expected.metadata.losses) as number[];
      console.log(`[parity] ${variant} losses: ${losses.map((l) => l.toFixed(6)).join(', ')} (twin ${twinLosses.map((l) => l.toFixed(6)).join(', ')})`);
      losses.forEach((l, i) => expect(Math.abs(l - twinLosses[i])).toBeLessThanOrEqual(1e-4 * twinLosses[i]));
      const flat = await readTensor(gpu, trainer.params);
      const failures: string[] = [];
      for (const e of trainer.table.entries) {
        const want = expected.tensors.get(e.key)!.data;
        // bk starts at 0 and has an exactly-zero gradient: the engine keeps it at 0, the twin moves it by
        // ~1e-10 of f64 rounding noise that Adam amplifies, so "1e-4 of its largest value" is noise there.
        const scale = e.key.endsWith('.bk') ? Math.max(maxAbs(want), 1e-2) : maxAbs(want); // other biases move ~1e-1 here
        const report = compareClose(e.key, readParam(flat, e), want, { atol: 1e-4 * scale, rtol: 0 });
        if (!report.ok) failures.push(report.message);
      }
      expect(failures, failures.join('\n')).toEqual([]);
      trainer.destroy();
    });
  });
}
