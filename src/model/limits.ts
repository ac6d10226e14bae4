// Which configs this engine's kernels can run on a given device: every limit a config can hit (the
// attention kernel's head width, the embedding gradient's width, buffer and binding sizes against the
// adapter, workgroup grids, u32 indices), checked up front with the reason and the nearest valid value,
// instead of failing late inside a kernel launcher or as a GPU validation error. Pure: no GPU objects, so
// the page's form imports it as well as the CLI and the Trainer.
import { headDim, type ModelConfig } from './config.ts';
import { buildParamTable } from './params.ts';

/**
 * Kernel constants (mirrored from src/gpu/kernels, which this file must not import: the UI never imports
 * src/gpu; test/model/limits.test.ts checks they agree).
 */
export const KERNEL_LIMITS = {
  /** ATTENTION_LIMITS.maxDHead in src/gpu/kernels/attention.ts. */
  maxHeadWidth: 64,
  /** EMBEDDING_MAX_DIM in src/gpu/kernels/embedding.ts (the embedding gradient's row width). */
  maxEmbeddingWidth: 1024,
  /** SIMPLEX_MAX_M in src/gpu/kernels/simplex.ts. */
  maxBranches: 16,
} as const;

/** The device limits a config is checked against (a GPUSupportedLimits has them all). */
export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** WebGPU's default limits: what any adapter grants, for a check before a device exists. */
export const DEFAULT_DEVICE_LIMITS: DeviceLimits = {
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
  maxBufferSize: 256 * 1024 * 1024,
  maxComputeWorkgroupsPerDimension: 65535,
};

export interface BatchBound {
  /**
   * The token budget of training batches, B·(S + T) (the trainer's batchTokens): B·T and B·S stay below it,
   * except that a single pair longer than the budget makes a batch of one (T up to maxLen); the trainer's
   * batches pad lengths to multiples of 16, so B ≤ budget / (2·min(16, maxLen)).
   */
  batchTokens?: number;
  /** One exact batch shape instead (the parity tools' batch file). */
  batch?: { batch: number; srcLen: number; tgtLen: number };
  /** Memory the device can give (bytes): checked against the estimate when given (CPU adapters: RAM). */
  memoryBytes?: number;
}

export interface LimitProblem {
  /** The config key (or 'batchTokens') to change. */
  key: keyof ModelConfig | 'batchTokens';
  /** The reason and the nearest valid value, as one sentence for the user. */
  message: string;
}

export interface MemoryEstimate {
  parameters: number;
  /** Bytes of each flat buffer (parameters, gradients, Adam m, Adam v: four of them). */
  flatBytes: number;
  /** Largest single parameter block and activation tensor (each is one storage binding). */
  largestBlock: { name: string; bytes: number };
  largestActivation: { name: string; bytes: number } | null;
  /** Rough bytes of the activations a training step keeps (0 without a batch bound). */
  activationBytes: number;
  /** 4 flat buffers plus activations. */
  totalBytes: number;
}

const MiB = 1024 * 1024;
const fmt = (bytes: number): string => (bytes >= 1024 * MiB ? `${(bytes / (1024 * MiB)).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`);

/** Rows of the largest decoder/encoder activation (B·T or B·S), B and the longest length, for a bound. */
function batchShape(config: ModelConfig, bound: BatchBound): { rows: number; b: number; len: number } | null {
  if (bound.batch) {
    const { batch: b, srcLen, tgtLen } = bound.batch;
    return { rows: b * Math.max(srcLen, tgtLen), b, len: Math.max(srcLen, tgtLen) };
  }
  if (bound.batchTokens === undefined) return null;
  const budget = bound.batchTokens;
  return { rows: Math.max(budget, config.maxLen), b: Math.max(1, Math.floor(budget / (2 * Math.min(16, config.maxLen)))), len: config.maxLen };
}

/** The tensors of one row of activations that are bound whole, in floats per row (name → width). */
function rowTensors(config: ModelConfig): [string, number][] {
  const { dModel: d, dFF: f, vocab: v, branches: m } = config;
  const out: [string, number][] = [['logits (B·T, V)', v], ['feed-forward hidden (B·T, F)', f], ['fused Q/K/V (B·T, 3D)', 3 * d]];
  if (config.variant === 'weighted') out.push(['branch outputs (M, B·T, D)', m * d]);
  return out;
}

