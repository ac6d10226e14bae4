// What the session's status means on the page: its text, which buttons it allows, and what each run's
// row says. The worker's 'paused' comes only once every step queued on the GPU has reported, so the step
// shown while paused is the last one applied (and the step a checkpoint saved then has).
import type { RunState, RunStatus } from '../train/protocol.ts';

export const STATUS_TEXT: Record<RunStatus, string> = {
  idle: 'not started',
  preparing: 'preparing data and model…',
  running: 'training',
  pausing: 'pausing…',
  paused: 'paused',
  stepping: 'one step…',
  resetting: 'resetting…',
  done: 'finished',
  stopped: 'stopped',
};

/** The session holds runs (a model to translate with, a configuration not to change under it). */
export function hasRuns(status: RunStatus): boolean {
  return status !== 'idle' && status !== 'resetting';
}

/** Start (or Resume) and Step: only from a resting state; never while steps are in flight. */
export function canStart(status: RunStatus): boolean {
  return status === 'idle' || status === 'paused' || status === 'done' || status === 'stopped';
}

/** The session's runs may still train (the form then offers a changed setting as a new run; a sweep waits). */
export function configLocked(status: RunStatus): boolean {
  return hasRuns(status) && status !== 'done' && status !== 'stopped';
}

/** A model exists to translate with. */
export function canTranslate(status: RunStatus): boolean {
  return hasRuns(status) && status !== 'preparing';
}

const ACTIVE_TEXT: Partial<Record<RunStatus, string>> = {
  preparing: 'preparing…', running: 'training', pausing: 'pausing…', paused: 'paused', stepping: 'stepping…', resetting: 'resetting…',
};

/** What a run's row says: an active run does what the session does (training, pausing…, paused). */
export function runStateText(state: RunState | 'preparing', status: RunStatus, error: string | null): string {
  if (error) return 'stopped (NaN/Inf)';
  if (state === 'preparing') return 'preparing…';
  if (state === 'active') return ACTIVE_TEXT[status] ?? STATUS_TEXT[status];
  // The same words as the run bar's status ('finished', 'stopped').
  return state === 'done' ? STATUS_TEXT.done : state === 'stopped' ? STATUS_TEXT.stopped : 'translate only';
}
