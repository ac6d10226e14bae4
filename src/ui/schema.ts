// The run configuration as a declarative schema (TensorFlow Playground's State.PROPS): every field has a
// name, type, default, range or options and a description. The schema drives the controls, validation,
// the run spec sent to the worker and the shareable URL hash.
import { PRESETS, ConfigError, validateModelConfig, type ModelConfig, type Variant, type Weighting } from '../model/config.ts';
import { checkConfigForDevice, type DeviceLimits } from '../model/limits.ts';
import type { RunSpec, DataSource } from '../train/protocol.ts';
import { SPEC_RANGES } from '../train/spec.ts';

export type DataChoice = 'en-de' | 'de-en' | 'copy' | 'reverse' | 'imported';

export interface ConfigValues {
  data: DataChoice;
  vocab: number;
  maxLen: number;
  batchTokens: number;
  devPairs: number;
  preset: string;
  variant: Variant;
  weighting: Weighting;
  dModel: number;
  branches: number;
  dFF: number;
  encLayers: number;
  decLayers: number;
  dropout: number;
  labelSmoothing: number;
  steps: number;
  warmup: number;
  kappaWarmup: number;
  freezeSteps: number;
  lrScale: number;
  gradClip: number;
  seed: number;
  /** Experiments (issue 12): every compared run is repeated over this many seeds (seed, seed + 1, ...). */
  seeds: number;
  evalEvery: number;
  /** Comparison mode: which other runs train side by side with this one. */
  compare: CompareChoice;
  autosaveEvery: number;
}

export type CompareChoice = 'off' | 'baseline' | 'ablations';

export type FieldName = keyof ConfigValues;
export type Group = 'data' | 'model' | 'training';

interface BaseField {
  name: FieldName;
  label: string;
  group: Group;
  description: string;
  /** Changed while training (a slider by the run buttons) rather than in the config form. */
  live?: boolean;
}
export interface NumberField extends BaseField {
  type: 'int' | 'number';
  default: number;
  min: number;
  max: number;
  step?: number;
}
export interface SelectField extends BaseField {
  type: 'select';
  default: string;
  options: { value: string; label: string }[];
}
export type Field = NumberField | SelectField;

/** A preset sets these fields (the model's shape and the vocabulary). */
type PresetValues = Pick<ConfigValues, 'dModel' | 'branches' | 'dFF' | 'encLayers' | 'decLayers' | 'maxLen' | 'dropout' | 'labelSmoothing' | 'vocab'>;

export const UI_PRESETS: Record<string, { description: string; values: PresetValues }> = {
  micro: {
    description: 'D 16, 4 branches, 1+1 layers: a smoke test that runs even on a software GPU',
    values: { dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1, vocab: 280 },
  },
  ...Object.fromEntries(
    Object.entries(PRESETS).map(([name, p]) => [name, { description: p.description, values: { ...p.model, vocab: p.vocab } }]),
  ),
};

const tiny = UI_PRESETS.tiny.values;

/** Seeds per compared run on a fast adapter (see src/ui/experiments/seed-runs.ts for the software-GPU default). */
export const DEFAULT_SEEDS = 3;

