// Metrics exports: CSV (one row per run and step; κ/α columns per layer and branch, blank for a run without
// them; labels quoted per RFC 4180) and JSON (round-trips).
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/model/config.ts';
import { BRANCH_WEIGHTS_NOTE, metricsToCsv, metricsToJson, type ExportedRun } from '../../src/ui/export.ts';
import type { RunMetrics } from '../../src/ui/store.ts';

const config: ModelConfig = { variant: 'weighted', weighting: 'projected', vocab: 280, dModel: 16, branches: 2, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1 };

const weightedMetrics: RunMetrics = {
  steps: [1, 2],
  loss: [5.5, 5.25],
  lr: [0.001, 0.002],
  gradNorm: [1.5, 1.25],
  tokens: [100, 210],
  branches: [
    { layer: 'enc.0', kappa: [[0.5, 0.5], [0.625, 0.375]], alpha: [[0.25, 0.75], [0.125, 0.875]] },
    { layer: 'dec.0', kappa: [[0.5, 0.5], [0.75, 0.25]], alpha: [[0.5, 0.5], [1, 0]] },
  ],
  dev: [{ step: 2, loss: 4.75, bleu: 12.5, sentences: 2, samples: [{ src: 'ein Haus', hyp: 'a house', ref: 'a house' }] }],
};
const baselineMetrics: RunMetrics = {
  steps: [1, 2, 3], loss: [6, 5.75, 5.5], lr: [0.001, 0.002, 0.003], gradNorm: [2, 1.75, 1.5], tokens: [100, 210, 290], branches: [], dev: [],
};

const runs: ExportedRun[] = [
  { id: 0, label: 'weighted, projected κ/α', config, metrics: weightedMetrics },
  { id: 1, label: 'multi-head baseline', config: { ...config, variant: 'baseline' }, metrics: baselineMetrics },
];

describe('metricsToCsv', () => {
  it('one row per run and step; a run without κ/α gets blank cells; a label with a comma is quoted', () => {
    expect(metricsToCsv(runs).split('\n')).toEqual([
      'run,label,step,tokens_seen,loss,lr,grad_norm,dev_loss,dev_bleu,'
        + 'enc.0.kappa_eff.0,enc.0.kappa_eff.1,enc.0.alpha_eff.0,enc.0.alpha_eff.1,dec.0.kappa_eff.0,dec.0.kappa_eff.1,dec.0.alpha_eff.0,dec.0.alpha_eff.1',
      '0,"weighted, projected κ/α",1,100,5.5,0.001,1.5,,,0.5,0.5,0.25,0.75,0.5,0.5,0.5,0.5',
      '0,"weighted, projected κ/α",2,210,5.25,0.002,1.25,4.75,12.5,0.625,0.375,0.125,0.875,0.75,0.25,1,0',
      '1,multi-head baseline,1,100,6,0.001,2,,,,,,,,,,',
      '1,multi-head baseline,2,210,5.75,0.002,1.75,,,,,,,,,,',
      '1,multi-head baseline,3,290,5.5,0.003,1.5,,,,,,,,,,',
      '',
    ]);
  });

  it('every row has as many cells as the header (the baseline first too)', () => {
    const lines = metricsToCsv([runs[1], runs[0]]).trimEnd().split('\n');
    const cells = (line: string) => line.replace(/"[^"]*"/g, 'q').split(',').length;
    expect(lines[0].startsWith('run,label,step,tokens_seen,')).toBe(true);
    expect(lines[0].endsWith('dec.0.alpha_eff.1')).toBe(true);
    for (const line of lines) expect(cells(line)).toBe(17);
    expect(lines[1]).toBe('1,multi-head baseline,1,100,6,0.001,2,,,,,,,,,,');
  });

  it('quotes and doubles quotes in labels; a missing tokens value is blank', () => {
    const csv = metricsToCsv([{ id: 4, label: 'the "best" run', config: null, metrics: { ...baselineMetrics, steps: [1], tokens: [] } }]);
    expect(csv).toBe('run,label,step,tokens_seen,loss,lr,grad_norm,dev_loss,dev_bleu\n4,"the ""best"" run",1,,6,0.001,2,,\n');
  });

  it('runs with different layers share the union of the columns', () => {
    const deeper: RunMetrics = { ...weightedMetrics, branches: [...weightedMetrics.branches, { layer: 'enc.1', kappa: [[1, 0], [0, 1]], alpha: [[0, 1], [1, 0]] }] };
    const lines = metricsToCsv([runs[0], { id: 2, label: 'deeper', config: null, metrics: deeper }]).trimEnd().split('\n');
    expect(lines[0].split(',').slice(9)).toEqual([
      'enc.0.kappa_eff.0', 'enc.0.kappa_eff.1', 'enc.0.alpha_eff.0', 'enc.0.alpha_eff.1', 'dec.0.kappa_eff.0', 'dec.0.kappa_eff.1', 'dec.0.alpha_eff.0', 'dec.0.alpha_eff.1',
      'enc.1.kappa_eff.0', 'enc.1.kappa_eff.1', 'enc.1.alpha_eff.0', 'enc.1.alpha_eff.1',
    ]);
    expect(lines[1].endsWith(',0.5,0.5,0.5,0.5,,,,')).toBe(true); // run 0 has no enc.1
    expect(lines[3].endsWith(',0.5,0.5,0.5,0.5,1,0,0,1')).toBe(true);
  });

  it('no runs: the header alone', () => {
    expect(metricsToCsv([])).toBe('run,label,step,tokens_seen,loss,lr,grad_norm,dev_loss,dev_bleu\n');
  });
});

describe('metricsToJson', () => {
  it('round-trips the runs (labels, configs, metrics, dev samples) and says κ/α are effective weights', () => {
    expect(JSON.parse(metricsToJson(runs))).toEqual({ branchWeights: BRANCH_WEIGHTS_NOTE, runs });
    expect(BRANCH_WEIGHTS_NOTE).toMatch(/^effective/);
  });

  it('exports κ/α as given: a softmax run\'s effective weights are not converted again', () => {
    const softmaxRun: ExportedRun = { ...runs[0], config: { ...config, weighting: 'softmax' } };
    const parsed = JSON.parse(metricsToJson([softmaxRun])) as { runs: ExportedRun[] };
    expect(parsed.runs[0].metrics.branches).toEqual(weightedMetrics.branches);
    const row = metricsToCsv([softmaxRun]).split('\n')[2].split(',');
    expect(row.slice(-8).map(Number)).toEqual([0.625, 0.375, 0.125, 0.875, 0.75, 0.25, 1, 0]);
  });
});
