// Experiment 5 of issue 12: one setting swept over a few values, each value a weighted run (with its
// seeds) on the same data, summarized as final dev loss and BLEU (mean ± sd, min–max) against the value.
// Settings: κ/α warm-up, learning-rate scale, κ/α learning-rate scale (the κ/α group only), freeze steps (training), branches M, depth (encoder and
// decoder layers together) and weighting (model).
import type { ModelConfig, Weighting } from '../model/config.ts';
import { validateModelConfig } from '../model/config.ts';
import type { Summary } from './stats.ts';
import type { ComparedRun, ExperimentSummary } from './seeds.ts';

export const SWEEP_PARAMS = ['kappa-warmup', 'lr-scale', 'kappa-lr-scale', 'freeze-steps', 'branches', 'depth', 'weighting'] as const;
export type SweepParam = (typeof SWEEP_PARAMS)[number];

export interface Sweep {
  param: SweepParam;
  values: (number | Weighting)[];
}

/** "kappa-warmup=10,40,100" → the sweep; Error naming the problem. */
export function parseSweep(text: string): Sweep {
  const [name, list] = text.split('=', 2);
  if (!(SWEEP_PARAMS as readonly string[]).includes(name) || list === undefined || list.trim() === '') {
    throw new Error(`--sweep must be NAME=V1,V2,... with NAME one of ${SWEEP_PARAMS.join(', ')}, got "${text}"`);
  }
  const param = name as SweepParam;
  const raw = list.split(',').map((v) => v.trim());
  if (new Set(raw).size !== raw.length) throw new Error(`--sweep ${param}: a value is given twice`);
  if (param === 'weighting') {
    for (const v of raw) if (v !== 'projected' && v !== 'softmax' && v !== 'uniform') throw new Error(`--sweep weighting: "${v}" is not projected, softmax or uniform`);
    return { param, values: raw as Weighting[] };
  }
  const values = raw.map(Number);
  const integer = param !== 'lr-scale' && param !== 'kappa-lr-scale';
  raw.forEach((v, i) => {
    const x = values[i];
    if (v === '' || !Number.isFinite(x) || x < 0 || (integer && !Number.isInteger(x)) || (integer && param !== 'freeze-steps' && x < 1)) {
      throw new Error(`--sweep ${param}: "${v}" is not ${integer ? 'a positive integer' : 'a number >= 0'}`);
    }
  });
  return { param, values };
}

/** One weighted run per value of the sweep, labelled "PARAM=VALUE" (a model that is not valid is refused). */
export function sweepRuns(base: ModelConfig, sweep: Sweep): ComparedRun[] {
  return sweep.values.map((value) => {
    const label = `${sweep.param}=${value}`;
    const config: ModelConfig = { ...base, variant: 'weighted' };
    const train: ComparedRun['train'] = {};
    switch (sweep.param) {
      case 'kappa-warmup': train.kappaWarmup = value as number; break;
      case 'lr-scale': train.lrScale = value as number; break;
      case 'kappa-lr-scale': train.kappaLrScale = value as number; break;
      case 'freeze-steps': train.freezeSteps = value as number; break;
      case 'branches': config.branches = value as number; break;
      case 'depth': config.encLayers = config.decLayers = value as number; break;
      case 'weighting': config.weighting = value as Weighting; break;
    }
    return { label, config: validateModelConfig(config, label), ...(Object.keys(train).length ? { train } : {}) };
  });
}

export interface SweepPoint {
  value: number | Weighting;
  label: string;
  devLoss: Summary;
  bleu: Summary | null;
}

/** Final dev loss and BLEU against the swept value, from the experiment's summary (runs in sweep order). */
export function sweepPoints(sweep: Sweep, summary: ExperimentSummary): SweepPoint[] {
  return sweep.values.map((value, i) => ({ value, label: summary.runs[i].label, devLoss: summary.runs[i].devLoss, bleu: summary.runs[i].bleu }));
}
