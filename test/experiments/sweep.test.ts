// Sweeps: parsing NAME=V1,V2,..., one weighted run per value with the setting changed, refusals.
import { describe, expect, it } from 'vitest';
import { parseSweep, sweepRuns } from '../../src/experiments/sweep.ts';
import { presetConfig } from '../../src/model/config.ts';

describe('sweeps', () => {
  it('parses the settings and makes one run per value', () => {
    const base = presetConfig('tiny', 'weighted');
    expect(sweepRuns(base, parseSweep('kappa-warmup=10,40')).map((r) => [r.label, r.train])).toEqual([['kappa-warmup=10', { kappaWarmup: 10 }], ['kappa-warmup=40', { kappaWarmup: 40 }]]);
    expect(sweepRuns(base, parseSweep('lr-scale=0.5,2'))[0].train).toEqual({ lrScale: 0.5 });
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
    expect(() => parseSweep('branches=2,2')).toThrow('twice');
    expect(() => parseSweep('weighting=learned')).toThrow('not projected, softmax or uniform');
    expect(() => sweepRuns(presetConfig('tiny', 'weighted'), parseSweep('branches=3'))).toThrow('divisible');
  });
});
