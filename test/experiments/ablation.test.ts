// The test-time ablation (the paper's Table 3) on a tiny trained weighted model: uniform κ/α written by the
// ablation give the dev loss of the `uniform` weighting's forward on the same weights, muting zeroes one
// branch and renormalizes the rest, and the learned tensors are restored bit for bit afterwards.
import { beforeAll, describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { readTensor } from '../../src/gpu/tensor.ts';
import { effectiveWeights, validateModelConfig, type ModelConfig, type Weighting } from '../../src/model/config.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { prepareData, type PreparedData } from '../../src/train/data.ts';
import {
  ablationProblem, effectiveFromStored, measureWith, MUTED_LOGIT, muteBranch, randomSimplexPoint, readBranchTensors, runAblation, storedFor, storedRange,
} from '../../src/experiments/ablation.ts';
import { evalSet, type EvalSet } from '../../src/experiments/measure.ts';
import { SeededRandom } from '../../src/model/init.ts';

const MODEL = { variant: 'weighted', vocab: 300, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 12, dropout: 0, labelSmoothing: 0 } as const;
const OPTIONS = { seed: 3, steps: 30, warmup: 5, kappaWarmup: 2, lrScale: 1, freezeSteps: 0, gradClip: 0 };

let gpu: Gpu;
let data: PreparedData;
let set: EvalSet;

beforeAll(async () => {
  gpu = await testGpu();
  data = prepareData({ kind: 'copy' }, { seed: 1, vocab: 300, maxLen: 12, batchTokens: 256, devPairs: 64 });
  set = evalSet(data.tokenizer, data.devText, 12, { batches: data.dev, bleuSentences: 16 });
});

function config(weighting: Weighting): ModelConfig {
  return validateModelConfig({ ...MODEL, weighting, vocab: data.tokenizer.vocabSize });
}

/** A weighted model trained 30 steps (the projection has moved κ/α off their init). */
async function trained(weighting: Weighting): Promise<Trainer> {
  const t = new Trainer(gpu, config(weighting), OPTIONS);
  const batches = data.train.iterate(0);
  for (let s = 0; s < OPTIONS.steps; s++) {
    if (!t.canReport) await t.flush();
    t.trainStep(batches.next().value!.batch);
  }
  await t.flush();
  return t;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('effective weights → stored tensors', () => {
  it('mutes one branch and renormalizes the rest', () => {
    const w = muteBranch([0.1, 0.2, 0.3, 0.4], 2);
    expect(w[2]).toBe(0);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w[3] / w[0]).toBeCloseTo(4, 12); // proportions of the others kept
    expect(muteBranch([0, 1, 0, 0], 1)).toEqual([1 / 3, 0, 1 / 3, 1 / 3]); // all weight on the muted branch
  });

  it('softmax stores log(w) with MUTED_LOGIT for 0, which the softmax turns back into w', () => {
    const w = muteBranch([0.1, 0.2, 0.3, 0.4], 0);
    const stored = storedFor('softmax', w);
    expect(stored[0]).toBe(MUTED_LOGIT);
    const back = effectiveWeights('softmax', stored);
    back.forEach((x, i) => expect(x).toBeCloseTo(w[i], 12));
    expect(storedFor('projected', w)).toEqual(w);
    expect(() => storedFor('uniform', w)).toThrow();
  });

  it('draws points of the simplex, seeded', () => {
    const a = randomSimplexPoint(4, new SeededRandom(9)), b = randomSimplexPoint(4, new SeededRandom(9));
    expect(a).toEqual(b);
    expect(a.every((x) => x > 0)).toBe(true);
    expect(a.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
  });

  it('refuses a baseline and the uniform weighting', () => {
    expect(ablationProblem(config('uniform'))).toMatch(/meaningless/);
    expect(ablationProblem({ ...config('projected'), variant: 'baseline' })).toMatch(/baseline/);
    expect(ablationProblem(config('projected'))).toBeNull();
  });
});

describe.each(['projected', 'softmax'] as const)('ablation of a trained %s model', (weighting) => {
  it('uniform κ/α give the uniform weighting\'s dev loss on the same weights', async () => {
    const t = await trained(weighting);
    try {
      const learned = await readBranchTensors(t);
      const m = 4;
      const uniform = t.branchedLayers().map((layer) => ({ layer, kappa: Array(m).fill(1 / m), alpha: Array(m).fill(1 / m) }));
      const ablated = await measureWith(t, set, uniform, learned, false);
      const ckpt = await t.checkpoint();
      const reference = new Trainer(gpu, config('uniform'), OPTIONS, { params: ckpt.params });
      try {
        const { loss } = await reference.evaluate(set.batches);
        expect(Math.abs(ablated.loss - loss)).toBeLessThan(1e-5 * Math.max(1, loss));
        const learnedLoss = (await t.evaluate(set.batches)).loss;
        expect(learnedLoss).not.toBeCloseTo(loss, 4); // the learned κ/α are not uniform: the test can tell
      } finally {
        reference.destroy();
      }
    } finally {
      t.destroy();
    }
  });

  it('muting writes a 0 at the muted branch with the rest summing to 1', async () => {
    const t = await trained(weighting);
    try {
      const learned = await readBranchTensors(t);
      const weights = effectiveFromStored(t, learned);
      const muted = weights.map((l, j) => (j === 1 ? { ...l, alpha: muteBranch(l.alpha, 3) } : l));
      const stored = storedRange(t, muted, learned);
      const back = effectiveFromStored(t, stored);
      expect(back[1].alpha[3]).toBe(0);
      expect(back[1].alpha.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      back[0].kappa.forEach((x, i) => expect(x).toBeCloseTo(weights[0].kappa[i], 6)); // other layers untouched
    } finally {
      t.destroy();
    }
  });

  it('measures every setting and restores the learned tensors bit for bit', async () => {
    const t = await trained(weighting);
    try {
      const before = await readTensor(gpu, t.params);
      const report = await runAblation(t, set, { randomDraws: 2, seed: 4 });
      const after = await readTensor(gpu, t.params);
      expect(bits(after)).toEqual(bits(before));
      expect(report.muted).toHaveLength(2 * 2 * 4);
      expect(report.uniform.loss).not.toBe(report.learned.loss); // the settings were really written
      expect(report.random.draws).toBe(2);
      expect(report.random.samples).toHaveLength(2);
      for (const r of [report.learned, report.uniform, ...report.random.samples, ...report.muted]) {
        expect(Number.isFinite(r.loss)).toBe(true);
        expect(r.bleu).toBeGreaterThanOrEqual(0);
        expect(r.bleu).toBeLessThanOrEqual(100);
      }
      expect((await t.evaluate(set.batches)).loss).toBe(report.learned.loss); // the same weights, the same loss
    } finally {
      t.destroy();
    }
  });
});