export const FIELDS: Field[] = [
  { name: 'data', label: 'Data', group: 'data', type: 'select', default: 'en-de', description: 'What the model learns to translate',
    options: [
      { value: 'en-de', label: 'built-in English→German' },
      { value: 'de-en', label: 'built-in German→English' },
      { value: 'copy', label: 'copy task (numbers)' },
      { value: 'reverse', label: 'reverse task (numbers)' },
      { value: 'imported', label: 'imported corpus' },
    ] },
  { name: 'vocab', label: 'Vocabulary', group: 'data', type: 'int', default: tiny.vocab, min: SPEC_RANGES.vocab.min, max: SPEC_RANGES.vocab.max, description: 'BPE vocabulary size (256 bytes + 4 specials + merges)' },
  { name: 'maxLen', label: 'Max length', group: 'data', type: 'int', default: tiny.maxLen, min: SPEC_RANGES.maxLen.min, max: SPEC_RANGES.maxLen.max, description: 'Longest sentence in tokens (longer ones are truncated)' },
  { name: 'batchTokens', label: 'Batch tokens', group: 'data', type: 'int', default: 2048, min: SPEC_RANGES.batchTokens.min, max: SPEC_RANGES.batchTokens.max, step: 64, description: 'Padded source + target tokens per batch' },
  { name: 'devPairs', label: 'Dev pairs', group: 'data', type: 'int', default: 200, min: SPEC_RANGES.devPairs.min, max: SPEC_RANGES.devPairs.max, description: 'Sentence pairs held out for dev loss and BLEU' },
  { name: 'preset', label: 'Preset', group: 'model', type: 'select', default: 'tiny', description: 'Sets the model size fields below',
    options: [...Object.keys(UI_PRESETS).map((p) => ({ value: p, label: p })), { value: 'custom', label: 'custom' }] },
  { name: 'variant', label: 'Variant', group: 'model', type: 'select', default: 'weighted', description: 'Weighted Transformer (branches with κ, α) or the multi-head baseline',
    options: [{ value: 'weighted', label: 'Weighted Transformer' }, { value: 'baseline', label: 'multi-head baseline' }] },
  { name: 'weighting', label: 'κ/α weighting', group: 'model', type: 'select', default: 'projected', description: 'How κ and α stay on the simplex',
    options: [{ value: 'projected', label: 'projected (paper)' }, { value: 'softmax', label: 'softmax' }, { value: 'uniform', label: 'uniform (fixed)' }] },
  { name: 'dModel', label: 'd_model', group: 'model', type: 'int', default: tiny.dModel, min: SPEC_RANGES.dModel.min, max: SPEC_RANGES.dModel.max, step: 8, description: 'Model width D' },
  { name: 'branches', label: 'Branches / heads', group: 'model', type: 'int', default: tiny.branches, min: SPEC_RANGES.branches.min, max: SPEC_RANGES.branches.max, description: 'M: branches (weighted) or heads (baseline); must divide d_model and d_ff' },
  { name: 'dFF', label: 'd_ff', group: 'model', type: 'int', default: tiny.dFF, min: SPEC_RANGES.dFF.min, max: SPEC_RANGES.dFF.max, step: 8, description: 'Feed-forward width' },
  { name: 'encLayers', label: 'Encoder layers', group: 'model', type: 'int', default: tiny.encLayers, min: SPEC_RANGES.encLayers.min, max: SPEC_RANGES.encLayers.max, description: 'N_e' },
  { name: 'decLayers', label: 'Decoder layers', group: 'model', type: 'int', default: tiny.decLayers, min: SPEC_RANGES.decLayers.min, max: SPEC_RANGES.decLayers.max, description: 'N_d' },
  { name: 'dropout', label: 'Dropout', group: 'model', type: 'number', default: tiny.dropout, min: SPEC_RANGES.dropout.min, max: SPEC_RANGES.dropout.max, step: 0.05, description: 'Residual and attention dropout' },
  { name: 'labelSmoothing', label: 'Label smoothing', group: 'model', type: 'number', default: tiny.labelSmoothing, min: SPEC_RANGES.labelSmoothing.min, max: SPEC_RANGES.labelSmoothing.max, step: 0.05, description: 'ε of the smoothed cross-entropy' },
  { name: 'steps', label: 'Steps', group: 'training', type: 'int', default: 2000, min: SPEC_RANGES.steps.min, max: SPEC_RANGES.steps.max, description: 'Length of the run' },
  { name: 'warmup', label: 'Warm-up', group: 'training', type: 'int', default: 400, min: SPEC_RANGES.warmup.min, max: SPEC_RANGES.warmup.max, description: 'Learning-rate warm-up steps (weights)' },
  { name: 'kappaWarmup', label: 'κ/α warm-up', group: 'training', type: 'int', default: 40, min: SPEC_RANGES.kappaWarmup.min, max: SPEC_RANGES.kappaWarmup.max, description: 'Warm-up steps of the κ/α learning rate' },
  { name: 'freezeSteps', label: 'Freeze κ/α last', group: 'training', type: 'int', default: 0, min: SPEC_RANGES.freezeSteps.min, max: SPEC_RANGES.freezeSteps.max, description: 'Final steps with κ and α frozen (0 = never)' },
  { name: 'lrScale', label: 'LR scale', group: 'training', type: 'number', live: true, default: 1, min: SPEC_RANGES.lrScale.min, max: SPEC_RANGES.lrScale.max, step: 0.05, description: 'Multiplies both learning-rate schedules (live while training)' },
  { name: 'gradClip', label: 'Gradient clip', group: 'training', type: 'number', default: 0, min: SPEC_RANGES.gradClip.min, max: SPEC_RANGES.gradClip.max, step: 0.5, description: 'Global gradient-norm clip (0 = off)' },
  { name: 'seed', label: 'Seed', group: 'training', type: 'int', default: 1, min: SPEC_RANGES.seed.min, max: SPEC_RANGES.seed.max, description: 'Initialization, dropout and data order' },
  { name: 'seeds', label: 'Repeat over N seeds', group: 'training', type: 'int', default: DEFAULT_SEEDS, min: 1, max: 8,
    description: `Each compared run is trained once per seed (seed, seed + 1, …) on the same data; charts show the mean with a min–max band. Default ${DEFAULT_SEEDS}; set to 1 at start-up on a software GPU (SwiftShader, lavapipe), where every extra seed costs minutes` },
  { name: 'evalEvery', label: 'Dev eval every', group: 'training', type: 'int', default: 200, min: SPEC_RANGES.evalEvery.min, max: SPEC_RANGES.evalEvery.max, description: 'Dev loss and BLEU every N steps (0 = at the end only)' },
  { name: 'compare', label: 'Compare with', group: 'training', type: 'select', default: 'baseline',
    description: 'Train other runs side by side on the same data and seed, interleaved on this GPU',
    options: [
      { value: 'off', label: 'nothing (one run)' },
      { value: 'baseline', label: 'the multi-head baseline' },
      { value: 'ablations', label: 'baseline + softmax and uniform κ/α' },
    ] },
  { name: 'autosaveEvery', label: 'Autosave every', group: 'training', type: 'int', default: 200, min: 0, max: 100_000, description: 'Save the run in this browser (IndexedDB) every N steps, to resume after a reload (0 = off)' },
];

