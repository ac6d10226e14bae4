// TrainerOptions.kernelChoice reaches the trainer's matmul launchers: a trainer told to run every product
// in 32-row tiles consults the choice for its products and computes what the default trainer does (a tile
// shape does not change any sum's order, so the metrics are identical, not just close).
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { Trainer, type StepMetrics } from '../../src/train/trainer.ts';
import { prepareData } from '../../src/train/data.ts';
import type { MatmulChoice } from '../../src/gpu/kernels/matmul.ts';

const data = prepareData({ kind: 'reverse', symbols: 12 }, { seed: 3, vocab: 280, maxLen: 16, batchTokens: 256, devPairs: 20 });
const batches = [...data.train.epoch(0)].slice(0, 2);
const config = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: data.tokenizer.vocabSize, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0.1, labelSmoothing: 0.1 });
const options = { seed: 5, gradClip: 1, lrScale: 1, warmup: 4, kappaWarmup: 2, steps: 8, freezeSteps: 0 };

async function run(trainer: Trainer): Promise<StepMetrics[]> {
  const out: StepMetrics[] = [];
  trainer.onMetrics = (m) => out.push(m);
  for (const b of batches) trainer.trainStep(b);
  await trainer.flush();
  await trainer.checkGpu();
  trainer.destroy();
  return out;
}

describe('trainer kernel choice', () => {
  it('every product in 32-row tiles: the choice is consulted, the metrics are the default\'s', async () => {
    const gpu = await testGpu();
    const asked = new Set<string>();
    // Every shape class answers 'tile32' (and is recorded).
    const everyClass = new Proxy({} as MatmulChoice, { get: (_, key) => { asked.add(String(key)); return 'tile32'; } });
    const tuned = await run(new Trainer(gpu, config, { ...options, kernelChoice: { matmul: everyClass } }));
    const plain = await run(new Trainer(gpu, config, options));
    expect(asked.size).toBeGreaterThan(3);
    const pick = (ms: StepMetrics[]) => ms.map((m) => [m.loss, m.gradNorm, m.nonfinite]);
    expect(pick(tuned)).toEqual(pick(plain));
    expect(tuned.every((m) => Number.isFinite(m.loss))).toBe(true);
  });
});
