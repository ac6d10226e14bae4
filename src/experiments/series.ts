// The page's per-run series (steps, tokens seen, loss, the reported κ/α and its dev evaluations, as the
// store keeps them) as the SeedRun of an experiment, so the page summarizes its own runs with the same code
// as `cli experiment` (summarizeRuns, band, verdicts, entropies and events). Plain numbers only.
import type { Weighting } from '../model/config.ts';
import { branchEvents, entropySeries, type BranchSnapshot } from './entropy.ts';
import { targetReached, type EvalPoint, type SeedRun } from './seeds.ts';

/** One run's series: index i of steps, tokens, loss and of every layer's kappa/alpha is the i-th reported step. */
export interface RunSeriesInput {
  seed: number;
  steps: readonly number[];
  /** Target tokens seen after each step. */
  tokens: readonly number[];
  loss: readonly number[];
  /** Per branched layer, the effective weights after each step (kappa[i][branch]). */
  branches: readonly { layer: string; kappa: readonly (readonly number[])[]; alpha: readonly (readonly number[])[] }[];
  /** Dev evaluations (BLEU null when none was measured). */
  dev: readonly { step: number; loss: number; bleu: number | null }[];
  weighting: Weighting;
  targetLoss: number | null;
  /** Why the run stopped early (NaN/Inf), or null. */
  stopped: string | null;
}

/** The κ/α snapshots of every reported step (the entropy and event input). */
export function branchSnapshots(steps: readonly number[], branches: RunSeriesInput['branches']): BranchSnapshot[] {
  if (branches.length === 0) return [];
  const n = Math.min(steps.length, ...branches.map((b) => Math.min(b.kappa.length, b.alpha.length)));
  // The weight arrays are shared, not copied (entropies and events only read them).
  return Array.from({ length: n }, (_, i) => ({ step: steps[i], branches: branches.map((b) => ({ layer: b.layer, kappa: b.kappa[i] as number[], alpha: b.alpha[i] as number[] })) }));
}

/**
 * A SeedRun from a run's series. An evaluation at a step whose metrics have not arrived yet has no tokens
 * count and is left out (it comes in with the next batch of metrics), as are non-finite dev losses.
 */
export function seedRunFromSeries(r: RunSeriesInput): SeedRun {
  const tokensAt = new Map(r.steps.map((s, i) => [s, r.tokens[i]]));
  const evals: EvalPoint[] = r.dev.flatMap((d) => {
    const tokens = tokensAt.get(d.step);
    return tokens === undefined || !Number.isFinite(d.loss) ? [] : [{ step: d.step, tokens, loss: d.loss, bleu: d.bleu }];
  });
  const snapshots = branchSnapshots(r.steps, r.branches);
  return {
    seed: r.seed,
    curve: r.steps.map((step, i) => ({ step, tokens: r.tokens[i], loss: r.loss[i] })),
    evals,
    target: targetReached(evals, r.targetLoss),
    entropy: entropySeries(snapshots),
    events: branchEvents(snapshots, { weighting: r.weighting }),
    stopped: r.stopped,
  };
}
