// The page's side of issue 12's experiments, in Node on plain numbers: seed runs (ids, labels, seeds and
// the shared data seed), grouping the page's runs back into configurations, the seed chart's band rows
// against a hand computation, steps-to-target, the sweep's specs and points, a metrics JSONL as one run,
// the seeds default per adapter, and opening files (errors naming the file).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { expandSeeds, seedGroupOf, seedLabel, suggestedSeeds } from '../../src/ui/experiments/seed-runs.ts';
import { bandRows, experimentView, metricsResult, pageResults, sweepFromLabels, sweepView } from '../../src/ui/experiments/results.ts';
import { ExperimentClient, sweepSpecProblems } from '../../src/ui/experiments/experiment-client.ts';
import { muteKey } from '../../src/ui/experiments/slice.ts';
import { createPlaygroundStore, emptyRunMetrics, idleRates, type RunMetrics, type RunView } from '../../src/ui/store.ts';
import { microValues, DEFAULT_SEEDS } from '../../src/ui/schema.ts';
import { runSpecs } from '../../src/ui/runs.ts';
import { parseMetricsJsonl } from '../../src/experiments/metrics-jsonl.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { checkRunSpec } from '../../src/train/spec.ts';
import type { PageMessage, RunInfo } from '../../src/train/protocol.ts';

const model = validateModelConfig({ variant: 'weighted', weighting: 'projected', vocab: 280, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1 });

