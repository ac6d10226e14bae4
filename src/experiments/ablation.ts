// The paper's Table 3 at test time (Ahmed et al. 2017, §4): a trained weighted model evaluated with its
// learned κ/α, with uniform 1/M, with K random points of the simplex (mean ± sd over the draws) and with
// each branch muted in turn (its κ_i or α_i set to 0, the rest of that vector renormalized to sum 1).
// Nothing is retrained: the EFFECTIVE weights of each setting are written into the trainer's parameter
// buffer, measured (dev loss, greedy BLEU), and the learned tensors are written back afterwards and read
// back to check they are bit-identical (AblationError otherwise).
//
// Effective weights → stored tensors, per the model's weighting (model.md "How kappa and alpha are kept"):
//   projected  the stored tensors are the weights: w as is
//   softmax    the stored tensors are logits: log(w), and MUTED_LOGIT (−1e9) for a weight of 0, which the
//              softmax kernel's exp(x − max) turns into exactly 0 in f32; softmax(log w) = w for w on the simplex
//   uniform    κ/α are ignored by the model (always 1/M): the ablation is meaningless and is refused
import { Trainer } from '../train/trainer.ts';
import { readBuffer } from '../gpu/tensor.ts';
import { effectiveWeights, type ModelConfig } from '../model/config.ts';
import { SeededRandom } from '../model/init.ts';
import { mean, sd } from './stats.ts';
import { measure, type EvalSet, type Measurement } from './measure.ts';

/** The stored logit of a muted branch under `softmax` weighting (exp underflows to exactly 0). */
export const MUTED_LOGIT = -1e9;

export class AblationError extends Error {
  override name = 'AblationError';
}

/** κ and α of every branched layer ("enc.0", ...), as effective weights. */
export type BranchWeights = { layer: string; kappa: number[]; alpha: number[] }[];

export interface MutedResult extends Measurement {
  layer: string;
  branch: number;
  which: 'kappa' | 'alpha';
}

export interface AblationReport {
  learned: Measurement;
  uniform: Measurement;
  random: { loss_mean: number; loss_sd: number; bleu_mean: number | null; bleu_sd: number | null; draws: number; samples: Measurement[] };
  muted: MutedResult[];
  /** The learned effective weights the settings were derived from. */
  weights: BranchWeights;
}

export interface AblationOptions {
  /** Random points of the simplex to draw (each draws every κ and α vector). Default 5. */
  randomDraws?: number;
  /** Seed of the random draws. Default 1. */
  seed?: number;
  /** Translate for BLEU (default true); false measures the dev loss only. */
  bleu?: boolean;
  /** Told before each setting is measured ("muted enc.0 κ branch 2", ...), with how many settings were
   *  measured so far (`done`) of all of them (`total`: learned, uniform, the draws, every muted branch). */
  onProgress?: (text: string, done: number, total: number) => void;
}

/** Why the ablation cannot run on this model, or null. */
export function ablationProblem(config: ModelConfig): string | null {
  if (config.variant !== 'weighted') return 'a baseline model has no κ/α to ablate';
  if (config.weighting === 'uniform') return 'the model\'s weighting is "uniform": it ignores the stored κ/α (always 1/M), so setting them would change nothing and the ablation is meaningless';
  return null;
}

/** The stored tensor values that make the model use effective weights `w` under `weighting`. */
export function storedFor(weighting: ModelConfig['weighting'], w: readonly number[]): number[] {
  if (weighting === 'projected') return [...w];
  if (weighting === 'softmax') return w.map((x) => (x > 0 ? Math.log(x) : MUTED_LOGIT));
  throw new AblationError('weighting "uniform" has no stored κ/α to set');
}

/** Weight i set to 0, the others renormalized to sum 1 (equal shares when the others were all 0). */
export function muteBranch(w: readonly number[], i: number): number[] {
  const rest = w.reduce((s, x, j) => (j === i ? s : s + x), 0);
  return w.map((x, j) => (j === i ? 0 : rest > 0 ? x / rest : 1 / (w.length - 1)));
}

