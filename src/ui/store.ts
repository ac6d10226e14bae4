// The playground's one store (vanilla zustand): the config slice (schema values, imported corpus), the
// run slice (device, session status, the runs with their state and throughput, the translation) and the
// metrics slice (per-run step series, appended in batches, one batch per animation frame). A session has
// one run, or several side by side (comparison mode); the focused run is the one whose κ/α charts and
// dev samples are shown and that translates. Components read the store with one selector per field.
import { createStore } from 'zustand/vanilla';
import type { AttentionMaps, DeviceLimits, DeviceMemory, DevResult, RunInfo, RunRates, RunState, RunStatus, StepMetrics } from '../train/protocol.ts';
import { defaultValues, type ConfigValues, type ImportedCorpus } from './schema.ts';
import { emptyExperiments, type ExperimentsSlice } from './experiments/slice.ts';

export type GpuState =
  | { state: 'probing' }
  | { state: 'ready'; adapter: string; features: string[]; limits?: DeviceLimits }
  | { state: 'unavailable'; message: string };

export interface TranslationState {
  id: number;
  pending: boolean;
  output: string | null;
  error: string | null;
  ms: number;
  /** Which run translated. */
  runId: number | null;
  attention: AttentionMaps | null;
}

export interface BranchSeries {
  layer: string;
  /** kappa[i] / alpha[i]: the effective weights after steps[i], one entry per branch. */
  kappa: number[][];
  alpha: number[][];
}

export interface ConfigSlice {
  values: ConfigValues;
  imported: ImportedCorpus | null;
  /** What the page's URL hash asked for but did not get (decodeHash's warnings); empty once dismissed. */
  hashWarnings: string[];
}

/** One run of the session as the page sees it. */
export interface RunView {
  id: number;
  label: string;
  info: RunInfo | null;
  state: RunState | 'preparing';
  /** Why the run stopped (NaN/Inf), or null. */
  error: string | null;
  rates: RunRates;
  /** A dev evaluation of this run is in progress. */
  evaluating: boolean;
}

export interface RunSlice {
  gpu: GpuState;
  status: RunStatus;
  runs: RunView[];
  /** The run shown in the κ/α charts, the dev samples and the translation box. */
  focus: number | null;
  /** A session-wide error (device lost, a GPU error, an invalid config), or null. */
  error: string | null;
  /** The worker's device was lost: a new worker (and device) is needed to go on. */
  deviceLost: boolean;
  /** The live learning-rate scale (the slider; starts at the config's). */
  lrScale: number;
  translation: TranslationState;
  /** The last autosave (IndexedDB), for the status line and the device-lost recovery. */
  autosave: { step: number; savedAt: number } | null;
  /** The worker's whole device (every live GPU buffer), as last reported; null before the device is ready. */
  gpuMemory: DeviceMemory | null;
  /** What a start or load being checked and prepared is doing ("tokenizing 120000/456000 pairs"), or null. */
  progress: string | null;
  /** Preparing the GPU work before the first step (the worker's 'compile-progress': phase, done of
   *  total within the phase); null when nothing is being prepared or once the first step's metrics came. */
  compile: { phase: string; done: number; total: number } | null;
  /** The settings the session's runs were started (or loaded, or resumed) with: the form shows what
   *  differs from them and offers a new run with the change; null without runs. */
  startedWith: ConfigValues | null;
}

/** One run's series; index i of every array is the i-th reported step. */
export interface RunMetrics {
  steps: number[];
  loss: number[];
  lr: number[];
  gradNorm: number[];
  /** Target tokens seen after each step (the comparison's shared x axis). */
  tokens: number[];
  branches: BranchSeries[];
  dev: DevResult[];
}

export interface MetricsSlice {
  /** Per run id. */
  runs: Record<number, RunMetrics>;
}

export interface PlaygroundState {
  config: ConfigSlice;
  run: RunSlice;
  metrics: MetricsSlice;
  /** Issue 12's experiments: target, sweep, ablations and muted branches, an opened report (experiments/slice.ts). */
  experiments: ExperimentsSlice;
}

