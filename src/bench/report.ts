// The side-by-side bench's options, rows and report (our engine vs TensorFlow.js's WebGPU backend), shared
// by the Node front-end (npm run bench) and the page's bench worker. Types only; nothing here touches a GPU.
import type { Variant } from '../model/config.ts';

/**
 * How much to run: `full` (every matmul shape, 4 timed steps), `quick` (fewer shapes, shorter rounds),
 * `tiny` (one small matmul and a micro training step: end-to-end tests on a software GPU).
 */
export type BenchSize = 'full' | 'quick' | 'tiny';

export interface BenchOptions {
  size: BenchSize;
  /** Model presets of the training rows (tiny, small, ...); ignored by `tiny`, which uses a micro model. */
  presets: string[];
  /** Training steps per timed round. */
  steps: number;
  rounds: number;
  skip: Array<'matmul' | 'train'>;
}

/** The defaults of each size (the CLI's --quick and the page's "quick" box). */
export function defaultBenchOptions(size: BenchSize, presets?: string[]): BenchOptions {
  return {
    size,
    presets: presets ?? (size === 'full' ? ['tiny', 'small'] : ['tiny']),
    steps: size === 'full' ? 4 : 2,
    rounds: 1,
    skip: [],
  };
}

/** Where the bench writes: table lines, notes (per-round times, warnings), rows as they finish. */
export interface BenchHost {
  log(line: string): void;
  note(line: string): void;
  /**
   * Block the thread for about `ms` while the GPU works (Node: dawn.node's await busy-polls a core the
   * software driver needs; the page: a no-op, awaiting there does not spin).
   */
  sleep(ms: number): void;
  /**
   * Node: wait for the GPU in slices of this many ms (sleep a slice, then let the event loop run once and
   * see whether the work is done) instead of one long sleep guessed from an earlier step: the wait ends
   * within a slice of the work's end, never a guess's worth later. Unset (the page): just await.
   */
  pollMs?: number;
  onMatmulRow?(row: SideBySideMatmulRow): void;
  onTrainRow?(row: SideBySideTrainRow): void;
}

export interface SideBySideMatmulRow {
  name: string;
  /** "MxNxK[ ta][ tb][ batch b]" */
  shape: string;
  ours_ms: number;
  tfjs_ms: number;
  ours_gflops: number;
  tfjs_gflops: number;
  /** ours_gflops / tfjs_gflops: above 1 when ours is faster. */
  ratio: number;
  /** TF.js measured by wall clock over N calls (includes its host-side dispatch cost). */
  tfjs_wall_gflops: number;
  /** The TF.js programs one tf.matMul ran (from tf.time's profile). */
  tfjs_programs: string;
  max_abs_diff: number;
  equal: boolean;
}

export interface SideBySideTrainRow {
  preset: string;
  variant: Variant;
  batch: string;
  ours_tokens_per_s: number;
  /** null for the weighted model (TF.js runs the baseline only). */
  tfjs_tokens_per_s: number | null;
  /** ours / tfjs tokens per second (above 1: ours faster); null for the weighted model. */
  ratio: number | null;
  ours_ms_per_step: number;
  tfjs_ms_per_step: number | null;
  /** Wall ms of the last checked step alone (recorded, submitted and awaited with its loss read back). */
  ours_checked_step_ms: number;
  tfjs_checked_step_ms: number | null;
  /**
   * Time to the first step, wall ms. compile: everything before it (ours: new Trainer + prepare, i.e. the
   * flat buffers, shader modules, every pipeline made asynchronously at once, bind groups; TF.js: the
   * model's variables, the optimizer and the batch's tensors; TF.js makes its programs lazily, inside its
   * first step). first_step: that step alone, submitted and awaited with its loss read back. Pipelines are
   * cached per device, so a later row (the weighted model after the baseline) finds the pipelines both
   * share already made: its compile is not a cold start.
   */
  ours_compile_ms: number;
  ours_first_step_ms: number;
  tfjs_compile_ms: number | null;
  tfjs_first_step_ms: number | null;
  /** Our compile_ms split (trainer.startup): constructor, shader modules, pipelines, buffers and bind groups. */
  ours_startup: { construct_ms: number; shaders_ms: number; pipelines_ms: number; buffers_ms: number; pipelines: number; modules: number };
  /** Compute dispatches per training step (TF.js: the programs its backend records in one step). */
  ours_dispatches_per_step: number;
  tfjs_dispatches_per_step: number | null;
  /** Our tokens/s relative to our own baseline at this preset (1 for the baseline). */
  relative_to_our_baseline: number;
  /** Losses of the first steps in each engine, and whether they agree (baseline only). */
  loss_check: { ours: number[]; tfjs: number[]; max_rel_diff: number; equal: boolean } | null;
}

/** What TF.js ran on. */
export interface TfjsInfo {
  version: string;
  backend: string;
  /** Adapter as TF.js's backend describes it. */
  adapter: string;
  /** 'same GPUDevice as ours' when TF.js's backend was built on our device. */
  device: string;
  timer: string;
}

/** The bench's JSON (npm run bench --out, and the page's "Download JSON"). */
export interface BenchReport {
  adapter: string;
  ours_timer: string;
  tfjs: TfjsInfo;
  size: BenchSize;
  steps_timed: number;
  rounds: number;
  matmul: SideBySideMatmulRow[];
  train: SideBySideTrainRow[];
}