/** A point drawn uniformly from the probability simplex of dimension m (Dirichlet(1, ..., 1)). */
export function randomSimplexPoint(m: number, rng: SeededRandom): number[] {
  const e = Array.from({ length: m }, () => -Math.log(1 - rng.uniform()));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** The branch range of the parameter buffer as stored (κ/α of every layer), read from the GPU. */
export async function readBranchTensors(trainer: Trainer): Promise<Float32Array> {
  await trainer.flush();
  const { offset, count } = trainer.table.branchRange;
  const base = trainer.params.byteOffset ?? 0;
  return new Float32Array(await readBuffer(trainer.gpu, trainer.params.buffer, count * 4, base + offset * 4));
}

function writeBranchTensors(trainer: Trainer, values: Float32Array): void {
  const { offset, count } = trainer.table.branchRange;
  if (values.length !== count) throw new Error(`branch tensors: ${values.length} values for a range of ${count}`);
  trainer.gpu.device.queue.writeBuffer(trainer.params.buffer, (trainer.params.byteOffset ?? 0) + offset * 4, values);
}

/** The learned effective weights of every layer, from the stored branch range. */
export function effectiveFromStored(trainer: Trainer, stored: Float32Array): BranchWeights {
  const { config, table } = trainer;
  const base = table.branchRange.offset, m = config.branches;
  const vector = (key: string) => {
    const at = table.byKey.get(key)!.offset - base;
    return effectiveWeights(config.weighting, Array.from(stored.subarray(at, at + m)));
  };
  return trainer.branchedLayers().map((layer) => ({ layer, kappa: vector(`${layer}.kappa`), alpha: vector(`${layer}.alpha`) }));
}

/** The stored branch range that makes the model use the effective weights `w` (padding kept from `like`). */
export function storedRange(trainer: Trainer, w: BranchWeights, like: Float32Array): Float32Array {
  const { config, table } = trainer;
  const out = new Float32Array(like);
  const base = table.branchRange.offset;
  for (const { layer, kappa, alpha } of w) {
    out.set(storedFor(config.weighting, kappa), table.byKey.get(`${layer}.kappa`)!.offset - base);
    out.set(storedFor(config.weighting, alpha), table.byKey.get(`${layer}.alpha`)!.offset - base);
  }
  return out;
}

/**
 * Measure the model with effective weights `w` in place of its own, then write `learned` (the stored
 * tensors as they were) back. Exported for the test that compares against the uniform weighting.
 */
export async function measureWith(trainer: Trainer, set: EvalSet, w: BranchWeights, learned: Float32Array, withBleu: boolean): Promise<Measurement> {
  writeBranchTensors(trainer, storedRange(trainer, w, learned));
  try {
    return await measure(trainer, set, withBleu);
  } finally {
    writeBranchTensors(trainer, learned);
  }
}

export async function runAblation(trainer: Trainer, set: EvalSet, options: AblationOptions = {}): Promise<AblationReport> {
  const problem = ablationProblem(trainer.config);
  if (problem) throw new AblationError(problem);
  const { randomDraws = 5, seed = 1, bleu = true, onProgress = () => {} } = options;
  const m = trainer.config.branches;
  const learned = await readBranchTensors(trainer);
  const weights = effectiveFromStored(trainer, learned);
  const total = 2 + randomDraws + weights.length * 2 * m;
  let done = 0;
  const progress = (text: string) => onProgress(text, done++, total);
  try {
    progress('learned κ/α');
    const learnedResult = await measure(trainer, set, bleu);
    progress('uniform κ/α = 1/M');
    const uniform = await measureWith(trainer, set, weights.map((l) => ({ layer: l.layer, kappa: Array(m).fill(1 / m), alpha: Array(m).fill(1 / m) })), learned, bleu);
    const rng = new SeededRandom(seed);
    const samples: Measurement[] = [];
    for (let k = 0; k < randomDraws; k++) {
      progress(`random point of the simplex ${k + 1}/${randomDraws}`);
      const w = weights.map((l) => ({ layer: l.layer, kappa: randomSimplexPoint(m, rng), alpha: randomSimplexPoint(m, rng) }));
      samples.push(await measureWith(trainer, set, w, learned, bleu));
    }
    const muted: MutedResult[] = [];
    for (const [l, layer] of weights.entries()) {
      for (const which of ['kappa', 'alpha'] as const) {
        for (let i = 0; i < m; i++) {
          progress(`${layer.layer} ${which} branch ${i} muted`);
          const w = weights.map((x, j) => (j === l ? { ...x, [which]: muteBranch(x[which], i) } : x));
          muted.push({ layer: layer.layer, branch: i, which, ...(await measureWith(trainer, set, w, learned, bleu)) });
        }
      }
    }
    const bleus = samples.map((s) => s.bleu).filter((b): b is number => b !== null);
    const random = {
      loss_mean: mean(samples.map((s) => s.loss)), loss_sd: sd(samples.map((s) => s.loss)),
      bleu_mean: bleus.length ? mean(bleus) : null, bleu_sd: bleus.length ? sd(bleus) : null, draws: randomDraws, samples,
    };
    return { learned: learnedResult, uniform, random, muted, weights };
  } finally {
    writeBranchTensors(trainer, learned);
    await assertRestored(trainer, learned);
  }
}

/** Read the branch range back and compare it bit for bit with `learned`. */
export async function assertRestored(trainer: Trainer, learned: Float32Array): Promise<void> {
  const now = new Uint32Array((await readBranchTensors(trainer)).buffer);
  const want = new Uint32Array(learned.buffer, learned.byteOffset, learned.length);
  const i = now.findIndex((x, j) => x !== want[j]);
  if (i >= 0) throw new AblationError(`the learned κ/α were not restored: element ${i} of the branch range differs after the ablation`);
}

/** One branch of one layer's κ or α (0-based `branch`, `layer` as the parameter table names it: "enc.0"). */
export interface BranchRef {
  layer: string;
  branch: number;
  which: 'kappa' | 'alpha';
}

/** Why `ref` names no branch of this trainer's model, or null. */
export function branchRefProblem(trainer: Pick<Trainer, 'config' | 'branchedLayers'>, ref: BranchRef): string | null {
  const layers = trainer.branchedLayers();
  if (!layers.includes(ref.layer)) return `layer "${ref.layer}" is not a branched layer of this model (${layers.join(', ') || 'none'})`;
  if (ref.which !== 'kappa' && ref.which !== 'alpha') return `which must be "kappa" or "alpha", got "${String(ref.which)}"`;
  const m = trainer.config.branches;
  if (!Number.isInteger(ref.branch) || ref.branch < 0 || ref.branch >= m) return `branch ${ref.branch} is not one of 0..${m - 1}`;
  return null;
}

export interface MuteReport {
  learned: Measurement;
  muted: MutedResult;
}

/**
 * One branch muted (its κ_i or α_i set to 0, the rest of that vector renormalized), measured beside the
 * learned weights; the learned tensors are written back and checked bit for bit, as in runAblation.
 */
export async function measureMuted(trainer: Trainer, set: EvalSet, ref: BranchRef, bleu = true): Promise<MuteReport> {
  const problem = ablationProblem(trainer.config) ?? branchRefProblem(trainer, ref);
  if (problem) throw new AblationError(problem);
  const learned = await readBranchTensors(trainer);
  const weights = effectiveFromStored(trainer, learned);
  try {
    const learnedResult = await measure(trainer, set, bleu);
    const w = weights.map((x) => (x.layer === ref.layer ? { ...x, [ref.which]: muteBranch(x[ref.which], ref.branch) } : x));
    const muted = { layer: ref.layer, branch: ref.branch, which: ref.which, ...(await measureWith(trainer, set, w, learned, bleu)) };
    return { learned: learnedResult, muted };
  } finally {
    writeBranchTensors(trainer, learned);
    await assertRestored(trainer, learned);
  }
}

/**
 * The dev loss of the trainer's weights under the `uniform` weighting's own forward (a second model on a
 * copy of the parameters that ignores κ/α and uses 1/M): an independent check of the ablation's "uniform"
 * setting, which writes 1/M into the learned model's κ/α instead. Briefly holds a second model on the GPU.
 */
export async function uniformWeightingLoss(trainer: Trainer, set: EvalSet): Promise<number> {
  const { params } = await trainer.checkpoint();
  const reference = new Trainer(trainer.gpu, { ...trainer.config, weighting: 'uniform' }, trainer.options, { params });
  try {
    return (await reference.evaluate(set.batches)).loss;
  } finally {
    reference.destroy();
  }
}
