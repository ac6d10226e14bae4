// What the run is doing in time: the GPU work being prepared before the first step ("compiling kernels
// 18/42", then "first step") with a progress bar; the run's progress bar and ETA from its measured
// steps/s; the offer of the micro preset when this adapter is too slow for the chosen one to show
// learning within a few minutes; and the aria-live line that announces steps and evaluations.
import { useState } from 'react';
import { useClient, usePlayground, usePlaygroundStore } from './context.ts';
import { compileText, etaSeconds, formatDuration, LEARNING_STEPS, slowPreset } from './eta.ts';
import { microValues } from './schema.ts';
import { idleRates, patchConfig, selectFocusMetrics, selectFocusView } from './store.ts';
import { STATUS_TEXT } from './status.ts';

export function CompileProgress() {
  const compile = usePlayground((s) => s.run.compile);
  if (!compile) return null;
  const first = compile.phase === 'first-step';
  return (
    <span className="compile-progress" data-testid="compile-progress" data-phase={compile.phase} data-done={compile.done} data-total={compile.total}>
      <span>{compileText(compile)}</span>
      {first ? <progress aria-label="first step" /> : <progress aria-label={compileText(compile)} value={compile.done} max={Math.max(1, compile.total)} />}
    </span>
  );
}

/** The focused run's progress bar, with the time left at its measured rate. */
export function RunEta() {
  const status = usePlayground((s) => s.run.status);
  const steps = usePlayground((s) => selectFocusMetrics(s).steps);
  const view = usePlayground(selectFocusView);
  const totalSteps = usePlayground((s) => s.config.values.steps);
  if (!view) return null;
  const total = view.info?.spec?.train.steps ?? totalSteps;
  const step = steps.at(-1) ?? view.info?.step ?? 0;
  const rate = (view.rates ?? idleRates()).stepsPerSec;
  const eta = status === 'running' && view.state === 'active' ? etaSeconds(step, total, rate) : null;
  return (
    <span className="run-eta" data-testid="run-eta" data-eta-seconds={eta ?? ''}>
      <progress data-testid="run-progress-bar" value={Math.min(step, total)} max={Math.max(1, total)} aria-label={`step ${step} of ${total}`} />
      <span>{eta !== null ? `about ${formatDuration(eta)} left` : view.state === 'done' ? 'finished' : status === 'running' ? 'measuring speed…' : ''}</span>
    </span>
  );
}

/** "This GPU runs tiny at 0.07 steps/s: about 8 h for 2,000 steps. Switch to micro?" */
export function SlowPresetOffer() {
  const client = useClient();
  const store = usePlaygroundStore();
  const status = usePlayground((s) => s.run.status);
  const view = usePlayground(selectFocusView);
  const measured = usePlayground((s) => selectFocusMetrics(s).steps.length);
  const preset = usePlayground((s) => s.run.startedWith?.preset ?? s.config.values.preset);
  const runCount = usePlayground((s) => s.run.runs.length);
  const [dismissed, setDismissed] = useState(false);
  if (dismissed || !view || status !== 'running') return null;
  const total = view.info?.spec?.train.steps ?? 0;
  const slow = slowPreset(preset, view.rates.stepsPerSec, measured, total);
  if (!slow) return null;
  const switchToMicro = () => {
    const { values } = store.getState().config;
    patchConfig(store, { values: { ...microValues(), seed: values.seed, autosaveEvery: values.autosaveEvery, compare: 'off' } });
    client.reset();
    client.start();
  };
  return (
    <div className="notice slow-offer" role="note" data-testid="slow-offer">
      <span>
        This GPU runs <strong>{slow.preset}</strong> at {slow.stepsPerSec.toFixed(2)} steps/s: about {formatDuration(slow.runSeconds)} for {slow.steps.toLocaleString('en-US')} steps, and{' '}
        {formatDuration(Math.min(slow.steps, LEARNING_STEPS) / slow.stepsPerSec)} before the loss visibly falls. Switch to <strong>micro</strong> (D 16 on the copy task: it learns within a few
        minutes even on a software GPU)?
      </span>
      <span className="notice-buttons">
        <button type="button" className="primary" data-testid="switch-to-micro" onClick={switchToMicro}>
          Switch to micro{runCount > 0 ? ` (discards ${runCount === 1 ? 'this run' : `these ${runCount} runs`}: ${measured} steps)` : ''}
        </button>
        <button type="button" className="link-button" onClick={() => setDismissed(true)}>
          Keep {slow.preset}
        </button>
      </span>
    </div>
  );
}

/** Steps between two announcements of the live region (about 50 per run, at least 10 steps apart). */
function cadence(total: number): number {
  return Math.max(10, Math.round(total / 50 / 10) * 10);
}

/**
 * The aria-live status line: the session's state, every few steps the step and loss, and each dev
 * evaluation. Its text changes only at those moments, so a screen reader is not flooded.
 */
export function LiveStatus() {
  const status = usePlayground((s) => s.run.status);
  const metrics = usePlayground(selectFocusMetrics);
  const view = usePlayground(selectFocusView);
  const total = view?.info?.spec?.train.steps ?? 0;
  const step = metrics.steps.at(-1) ?? view?.info?.step ?? 0;
  const every = cadence(total);
  const shown = step < every ? Math.min(step, 1) : Math.floor(step / every) * every;
  let i = metrics.steps.length - 1;
  while (i >= 0 && metrics.steps[i] > shown) i--;
  const loss = i >= 0 ? metrics.loss[i] : undefined;
  const dev = metrics.dev.at(-1);
  const parts = [`${view ? `${view.label}: ` : ''}${STATUS_TEXT[status]}`];
  if (view && shown > 0) parts.push(`step ${shown}${total ? ` of ${total}` : ''}${loss !== undefined && Number.isFinite(loss) ? `, training loss ${loss.toFixed(2)}` : ''}`);
  if (dev) parts.push(`dev evaluation at step ${dev.step}: loss ${dev.loss.toFixed(2)}, BLEU ${dev.bleu.toFixed(1)}`);
  return (
    <p className="visually-hidden" role="status" aria-live="polite" data-testid="live-status" data-step={shown}>
      {parts.join('. ')}.
    </p>
  );
}
