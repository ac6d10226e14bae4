// The playground store: appending step metrics (cumulative tokens, κ/α per layer), dev results, truncating
// to an autosave's step, the focus selectors (stable results: zustand selectors must not allocate), and
// the slice patches.
import { describe, expect, it } from 'vitest';
import type { DevResult, StepMetrics } from '../../src/train/protocol.ts';
import { defaultValues, microValues } from '../../src/ui/schema.ts';
import {
  EMPTY_RUN_METRICS, addDevResult, appendMetrics, createPlaygroundStore, emptyRunMetrics, idleRates, idleTranslation, patchConfig, patchRun,
  patchRunView, selectFocusMetrics, selectFocusView, truncateMetrics, type RunMetrics, type RunView,
} from '../../src/ui/store.ts';

const step = (s: number, tokens: number, layers: string[] = ['enc.0', 'dec.0']): StepMetrics => ({
  step: s, loss: 10 - s, tokens, gradNorm: s / 10, nonfinite: false, lr: s * 1e-4, gpuMs: null, hostMs: 1,
  branches: layers.map((layer, i) => ({ layer, kappa: [s, i], alpha: [i, s] })),
});
const dev = (s: number, loss = 3): DevResult => ({ step: s, loss, bleu: s / 2, sentences: 5, samples: [] });
const view = (id: number, label = `run ${id}`): RunView => ({ id, label, info: null, state: 'preparing', error: null, rates: idleRates(), evaluating: false });

describe('appendMetrics', () => {
  it('appends each series; tokens are cumulative from tokensSeenBefore; κ/α appended per layer', () => {
    const a = appendMetrics(emptyRunMetrics(), [step(1, 5), step(2, 7)], 100);
    expect(a).toEqual({
      steps: [1, 2], loss: [9, 8], lr: [1e-4, 2e-4], gradNorm: [0.1, 0.2], tokens: [105, 112], dev: [],
      branches: [
        { layer: 'enc.0', kappa: [[1, 0], [2, 0]], alpha: [[0, 1], [0, 2]] },
        { layer: 'dec.0', kappa: [[1, 1], [2, 1]], alpha: [[1, 1], [1, 2]] },
      ],
    });
    const b = appendMetrics(a, [step(3, 3)], 112);
    expect(b.steps).toEqual([1, 2, 3]);
    expect(b.tokens).toEqual([105, 112, 115]);
    expect(b.branches.map((x) => x.kappa)).toEqual([[[1, 0], [2, 0], [3, 0]], [[1, 1], [2, 1], [3, 1]]]);
    expect(b.branches.map((x) => x.alpha)).toEqual([[[0, 1], [0, 2], [0, 3]], [[1, 1], [1, 2], [1, 3]]]);
    // a is unchanged (the store keeps the previous state immutable)
    expect(a.steps).toEqual([1, 2]);
    expect(a.branches[0].kappa).toHaveLength(2);
  });

  it('keeps the dev results; a baseline (no branched layers) has no branch series', () => {
    const withDev = addDevResult(emptyRunMetrics(), dev(0));
    const m = appendMetrics(withDev, [step(1, 4, [])], 0);
    expect(m.branches).toEqual([]);
    expect(m.dev).toBe(withDev.dev);
    expect(m.tokens).toEqual([4]);
  });

  it('an empty batch returns the same object', () => {
    const m = appendMetrics(emptyRunMetrics(), [step(1, 5)], 0);
    expect(appendMetrics(m, [], 5)).toBe(m);
  });

  it('appending to the frozen EMPTY_RUN_METRICS works and leaves it empty', () => {
    const m = appendMetrics(EMPTY_RUN_METRICS, [step(1, 2)], 0);
    expect(m.steps).toEqual([1]);
    expect(EMPTY_RUN_METRICS).toEqual(emptyRunMetrics());
    expect(Object.isFrozen(EMPTY_RUN_METRICS)).toBe(true);
  });
});

describe('addDevResult', () => {
  it('inserts in step order and replaces a result at the same step', () => {
    let m = emptyRunMetrics();
    m = addDevResult(m, dev(200, 3));
    m = addDevResult(m, dev(100, 4));
    m = addDevResult(m, dev(300, 2));
    expect(m.dev.map((d) => d.step)).toEqual([100, 200, 300]);
    const before = m;
    m = addDevResult(m, dev(200, 2.5));
    expect(m.dev.map((d) => [d.step, d.loss])).toEqual([[100, 4], [200, 2.5], [300, 2]]);
    expect(before.dev.map((d) => d.loss)).toEqual([4, 3, 2]); // not mutated
  });
});

describe('truncateMetrics', () => {
  const full = (): RunMetrics => {
    let m = appendMetrics(emptyRunMetrics(), [1, 2, 3, 5, 8].map((s) => step(s, 10)), 0);
    for (const s of [2, 5, 8]) m = addDevResult(m, dev(s));
    return m;
  };

  it('cuts every series at the same index and drops the later dev results', () => {
    const t = truncateMetrics(full(), 4);
    expect(t.steps).toEqual([1, 2, 3]);
    expect(t.loss).toEqual([9, 8, 7]);
    expect(t.lr).toHaveLength(3);
    expect(t.gradNorm).toEqual([0.1, 0.2, 0.3]);
    expect(t.tokens).toEqual([10, 20, 30]);
    for (const b of t.branches) {
      expect(b.kappa).toHaveLength(3);
      expect(b.alpha).toHaveLength(3);
    }
    expect(t.branches.map((b) => b.layer)).toEqual(['enc.0', 'dec.0']);
    expect(t.dev.map((d) => d.step)).toEqual([2]);
  });

  it('keeps the step itself', () => {
    const t = truncateMetrics(full(), 5);
    expect(t.steps).toEqual([1, 2, 3, 5]);
    expect(t.dev.map((d) => d.step)).toEqual([2, 5]);
  });

  it('before the first step: everything empty (layers kept)', () => {
    const t = truncateMetrics(full(), 0);
    expect({ ...t, branches: [] }).toEqual(emptyRunMetrics());
    expect(t.branches).toEqual([{ layer: 'enc.0', kappa: [], alpha: [] }, { layer: 'dec.0', kappa: [], alpha: [] }]);
  });

  it('nothing after the step: the same object', () => {
    const m = full();
    expect(truncateMetrics(m, 8)).toBe(m);
    expect(truncateMetrics(m, 1000)).toBe(m);
  });

  it('a dev result after the step is dropped even when no reported step is (skipped metrics)', () => {
    const m = addDevResult(appendMetrics(emptyRunMetrics(), [step(1, 3), step(2, 3)], 0), dev(6));
    const t = truncateMetrics(m, 4);
    expect(t.steps).toEqual([1, 2]);
    expect(t.dev).toEqual([]);
  });
});

