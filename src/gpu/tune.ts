// Kernels that choose themselves on the user's GPU (issue 15, part 3), Node side: time each matmul variant
// (MATMUL_VARIANTS in kernels/matmul.ts) on the shape classes a model needs, keep the fastest per class
// (the default 'auto' unless another beats it in every interleaved round and by more than the noise
// share in the median; a class whose budget allowed fewer than 3 rounds keeps the default), and cache the choice per
// adapter in a JSON file under the user's cache directory. The page has no cache yet (IndexedDB: not done).
//
// WEBGPU_TUNE: 'off' (every kernel's default, no cache read), 'fresh' (tune again and rewrite the cache
// entry), 'auto' (the cached choice; classes not in the cache are tuned and added). Unset means 'auto',
// except under vitest or Playwright, where it means 'off' so tests stay deterministic and fast (a test
// enables tuning by passing a mode).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Gpu, KernelChoice } from './device.ts';
import { ownedBy } from './device.ts';
import { createTensor } from './tensor.ts';
import { createGpuTimer } from './timing.ts';
import {
  MATMUL_VARIANTS, matmulDispatches, matmulShapeClass, resolveMatmul, variantTileRows, type MatmulChoice, type MatmulLayout, type MatmulVariant,
} from './kernels/matmul.ts';

export type TuneMode = 'off' | 'fresh' | 'auto';
const MODES: readonly TuneMode[] = ['off', 'fresh', 'auto'];

/** The tuning mode from the environment (see the file comment); an unknown value is an error naming it. */
export function tuneMode(env: Record<string, string | undefined> = process.env): TuneMode {
  const value = env.WEBGPU_TUNE;
  if (value === undefined || value === '') return env.VITEST || env.PLAYWRIGHT_TEST ? 'off' : 'auto';
  if (!(MODES as readonly string[]).includes(value)) throw new Error(`WEBGPU_TUNE=${value}: expected one of ${MODES.join(', ')}`);
  return value as TuneMode;
}

/** A product to tune for: a layout's dimensions and transposes. */
export type TuneShape = Pick<MatmulLayout, 'm' | 'n' | 'k' | 'batch' | 'transA' | 'transB'>;

/** Milliseconds per run of `variant` on `shape` (one sample; the tuner takes medians over rounds). */
export type VariantTimer = (variant: MatmulVariant, shape: TuneShape) => Promise<number>;

export interface TuneOptions {
  time: VariantTimer;
  /** Interleaved rounds per class (every candidate once per round, order rotated). Default 3. */
  rounds?: number;
  /** Wall-time budget of the whole tuning, ms: after it, no new round starts (one always runs). Default 2000. */
  budgetMs?: number;
  /**
   * A candidate replaces the default only when it was faster than the default in every round (paired:
   * the two ran back to back, so load from other processes hits both) and its median is below the
   * default's by more than this share. Default 0.03.
   */
  tieShare?: number;
  /** Fewer rounds than this (the budget ran out) is too little evidence: the class keeps the default. Default 3. */
  minRounds?: number;
  now?: () => number;
  onProgress?: (done: number, total: number) => void;
}