describe('seed runs', () => {
  it('repeats every compared run over N seeds on the configured seed\'s data', () => {
    const checked = runSpecs({ ...microValues(), compare: 'baseline', seed: 7 }, null);
    if (!checked.ok) throw new Error(checked.errors.join('; '));
    const specs = expandSeeds(checked.specs, 3);
    expect(specs.map((s) => s.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(specs.map((s) => s.train.seed)).toEqual([7, 8, 9, 7, 8, 9]);
    expect(specs.every((s) => s.data.seed === 7)).toBe(true);
    expect(specs.map((s) => s.model.variant)).toEqual(['weighted', 'weighted', 'weighted', 'baseline', 'baseline', 'baseline']);
    expect(specs[4].label).toBe(`${checked.specs[1].label} · seed 8`);
    expect(specs.map((s) => seedGroupOf(s.label))).toEqual(specs.map((s, i) => ({ group: checked.specs[Math.floor(i / 3)].label, seed: s.train.seed })));
    // One seed: the specs as they were (no data seed, labels unchanged).
    expect(expandSeeds(checked.specs, 1)).toEqual(checked.specs);
    expect(seedGroupOf('weighted')).toEqual({ group: 'weighted', seed: null });
    expect(seedLabel('weighted', 2, 1)).toBe('weighted');
  });

  it('a run spec keeps a valid data seed and refuses a bad one, naming it', () => {
    const checked = runSpecs(microValues(), null);
    if (!checked.ok) throw new Error(checked.errors.join('; '));
    const [spec] = expandSeeds([checked.specs[0]], 2);
    expect(checkRunSpec(spec, 'run').data.seed).toBe(1);
    expect(checkRunSpec(checked.specs[0], 'run').data).not.toHaveProperty('seed');
    expect(() => checkRunSpec({ ...spec, data: { ...spec.data, seed: -1 } }, 'run "x"')).toThrow('run "x": run setting data.seed must be a whole number in [0, 4294967295], got -1');
  });

  it('defaults to 1 seed on software GPUs and to DEFAULT_SEEDS elsewhere', () => {
    for (const a of ['Google SwiftShader', 'llvmpipe (LLVM 15.0.6, 256 bits)', 'lavapipe', 'Microsoft Basic Render Driver']) expect(suggestedSeeds(a)).toBe(1);
    for (const a of ['NVIDIA GeForce RTX 4090', 'Apple M2', 'AMD Radeon']) expect(suggestedSeeds(a)).toBe(DEFAULT_SEEDS);
  });
});

/** A finished run view with the given seed-labelled name. */
function view(id: number, label: string, variant: 'weighted' | 'baseline' = 'weighted'): RunView {
  const info = { id, label, description: '', config: { ...model, variant }, spec: null, parameters: 0, trainPairs: 0, devPairs: 10, layers: [], step: 0, gpuBytes: 0 } as RunInfo;
  return { id, label, info, state: 'done', error: null, rates: idleRates(), evaluating: false };
}

/** Steps 1..n, 10 tokens a step, loss falling by `drop` a step, dev at every 2nd step. */
function metrics(n: number, start: number, drop: number): RunMetrics {
  const m = emptyRunMetrics();
  for (let s = 1; s <= n; s++) {
    m.steps.push(s);
    m.tokens.push(10 * s);
    m.loss.push(start - drop * s);
  }
  m.branches = [{ layer: 'enc.0', kappa: m.steps.map(() => [0.25, 0.25, 0.25, 0.25]), alpha: m.steps.map(() => [1, 0, 0, 0]) }];
  m.dev = m.steps.filter((s) => s % 2 === 0).map((step) => ({ step, loss: start - drop * step + 0.5, bleu: 10 + step, sentences: 5, samples: [] }));
  return m;
}

describe('the page\'s runs as an experiment', () => {
  const runs = [view(0, 'weighted · seed 1'), view(1, 'weighted · seed 2'), view(2, 'baseline · seed 1', 'baseline'), view(3, 'baseline · seed 2', 'baseline')];
  const m: Record<number, RunMetrics> = { 0: metrics(4, 5, 0.5), 1: metrics(4, 5, 0.4), 2: metrics(4, 5, 0.2), 3: metrics(4, 5, 0.3) };

  it('groups the runs by configuration, seeds in order, with targets, verdicts, entropies and events', () => {
    const results = pageResults(runs, m, 3.6);
    expect(results.map((r) => [r.label, r.seeds.map((s) => s.seed)])).toEqual([['weighted', [1, 2]], ['baseline', [1, 2]]]);
    // Final dev losses: weighted 5 − 2 + 0.5 = 3.5 and 5 − 1.6 + 0.5 = 3.9; baseline 4.7 and 4.3.
    const v = experimentView(results, 3.6);
    expect(v.summary.runs[0].devLoss.mean).toBeCloseTo(3.7, 12);
    expect(v.summary.runs[0].devLoss.sd).toBeCloseTo(Math.sqrt(0.08), 12);
    // Target 3.6: weighted seed 1 reaches it at step 4 (3.5), seed 2 never; the baseline never.
    expect(v.summary.runs[0].target).toMatchObject({ reached: 1, of: 2 });
    expect(v.summary.runs[0].target!.steps!.mean).toBe(4);
    expect(v.summary.runs[1].target).toMatchObject({ reached: 0, of: 2 });
    // Paired differences at step 4: 3.5 − 4.7 = −1.2 and 3.9 − 4.3 = −0.4: mean −0.8, sd 0.566.
    const loss = v.verdicts.find((x) => x.metric === 'dev loss' && x.at === 'steps')!;
    expect(loss.text).toBe('weighted − baseline dev loss: −0.80 ± 0.57 over 2 seeds at step 4');
    expect(v.verdicts.find((x) => x.metric === 'dev loss' && x.at === 'tokens')!.text).toBe('weighted − baseline dev loss: −0.80 ± 0.57 over 2 seeds at 40 tokens');
    // BLEU is equal for every run (10 + step): no clear difference.
    expect(v.verdicts.find((x) => x.metric === 'dev BLEU' && x.at === 'steps')!.text).toMatch(/: \+0\.0 ± 0\.0 over 2 seeds at step 4: no clear difference$/);
    const s = results[0].seeds[0];
    expect(s.entropy.kappa[0].every((h) => Math.abs(h - Math.log(4)) < 1e-12)).toBe(true);
    expect(s.entropy.alpha[0]).toEqual([0, 0, 0, 0]);
    expect(s.events).toEqual([]); // 4 steps: shorter than an event's 10
  });

  it('bands the dev loss over seeds at every evaluation, on steps and on tokens', () => {
    const results = pageResults(runs, m, null);
    const rows = bandRows(results, 'dev loss', 'step');
    expect(rows.map((r) => r.x)).toEqual([2, 4]);
    expect(rows[1].g0).toBeCloseTo(3.7, 12);
    const [lo, hi] = rows[1].g0_band as [number, number];
    expect(lo).toBeCloseTo(3.5, 12);
    expect(hi).toBeCloseTo(3.9, 12);
    const [blo, bhi] = rows[1].g1_band as [number, number];
    expect(blo).toBeCloseTo(4.3, 12);
    expect(bhi).toBeCloseTo(4.7, 12);
    expect(bandRows(results, 'dev loss', 'tokens').map((r) => r.x)).toEqual([20, 40]);
    expect(bandRows(results, 'training loss', 'step').map((r) => r.x)).toEqual([1, 2, 3, 4]);
    // A seed that is behind limits the band to the steps every seed has.
    const behind = pageResults(runs, { ...m, 1: metrics(2, 5, 0.4) }, null);
    expect(bandRows(behind, 'dev loss', 'step').filter((r) => r.g0 !== undefined).map((r) => r.x)).toEqual([2]);
  });

  it('leaves out a dev result whose step has no metrics yet', () => {
    const early = { ...metrics(2, 5, 0.5) };
    early.dev = [...early.dev, { step: 4, loss: 1, bleu: 1, sentences: 5, samples: [] }];
    const [r] = pageResults([runs[0]], { 0: early }, null);
    expect(r.seeds[0].evals.map((e) => e.step)).toEqual([2]);
  });
});

describe('sweeps', () => {
  const state = () => {
    const store = createPlaygroundStore({ ...microValues(), seeds: 2 });
    return store.getState();
  };

  it('makes one weighted run per value × the seeds, labelled PARAM=VALUE', () => {
    const built = sweepSpecProblems(state(), { param: 'kappa-warmup', values: [2, 5] });
    if (Array.isArray(built)) throw new Error(built.join('; '));
    expect(built.specs.map((s) => [s.label, s.train.kappaWarmup, s.train.seed, s.data.seed])).toEqual([
      ['kappa-warmup=2 · seed 1', 2, 1, 1], ['kappa-warmup=2 · seed 2', 2, 2, 1], ['kappa-warmup=5 · seed 1', 5, 1, 1], ['kappa-warmup=5 · seed 2', 5, 2, 1],
    ]);
    const kappaLr = sweepSpecProblems(state(), { param: 'kappa-lr-scale', values: [0.5, 2] });
    if (Array.isArray(kappaLr)) throw new Error(kappaLr.join('; '));
    expect(kappaLr.specs.map((s) => s.train.kappaLrScale)).toEqual([0.5, 0.5, 2, 2]);
    const depth = sweepSpecProblems(state(), { param: 'depth', values: [1, 2] });
    if (Array.isArray(depth)) throw new Error(depth.join('; '));
    expect(depth.specs.map((s) => [s.model.encLayers, s.model.decLayers])).toEqual([[1, 1], [1, 1], [2, 2], [2, 2]]);
  });

  it('refuses values the form would refuse, naming them', () => {
    expect(sweepSpecProblems(state(), { param: 'freeze-steps', values: [0, 5000] })).toEqual(['Sweep freeze-steps: a value exceeds Steps (1000)']);
    expect((sweepSpecProblems(state(), { param: 'branches', values: [3] }) as string[])[0]).toMatch(/branches=3/);
    const sent: PageMessage[] = [];
    const client = new ExperimentClient(createPlaygroundStore(microValues()), (msg) => sent.push(msg), () => {});
    expect(client.startSweep('kappa-warmup', '2,x')).toEqual(['Sweep kappa-warmup: "x" is not a positive integer']);
    expect(client.startSweep('nonsense', '1')[0]).toMatch(/^Sweep must be NAME=V1,V2,\.\.\. with NAME one of kappa-warmup/);
  });

  it('gives the points of the values that have runs, in the sweep\'s order', () => {
    const runs = [view(0, 'kappa-warmup=5'), view(1, 'kappa-warmup=2')];
    const results = pageResults(runs, { 0: metrics(4, 5, 0.5), 1: metrics(4, 5, 0.25) }, null);
    const points = sweepView({ param: 'kappa-warmup', values: [2, 5, 9] }, results, experimentView(results, null).summary);
    expect(points.map((p) => [p.value, p.devLoss.mean])).toEqual([[2, 4.5], [5, 3.5]]);
    // Recognized by the labels alone (a sweep resumed from an autosave), in the runs' order.
    expect(sweepFromLabels(results)).toEqual({ param: 'kappa-warmup', values: [5, 2] });
    expect(sweepFromLabels(pageResults([view(0, 'weighted'), view(1, 'kappa-warmup=2')], { 0: metrics(2, 5, 1), 1: metrics(2, 5, 1) }, null))).toBeNull();
    expect(sweepFromLabels(pageResults([view(0, 'dModel=32')], { 0: metrics(2, 5, 1) }, null))).toBeNull();
  });
});

describe('opening files and muting', () => {
  it('shows a metrics JSONL as one run with its κ/α entropies', () => {
    const text = [
      JSON.stringify({ step: 1, loss: 3, tokens: 10, branches: [{ layer: 'dec.0', kappa: [0.5, 0.5], alpha: [1, 0] }] }),
      JSON.stringify({ step: 2, loss: 2, tokens: 10, branches: [{ layer: 'dec.0', kappa: [0.5, 0.5], alpha: [1, 0] }] }),
      JSON.stringify({ step: 2, dev_loss: 2.5 }),
    ].join('\n') + '\n';
    const r = metricsResult('run.jsonl', parseMetricsJsonl(text, 'run.jsonl'), 2.6);
    expect(r.seeds[0].evals).toEqual([{ step: 2, tokens: 20, loss: 2.5, bleu: null }]);
    expect(r.seeds[0].target).toEqual({ step: 2, tokens: 20 });
    expect(r.seeds[0].entropy.layers).toEqual(['dec.0']);
    expect(r.seeds[0].entropy.kappa[0][0]).toBeCloseTo(Math.log(2), 12);
  });

  it('refuses a file that is not a report, naming it, and keeps the last good one', async () => {
    const store = createPlaygroundStore(microValues());
    const client = new ExperimentClient(store, () => {}, () => {});
    const file = (name: string, text: string) => ({ name, text: async () => text });
    await client.openFile(file('a.json', readFileSync('test/fixtures/experiments/micro-report.json', 'utf8')));
    expect(store.getState().experiments.opened?.name).toBe('a.json');
    await client.openFile(file('b.json', '{"kind": '));
    expect(store.getState().experiments.openError).toMatch(/^b\.json: not valid JSON/);
    await client.openFile(file('c.json', '{"kind": "notes"}'));
    expect(store.getState().experiments.openError).toBe('c.json: not an experiment or ablation report (its "kind" is "notes")');
    await client.openFile(file('d.jsonl', '{"step": 1}\n'));
    expect(store.getState().experiments.openError).toMatch(/^d\.jsonl/);
    expect(store.getState().experiments.opened?.name).toBe('a.json');
  });

  it('muteBranch sends one measurement, stores its answer, and clears it on the second call', () => {
    const store = createPlaygroundStore(microValues());
    const sent: PageMessage[] = [];
    const client = new ExperimentClient(store, (msg) => sent.push(msg), () => {});
    client.muteBranch(0, 'dec.0', 2, 'alpha');
    client.muteBranch(0, 'dec.0', 2, 'alpha'); // still measuring: not sent twice
    expect(sent).toEqual([{ type: 'ablate', id: 1, runId: 0, only: { layer: 'dec.0', branch: 2, which: 'alpha' }, randomDraws: 0, seed: 1, bleu: true, uniformCheck: false }]);
    const key = muteKey(0, { layer: 'dec.0', branch: 2, which: 'alpha' });
    const result = { learned: { loss: 2, bleu: 10 }, muted: { layer: 'dec.0', branch: 2, which: 'alpha' as const, loss: 2.5, bleu: 8 } };
    client.receive({ type: 'ablation', id: 1, runId: 0, step: 7, report: null, mute: result, uniformCheck: null, memory: { liveBytes: 0, liveBuffers: 0 } });
    expect(store.getState().experiments.mutes[key]).toMatchObject({ pending: false, step: 7, result });
    client.muteBranch(0, 'dec.0', 2, 'alpha');
    expect(store.getState().experiments.mutes).toEqual({});
  });
});