describe('selectors', () => {
  it('selectFocusView: the focused run, else the first, else null', () => {
    const store = createPlaygroundStore();
    expect(selectFocusView(store.getState())).toBeNull();
    patchRun(store, { runs: [view(0), view(1)] });
    expect(selectFocusView(store.getState())?.id).toBe(0);
    patchRun(store, { focus: 1 });
    expect(selectFocusView(store.getState())).toBe(store.getState().run.runs[1]);
    patchRun(store, { focus: 7 });
    expect(selectFocusView(store.getState())).toBe(store.getState().run.runs[0]);
  });

  it('selectFocusMetrics: the focused run\'s metrics, else the shared empty metrics', () => {
    const store = createPlaygroundStore();
    expect(selectFocusMetrics(store.getState())).toBe(EMPTY_RUN_METRICS);
    patchRun(store, { runs: [view(0), view(1)], focus: 1 });
    expect(selectFocusMetrics(store.getState())).toBe(EMPTY_RUN_METRICS); // no metrics yet for run 1
    const m0 = appendMetrics(emptyRunMetrics(), [step(1, 1)], 0);
    const m1 = appendMetrics(emptyRunMetrics(), [step(1, 2)], 0);
    store.setState({ metrics: { runs: { 0: m0, 1: m1 } } });
    expect(selectFocusMetrics(store.getState())).toBe(m1);
    patchRun(store, { focus: null });
    expect(selectFocusMetrics(store.getState())).toBe(m0);
  });

  it('return the same object on every call while nothing they read changed (no allocation)', () => {
    const store = createPlaygroundStore();
    expect(selectFocusView(store.getState())).toBe(selectFocusView(store.getState()));
    expect(selectFocusMetrics(store.getState())).toBe(selectFocusMetrics(store.getState()));
    patchRun(store, { runs: [view(0)] });
    const v = selectFocusView(store.getState());
    const m = selectFocusMetrics(store.getState());
    patchRun(store, { error: 'unrelated' });
    patchConfig(store, { hashWarnings: ['x'] });
    expect(selectFocusView(store.getState())).toBe(v);
    expect(selectFocusMetrics(store.getState())).toBe(m);
    const m0 = appendMetrics(emptyRunMetrics(), [step(1, 1)], 0);
    store.setState({ metrics: { runs: { 0: m0 } } });
    expect(selectFocusMetrics(store.getState())).toBe(m0);
    expect(selectFocusMetrics(store.getState())).toBe(selectFocusMetrics(store.getState()));
  });
});

describe('createPlaygroundStore and patches', () => {
  it('starts idle with the given values and their LR scale', () => {
    const values = { ...microValues(), lrScale: 0.5 };
    const s = createPlaygroundStore(values).getState();
    expect(s.config).toEqual({ values, imported: null, hashWarnings: [] });
    expect(s.config.values).toBe(values);
    expect(s.run).toEqual({ gpu: { state: 'probing' }, status: 'idle', runs: [], focus: null, error: null, deviceLost: false, lrScale: 0.5, translation: idleTranslation, autosave: null, gpuMemory: null, progress: null, compile: null, startedWith: null });
    expect(s.metrics).toEqual({ runs: {} });
    expect(createPlaygroundStore().getState().config.values).toEqual(defaultValues());
  });

  it('patchRunView changes one run and keeps every other object', () => {
    const store = createPlaygroundStore();
    patchRun(store, { runs: [view(0), view(1), view(2)] });
    const before = store.getState();
    patchRunView(store, 1, { state: 'done', label: 'baseline' });
    const after = store.getState();
    expect(after.run.runs[1]).toEqual({ ...before.run.runs[1], state: 'done', label: 'baseline' });
    expect(before.run.runs[1].state).toBe('preparing');
    expect(after.run.runs[0]).toBe(before.run.runs[0]);
    expect(after.run.runs[2]).toBe(before.run.runs[2]);
    expect(after.config).toBe(before.config);
    expect(after.metrics).toBe(before.metrics);
    expect(after.run.translation).toBe(before.run.translation);
    patchRunView(store, 9, { state: 'done' }); // unknown id: nothing changes in the runs
    expect(store.getState().run.runs).toEqual(after.run.runs);
  });

  it('patchRun and patchConfig keep the other slices and fields', () => {
    const store = createPlaygroundStore();
    const before = store.getState();
    patchRun(store, { status: 'running' });
    expect(store.getState().run).toEqual({ ...before.run, status: 'running' });
    expect(store.getState().config).toBe(before.config);
    patchConfig(store, { hashWarnings: ['w'] });
    expect(store.getState().config).toEqual({ ...before.config, hashWarnings: ['w'] });
    expect(store.getState().run.status).toBe('running');
  });
});