export interface TunedClass {
  shapeClass: string;
  /** The product timed for the class (the first of the model's shapes in it). */
  shape: TuneShape;
  /** Median ms per candidate timed (variants that tile the shape like 'auto' are not timed twice). */
  medians: Partial<Record<MatmulVariant, number>>;
  rounds: number;
  winner: MatmulVariant;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The candidates for a shape: 'auto' first, then each fixed tile that 'auto' does not already run. */
export function candidates(shape: TuneShape): MatmulVariant[] {
  const auto = variantTileRows('auto', shape.m, shape.n, shape.batch ?? 1);
  return MATMUL_VARIANTS.filter((v) => v === 'auto' || variantTileRows(v, shape.m, shape.n, shape.batch ?? 1) !== auto);
}

/** The model's shapes grouped by class, the first shape of each class standing for it. */
export function shapeClasses(shapes: readonly TuneShape[]): Map<string, TuneShape> {
  const classes = new Map<string, TuneShape>();
  for (const shape of shapes) {
    const key = matmulShapeClass(shape);
    if (!classes.has(key)) classes.set(key, shape);
  }
  return classes;
}

/** Time the candidates of each class (see TuneOptions) and pick a winner per class. */
export async function tuneMatmul(shapes: readonly TuneShape[], options: TuneOptions): Promise<{ choice: MatmulChoice; classes: TunedClass[] }> {
  const { time, rounds = 3, budgetMs = 2000, tieShare = 0.03, minRounds = Math.min(3, rounds), now = () => performance.now(), onProgress } = options;
  const classes = [...shapeClasses(shapes)];
  const total = classes.length * rounds;
  let done = 0;
  const tuned: TunedClass[] = [];
  for (const [shapeClass, shape] of classes) {
    const cands = candidates(shape);
    const samples = new Map<MatmulVariant, number[]>(cands.map((v) => [v, []]));
    let ran = 0;
    // Each class gets an equal share of the budget; the first round always runs.
    const classBudget = budgetMs / classes.length;
    const classStart = now();
    for (let r = 0; r < rounds && (r === 0 || now() - classStart < classBudget); r++) {
      for (let i = 0; i < cands.length; i++) {
        const v = cands[(i + r) % cands.length];
        samples.get(v)!.push(await time(v, shape));
      }
      ran++;
      onProgress?.(++done, total);
    }
    done += rounds - ran;
    const medians: Partial<Record<MatmulVariant, number>> = {};
    for (const [v, xs] of samples) medians[v] = median(xs);
    const base = medians.auto!;
    const auto = samples.get('auto')!;
    const winsEveryRound = (v: MatmulVariant) => samples.get(v)!.every((t, r) => t < auto[r]);
    let winner: MatmulVariant = 'auto';
    if (ran >= minRounds) {
      for (const v of cands) if (winsEveryRound(v) && medians[v]! < base * (1 - tieShare) && medians[v]! < medians[winner]!) winner = v;
    }
    tuned.push({ shapeClass, shape, medians, rounds: ran, winner });
  }
  onProgress?.(total, total);
  return { choice: Object.fromEntries(tuned.map((c) => [c.shapeClass, c.winner])), classes: tuned };
}

/** Bumped when the variants or their meaning change: older cache entries are then ignored. */
export const TUNING_VERSION = 1;

/** What identifies an adapter for the cache: vendor, architecture, device and description (which carries the driver on Mesa). */
export function tuningCacheKey(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'> | string): string {
  const name = typeof info === 'string' ? info : [info.vendor, info.architecture, info.device, info.description].join(' | ');
  return `${name} # matmul variants v${TUNING_VERSION}`;
}

/** The adapter key of a Gpu: the device's adapterInfo where the implementation has it, else its name. */
export function gpuTuningKey(gpu: Pick<Gpu, 'device' | 'adapterName'>): string {
  const info = (gpu.device as Partial<GPUDevice>).adapterInfo;
  return tuningCacheKey(info ?? gpu.adapterName);
}

export interface TuningCacheEntry {
  tunedAt: string;
  matmul: MatmulChoice;
}

export interface TuningCache {
  version: number;
  adapters: Record<string, TuningCacheEntry>;
}

/** $XDG_CACHE_HOME/weighted-transformer-playground/kernel-tuning.json, or the same under ~/.cache. */
export function defaultTuningCachePath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'weighted-transformer-playground', 'kernel-tuning.json');
}

const emptyCache = (): TuningCache => ({ version: TUNING_VERSION, adapters: {} });

function isEntry(x: unknown): x is TuningCacheEntry {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  if (typeof e.tunedAt !== 'string' || typeof e.matmul !== 'object' || e.matmul === null) return false;
  return Object.values(e.matmul).every((v) => (MATMUL_VARIANTS as readonly unknown[]).includes(v));
}

/**
 * The cache file, or an empty cache when there is none; a file that does not parse or holds anything
 * but valid entries is ignored with a warning (and replaced on the next write), never an error.
 */
export function readTuningCache(path: string, warn: (message: string) => void = console.warn): TuningCache {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return emptyCache();
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    const c = parsed as Partial<TuningCache>;
    if (typeof parsed !== 'object' || parsed === null || c.version !== TUNING_VERSION || typeof c.adapters !== 'object' || c.adapters === null) {
      throw new Error(`expected {"version": ${TUNING_VERSION}, "adapters": {...}}`);
    }
    for (const [key, entry] of Object.entries(c.adapters)) if (!isEntry(entry)) throw new Error(`entry "${key}" is not {tunedAt, matmul: {class: variant}}`);
    return c as TuningCache;
  } catch (err) {
    warn(`kernel tuning cache ${path} ignored: ${err instanceof Error ? err.message : String(err)}`);
    return emptyCache();
  }
}

