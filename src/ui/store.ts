// The playground's one store (vanilla zustand): the config slice (schema values, imported corpus), the
// run slice (device, status, errors, throughput, translation) and the metrics slice (per-step series,
// appended in batches, one batch per animation frame). Components read it with one selector per field.
import { createStore } from 'zustand/vanilla';
import type { DevResult, RunInfo, RunStatus, StepMetrics } from '../train/protocol.ts';
import { defaultValues, type ConfigValues, type ImportedCorpus } from './schema.ts';

export type GpuState =
  | { state: 'probing' }
  | { state: 'ready'; adapter: string; features: string[] }
  | { state: 'unavailable'; message: string };

export interface TranslationState {
  id: number;
  pending: boolean;
  output: string | null;
  error: string | null;
  ms: number;
}

export interface BranchSeries {
  layer: string;
  /** kappa[i] / alpha[i]: the effective weights after metrics.steps[i], one entry per branch. */
  kappa: number[][];
  alpha: number[][];
}

export interface ConfigSlice {
  values: ConfigValues;
  imported: ImportedCorpus | null;
}

export interface RunSlice {
  gpu: GpuState;
  status: RunStatus;
  info: RunInfo | null;
  error: string | null;
  /** The live learning-rate scale (the slider; starts at the config's). */
  lrScale: number;
  stepsPerSec: number;
  tokensPerSec: number;
  tokensSeen: number;
  /** A dev evaluation is running (training waits for it). */
  evaluating: boolean;
  translation: TranslationState;
}

export interface MetricsSlice {
  steps: number[];
  loss: number[];
  lr: number[];
  gradNorm: number[];
  branches: BranchSeries[];
  dev: DevResult[];
}

export interface PlaygroundState {
  config: ConfigSlice;
  run: RunSlice;
  metrics: MetricsSlice;
}

export const emptyMetrics = (): MetricsSlice => ({ steps: [], loss: [], lr: [], gradNorm: [], branches: [], dev: [] });

const idleTranslation: TranslationState = { id: 0, pending: false, output: null, error: null, ms: 0 };

export function createPlaygroundStore(values: ConfigValues = defaultValues()) {
  return createStore<PlaygroundState>()(() => ({
    config: { values, imported: null },
    run: {
      gpu: { state: 'probing' }, status: 'idle', info: null, error: null, lrScale: values.lrScale,
      stepsPerSec: 0, tokensPerSec: 0, tokensSeen: 0, evaluating: false, translation: idleTranslation,
    },
    metrics: emptyMetrics(),
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

/** Append a batch of step metrics (in step order) to the series. */
export function appendMetrics(metrics: MetricsSlice, items: readonly StepMetrics[]): MetricsSlice {
  if (items.length === 0) return metrics;
  const branches = items[0].branches.map((b, i) => {
    const prev = metrics.branches[i] ?? { layer: b.layer, kappa: [], alpha: [] };
    return { layer: b.layer, kappa: prev.kappa.concat(items.map((m) => m.branches[i].kappa)), alpha: prev.alpha.concat(items.map((m) => m.branches[i].alpha)) };
  });
  return {
    ...metrics,
    steps: metrics.steps.concat(items.map((m) => m.step)),
    loss: metrics.loss.concat(items.map((m) => m.loss)),
    lr: metrics.lr.concat(items.map((m) => m.lr)),
    gradNorm: metrics.gradNorm.concat(items.map((m) => m.gradNorm)),
    branches,
  };
}
