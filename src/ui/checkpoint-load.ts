// Loading a checkpoint file back into the playground: the page reads and validates it first (so a bad
// file is refused with the reason before anything is replaced), then the worker restores the run. A
// checkpoint saved by the playground carries the run's spec, so training can continue on the same data
// (an imported corpus must be the one imported on the page now); any other checkpoint with a tokenizer
// (e.g. from `npm run cli -- train`) is loaded for translation only.
import { CHECKPOINT_EXTRAS as EXTRAS, decodeCheckpoint } from '../model/checkpoint.ts';
import type { LoadSpec, RunSpec } from '../train/protocol.ts';
import { checkRunSpec, MAX_STEP, specWithPairs } from '../train/spec.ts';
import { corpusHash } from '../data/import.ts';
import { defaultValues, UI_PRESETS, type ConfigValues, type DataChoice, type ImportedCorpus } from './schema.ts';
import { thinIndices } from './chart-data.ts';
import type { RunMetrics } from './store.ts';
import type { DevResult } from '../train/protocol.ts';

export interface CheckedCheckpoint {
  load: LoadSpec;
  step: number;
  /** The configuration to show in the controls (null for a translate-only checkpoint). */
  values: ConfigValues | null;
  /** What the user should know (translate only, and why). */
  notice: string | null;
  /** What was loaded: variant, step, tokens seen, corpus, and whether its history came with it. */
  summary: string;
  /** The metrics history the page saved into the file (bounded), or null (the charts start at `step`). */
  history: RunMetrics | null;
  tokensSeen: number;
}

/** At most this many points of a run's history go into a checkpoint file (a few hundred KB of JSON). */
export const HISTORY_POINTS = 500;
const HISTORY_DEV = 100;

/** A run's metrics thinned for a checkpoint's metadata: HISTORY_POINTS steps, the last HISTORY_DEV dev results with 2 samples each. */
export function boundedHistory(m: RunMetrics, points = HISTORY_POINTS): RunMetrics {
  const keep = thinIndices(m.steps.length, points);
  const pick = <T,>(xs: readonly T[]) => keep.map((i) => xs[i]);
  return {
    steps: pick(m.steps), loss: pick(m.loss), lr: pick(m.lr), gradNorm: pick(m.gradNorm), tokens: pick(m.tokens),
    branches: m.branches.map((b) => ({ layer: b.layer, kappa: pick(b.kappa), alpha: pick(b.alpha) })),
    dev: m.dev.slice(-HISTORY_DEV).map((d) => ({ ...d, samples: d.samples.slice(0, 2) })),
  };
}

const isNumbers = (x: unknown, n: number): x is number[] => Array.isArray(x) && x.length === n && x.every((v) => typeof v === 'number');

/**
 * A checkpoint's saved history, checked (the file is untrusted): equal-length number series, steps rising
 * and at most the checkpoint's step, κ/α rows of one width per layer. Anything else: null (not shown).
 */
export function readHistory(value: unknown, step: number): RunMetrics | null {
  if (typeof value !== 'object' || value === null) return null;
  const h = value as Record<string, unknown>;
  const steps = h.steps;
  if (!Array.isArray(steps) || steps.length === 0) return null;
  const n = steps.length;
  if (!isNumbers(steps, n) || steps.some((s, i) => !Number.isInteger(s) || s < 1 || s > step || (i > 0 && s <= steps[i - 1]))) return null;
  if (!isNumbers(h.loss, n) || !isNumbers(h.lr, n) || !isNumbers(h.gradNorm, n) || !isNumbers(h.tokens, n)) return null;
  if (!Array.isArray(h.branches) || !Array.isArray(h.dev)) return null;
  const branches = h.branches.map((b: unknown) => {
    const { layer, kappa, alpha } = (b ?? {}) as Record<string, unknown>;
    if (typeof layer !== 'string' || !Array.isArray(kappa) || !Array.isArray(alpha) || kappa.length !== n || alpha.length !== n) return null;
    const width = Array.isArray(kappa[0]) ? kappa[0].length : -1;
    if (width < 1 || ![...kappa, ...alpha].every((row) => isNumbers(row, width))) return null;
    return { layer, kappa: kappa as number[][], alpha: alpha as number[][] };
  });
  if (branches.some((b) => b === null)) return null;
  const dev = (h.dev as unknown[]).filter((d): d is DevResult => {
    const r = (d ?? {}) as Record<string, unknown>;
    return typeof r.step === 'number' && r.step <= step && typeof r.loss === 'number' && typeof r.bleu === 'number' && typeof r.sentences === 'number' && Array.isArray(r.samples)
      && r.samples.every((x: unknown) => typeof x === 'object' && x !== null && ['src', 'hyp', 'ref'].every((k) => typeof (x as Record<string, unknown>)[k] === 'string'));
  });
  return { steps, loss: h.loss, lr: h.lr, gradNorm: h.gradNorm, tokens: h.tokens, branches: branches as RunMetrics['branches'], dev };
}

