// Run specs as stored (in a checkpoint's metadata or the page's autosave) and their validation. An
// imported corpus is named and identified by its content hash, not copied, so a checkpoint stays small;
// whoever restores the run supplies the pairs again (and they must hash alike). The ranges below are the
// one source of the limits: the page's form (src/ui/schema.ts) is generated from them, and every spec the
// worker receives (typed in the form, read from a checkpoint or an autosave) is checked against them.
import { ConfigError, validateModelConfig, type ModelConfig } from '../model/config.ts';
import { corpusHash } from '../data/import.ts';
import type { RunSpec, TextPairs } from './protocol.ts';

export interface Range {
  type: 'int' | 'number';
  min: number;
  max: number;
}

const int = (min: number, max: number): Range => ({ type: 'int', min, max });
const num = (min: number, max: number): Range => ({ type: 'number', min, max });

/** The limits of every number of a run, as the form offers them. */
export const SPEC_RANGES = {
  vocab: int(260, 16000),
  maxLen: int(8, 128),
  batchTokens: int(64, 32768),
  devPairs: int(10, 2000),
  dModel: int(8, 1024),
  branches: int(1, 16),
  dFF: int(8, 8192),
  encLayers: int(1, 12),
  decLayers: int(1, 12),
  dropout: num(0, 0.9),
  labelSmoothing: num(0, 0.5),
  steps: int(1, 1_000_000),
  warmup: int(1, 100_000),
  kappaWarmup: int(1, 100_000),
  freezeSteps: int(0, 1_000_000),
  lrScale: num(0, 10),
  kappaLrScale: num(0, 100),
  gradClip: num(0, 100),
  seed: int(0, 0xffffffff),
  evalEvery: int(0, 100_000),
  bleuSentences: int(0, 2000),
  symbols: int(2, 100_000),
} as const satisfies Record<string, Range>;

/** A checkpoint's step beyond this is refused (a run of 1e9 steps is not a playground run). */
export const MAX_STEP = 1_000_000_000;

