// What the Experiments panel shows, computed from plain numbers with src/experiments' code: the page's
// runs (or an opened report's) as RunResult groups (one per configuration, a SeedRun per seed), their
// summary and verdicts (summarizeRuns), the mean/min–max band rows of the seed chart, and the sweep's
// final dev loss/BLEU against the swept value.
import type { ModelConfig } from '../../model/config.ts';
import { band } from '../../experiments/stats.ts';
import { summarizeRuns, targetReached, type ExperimentSummary, type RunResult, type Verdict } from '../../experiments/seeds.ts';
import { seedRunFromSeries } from '../../experiments/series.ts';
import { SWEEP_PARAMS, sweepPoints, type Sweep, type SweepParam, type SweepPoint } from '../../experiments/sweep.ts';
import type { MetricsSeries } from '../../experiments/metrics-jsonl.ts';
import { ema, thinIndices, type XAxisKind } from '../chart-data.ts';
import type { RunMetrics, RunView } from '../store.ts';
import { seedGroupOf } from './seed-runs.ts';

/** The page's runs grouped by configuration (seed suffix of the label), seeds in seed order. */
export function pageResults(runs: readonly RunView[], metrics: Readonly<Record<number, RunMetrics>>, targetLoss: number | null): RunResult[] {
  const groups = new Map<string, RunResult>();
  for (const run of runs) {
    const config: ModelConfig | undefined = run.info?.config;
    if (!config) continue;
    const { group, seed } = seedGroupOf(run.label);
    const m = metrics[run.id];
    if (!m) continue;
    const result = groups.get(group) ?? groups.set(group, { label: group, config, seeds: [] }).get(group)!;
    result.seeds.push(seedRunFromSeries({
      seed: seed ?? run.info?.spec?.train.seed ?? run.id, steps: m.steps, tokens: m.tokens, loss: m.loss, branches: m.branches,
      dev: m.dev.map((d) => ({ step: d.step, loss: d.loss, bleu: d.sentences > 0 ? d.bleu : null })),
      weighting: config.weighting, targetLoss, stopped: run.state === 'stopped' ? (run.error ?? 'stopped') : null,
    }));
  }
  const out = [...groups.values()];
  for (const r of out) r.seeds.sort((a, b) => a.seed - b.seed);
  return out;
}

/** An experiment report's runs with steps-to-target recomputed for `targetLoss` (the page's choice). */
export function withTarget(results: readonly RunResult[], targetLoss: number | null): RunResult[] {
  return results.map((r) => ({ ...r, seeds: r.seeds.map((s) => ({ ...s, target: targetReached(s.evals, targetLoss) })) }));
}

/** A `cli train` metrics file as one run of one seed. */
export function metricsResult(name: string, m: MetricsSeries, targetLoss: number | null): RunResult {
  const tokens = m.tokensSeen.every(Number.isFinite) ? m.tokensSeen : cumulative(m.tokens);
  const branches = m.layers.map((layer, l) => ({ layer, kappa: m.kappa[l] ?? [], alpha: m.alpha[l] ?? [] }));
  const run = seedRunFromSeries({
    seed: 0, steps: m.step, tokens, loss: m.loss, branches, dev: m.dev.step.map((step, i) => ({ step, loss: m.dev.loss[i], bleu: null })),
    // The file does not say how κ/α were kept: event texts then claim no projection.
    weighting: 'uniform', targetLoss, stopped: m.nonfinite.some((x) => x) ? 'a NaN/Inf step' : null,
  });
  const config = { variant: m.layers.length > 0 ? 'weighted' : 'baseline', weighting: 'projected', vocab: 0, dModel: 0, branches: m.branches, dFF: 0, encLayers: 0, decLayers: 0, maxLen: 0, dropout: 0, labelSmoothing: 0 } as ModelConfig;
  return { label: name, config, seeds: [run] };
}

function cumulative(xs: readonly number[]): number[] {
  let s = 0;
  return xs.map((x) => (s += Number.isFinite(x) ? x : 0));
}

export interface ExperimentView {
  summary: ExperimentSummary;
  /** The first configuration against every other one, at equal steps and at equal tokens. */
  verdicts: Verdict[];
}

export function experimentView(results: readonly RunResult[], targetLoss: number | null): ExperimentView {
  const summary = summarizeRuns(results, targetLoss);
  const verdicts = results.slice(1).flatMap((other) => summarizeRuns([results[0], other], null).verdicts);
  return { summary, verdicts };
}

export type BandMetric = 'dev loss' | 'dev BLEU' | 'training loss';

/**
 * Rows of the seed chart: per group i, `g<i>` the mean over its seeds and `g<i>_band` [min, max], at the
 * x values every seed of the group has (evaluations for the dev metrics; the thinned, EMA-smoothed
 * training loss for 'training loss'), merged on x (steps or target tokens seen).
 */
export function bandRows(results: readonly RunResult[], metric: BandMetric, axis: XAxisKind, max = 300): Record<string, number | [number, number]>[] {
  const rows = new Map<number, Record<string, number | [number, number]>>();
  results.forEach((r, g) => {
    const curves = r.seeds.map((s) => seedCurve(s, metric, axis, max));
    for (const p of band(curves)) {
      const row = rows.get(p.x) ?? rows.set(p.x, { x: p.x }).get(p.x)!;
      row[`g${g}`] = p.mean;
      row[`g${g}_band`] = [p.min, p.max];
    }
  });
  return [...rows.values()].sort((a, b) => (a.x as number) - (b.x as number));
}

function seedCurve(s: RunResult['seeds'][number], metric: BandMetric, axis: XAxisKind, max: number): { x: number; y: number }[] {
  const key = axis === 'step' ? 'step' : 'tokens';
  if (metric === 'training loss') {
    const smoothed = ema(s.curve.map((p) => p.loss), 0.9);
    return thinIndices(s.curve.length, max).map((i) => ({ x: s.curve[i][key], y: smoothed[i] })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  }
  return s.evals.flatMap((e) => {
    const y = metric === 'dev loss' ? e.loss : e.bleu;
    return y === null || !Number.isFinite(y) ? [] : [{ x: e[key], y }];
  });
}

/** The sweep's points for the groups that exist so far, in the sweep's order (labels "PARAM=VALUE"). */
export function sweepView(sweep: Sweep, results: readonly RunResult[], summary: ExperimentSummary): SweepPoint[] {
  const present = sweep.values.filter((v) => results.some((r) => r.label === `${sweep.param}=${v}`));
  const runs = present.map((v) => summary.runs[results.findIndex((r) => r.label === `${sweep.param}=${v}`)]);
  return sweepPoints({ ...sweep, values: present }, { runs, verdicts: [] });
}

/**
 * The sweep that runs labelled "PARAM=VALUE" (every group, one PARAM of SWEEP_PARAMS) were trained by, or
 * null: a sweep resumed from an autosave is recognized by its labels.
 */
export function sweepFromLabels(results: readonly RunResult[]): Sweep | null {
  const parts = results.map((r) => /^([a-z-]+)=(.+)$/.exec(r.label));
  if (parts.length === 0 || parts.some((p) => !p || p[1] !== parts[0]![1])) return null;
  const param = parts[0]![1];
  if (!(SWEEP_PARAMS as readonly string[]).includes(param)) return null;
  const values = parts.map((p) => (param === 'weighting' ? p![2] : Number(p![2])));
  if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) return null;
  return { param: param as SweepParam, values } as Sweep;
}
