// Sweeps: parsing NAME=V1,V2,..., one weighted run per value with the setting changed, refusals.
import { describe, expect, it } from 'vitest';
import { parseSweep, sweepRuns } from '../../src/experiments/sweep.ts';
import { presetConfig } from '../../src/model/config.ts';
import { branchLearningRate, mainLearningRate } from '../../src/train/schedule.ts';

describe('sweeps', () => {
  it('parses the settings and makes one run per value', () => {
    const base = presetConfig('tiny', 'weighted');
    expect(sweepRuns(base, parseSweep('kappa-warmup=10,40')).map((r) => [r.label, r.train])).toEqual([['kappa-warmup=10', { kappaWarmup: 10 }], ['kappa-warmup=40', { kappaWarmup: 40 }]]);
    expect(sweepRuns(base, parseSweep('lr-scale=0.5,2'))[0].train).toEqual({ lrScale: 0.5 });
    expect(sweepRuns(base, parseSweep('kappa-lr-scale=0.2,1,5')).map((r) => r.train)).toEqual([{ kappaLrScale: 0.2 }, { kappaLrScale: 1 }, { kappaLrScale: 5 }]);
    const depth = sweepRuns(base, parseSweep('depth=1,3'));
    expect(depth.map((r) => [r.config.encLayers, r.config.decLayers, r.train])).toEqual([[1, 1, undefined], [3, 3, undefined]]);
    expect(sweepRuns(base, parseSweep('weighting=projected,softmax,uniform')).map((r) => r.config.weighting)).toEqual(['projected', 'softmax', 'uniform']);
    expect(sweepRuns(base, parseSweep('branches=2,8')).map((r) => r.config.branches)).toEqual([2, 8]);
  });

  it('refuses unknown settings, bad values, repeats and models that are not valid', () => {
    expect(() => parseSweep('dropout=0.1')).toThrow('NAME one of kappa-warmup');
    expect(() => parseSweep('kappa-warmup=')).toThrow();
    expect(() => parseSweep('kappa-warmup=1.5')).toThrow('positive integer');
    expect(() => parseSweep('depth=0')).toThrow();
    expect(() => parseSweep('lr-scale=-1')).toThrow();
    expect(() => parseSweep('kappa-lr-scale=x')).toThrow('a number >= 0');
    expect(() => parseSweep('branches=2,2')).toThrow('twice');
    expect(() => parseSweep('weighting=learned')).toThrow('not projected, softmax or uniform');
    expect(() => sweepRuns(presetConfig('tiny', 'weighted'), parseSweep('branches=3'))).toThrow('divisible');
  });
});

describe('the κ/α learning-rate scale', () => {
  const schedule = { dModel: 64, encLayers: 2, lrScale: 0.5, warmup: 400, kappaWarmup: 40, steps: 1000, freezeSteps: 0 };
  it('is absent or 1: model.md\'s schedule exactly', () => {
    for (const step of [1, 40, 41, 400, 999]) {
      const spec = 0.5 * (64 / 2) ** -0.5 * Math.min(step ** -0.5, step * 40 ** -1.5);
      expect(branchLearningRate(schedule, step)).toBe(spec);
      expect(branchLearningRate({ ...schedule, kappaLrScale: 1 }, step)).toBe(spec);
    }
  });
  it('scales the κ/α group only', () => {
    for (const step of [1, 40, 400]) {
      expect(branchLearningRate({ ...schedule, kappaLrScale: 3 }, step)).toBeCloseTo(3 * branchLearningRate(schedule, step), 15);
      expect(mainLearningRate({ ...schedule, kappaLrScale: 3 }, step)).toBe(mainLearningRate(schedule, step));
    }
  });
});
