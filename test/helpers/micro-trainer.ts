// A micro weighted model on the synthetic reverse task for Trainer tests (seconds on lavapipe): its data,
// config and options, and `trainSteps`, the metrics of a few steps once they have all reported.
import { validateModelConfig } from '../../src/model/config.ts';
import type { Trainer, StepMetrics } from '../../src/train/trainer.ts';
import { prepareData } from '../../src/train/data.ts';
import type { Batch } from '../../src/data/batching.ts';

export const microData = prepareData({ kind: 'reverse', symbols: 12 }, { seed: 3, vocab: 280, maxLen: 16, batchTokens: 256, devPairs: 20 });
export const microConfig = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: microData.tokenizer.vocabSize, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0.1, labelSmoothing: 0.1 });
export const microOptions = { seed: 5, gradClip: 1, lrScale: 1, warmup: 4, kappaWarmup: 2, steps: 8, freezeSteps: 0 };

/** The first `n` training batches of the micro data. */
export const microBatches = (n: number): Batch[] => [...microData.train.epoch(0)].slice(0, n);

/** Train on `batches` and return their metrics, after every step has reported and the GPU was checked. */
export async function trainSteps(trainer: Trainer, batches: readonly Batch[]): Promise<StepMetrics[]> {
  const out: StepMetrics[] = [];
  trainer.onMetrics = (m) => out.push(m);
  for (const b of batches) trainer.trainStep(b);
  await trainer.flush();
  await trainer.checkGpu();
  return out;
}