export const FIELD_BY_NAME = new Map(FIELDS.map((f) => [f.name, f]));

export function defaultValues(): ConfigValues {
  return Object.fromEntries(FIELDS.map((f) => [f.name, f.default])) as unknown as ConfigValues;
}

/** Values for the end-to-end tests (?e2e=micro): the micro model on the copy task, evaluated often. */
export function microValues(): ConfigValues {
  return { ...defaultValues(), ...UI_PRESETS.micro.values, preset: 'micro', data: 'copy', batchTokens: 256, devPairs: 20, warmup: 50, kappaWarmup: 10, evalEvery: 20, steps: 1000, compare: 'off', autosaveEvery: 10, seeds: 1 };
}

/** Set a field; choosing a preset fills the model fields, editing one of them makes the preset "custom". */
export function withField(values: ConfigValues, name: FieldName, value: string | number): ConfigValues {
  if (name === 'preset') {
    const preset = UI_PRESETS[value as string];
    return preset ? { ...values, ...preset.values, preset: value as string } : { ...values, preset: 'custom' };
  }
  const next = { ...values, [name]: value } as ConfigValues;
  const presetKeys = Object.keys(UI_PRESETS.micro.values);
  if (presetKeys.includes(name) && values.preset !== 'custom') next.preset = 'custom';
  return next;
}

