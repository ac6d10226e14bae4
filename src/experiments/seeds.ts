// Experiment 1 and 3 of issue 12: compared runs (weighted vs baseline, or vs the softmax / uniform
// ablations) trained over N seeds on the same prepared data. A seed fixes a run's initialization and its
// dropout masks; every run of every seed trains on the same batch stream (the data is prepared once), so
// the runs of one seed differ only in the model and the seeds only in its randomness, and a run's tokens
// seen at a step are those of every other run. Collected per run and seed: the metrics curve (step, tokens
// seen, loss), dev loss and greedy BLEU at each evaluation, the step and tokens at which the dev loss
// first reached a target, the entropies of κ/α and their events. The summary gives mean ± sd per run and
// the paired verdict lines at equal steps and at equal tokens.
import type { Gpu } from '../gpu/device.ts';
import type { ModelConfig } from '../model/config.ts';
import { Trainer, nonfiniteReason, type TrainerOptions } from '../train/trainer.ts';
import type { PreparedData } from '../train/data.ts';
import { band, interpolate, pairedDifference, summarize, verdictLine, type BandPoint, type Summary } from './stats.ts';
import { BranchTracker, type BranchEvent, type EntropySeries } from './entropy.ts';
import { evalSet, measure, type EvalSet } from './measure.ts';

/** One of the compared runs: a label and its model. */
export interface ComparedRun {
  label: string;
  config: ModelConfig;
  /** Training settings of this run that differ from the shared ones (a sweep over κ/α warm-up, ...). */
  train?: Partial<Omit<TrainerOptions, 'seed' | 'steps'>>;
}

export interface SeedsOptions {
  seeds: number[];
  /** Training settings shared by every run (the seed is set per run). */
  train: Omit<TrainerOptions, 'seed'>;
  /** Evaluate (dev loss, BLEU) every this many steps and always at the last step. 0: only at the end. */
  evalEvery: number;
  /** Dev loss target for steps-to-target (null: none). */
  targetLoss: number | null;
  /** Dev sentences translated for BLEU at each evaluation (the first ones of the dev split). */
  bleuSentences: number;
  /** Progress lines for the user. */
  onProgress?: (text: string) => void;
  /** Called after each finished run of a seed with the results so far (the runs' seeds lists grow). */
  onRunDone?: (results: RunResult[]) => void;
  /** Called with each trained model before it is freed (e.g. to save a checkpoint for the ablation). */
  onTrained?: (trainer: Trainer, label: string, seed: number) => Promise<void>;
  /** Lets a host (the page's worker, the CLI's signal handling) breathe between steps. */
  yieldEvery?: () => Promise<void>;
}

export interface CurvePoint {
  step: number;
  tokens: number;
  loss: number;
}

export interface EvalPoint {
  step: number;
  tokens: number;
  loss: number;
  bleu: number | null;
}

export interface SeedRun {
  seed: number;
  curve: CurvePoint[];
  evals: EvalPoint[];
  /** Where the dev loss first reached the target (null: never, or no target). */
  target: { step: number; tokens: number } | null;
  entropy: EntropySeries;
  events: BranchEvent[];
  /** Set when the run stopped early on a NaN/Inf step. */
  stopped: string | null;
}

export interface RunResult {
  label: string;
  config: ModelConfig;
  train?: ComparedRun['train'];
  seeds: SeedRun[];
}

/** Train every run for every seed. Runs are trained one after another (one model on the GPU at a time). */
export async function runSeeds(gpu: Gpu, data: PreparedData, runs: readonly ComparedRun[], options: SeedsOptions): Promise<RunResult[]> {
  const dev = evalSet(data.tokenizer, data.devText, Math.min(...runs.map((r) => r.config.maxLen)), { batches: data.dev, bleuSentences: options.bleuSentences });
  const results: RunResult[] = runs.map((r) => ({ label: r.label, config: r.config, ...(r.train ? { train: r.train } : {}), seeds: [] }));
  for (const seed of options.seeds) {
    for (const [i, run] of runs.entries()) {
      options.onProgress?.(`${run.label}, seed ${seed}: training ${options.train.steps} steps`);
      results[i].seeds.push(await trainOne(gpu, data, dev, run, seed, options));
      options.onRunDone?.(results);
    }
  }
  return results;
}

async function trainOne(gpu: Gpu, data: PreparedData, dev: EvalSet, run: ComparedRun, seed: number, options: SeedsOptions): Promise<SeedRun> {
  const { steps } = options.train;
  const config = run.config;
  const trainer = new Trainer(gpu, config, { ...options.train, ...run.train, seed });
  const tracker = new BranchTracker();
  const tokensAt = new Map<number, number>();
  const curve: CurvePoint[] = [], evals: EvalPoint[] = [];
  let stopped: string | null = null, tokens = 0;
  trainer.onMetrics = (m) => {
    if (m.nonfinite && stopped === null) stopped = `step ${m.step}: ${nonfiniteReason(m)}`;
    curve.push({ step: m.step, tokens: tokensAt.get(m.step) ?? Number.NaN, loss: m.loss });
    tokensAt.delete(m.step);
    tracker.add(m);
  };
  try {
    const batches = data.train.iterate(0);
    for (let step = 1; step <= steps && stopped === null; step++) {
      const batch = batches.next().value!.batch;
      tokens += batch.tokens;
      tokensAt.set(step, tokens);
      if (!trainer.canReport) await trainer.flush();
      trainer.trainStep(batch);
      if ((options.evalEvery > 0 && step % options.evalEvery === 0) || step === steps) {
        await trainer.flush();
        if (stopped !== null) break;
        const { loss, bleu } = await measure(trainer, dev, options.bleuSentences > 0);
        evals.push({ step, tokens, loss, bleu });
      }
      await options.yieldEvery?.();
    }
    await trainer.flush();
    await options.onTrained?.(trainer, run.label, seed);
  } finally {
    trainer.destroy();
  }
  curve.sort((a, b) => a.step - b.step);
  return {
    seed, curve, evals, stopped,
    target: targetReached(evals, options.targetLoss),
    entropy: tracker.series(),
    events: tracker.events({ weighting: config.weighting }),
  };
}

