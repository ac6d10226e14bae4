// The model config of model.md ("Model config JSON"), its validation, and the presets the playground and
// the CLI offer. Every user-supplied config passes through validateModelConfig.

export type Variant = 'weighted' | 'baseline';
export type Weighting = 'projected' | 'softmax' | 'uniform';

/** Keys exactly as model.md's config JSON. */
export interface ModelConfig {
  variant: Variant;
  weighting: Weighting;
  vocab: number;
  dModel: number;
  branches: number;
  dFF: number;
  encLayers: number;
  decLayers: number;
  maxLen: number;
  dropout: number;
  labelSmoothing: number;
}

export const MODEL_CONFIG_KEYS = [
  'variant', 'weighting', 'vocab', 'dModel', 'branches', 'dFF', 'encLayers', 'decLayers', 'maxLen', 'dropout', 'labelSmoothing',
] as const satisfies readonly (keyof ModelConfig)[];

interface IntRange { min: number; max: number }
const INT_RANGES: Record<'vocab' | 'dModel' | 'branches' | 'dFF' | 'encLayers' | 'decLayers' | 'maxLen', IntRange> = {
  vocab: { min: 5, max: 65536 },
  dModel: { min: 2, max: 2048 },
  branches: { min: 1, max: 16 },
  dFF: { min: 1, max: 16384 },
  encLayers: { min: 1, max: 24 },
  decLayers: { min: 1, max: 24 },
  maxLen: { min: 2, max: 1024 },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Check an untrusted object (a JSON file, a checkpoint header, a URL) against the config contract.
 * Throws ConfigError naming the first problem and where (`where`, e.g. the file name).
 */
export function validateModelConfig(raw: unknown, where = 'model config'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${where}: expected a JSON object`);
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(MODEL_CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${where}: unknown key "${key}" (expected ${MODEL_CONFIG_KEYS.join(', ')})`);
    }
  }
  for (const key of MODEL_CONFIG_KEYS) if (!(key in obj)) throw new ConfigError(`${where}: missing key "${key}"`);
  if (obj.variant !== 'weighted' && obj.variant !== 'baseline') {
    throw new ConfigError(`${where}: "variant" must be "weighted" or "baseline", got ${JSON.stringify(obj.variant)}`);
  }
  if (obj.weighting !== 'projected' && obj.weighting !== 'softmax' && obj.weighting !== 'uniform') {
    throw new ConfigError(`${where}: "weighting" must be "projected", "softmax" or "uniform", got ${JSON.stringify(obj.weighting)}`);
  }
  for (const [key, range] of Object.entries(INT_RANGES)) {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) {
      throw new ConfigError(`${where}: "${key}" must be an integer in [${range.min}, ${range.max}], got ${JSON.stringify(v)}`);
    }
  }
  for (const key of ['dropout', 'labelSmoothing'] as const) {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) {
      throw new ConfigError(`${where}: "${key}" must be a number in [0, 1), got ${JSON.stringify(v)}`);
    }
  }
  const config = obj as unknown as ModelConfig;
  if (config.dModel % config.branches !== 0) {
    throw new ConfigError(`${where}: dModel (${config.dModel}) must be divisible by branches (${config.branches})`);
  }
  if (config.dFF % config.branches !== 0) {
    throw new ConfigError(`${where}: dFF (${config.dFF}) must be divisible by branches (${config.branches})`);
  }
  if (config.dModel % 2 !== 0) throw new ConfigError(`${where}: dModel (${config.dModel}) must be even (sinusoidal positions)`);
  return { ...config };
}

/** Per-head width d_k = D / M. */
export const headDim = (c: ModelConfig): number => c.dModel / c.branches;

/** A model config with a short name and what it is for. */
export interface Preset {
  name: string;
  description: string;
  model: Omit<ModelConfig, 'variant' | 'weighting' | 'vocab'>;
  vocab: number;
}

export const PRESETS: Record<string, Preset> = {
  tiny: {
    name: 'tiny',
    description: 'D 64, 4 branches, 2+2 layers: useful translations of the built-in corpus within minutes on a laptop GPU',
    vocab: 1000,
    model: { dModel: 64, branches: 4, dFF: 256, encLayers: 2, decLayers: 2, maxLen: 48, dropout: 0.1, labelSmoothing: 0.1 },
  },
  small: {
    name: 'small',
    description: 'D 128, 4 branches, 3+3 layers',
    vocab: 2000,
    model: { dModel: 128, branches: 4, dFF: 512, encLayers: 3, decLayers: 3, maxLen: 64, dropout: 0.1, labelSmoothing: 0.1 },
  },
  base: {
    name: 'base',
    description: 'D 256, 8 branches, 4+4 layers (a scaled-down Transformer base; wants a real GPU)',
    vocab: 4000,
    model: { dModel: 256, branches: 8, dFF: 1024, encLayers: 4, decLayers: 4, maxLen: 64, dropout: 0.1, labelSmoothing: 0.1 },
  },
};

export function presetConfig(name: string, variant: Variant, weighting: Weighting = 'projected', vocab?: number): ModelConfig {
  const preset = PRESETS[name];
  if (!preset) throw new ConfigError(`unknown preset "${name}" (known: ${Object.keys(PRESETS).join(', ')})`);
  return validateModelConfig({ variant, weighting, vocab: vocab ?? preset.vocab, ...preset.model }, `preset ${name}`);
}

/** The weights the model uses, from the stored kappa/alpha (model.md "How kappa and alpha are kept ..."). */
export function effectiveWeights(weighting: ModelConfig['weighting'], stored: number[]): number[] {
  if (weighting === 'uniform') return stored.map(() => 1 / stored.length);
  if (weighting === 'projected') return stored;
  const max = Math.max(...stored);
  const e = stored.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}