/** Sizes of a config's flat buffers and largest tensors, and a rough total for a training step. */
export function estimateMemory(config: ModelConfig, bound: BatchBound = {}): MemoryEstimate {
  const table = buildParamTable(config);
  let largestBlock = { name: '', bytes: 0 };
  for (const b of table.blocks.values()) if (b.size * 4 > largestBlock.bytes) largestBlock = { name: b.name, bytes: b.size * 4 };
  const shape = batchShape(config, bound);
  let largestActivation: MemoryEstimate['largestActivation'] = null;
  let activationBytes = 0;
  if (shape) {
    for (const [name, width] of rowTensors(config)) {
      const bytes = shape.rows * width * 4;
      if (!largestActivation || bytes > largestActivation.bytes) largestActivation = { name, bytes };
    }
    // Saved per layer and row (floats): residual streams, LayerNorm outputs, Q/K/V, attention output,
    // FFN hidden and their gradients' scratch, about 16·D + 2·F (+ 4·M·D for the branches); decoder layers
    // twice that (two attentions); logits and their gradient 2·V.
    const { dModel: d, dFF: f, vocab: v, branches: m } = config;
    const perLayer = 16 * d + 2 * f + (config.variant === 'weighted' ? 4 * m * d : 0);
    activationBytes = shape.rows * 4 * (perLayer * (config.encLayers + 2 * config.decLayers) + 2 * v);
  }
  const flatBytes = table.size * 4;
  return { parameters: table.size, flatBytes, largestBlock, largestActivation, activationBytes, totalBytes: 4 * flatBytes + activationBytes };
}

/** Divisors m' of D and F with lo ≤ m' ≤ maxBranches, ascending. */
function validBranches(config: ModelConfig, lo: number): number[] {
  const out: number[] = [];
  for (let m = Math.max(1, lo); m <= KERNEL_LIMITS.maxBranches; m++) if (config.dModel % m === 0 && config.dFF % m === 0) out.push(m);
  return out;
}

/** The largest dModel ≤ `below` that keeps D even and divisible by M and makes `fits` true, or null. */
function largestDModel(config: ModelConfig, below: number, fits: (d: number) => boolean): number | null {
  const step = config.branches % 2 === 0 ? config.branches : 2 * config.branches;
  for (let d = Math.floor(below / step) * step; d >= step; d -= step) if (fits(d)) return d;
  return null;
}