/** Write the cache (directories made as needed; written to a temporary file, then renamed into place). */
export function writeTuningCache(path: string, cache: TuningCache): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cache, null, 2)}\n`);
  renameSync(tmp, path);
}

export interface ResolveOptions extends Omit<TuneOptions, 'time'> {
  /** Default: tuneMode() of the environment. */
  mode?: TuneMode;
  /** Default: defaultTuningCachePath(). */
  cachePath?: string;
  warn?: (message: string) => void;
}

export interface ResolvedChoice {
  /** Undefined with mode 'off': every kernel runs its default. */
  choice: KernelChoice | undefined;
  source: 'off' | 'cache' | 'tuned';
  /** Classes timed now (empty from the cache or off). */
  classes: TunedClass[];
}

/** The kernel choice for `adapterKey` and `shapes` by `mode` (see the file comment), timing with `time`. */
export async function resolveKernelChoice(adapterKey: string, shapes: readonly TuneShape[], time: VariantTimer, options: ResolveOptions = {}): Promise<ResolvedChoice> {
  const mode = options.mode ?? tuneMode();
  if (mode === 'off') return { choice: undefined, source: 'off', classes: [] };
  const path = options.cachePath ?? defaultTuningCachePath();
  const cache = readTuningCache(path, options.warn);
  const cached = mode === 'auto' ? cache.adapters[adapterKey] : undefined;
  const missing = shapes.filter((s) => cached?.matmul[matmulShapeClass(s)] === undefined);
  if (cached && missing.length === 0) return { choice: { matmul: cached.matmul }, source: 'cache', classes: [] };
  const { choice, classes } = await tuneMatmul(missing, { ...options, time });
  const matmul = { ...(cached?.matmul ?? {}), ...choice };
  cache.adapters[adapterKey] = { tunedAt: new Date().toISOString(), matmul };
  writeTuningCache(path, cache);
  return { choice: { matmul }, source: 'tuned', classes };
}

/** A software adapter (lavapipe, SwiftShader): fewer repeats per sample, the budget scaled accordingly. */
export function isSoftwareAdapter(adapterName: string): boolean {
  return /llvmpipe|lavapipe|swiftshader/i.test(adapterName);
}

/**
 * A VariantTimer on `gpu`: each shape's operands made once (zeros: timing only), the launch the training
 * graph makes (matmulDispatches, split along K by default) timed with the GPU timer. Runs per sample:
 * enough for `sampleMs` (from a first, discarded sample of the shape: it also takes the first touch of
 * the operands, which would otherwise penalize whichever candidate ran first), at least `minRepeats`, at
 * most 100. (Fixed 3 runs of a 1 ms product on lavapipe gave 2.5x differences between identical launches.)
 * `destroy` frees the operands and the timer.
 */
export function gpuVariantTimer(
  gpu: Gpu, sampleMs = isSoftwareAdapter(gpu.adapterName) ? 30 : 1, minRepeats = isSoftwareAdapter(gpu.adapterName) ? 3 : 10,
): { time: VariantTimer; destroy: () => void } {
  const owner = gpu.owner.child('tuning');
  const tuneGpu = ownedBy(gpu, owner);
  const timer = createGpuTimer(tuneGpu);
  const operands = new Map<string, ReturnType<typeof makeOperands> & { repeats: number }>();
  function makeOperands(shape: TuneShape) {
    const s = resolveMatmul(shape);
    const size = (rows: number, ld: number, stride: number) => (s.batch - 1) * stride + rows * ld;
    return {
      a: createTensor(tuneGpu, [size(s.transA ? s.k : s.m, s.lda, s.strideA)]),
      b: createTensor(tuneGpu, [size(s.transB ? s.n : s.k, s.ldb, s.strideB)]),
      c: createTensor(tuneGpu, [size(s.m, s.ldc, s.strideC)]),
    };
  }
  return {
    async time(variant, shape) {
      const key = JSON.stringify(resolveMatmul(shape));
      if (!operands.has(key)) {
        const made = makeOperands(shape);
        const once = await timer.time(matmulDispatches(tuneGpu, made.c, made.a, made.b, { ...shape, variant: 'auto' }), 1, 2);
        operands.set(key, { ...made, repeats: Math.min(100, Math.max(minRepeats, Math.ceil(sampleMs / Math.max(once, 1e-3)))) });
      }
      const { a, b, c, repeats } = operands.get(key)!;
      return timer.time(matmulDispatches(tuneGpu, c, a, b, { ...shape, variant }), repeats, 1);
    },
    destroy() {
      timer.destroy();
      owner.destroy();
    },
  };
}

/** resolveKernelChoice on `gpu` with its own timer (see gpuVariantTimer); the result goes into a Gpu's or Trainer's kernelChoice. */
export async function tuneForGpu(gpu: Gpu, shapes: readonly TuneShape[], options: ResolveOptions = {}): Promise<ResolvedChoice> {
  const software = isSoftwareAdapter(gpu.adapterName);
  const t = gpuVariantTimer(gpu);
  try {
    return await resolveKernelChoice(gpuTuningKey(gpu), shapes, t.time, { budgetMs: software ? 60000 : 2000, ...options });
  } finally {
    t.destroy();
  }
}
