// What the benches run: matmul shapes (squares and the model's own products, shared by the kernel bench
// and the side-by-side bench) and the training batches per preset (plus the micro model of the tiny size).
import type { MatmulLayout } from '../gpu/kernels/matmul.ts';
import { presetConfig, validateModelConfig, type ModelConfig, type Variant } from '../model/config.ts';
import type { BenchSize } from './report.ts';

export interface MatmulBenchCase {
  name: string;
  layout: MatmulLayout;
}

/** Model sizes: tokens per batch m, width D, FFN width F, vocabulary V, branches M. */
const MODELS = [
  { name: 'tiny', m: 1024, D: 64, F: 256, V: 1000, M: 4 },
  { name: 'small', m: 2048, D: 128, F: 512, V: 2000, M: 4 },
] as const;

/** The cases to run: square sizes, then each model's shapes (only `tiny` and up to 512³ when quick). */
export function matmulBenchCases(quick: boolean): MatmulBenchCase[] {
  const squares = (quick ? [256, 512] : [256, 512, 1024]).map((s) => ({ name: `square ${s}`, layout: { m: s, n: s, k: s } }));
  const models = (quick ? MODELS.slice(0, 1) : MODELS).flatMap(({ name, m, D, F, V, M }) => [
    { name: `${name} qkv/out m×D×D`, layout: { m, n: D, k: D } },
    { name: `${name} ffn1 m×F×D`, layout: { m, n: F, k: D } },
    { name: `${name} ffn2 m×D×F`, layout: { m, n: D, k: F } },
    { name: `${name} logits m×V×D ᵀB`, layout: { m, n: V, k: D, transB: true } },
    { name: `${name} dW D×D×m ᵀA`, layout: { m: D, n: D, k: m, transA: true } },
    { name: `${name} branch ffn1 M×(m×F/M×D)`, layout: { m, n: F / M, k: D, batch: M } },
  ]);
  return [...squares, ...models];
}

/** The side-by-side bench's matmul cases for a size: `tiny` is one small square. */
export function sideBySideMatmulCases(size: BenchSize): MatmulBenchCase[] {
  if (size === 'tiny') return [{ name: 'square 128', layout: { m: 128, n: 128, k: 128 } }];
  return matmulBenchCases(size === 'quick');
}

/** A training batch: B sentences of `srcLen` source and `tgtLen` target positions. */
export interface TrainShape {
  batch: number;
  srcLen: number;
  tgtLen: number;
}

/** The micro model of the tiny size (the playground's micro preset, vocabulary 64): seconds on SwiftShader. */
const MICRO = { dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1 };

/** The model of a training row, dropout 0 (both engines then compute the same function). */
export function benchModelConfig(preset: string, variant: Variant): ModelConfig {
  if (preset === 'micro') return validateModelConfig({ variant, weighting: 'projected', vocab: 64, ...MICRO }, 'bench micro');
  return { ...presetConfig(preset, variant), dropout: 0 };
}

/** 2048 padded tokens at `tiny`, 4096 at larger presets (32 + 32 positions), 8 × (8 + 8) for `micro`. */
export function trainShape(preset: string): TrainShape {
  if (preset === 'micro') return { batch: 8, srcLen: 8, tgtLen: 8 };
  const [srcLen, tgtLen] = [32, 32];
  return { batch: (preset === 'tiny' ? 2048 : 4096) / (srcLen + tgtLen), srcLen, tgtLen };
}

/** The presets a size trains: `tiny` always the micro model. */
export function trainPresets(size: BenchSize, presets: string[]): string[] {
  return size === 'tiny' ? ['micro'] : presets;
}
