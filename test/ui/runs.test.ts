// Comparison mode: which models a configuration trains side by side (comparisonModels), the specs of those
// runs (runSpecs) and the label of each (diffLabels: what differs between the models).
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/model/config.ts';
import { comparisonModels, diffLabels, runSpecs } from '../../src/ui/runs.ts';
import { defaultValues, validate, type ConfigValues } from '../../src/ui/schema.ts';

/** The default configuration's model (the tiny preset, weighted, projected κ/α). */
const primaryOf = (values: ConfigValues): ModelConfig => {
  const checked = validate(values, null);
  if (!checked.ok) throw new Error(checked.errors.join('; '));
  return checked.spec.model;
};
const weighted = primaryOf(defaultValues());
const attention = (models: ModelConfig[]) => models.map((m) => (m.variant === 'baseline' ? 'baseline' : m.weighting));

describe('comparisonModels', () => {
  it("'off' is the configured model alone (the same object)", () => {
    const models = comparisonModels(weighted, 'off');
    expect(models).toHaveLength(1);
    expect(models[0]).toBe(weighted);
  });

  it("'baseline' from a weighted model adds the multi-head baseline of the same shape", () => {
    const models = comparisonModels(weighted, 'baseline');
    expect(attention(models)).toEqual(['projected', 'baseline']);
    expect(models[0]).toBe(weighted);
    expect(models[1]).toEqual({ ...weighted, variant: 'baseline' });
  });

  it("'baseline' from a baseline model adds the weighted model (projected κ/α, the paper's)", () => {
    const baseline: ModelConfig = { ...weighted, variant: 'baseline', weighting: 'uniform' };
    const models = comparisonModels(baseline, 'baseline');
    expect(attention(models)).toEqual(['baseline', 'projected']);
    expect(models[1]).toEqual({ ...baseline, variant: 'weighted', weighting: 'projected' });
  });

  it("'ablations' from a projected weighted model: baseline, softmax and uniform, no duplicate", () => {
    const models = comparisonModels(weighted, 'ablations');
    expect(attention(models)).toEqual(['projected', 'baseline', 'softmax', 'uniform']);
    for (const m of models) expect({ ...m, variant: 'weighted', weighting: 'projected' }).toEqual(weighted); // only attention differs
  });

  it("'ablations' from a softmax weighted model keeps it first and does not repeat it", () => {
    const models = comparisonModels({ ...weighted, weighting: 'softmax' }, 'ablations');
    expect(attention(models)).toEqual(['softmax', 'baseline', 'projected', 'uniform']);
  });

  it("'ablations' from a baseline model: the three weighted models once each", () => {
    const models = comparisonModels({ ...weighted, variant: 'baseline' }, 'ablations');
    expect(attention(models)).toEqual(['baseline', 'projected', 'softmax', 'uniform']);
    expect(new Set(models.map((m) => JSON.stringify(m))).size).toBe(4);
  });
});