export const emptyRunMetrics = (): RunMetrics => ({ steps: [], loss: [], lr: [], gradNorm: [], tokens: [], branches: [], dev: [] });
export const EMPTY_RUN_METRICS: RunMetrics = Object.freeze(emptyRunMetrics()) as RunMetrics;
export const idleRates = (): RunRates => ({ stepsPerSec: 0, tokensPerSec: 0, tokensSeen: 0, gpuMsPerStep: null, hostMsPerStep: 0, gpuBytes: 0 });
export const idleTranslation: TranslationState = { id: 0, pending: false, output: null, error: null, ms: 0, runId: null, attention: null };

export function createPlaygroundStore(values: ConfigValues = defaultValues()) {
  return createStore<PlaygroundState>()(() => ({
    config: { values, imported: null, hashWarnings: [] },
    run: { gpu: { state: 'probing' }, status: 'idle', runs: [], focus: null, error: null, deviceLost: false, lrScale: values.lrScale, translation: idleTranslation, autosave: null, gpuMemory: null, progress: null, compile: null, startedWith: null },
    metrics: { runs: {} },
    experiments: emptyExperiments(),
  }));
}

export type PlaygroundStore = ReturnType<typeof createPlaygroundStore>;

/** Update one slice, keeping the others (zustand merges the top level only). */
export function patchRun(store: PlaygroundStore, patch: Partial<RunSlice>): void {
  store.setState((s) => ({ run: { ...s.run, ...patch } }));
}

export function patchConfig(store: PlaygroundStore, patch: Partial<ConfigSlice>): void {
  store.setState((s) => ({ config: { ...s.config, ...patch } }));
}

/** Update one run's view. */
export function patchRunView(store: PlaygroundStore, id: number, patch: Partial<RunView>): void {
  store.setState((s) => ({ run: { ...s.run, runs: s.run.runs.map((r) => (r.id === id ? { ...r, ...patch } : r)) } }));
}

/** The focused run's view and metrics (selectors: they return stored objects). */
export const selectFocusView = (s: PlaygroundState): RunView | null => s.run.runs.find((r) => r.id === s.run.focus) ?? s.run.runs[0] ?? null;
export const selectFocusMetrics = (s: PlaygroundState): RunMetrics => {
  const view = selectFocusView(s);
  return (view && s.metrics.runs[view.id]) || EMPTY_RUN_METRICS;
};

/** Append a batch of step metrics (in step order) to a run's series. */
export function appendMetrics(metrics: RunMetrics, items: readonly StepMetrics[], tokensSeenBefore: number): RunMetrics {
  if (items.length === 0) return metrics;
  const branches = items[0].branches.map((b, i) => {
    const prev = metrics.branches[i] ?? { layer: b.layer, kappa: [], alpha: [] };
    return { layer: b.layer, kappa: prev.kappa.concat(items.map((m) => m.branches[i].kappa)), alpha: prev.alpha.concat(items.map((m) => m.branches[i].alpha)) };
  });
  let seen = tokensSeenBefore;
  const tokens = items.map((m) => (seen += m.tokens));
  return {
    ...metrics,
    steps: metrics.steps.concat(items.map((m) => m.step)),
    loss: metrics.loss.concat(items.map((m) => m.loss)),
    lr: metrics.lr.concat(items.map((m) => m.lr)),
    gradNorm: metrics.gradNorm.concat(items.map((m) => m.gradNorm)),
    tokens: metrics.tokens.concat(tokens),
    branches,
  };
}

/** Add a dev result, replacing one at the same step (a restored run re-evaluates its saved step). */
export function addDevResult(metrics: RunMetrics, result: DevResult): RunMetrics {
  return { ...metrics, dev: [...metrics.dev.filter((d) => d.step !== result.step), result].sort((a, b) => a.step - b.step) };
}

/** Keep only the steps up to `step` (a run restored from an older autosave than its metrics). */
export function truncateMetrics(metrics: RunMetrics, step: number): RunMetrics {
  const found = metrics.steps.findIndex((s) => s > step);
  if (found < 0 && metrics.dev.every((d) => d.step <= step)) return metrics;
  const n = found < 0 ? metrics.steps.length : found;
  return {
    steps: metrics.steps.slice(0, n), loss: metrics.loss.slice(0, n), lr: metrics.lr.slice(0, n), gradNorm: metrics.gradNorm.slice(0, n),
    tokens: metrics.tokens.slice(0, n), branches: metrics.branches.map((b) => ({ layer: b.layer, kappa: b.kappa.slice(0, n), alpha: b.alpha.slice(0, n) })),
    dev: metrics.dev.filter((d) => d.step <= step),
  };
}