/** Why `value` is not in `range` (a phrase after the field's name), or null. */
export function rangeProblem(range: Range, value: unknown): string | null {
  const wanted = `${range.type === 'int' ? 'a whole number' : 'a number'} in [${range.min}, ${range.max}]`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be ${wanted}, got ${describe(value)}`;
  if (range.type === 'int' && !Number.isInteger(value)) return `must be ${wanted}, got ${value}`;
  if (value < range.min || value > range.max) return `must be ${wanted}, got ${value}`;
  return null;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return value === undefined ? 'nothing' : value === null ? 'null' : typeof value;
}

/**
 * Check an untrusted run spec (from a checkpoint, an autosave or the page) field by field against the
 * form's limits; throws naming `where` and the first bad field. Returns a clean copy (no foreign keys).
 */
export function checkRunSpec(raw: unknown, where: string): RunSpec {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  const obj = (v: unknown, name: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`run setting ${name} is missing`);
  const spec = obj(raw, 'spec');
  const model = obj(spec.model, 'model');
  const train = obj(spec.train, 'train');
  const data = obj(spec.data, 'data');
  const number = (from: Record<string, unknown>, group: string, key: keyof typeof SPEC_RANGES): number => {
    const problem = rangeProblem(SPEC_RANGES[key], from[key]);
    if (problem) fail(`run setting ${group}${key} ${problem}`);
    return from[key] as number;
  };
  if (typeof spec.id !== 'number' || !Number.isInteger(spec.id) || spec.id < 0) fail(`run setting id must be a non-negative whole number, got ${describe(spec.id)}`);
  if (typeof spec.label !== 'string') fail(`run setting label must be text, got ${describe(spec.label)}`);
  let checkedModel: ModelConfig;
  try {
    checkedModel = validateModelConfig(model, `${where}: run setting model`);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(err.message, { cause: err });
    throw err;
  }
  for (const key of ['maxLen', 'dModel', 'branches', 'dFF', 'encLayers', 'decLayers', 'dropout', 'labelSmoothing'] as const) number(model, 'model.', key);
  const t = {
    seed: number(train, 'train.', 'seed'), gradClip: number(train, 'train.', 'gradClip'), lrScale: number(train, 'train.', 'lrScale'),
    warmup: number(train, 'train.', 'warmup'), kappaWarmup: number(train, 'train.', 'kappaWarmup'), steps: number(train, 'train.', 'steps'),
    freezeSteps: number(train, 'train.', 'freezeSteps'),
    // Optional (specs written before it existed have none: the spec's κ/α rate, factor 1).
    ...(train.kappaLrScale === undefined ? {} : { kappaLrScale: number(train, 'train.', 'kappaLrScale') }),
  };
  if (t.freezeSteps > t.steps) fail(`run setting train.freezeSteps (${t.freezeSteps}) exceeds train.steps (${t.steps})`);
  const d = {
    source: checkSource(data.source, fail), vocab: number(data, 'data.', 'vocab'), batchTokens: number(data, 'data.', 'batchTokens'), devPairs: number(data, 'data.', 'devPairs'),
    // Optional: a seed experiment's shared data seed (absent: the data follows train.seed).
    ...(data.seed === undefined ? {} : { seed: number(data, 'data.', 'seed') }),
  };
  return { id: spec.id as number, label: spec.label as string, model: checkedModel, train: t, data: d, evalEvery: number(spec, '', 'evalEvery'), bleuSentences: number(spec, '', 'bleuSentences') };
}

function checkSource(raw: unknown, fail: (what: string) => never): RunSpec['data']['source'] {
  if (typeof raw !== 'object' || raw === null) return fail('run setting data.source is missing');
  const s = raw as Record<string, unknown>;
  switch (s.kind) {
    case 'builtin':
      if (s.direction !== 'en-de' && s.direction !== 'de-en') fail(`run setting data.source.direction must be "en-de" or "de-en", got ${describe(s.direction)}`);
      return { kind: 'builtin', direction: s.direction as 'en-de' | 'de-en' };
    case 'copy':
    case 'reverse': {
      if (s.symbols === undefined) return { kind: s.kind };
      const problem = rangeProblem(SPEC_RANGES.symbols, s.symbols);
      if (problem) fail(`run setting data.source.symbols ${problem}`);
      return { kind: s.kind, symbols: s.symbols as number };
    }
    case 'pairs': {
      if (typeof s.name !== 'string' || s.name === '') fail('run setting data.source.name (the imported corpus) is missing');
      if (s.hash !== undefined && (typeof s.hash !== 'string' || !/^[0-9a-f]{16}$/.test(s.hash))) fail(`run setting data.source.hash must be 16 hex digits, got ${describe(s.hash)}`);
      if (!Array.isArray(s.pairs)) fail('run setting data.source.pairs is missing');
      const pairs = s.pairs as unknown[];
      for (let i = 0; i < pairs.length; i++) {
        const p = pairs[i] as { src?: unknown; tgt?: unknown } | null;
        if (typeof p !== 'object' || p === null || typeof p.src !== 'string' || typeof p.tgt !== 'string') fail(`pair ${i + 1} of the imported corpus is not a pair of texts`);
      }
      const out: RunSpec['data']['source'] = { kind: 'pairs', name: s.name as string, pairs: pairs as TextPairs };
      if (typeof s.hash === 'string') out.hash = s.hash;
      return out;
    }
    default:
      return fail(`run setting data.source.kind must be builtin, copy, reverse or pairs, got ${describe(s.kind)}`);
  }
}

/**
 * The imported pairs a run gets must be the corpus it was started (or trained) on: refused by name and
 * hash otherwise. A spec without a hash (older checkpoints) gets the pairs' hash.
 */
export function checkCorpus(spec: RunSpec, where: string): RunSpec {
  const source = spec.data.source;
  if (source.kind !== 'pairs') return spec;
  const hash = corpusHash(source.pairs);
  if (source.hash !== undefined && source.hash !== hash) {
    throw new Error(`${where}: it was trained on ${source.name} with hash ${source.hash}; the pairs given have hash ${hash}`);
  }
  return { ...spec, data: { ...spec.data, source: { ...source, hash } } };
}

export function specWithoutPairs(spec: RunSpec): RunSpec {
  const source = spec.data.source;
  return source.kind === 'pairs' ? { ...spec, data: { ...spec.data, source: { ...source, pairs: [] } } } : spec;
}

/** The spec with its imported corpus' pairs put back (unchanged when it uses another source). */
export function specWithPairs(spec: RunSpec, pairs: TextPairs): RunSpec {
  const source = spec.data.source;
  return source.kind === 'pairs' ? { ...spec, data: { ...spec.data, source: { ...source, pairs } } } : spec;
}
