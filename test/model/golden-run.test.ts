// The golden run: a fixed seed and a tiny model on the synthetic copy task; the loss must fall to below
// half of its first value within 200 steps, for both variants, and the run must be reproducible.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { validateModelConfig, type Variant } from '../../src/model/config.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { prepareData } from '../../src/train/data.ts';

const STEPS = 200;

async function goldenRun(variant: Variant, steps: number): Promise<number[]> {
  const gpu = await testGpu();
  const data = prepareData({ kind: 'copy', symbols: 12 }, { seed: 7, vocab: 300, maxLen: 16, batchTokens: 768, devPairs: 50 });
  const config = validateModelConfig({
    variant, weighting: 'projected', vocab: data.tokenizer.vocabSize, dModel: 32, branches: 4, dFF: 64,
    encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1,
  });
  const trainer = new Trainer(gpu, config, { seed: 7, gradClip: 0, lrScale: 2, warmup: 40, kappaWarmup: 4, steps, freezeSteps: 0 });
  const losses: number[] = [];
  trainer.onMetrics = (m) => {
    expect(m.nonfinite).toBe(false);
    losses[m.step - 1] = m.loss;
  };
  const batches = data.train.iterate(0);
  for (let i = 0; i < steps; i++) {
    if (!trainer.canReport) await trainer.flush();
    trainer.trainStep(batches.next().value!.batch);
  }
  await trainer.flush();
  trainer.destroy();
  return losses;
}

describe('golden run', () => {
  for (const variant of ['weighted', 'baseline'] as const) {
    it(`${variant}: loss at step ${STEPS} is below half of step 1`, async () => {
      const losses = await goldenRun(variant, STEPS);
      const last = losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
      console.log(`[golden] ${variant}: step 1 ${losses[0].toFixed(4)}, step ${STEPS} ${losses[STEPS - 1].toFixed(4)} (last 10 mean ${last.toFixed(4)})`);
      expect(losses).toHaveLength(STEPS);
      expect(losses[STEPS - 1]).toBeLessThan(losses[0] / 2);
    });
  }

  it('the same seed and config give the same loss curve', async () => {
    const [a, b] = [await goldenRun('weighted', 20), await goldenRun('weighted', 20)];
    expect(b).toEqual(a);
  });
});