/** The step and tokens of the first evaluation whose dev loss is at or below the target (null: never, or no target). */
export function targetReached(evals: readonly EvalPoint[], targetLoss: number | null): { step: number; tokens: number } | null {
  if (targetLoss === null) return null;
  const reached = evals.find((e) => e.loss <= targetLoss);
  return reached ? { step: reached.step, tokens: reached.tokens } : null;
}

export interface RunSummary {
  label: string;
  /** Final dev loss / BLEU over seeds (the last evaluation of each seed). */
  devLoss: Summary;
  bleu: Summary | null;
  /** Steps and tokens to the target over the seeds that reached it, and how many did. */
  target: { reached: number; of: number; steps: Summary | null; tokens: Summary | null } | null;
  /** Dev loss / BLEU at each evaluation step: mean with the min–max band over seeds. */
  devLossBand: BandPoint[];
  bleuBand: BandPoint[];
}

export interface Verdict {
  metric: 'dev loss' | 'dev BLEU';
  at: 'steps' | 'tokens';
  /** The step or the token count compared at. */
  x: number;
  mean: number;
  sd: number;
  n: number;
  unclear: boolean;
  text: string;
}

export interface ExperimentSummary {
  runs: RunSummary[];
  /** runs[0] − runs[1] paired by seed, at the last common step and at the most tokens all runs saw. */
  verdicts: Verdict[];
}

export function summarizeRuns(results: readonly RunResult[], targetLoss: number | null): ExperimentSummary {
  const runs = results.map((r) => summarizeRun(r, targetLoss));
  const verdicts: Verdict[] = [];
  if (results.length >= 2) verdicts.push(...compare(results[0], results[1]));
  return { runs, verdicts };
}

function summarizeRun(r: RunResult, targetLoss: number | null): RunSummary {
  const finals = r.seeds.map((s) => s.evals[s.evals.length - 1]).filter((e) => e !== undefined);
  const bleus = finals.map((e) => e.bleu).filter((b): b is number => b !== null);
  const reached = r.seeds.map((s) => s.target).filter((t) => t !== null);
  return {
    label: r.label,
    devLoss: summarize(finals.map((e) => e.loss)),
    bleu: bleus.length ? summarize(bleus) : null,
    target: targetLoss === null ? null : {
      reached: reached.length, of: r.seeds.length,
      steps: reached.length ? summarize(reached.map((t) => t.step)) : null,
      tokens: reached.length ? summarize(reached.map((t) => t.tokens)) : null,
    },
    devLossBand: band(r.seeds.map((s) => s.evals.map((e) => ({ x: e.step, y: e.loss })))),
    bleuBand: band(r.seeds.map((s) => s.evals.filter((e) => e.bleu !== null).map((e) => ({ x: e.step, y: e.bleu! })))),
  };
}

/** Verdicts of a − b: dev loss and BLEU at the last step both reached, and at the most tokens both saw. */
function compare(a: RunResult, b: RunResult): Verdict[] {
  const seeds = a.seeds.map((s, i) => [s, b.seeds[i]] as const).filter(([x, y]) => x.evals.length > 0 && y && y.evals.length > 0);
  if (seeds.length === 0) return [];
  const out: Verdict[] = [];
  const metrics = [['dev loss', (e: EvalPoint) => e.loss, 2], ['dev BLEU', (e: EvalPoint) => e.bleu, 1]] as const;
  for (const at of ['steps', 'tokens'] as const) {
    const key = at === 'steps' ? 'step' : 'tokens';
    // The largest x every run of every seed reached at an evaluation.
    const x = Math.min(...seeds.flatMap(([p, q]) => [p.evals[p.evals.length - 1][key], q.evals[q.evals.length - 1][key]]));
    for (const [metric, pick, digits] of metrics) {
      const value = (s: SeedRun) => interpolate(s.evals.filter((e) => pick(e) !== null).map((e) => ({ x: e[key], y: pick(e)! })), x);
      const pairs = seeds.map(([p, q]) => [value(p), value(q)] as const).filter(([p, q]) => p !== null && q !== null) as [number, number][];
      if (pairs.length === 0) continue;
      const diff = pairedDifference(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
      const where = at === 'steps' ? `at step ${x}` : `at ${x} tokens`;
      out.push({ metric, at, x, ...diff, text: verdictLine({ a: a.label, b: b.label, metric }, diff, where, digits) });
    }
  }
  return out;
}
