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

export interface CheckedCheckpoint {
  load: LoadSpec;
  step: number;
  /** The configuration to show in the controls (null for a translate-only checkpoint). */
  values: ConfigValues | null;
  /** What the user should know (translate only, and why). */
  notice: string | null;
}

/** Read and check a checkpoint file; throws with a message naming the file and the problem. */
export function checkCheckpointFile(name: string, bytes: Uint8Array, imported: ImportedCorpus | null, lrScale: number): CheckedCheckpoint {
  const where = `"${name}"`;
  const ckpt = decodeCheckpoint(bytes, where);
  if (ckpt.step > MAX_STEP) throw new Error(`${where}: its step ${ckpt.step} is beyond ${MAX_STEP}: not a run this playground can continue`);
  if (ckpt.extras[EXTRAS.tokenizer] === undefined) throw new Error(`${where}: it has no tokenizer in its metadata, so the playground cannot read or write its token ids`);
  const label = `${ckpt.config.variant} from ${name}`;
  const translateOnly = (notice: string): CheckedCheckpoint => ({ load: { checkpoint: bytes, spec: null, id: 0, label, file: name }, step: ckpt.step, values: null, notice });
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
  return { load: { checkpoint: bytes, spec, id: 0, label: spec.label, file: name }, step: ckpt.step, values: valuesFromSpec(spec, lrScale), notice: null };
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
    lrScale, gradClip: spec.train.gradClip, seed: spec.train.seed, evalEvery: spec.evalEvery, compare: 'off',
  };
  const preset = Object.entries(UI_PRESETS).find(([, p]) => Object.entries(p.values).every(([k, v]) => values[k as keyof ConfigValues] === v));
  return { ...values, preset: preset ? preset[0] : 'custom' };
}