describe('runSpecs', () => {
  it('passes validation errors through unchanged', () => {
    const bad: ConfigValues = { ...defaultValues(), steps: 0, branches: 3, data: 'imported' };
    const result = runSpecs(bad, null);
    expect(result).toEqual(validate(bad, null));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toContain('Import a corpus first (or choose another data source)');
    expect(result.errors.some((e) => /Steps must be in \[1, 1000000\]/.test(e))).toBe(true);
    expect(result.errors.some((e) => /divisible by branches \(3\)/.test(e))).toBe(true);
  });

  it('one spec per comparison model, ids 0..n-1, labelled by what differs, the rest shared', () => {
    const values: ConfigValues = { ...defaultValues(), compare: 'ablations' };
    const result = runSpecs(values, null);
    if (!result.ok) throw new Error(result.errors.join('; '));
    const base = validate(values, null);
    if (!base.ok) throw new Error('unreachable');
    expect(result.specs.map((s) => s.id)).toEqual([0, 1, 2, 3]);
    expect(result.specs.map((s) => s.label)).toEqual([
      'weighted · projected κ/α', 'multi-head baseline', 'weighted · softmax κ/α', 'weighted · uniform κ/α',
    ]);
    expect(result.specs.map((s) => s.model)).toEqual(comparisonModels(base.spec.model, 'ablations'));
    for (const s of result.specs) {
      expect(s.train).toEqual(base.spec.train);
      expect(s.data).toEqual(base.spec.data);
      expect(s.evalEvery).toBe(base.spec.evalEvery);
      expect(s.bleuSentences).toBe(base.spec.bleuSentences);
    }
  });

  it("compare 'off' gives one run with id 0 labelled by its variant", () => {
    const result = runSpecs({ ...defaultValues(), compare: 'off' }, null);
    if (!result.ok) throw new Error(result.errors.join('; '));
    expect(result.specs.map((s) => [s.id, s.label])).toEqual([[0, 'weighted (projected κ/α)']]);
  });

  it('an imported corpus reaches every spec', () => {
    const imported = { name: 'mine.tsv', pairs: [{ src: 'a', tgt: 'b' }] };
    const result = runSpecs({ ...defaultValues(), data: 'imported' }, imported);
    if (!result.ok) throw new Error(result.errors.join('; '));
    expect(result.specs).toHaveLength(2);
    for (const s of result.specs) expect(s.data.source).toEqual({ kind: 'pairs', name: 'mine.tsv', pairs: imported.pairs });
  });
});

describe('diffLabels', () => {
  const baseline: ModelConfig = { ...weighted, variant: 'baseline' };

  it('no models, no labels', () => {
    expect(diffLabels([])).toEqual([]);
  });

  it('one model is labelled by its variant', () => {
    expect(diffLabels([weighted])).toEqual(['weighted (projected κ/α)']);
    expect(diffLabels([{ ...weighted, weighting: 'softmax' }])).toEqual(['weighted (softmax κ/α)']);
    expect(diffLabels([baseline])).toEqual(['multi-head baseline']);
  });

  it('weighted vs baseline names the weighted model\'s κ/α weighting', () => {
    expect(diffLabels([weighted, baseline])).toEqual(['weighted · projected κ/α', 'multi-head baseline']);
    expect(diffLabels([baseline, weighted])).toEqual(['multi-head baseline', 'weighted · projected κ/α']);
  });

  it('ignores the weighting of baseline models (it means nothing there)', () => {
    expect(diffLabels([weighted, { ...baseline, weighting: 'softmax' }])).toEqual(['weighted · projected κ/α', 'multi-head baseline']);
    expect(diffLabels([baseline, { ...baseline, weighting: 'uniform' }])).toEqual(['multi-head baseline', 'multi-head baseline']);
  });

  it('ablations: variant and weighting', () => {
    const models = comparisonModels(weighted, 'ablations');
    expect(diffLabels(models)).toEqual(['weighted · projected κ/α', 'multi-head baseline', 'weighted · softmax κ/α', 'weighted · uniform κ/α']);
  });

  it('weighted models differing only in weighting are labelled by the weighting alone', () => {
    expect(diffLabels([weighted, { ...weighted, weighting: 'uniform' }])).toEqual(['projected κ/α', 'uniform κ/α']);
  });

  it('a differing non-attention key is shown as key=value', () => {
    expect(diffLabels([weighted, { ...weighted, dModel: 32 }])).toEqual([`dModel=${weighted.dModel}`, 'dModel=32']);
    expect(diffLabels([weighted, { ...weighted, dropout: 0.3, encLayers: 4 }])).toEqual([
      `encLayers=${weighted.encLayers} · dropout=${weighted.dropout}`, 'encLayers=4 · dropout=0.3',
    ]);
  });

  it('variant, then weighting, then the other keys', () => {
    expect(diffLabels([weighted, { ...baseline, dModel: 32 }])).toEqual([`weighted · projected κ/α · dModel=${weighted.dModel}`, 'multi-head baseline · dModel=32']);
    expect(diffLabels([weighted, baseline, { ...weighted, weighting: 'softmax', dModel: 32 }])).toEqual([
      `weighted · projected κ/α · dModel=${weighted.dModel}`, `multi-head baseline · dModel=${weighted.dModel}`, 'weighted · softmax κ/α · dModel=32',
    ]);
  });
});