/** The problem with one field's value, or null. */
export function fieldError(field: Field, value: string | number): string | null {
  if (field.type === 'select') return field.options.some((o) => o.value === value) ? null : `${field.label}: unknown choice "${value}"`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${field.label} must be a number`;
  if (field.type === 'int' && !Number.isInteger(value)) return `${field.label} must be a whole number`;
  if (value < field.min || value > field.max) return `${field.label} must be in [${field.min}, ${field.max}]`;
  return null;
}

export interface ImportedCorpus {
  name: string;
  pairs: { src: string; tgt: string }[];
  /** corpusHash(pairs): what identifies the corpus (computed at import; older records may lack it). */
  hash?: string;
}

export type Validation = { ok: true; spec: RunSpec } | { ok: false; errors: string[] };

/**
 * Check every field and the combinations (model.md's config contract) and what the kernels and this GPU
 * can run (src/model/limits.ts: `limits` are the device's once the worker reported them, else only the
 * kernels' own limits); build the worker's run spec.
 */
export function validate(values: ConfigValues, imported: ImportedCorpus | null, limits: DeviceLimits | null = null): Validation {
  const errors = FIELDS.map((f) => fieldError(f, values[f.name])).filter((e): e is string => e !== null);
  if (values.data === 'imported' && !imported) errors.push('Import a corpus first (or choose another data source)');
  if (values.freezeSteps > values.steps) errors.push('Freeze κ/α last must not exceed Steps');
  let model: ModelConfig | null = null;
  try {
    const { variant, weighting, vocab, dModel, branches, dFF, encLayers, decLayers, maxLen, dropout, labelSmoothing } = values;
    model = validateModelConfig({ variant, weighting, vocab, dModel, branches, dFF, encLayers, decLayers, maxLen, dropout, labelSmoothing }, 'model');
    if (Number.isInteger(values.batchTokens)) for (const p of checkConfigForDevice(model, limits, { batchTokens: values.batchTokens })) errors.push(p.message);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    errors.push(err.message);
  }
  if (errors.length > 0 || !model) return { ok: false, errors };
  const { seed, gradClip, lrScale, warmup, kappaWarmup, steps, freezeSteps } = values;
  return {
    ok: true,
    spec: {
      id: 0,
      label: model.variant,
      model,
      train: { seed, gradClip, lrScale, warmup, kappaWarmup, steps, freezeSteps },
      data: { source: dataSource(values.data, imported), vocab: values.vocab, batchTokens: values.batchTokens, devPairs: values.devPairs },
      evalEvery: values.evalEvery,
      bleuSentences: 50,
    },
  };
}

function dataSource(choice: DataChoice, imported: ImportedCorpus | null): DataSource {
  switch (choice) {
    case 'en-de':
    case 'de-en':
      return { kind: 'builtin', direction: choice };
    case 'copy':
    case 'reverse':
      return { kind: choice };
    case 'imported':
      return imported!.hash ? { kind: 'pairs', name: imported!.name, pairs: imported!.pairs, hash: imported!.hash } : { kind: 'pairs', name: imported!.name, pairs: imported!.pairs };
  }
}

/** "#dModel=32&steps=500": the fields that differ from the defaults (an imported corpus is not shared). */
export function encodeHash(values: ConfigValues): string {
  const defaults = defaultValues();
  const parts = FIELDS.filter((f) => values[f.name] !== defaults[f.name] && !(f.name === 'data' && values.data === 'imported')).map(
    (f) => `${f.name}=${encodeURIComponent(String(values[f.name]))}`,
  );
  return parts.length > 0 ? `#${parts.join('&')}` : '';
}

export interface DecodedHash {
  values: ConfigValues;
  /** One line per key of the hash that was not used as given, naming the key, the problem and the value used. */
  warnings: string[];
}

/**
 * Apply a URL hash to `base`. A key that is unknown, repeated with different values, or whose value is not
 * valid for its field leaves the field at its `base` value (the defaults) and adds a warning saying so.
 */
export function decodeHash(hash: string, base: ConfigValues): DecodedHash {
  const values = { ...base };
  const warnings: string[] = [];
  const given = new Map<string, string[]>();
  for (const [key, raw] of new URLSearchParams(hash.replace(/^#/, ''))) given.set(key, [...(given.get(key) ?? []), raw]);
  for (const [key, raws] of given) {
    const field = FIELD_BY_NAME.get(key as FieldName);
    const fallback = field ? `using the default ${String(base[field.name])}` : '';
    if (!field) {
      warnings.push(`unknown key "${key}" ignored`);
    } else if (new Set(raws).size > 1) {
      warnings.push(`"${key}" is given ${raws.length} times with different values (${raws.join(', ')}): ${fallback}`);
    } else {
      if (raws.length > 1) warnings.push(`"${key}" is given ${raws.length} times (the same value)`);
      const problem = hashValueProblem(field, raws[0]);
      if (problem) warnings.push(`"${key}=${raws[0]}" ${problem}: ${fallback}`);
      else Object.assign(values, { [field.name]: field.type === 'select' ? raws[0] : Number(raws[0]) });
    }
  }
  return { values, warnings };
}

/** Plain decimal notation only: Number() would also take "", " ", "0x10" and "Infinity". */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Why a hash value cannot set `field` (a phrase to follow `"key=value"`), or null. */
function hashValueProblem(field: Field, raw: string): string | null {
  if (field.type === 'select') {
    if (field.name === 'data' && raw === 'imported') return 'cannot come from a link (import the corpus on this page)';
    return field.options.some((o) => o.value === raw) ? null : `is not one of ${field.options.map((o) => o.value).join(', ')}`;
  }
  if (!DECIMAL.test(raw.trim())) return 'is not a number';
  const value = Number(raw);
  if (field.type === 'int' && !Number.isInteger(value)) return 'is not a whole number';
  if (value < field.min || value > field.max) return `is out of range (${field.min}–${field.max})`;
  return null;
}