function describe(name: string, ckpt: { step: number; config: { variant: string; dModel: number; branches: number; encLayers: number; decLayers: number }; extras: Record<string, unknown> }, tokens: number, history: RunMetrics | null): string {
  const c = ckpt.config;
  const corpus = typeof ckpt.extras[EXTRAS.data] === 'string' ? (ckpt.extras[EXTRAS.data] as string) : 'unknown corpus';
  const model = `${c.variant === 'baseline' ? 'multi-head baseline' : 'Weighted Transformer'} (D ${c.dModel}, ${c.branches} ${c.variant === 'baseline' ? 'heads' : 'branches'}, ${c.encLayers}+${c.decLayers} layers)`;
  const past = history ? `its history of ${history.steps.length} points is on the charts` : `no history in the file: the charts start at step ${ckpt.step}`;
  return `Loaded ${name}: ${model} at step ${ckpt.step}, ${tokens.toLocaleString('en-US')} target tokens seen, trained on ${corpus}; ${past}.`;
}

/** Read and check a checkpoint file; throws with a message naming the file and the problem. */
export function checkCheckpointFile(name: string, bytes: Uint8Array, imported: ImportedCorpus | null, lrScale: number): CheckedCheckpoint {
  const where = `"${name}"`;
  const ckpt = decodeCheckpoint(bytes, where);
  if (ckpt.step > MAX_STEP) throw new Error(`${where}: its step ${ckpt.step} is beyond ${MAX_STEP}: not a run this playground can continue`);
  if (ckpt.extras[EXTRAS.tokenizer] === undefined) throw new Error(`${where}: it has no tokenizer in its metadata, so the playground cannot read or write its token ids`);
  const label = `${ckpt.config.variant} from ${name}`;
  const savedTokens = ckpt.extras[EXTRAS.tokensSeen];
  const tokensSeen = typeof savedTokens === 'number' && Number.isFinite(savedTokens) && savedTokens >= 0 ? savedTokens : 0;
  const history = readHistory(ckpt.extras[EXTRAS.history], ckpt.step);
  const summary = describe(name, ckpt, tokensSeen, history);
  const about = { step: ckpt.step, summary, history, tokensSeen };
  const translateOnly = (notice: string): CheckedCheckpoint => ({ load: { checkpoint: bytes, spec: null, id: 0, label, file: name }, values: null, notice, ...about });
  const saved = ckpt.extras[EXTRAS.run] as RunSpec | undefined;
  if (!saved || typeof saved !== 'object' || !saved.model || !saved.train || !saved.data) return translateOnly(`${where} has no playground run settings: loaded for translation only.`);
  // The settings go through the form's limits (steps "abc" or devPairs -1 are refused here, naming the file).
  // The page's live learning-rate scale (the slider) applies to the continued run, as to any other.
  const checked = checkRunSpec({ ...saved, id: 0, label: saved.label || ckpt.config.variant, model: ckpt.config }, where);
  let spec: RunSpec = { ...checked, train: { ...checked.train, lrScale } };
  const source = spec.data.source;
  if (source.kind === 'pairs') {
    const trained = `${where} was trained on the imported corpus "${source.name}"`;
    if (!imported) return translateOnly(`${trained}: import it again to continue training; loaded for translation only.`);
    const hash = imported.hash ?? corpusHash(imported.pairs);
    if (source.hash !== undefined && source.hash !== hash) {
      return translateOnly(`the checkpoint ${where} was trained on ${source.name} with hash ${source.hash}; the imported ${imported.name} has hash ${hash}: loaded for translation only.`);
    }
    if (source.hash === undefined && imported.name !== source.name) return translateOnly(`${trained}: import it again to continue training; loaded for translation only.`);
    spec = specWithPairs({ ...spec, data: { ...spec.data, source: { ...source, name: imported.name, hash } } }, imported.pairs);
  }
  return { load: { checkpoint: bytes, spec, id: 0, label: spec.label, file: name }, values: valuesFromSpec(spec, lrScale), notice: null, ...about };
}

/** The controls' values that produce `spec` (the inverse of schema.validate for one run). */
export function valuesFromSpec(spec: RunSpec, lrScale: number): ConfigValues {
  const m = spec.model;
  const source = spec.data.source;
  const data: DataChoice = source.kind === 'builtin' ? source.direction : source.kind === 'pairs' ? 'imported' : source.kind;
  const values: ConfigValues = {
    ...defaultValues(),
    data, vocab: spec.data.vocab, maxLen: m.maxLen, batchTokens: spec.data.batchTokens, devPairs: spec.data.devPairs,
    variant: m.variant, weighting: m.weighting, dModel: m.dModel, branches: m.branches, dFF: m.dFF, encLayers: m.encLayers, decLayers: m.decLayers,
    dropout: m.dropout, labelSmoothing: m.labelSmoothing,
    steps: spec.train.steps, warmup: spec.train.warmup, kappaWarmup: spec.train.kappaWarmup, freezeSteps: spec.train.freezeSteps,
    lrScale, gradClip: spec.train.gradClip, seed: spec.train.seed, evalEvery: spec.evalEvery, compare: 'off', seeds: 1,
  };
  const preset = Object.entries(UI_PRESETS).find(([, p]) => Object.entries(p.values).every(([k, v]) => values[k as keyof ConfigValues] === v));
  return { ...values, preset: preset ? preset[0] : 'custom' };
}
