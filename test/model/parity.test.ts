// The WebGPU engine against the PyTorch twin's committed fixtures (reference/make_fixtures.py), one describe per
// fixture directory: the loss, the target-token count and every parameter gradient at the initial weights, then
// the 5 losses and the parameters after 5 Adam steps. Tensors are compared within 1e-4 of their largest magnitude.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
const DIRS = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'config.json'))).sort();
type RawBatch = Record<'src' | 'tgt_in' | 'tgt_out', number[][]>;

/** Largest |got - want| relative to the largest |want| (0 when both are all zero). */
function relDeviation(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  const scale = maxAbs(want);
  return scale > 0 ? d / scale : d;
}

/** The worst tensor by relDeviation, for the log line. */
function worst(rows: { key: string; dev: number }[]): string {
  const w = rows.reduce((a, b) => (b.dev > a.dev ? b : a), { key: '-', dev: 0 });
  return `${w.dev.toExponential(1)} (${w.key})`;
}

it('the parity fixtures are all there', () => {
  // Guards the loop below against a renamed or missing directory silently testing nothing.
  expect(DIRS).toEqual(expect.arrayContaining(['baseline', 'weighted', 'odd-baseline', 'odd-projected', 'odd-softmax', 'odd-uniform']));
});

for (const name of DIRS) {
  const dir = join(FIXTURES, name);
  const load = () => {
    const ckpt = decodeCheckpoint(readFileSync(join(dir, 'weights.safetensors')), 'weights.safetensors');
    const raw = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')) as RawBatch;
    expect(ckpt.config).toEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
    return { ckpt, raw };
  };

  describe(`parity with the PyTorch twin: ${name}`, () => {
    it('loss, target tokens and every gradient at the initial weights', async () => {
      const gpu = await testGpu();
      const { ckpt, raw: batch } = load();
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
      const stats = await readTensor(gpu, { ...statsLoc.tensor, shape: [2] });
      const expected = readSafetensors(readFileSync(join(dir, 'grads.safetensors')));
      const loss = expected.tensors.get('loss')!.data[0];
      const tokens = Number(expected.metadata.tokens);
      const flatGrads = await readTensor(gpu, grads);
      const failures: string[] = [];
      const devs: { key: string; dev: number }[] = [];
      for (const e of model.table.entries) {
        const want = expected.tensors.get(`grad.${e.key}`)!.data;
        const got = readParam(flatGrads, e);
        if (!e.key.endsWith('.bk')) devs.push({ key: e.key, dev: relDeviation(got, want) }); // bk: 0 analytically, noise
        // A tensor whose twin gradient is exactly 0 (uniform's kappa/alpha, which the model ignores) must be 0.
        const report = compareClose(`grad.${e.key}`, got, want, { atol: 1e-4 * maxAbs(want) + 1e-12, rtol: 0 });
        if (!report.ok) failures.push(report.message);
      }
      console.log(`[parity] ${name}: loss ${stats[0]} (twin ${loss}, rel ${(Math.abs(stats[0] - loss) / loss).toExponential(1)}), ` +
        `${stats[1]} target tokens (twin ${tokens}); worst gradient ${worst(devs)} of its tensor's max (bk apart)`);
      // Soft: a wrong loss or count still lets the gradients be checked (they come from other buffers).
      expect.soft(stats[1], 'non-PAD target tokens').toBe(tokens);
      expect.soft(Math.abs(stats[0] - loss), 'loss').toBeLessThanOrEqual(1e-4 * Math.abs(loss));
      expect(failures, failures.join('\n')).toEqual([]);
      expect(gpu.uncapturedErrors).toEqual([]);
    });

    it('the 5 losses and the parameters after 5 Adam steps, and no GPU object created after the first step', async () => {
      const gpu = await testGpu();
      const { ckpt, raw } = load();
      const batch: Batch = {
        batch: raw.src.length, srcLen: raw.src[0].length, tgtLen: raw.tgt_in[0].length,
        src: Int32Array.from(raw.src.flat()), tgtIn: Int32Array.from(raw.tgt_in.flat()), tgtOut: Int32Array.from(raw.tgt_out.flat()),
      };
      const expected = readSafetensors(readFileSync(join(dir, 'step5.safetensors')));
      const m = expected.metadata;
      const options = { seed: 0, gradClip: 0, lrScale: Number(m.lrScale), warmup: Number(m.warmup), kappaWarmup: Number(m.kappaWarmup), steps: Number(m.steps), freezeSteps: Number(m.freezeSteps) };
      expect(Object.values(options).every(Number.isFinite), `step5 metadata ${JSON.stringify(m)}`).toBe(true);
      const trainer = new Trainer(gpu, ckpt.config, options, { params: ckpt.params });
      const losses: number[] = [];
      trainer.onMetrics = (metrics) => losses.push(metrics.loss);
      trainer.trainStep(batch);
      await trainer.flush();
      const after1 = trainer.counters;
      for (let i = 1; i < options.steps; i++) trainer.trainStep(batch);
      await trainer.flush();
      expect(trainer.counters).toEqual(after1);
      const twinLosses = JSON.parse(m.losses) as number[];
      const flat = await readTensor(gpu, trainer.params);
      const failures: string[] = [];
      const devs: { key: string; dev: number }[] = [];
      for (const e of trainer.table.entries) {
        const want = expected.tensors.get(e.key)!.data;
        const got = readParam(flat, e);
        // bk starts at 0 and has an exactly-zero gradient: the engine keeps it at 0, the twin moves it by
        // ~1e-10 of f64 rounding noise that Adam amplifies, so "1e-4 of its largest value" is noise there.
        const isBk = e.key.endsWith('.bk');
        const scale = isBk ? Math.max(maxAbs(want), 1e-2) : maxAbs(want); // other biases move ~1e-1 here
        if (!isBk) devs.push({ key: e.key, dev: relDeviation(got, want) });
        const report = compareClose(e.key, got, want, { atol: 1e-4 * scale, rtol: 0 });
        if (!report.ok) failures.push(report.message);
      }
      const lossDev = Math.max(...losses.map((l, i) => Math.abs(l - twinLosses[i]) / twinLosses[i]));
      console.log(`[parity] ${name} losses: ${losses.map((l) => l.toFixed(6)).join(', ')} (twin ${twinLosses.map((l) => l.toFixed(6)).join(', ')}; ` +
        `worst rel ${lossDev.toExponential(1)}); params after ${options.steps} steps: worst ${worst(devs)} of its tensor's max (bk apart)`);
      expect(losses).toHaveLength(twinLosses.length);
      losses.forEach((l, i) => expect.soft(Math.abs(l - twinLosses[i]), `loss before step ${i + 1}`).toBeLessThanOrEqual(1e-4 * twinLosses[i]));
      expect(failures, failures.join('\n')).toEqual([]);
      trainer.destroy();
    });
  });
}
