// Time estimates the page shows: the run's ETA from its measured steps/s, the text of the compile phases
// before the first step, and whether the chosen preset is too slow on this adapter to show learning soon
// (then the page offers the micro preset). Pure: numbers in, text out.
import type { CompilePhase } from '../train/protocol.ts';

/** 42 → "42 s", 200 → "3 min 20 s", 29000 → "8 h 03 min", 4 days → "4.2 days". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${(s / 86400).toFixed(1)} days`;
}

/** Seconds to do the remaining steps at `stepsPerSec`, or null when there is no rate yet. */
export function etaSeconds(step: number, total: number, stepsPerSec: number): number | null {
  if (!(stepsPerSec > 0) || !Number.isFinite(stepsPerSec)) return null;
  return Math.max(0, total - step) / stepsPerSec;
}

const PHASE_TEXT: Record<CompilePhase, string> = {
  shaders: 'compiling kernels',
  pipelines: 'building pipelines',
  buffers: 'allocating GPU buffers',
  'first-step': 'first step',
};

/** "compiling kernels 18/42", then "first step". */
export function compileText(c: { phase: string; done: number; total: number }): string {
  const name = PHASE_TEXT[c.phase as CompilePhase] ?? c.phase;
  if (c.phase === 'first-step') return `${name}…`;
  return c.total === 0 ? `${name}: already made` : `${name} ${c.done}/${c.total}`; // 0/0: made while the form was open
}

/** Steps after which a run usually shows it learns (a visibly falling loss on the built-in data). */
export const LEARNING_STEPS = 200;
/** Longer than this to show learning: the page offers the micro preset. */
export const SLOW_SECONDS = 180;

export interface SlowPreset {
  preset: string;
  stepsPerSec: number;
  /** Seconds for the whole run at the measured rate. */
  runSeconds: number;
  steps: number;
}

/**
 * Whether to offer micro: the run is not micro already, its rate has been measured (`measuredSteps`
 * steps reported), and LEARNING_STEPS steps at that rate take longer than SLOW_SECONDS.
 */
export function slowPreset(preset: string, stepsPerSec: number, measuredSteps: number, steps: number): SlowPreset | null {
  if (preset === 'micro' || measuredSteps < 3 || !(stepsPerSec > 0)) return null;
  if (Math.min(steps, LEARNING_STEPS) / stepsPerSec <= SLOW_SECONDS) return null;
  return { preset, stepsPerSec, runSeconds: steps / stepsPerSec, steps };
}

/** A software adapter (no GPU: the CPU emulates one), by the names browsers and Mesa give them. */
export function softwareAdapter(adapter: string): string | null {
  const known: [RegExp, string][] = [[/swiftshader/i, 'SwiftShader'], [/llvmpipe/i, 'llvmpipe'], [/lavapipe/i, 'lavapipe'], [/softpipe/i, 'softpipe'], [/microsoft basic render|\bwarp\b/i, 'WARP']];
  return known.find(([re]) => re.test(adapter))?.[1] ?? null;
}

/** What a Bench run has to do and has done: matmul rows, then training presets (2 rows each). */
export interface BenchProgress {
  matmulTotal: number;
  matmulDone: number;
  presetsTotal: number;
  presetsDone: number;
  /** Seconds since the run started, and seconds the matmul rows took (the whole phase once done). */
  elapsed: number;
  matmulSeconds: number;
}

/**
 * The Bench view's progress (0..1, by rows, a preset counted as one) and ETA in seconds: the remaining
 * matmul rows at the measured seconds per row, the remaining presets at the measured seconds per preset;
 * null while a kind of work that remains has no measurement yet (the first preset not finished).
 */
export function benchEta(p: BenchProgress): { fraction: number; seconds: number | null } {
  const units = p.matmulTotal + p.presetsTotal;
  const fraction = units === 0 ? 1 : (p.matmulDone + p.presetsDone) / units;
  const matmulLeft = p.matmulTotal - p.matmulDone, presetsLeft = p.presetsTotal - p.presetsDone;
  if (matmulLeft === 0 && presetsLeft === 0) return { fraction: 1, seconds: 0 };
  if (matmulLeft > 0 && p.matmulDone === 0) return { fraction, seconds: null };
  if (presetsLeft > 0 && p.presetsDone === 0) return { fraction, seconds: null };
  const perRow = p.matmulDone > 0 ? p.matmulSeconds / p.matmulDone : 0;
  const perPreset = p.presetsDone > 0 ? (p.elapsed - p.matmulSeconds) / p.presetsDone : 0;
  return { fraction, seconds: Math.max(0, matmulLeft * perRow + presetsLeft * perPreset) };
}