/** The largest integer x in [1, from) with fits(x) (fits monotone: true up to some value), or null. */
function largestInt(from: number, fits: (x: number) => boolean): number | null {
  let hi = from - 1; // the largest fitting value in [1, hi]: binary search (fits is monotone)
  if (hi < 1 || !fits(1)) return null;
  let lo = 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Every reason the engine cannot train `config` on a device with `limits` (null: only the device-independent
 * kernel limits), for batches within `bound`; empty when it can. Each problem names the key to change and
 * the nearest valid value.
 */
export function checkConfigForDevice(config: ModelConfig, limits: DeviceLimits | null, bound: BatchBound = {}): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const { dModel: d, branches: m } = config;
  const dk = headDim(config);
  if (dk > KERNEL_LIMITS.maxHeadWidth) {
    const ms = validBranches(config, Math.ceil(d / KERNEL_LIMITS.maxHeadWidth));
    const useM = ms.length > 0 ? `branches ≥ ${ms[0]} (dividing dModel and dFF${ms.length > 1 ? `: ${ms.join(', ')}` : ''}) or ` : '';
    problems.push({ key: 'branches', message: `dModel/branches = ${dk} exceeds the attention kernel's head width ${KERNEL_LIMITS.maxHeadWidth}: use ${useM}dModel ≤ ${KERNEL_LIMITS.maxHeadWidth * m}` });
  }
  if (d > KERNEL_LIMITS.maxEmbeddingWidth) {
    problems.push({ key: 'dModel', message: `dModel ${d} exceeds the embedding-gradient kernel's row width ${KERNEL_LIMITS.maxEmbeddingWidth}: use dModel ≤ ${KERNEL_LIMITS.maxEmbeddingWidth}` });
  }
  if (m > KERNEL_LIMITS.maxBranches) {
    problems.push({ key: 'branches', message: `branches ${m} exceeds the simplex projection's ${KERNEL_LIMITS.maxBranches}: use branches ≤ ${KERNEL_LIMITS.maxBranches}` });
  }
  const shape = batchShape(config, bound);
  if (shape) {
    const { rows, b, len } = shape;
    if ((config.vocab + 1) * rows > 0xffffffff) {
      problems.push({ key: 'batchTokens', message: `(vocab + 1) · B·T = ${(config.vocab + 1) * rows} overflows the embedding gradient's u32 sort keys: use batches of at most ${Math.floor(0xffffffff / (config.vocab + 1))} rows` });
    }
    if (b * m * len * len > 0xffffffff) {
      problems.push({ key: 'batchTokens', message: `B·M·T·T = ${b * m * len * len} overflows the attention dropout's u32 index: use fewer or shorter sentences per batch` });
    }
  }
  if (!limits) return problems;

  const binding = limits.maxStorageBufferBindingSize;
  const est = estimateMemory(config, bound);
  if (est.flatBytes > limits.maxBufferSize) {
    const fitsD = largestDModel(config, d, (x) => buildParamTable({ ...config, dModel: x }).size * 4 <= limits.maxBufferSize);
    problems.push({ key: 'dModel', message: `the model's ${est.parameters} parameters need ${fmt(est.flatBytes)} per flat buffer (parameters, gradients and each Adam moment), more than this GPU's maxBufferSize ${fmt(limits.maxBufferSize)}: ${fitsD ? `use dModel ≤ ${fitsD}, or ` : ''}fewer layers or a smaller vocab` });
  }
  if (est.largestBlock.bytes > binding) {
    const name = est.largestBlock.name;
    if (name === 'embed') {
      problems.push({ key: 'vocab', message: `the embedding (vocab ${config.vocab} × dModel ${d}) needs ${fmt(est.largestBlock.bytes)}, more than one storage binding of this GPU (maxStorageBufferBindingSize ${fmt(binding)}): use vocab ≤ ${Math.floor(binding / (4 * d))}` });
    } else {
      const fitsD = largestDModel(config, d, (x) => maxBlockBytes({ ...config, dModel: x }) <= binding);
      problems.push({ key: 'dModel', message: `the parameter block ${name} needs ${fmt(est.largestBlock.bytes)}, more than one storage binding of this GPU (maxStorageBufferBindingSize ${fmt(binding)}): ${fitsD ? `use dModel ≤ ${fitsD} or ` : ''}a smaller dFF` });
    }
  }
  if (shape && est.largestActivation && est.largestActivation.bytes > binding) {
    const widest = Math.max(...rowTensors(config).map(([, w]) => w));
    const maxRows = Math.floor(binding / (4 * widest));
    const what = bound.batch ? `use batches of at most ${maxRows} target rows (B·T)` : `use batchTokens ≤ ${maxRows}${config.maxLen > maxRows ? ` and maxLen ≤ ${maxRows}` : ''}`;
    problems.push({ key: 'batchTokens', message: `the ${est.largestActivation.name} of a batch of ${shape.rows} rows needs ${fmt(est.largestActivation.bytes)}, more than one storage binding of this GPU (maxStorageBufferBindingSize ${fmt(binding)}): ${what}` });
  }
  if (shape && shape.b * m > limits.maxComputeWorkgroupsPerDimension) {
    const fitsB = Math.floor(limits.maxComputeWorkgroupsPerDimension / m);
    problems.push({ key: 'batchTokens', message: `B·M = ${shape.b * m} attention heads exceed this GPU's ${limits.maxComputeWorkgroupsPerDimension} workgroups per dimension: use at most ${fitsB} sentences per batch${bound.batch ? '' : ` (batchTokens ≤ ${fitsB * 2 * Math.min(16, config.maxLen)})`}` });
  }
  if (bound.memoryBytes !== undefined && est.totalBytes > bound.memoryBytes) {
    const fitsTokens = shape && !bound.batch ? largestInt(bound.batchTokens!, (x) => estimateMemory(config, { batchTokens: x }).totalBytes <= bound.memoryBytes!) : null;
    problems.push({ key: fitsTokens ? 'batchTokens' : 'dModel', message: `a training step needs about ${fmt(est.totalBytes)} (4 flat buffers of ${fmt(est.flatBytes)} and ${fmt(est.activationBytes)} of activations), more than the ${fmt(bound.memoryBytes)} this device has: ${fitsTokens ? `use batchTokens ≤ ${fitsTokens} or ` : ''}a smaller model` });
  }
  return problems;
}

function maxBlockBytes(config: ModelConfig): number {
  let max = 0;
  for (const b of buildParamTable(config).blocks.values()) if (b.name !== 'embed') max = Math.max(max, b.size * 4);
  return max;
}

export class DeviceLimitError extends Error {
  override name = 'DeviceLimitError';
  constructor(readonly problems: LimitProblem[], where = 'model config') {
    super(`${where} cannot run on this GPU: ${problems.map((p) => p.message).join('; ')}`);
  }
}

/** checkConfigForDevice, throwing DeviceLimitError (all problems in one message) when there are any. */
export function assertConfigFitsDevice(config: ModelConfig, limits: DeviceLimits | null, bound: BatchBound = {}, where?: string): void {
  const problems = checkConfigForDevice(config, limits, bound);
  if (problems.length > 0) throw new DeviceLimitError(problems, where);
}
