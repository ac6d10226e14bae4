// TrainerOptions.kernelChoice reaches the trainer's matmul launchers: a trainer told to run every product
// in 32-row tiles consults the choice for its products and computes what the default trainer does (a tile
// shape does not change any sum's order, so the metrics are identical, not just close).
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { Trainer, type StepMetrics } from '../../src/train/trainer.ts';
import { microBatches, microConfig, microOptions, trainSteps } from '../helpers/micro-trainer.ts';
import type { MatmulChoice } from '../../src/gpu/kernels/matmul.ts';

const batches = microBatches(2);
const [config, options] = [microConfig, microOptions];
async function run(trainer: Trainer): Promise<StepMetrics[]> {
  const out = await trainSteps(trainer, batches);
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
