// The run controls above the charts: Start / Pause / Step / Reset, the live learning-rate scale, and
// what the run is doing (status, current step, throughput, the run's and the whole device's GPU memory).
import { useClient, usePlayground } from './context.ts';
import { ExportBar } from './ExportBar.tsx';
import { FIELD_BY_NAME, type NumberField } from './schema.ts';
import { formatBytes, formatMs } from './format.ts';
import { idleRates, selectFocusMetrics, selectFocusView } from './store.ts';
import { canStart, STATUS_TEXT } from './status.ts';
import { useResetConfirm } from './ResetDialog.tsx';
import { CompileProgress, LiveStatus, RunEta, SlowPresetOffer } from './RunProgress.tsx';
import { BackgroundPause } from './BackgroundPause.tsx';

export function RunBar() {
  return (
    <section className="run-bar card" id="run-controls" tabIndex={-1} aria-label="Run controls">
      <RunButtons />
      <LrScaleSlider />
      <BackgroundPause />
      <RunStats />
      <SlowPresetOffer />
      <ExportBar />
      <LiveStatus />
    </section>
  );
}

function RunButtons() {
  const client = useClient();
  const status = usePlayground((s) => s.run.status);
  const gpuReady = usePlayground((s) => s.run.gpu.state === 'ready');
  const running = status === 'running';
  const startable = gpuReady && canStart(status);
  const hasRuns = usePlayground((s) => s.run.runs.length > 0);
  const confirm = useResetConfirm();
  return (
    <div className="buttons">
      <button className="primary" data-testid="start" disabled={!startable} onClick={() => client.start()}>
        {status === 'paused' ? 'Resume' : status === 'done' || status === 'stopped' ? 'Start again' : 'Start'}
      </button>
      <button data-testid="pause" disabled={!running} onClick={() => client.pause()}>
        Pause
      </button>
      <button data-testid="step" disabled={!startable} onClick={() => client.step()} title="One training step">
        Step
      </button>
      <button data-testid="reset" disabled={status === 'idle' || status === 'resetting'} onClick={() => (hasRuns ? confirm.ask(() => client.reset()) : client.reset())}>
        Reset…
      </button>
      {confirm.dialog}
    </div>
  );
}

function LrScaleSlider() {
  const client = useClient();
  const value = usePlayground((s) => s.run.lrScale);
  const field = FIELD_BY_NAME.get('lrScale') as NumberField;
  return (
    <label className="lr-slider" title={field.description}>
      <span>LR scale</span>
      <input type="range" data-testid="lr-scale" min={0} max={4} step={0.05} value={value} onChange={(e) => client.setLrScale(Number(e.target.value))} />
      <output>{value.toFixed(2)}</output>
    </label>
  );
}

function RunStats() {
  const status = usePlayground((s) => s.run.status);
  const steps = usePlayground((s) => selectFocusMetrics(s).steps);
  const view = usePlayground(selectFocusView);
  const totalSteps = usePlayground((s) => s.config.values.steps);
  const autosave = usePlayground((s) => s.run.autosave);
  const evaluating = usePlayground((s) => s.run.runs.some((r) => r.evaluating));
  const device = usePlayground((s) => s.run.gpuMemory);
  const progress = usePlayground((s) => s.run.progress);
  const rates = view?.rates ?? idleRates();
  const step = steps.length > 0 ? steps[steps.length - 1] : (view?.info?.step ?? 0);
  const { stepsPerSec, tokensPerSec, tokensSeen, gpuMsPerStep, hostMsPerStep, gpuBytes } = rates;
  return (
    <div className="run-stats">
      <span className={`status status-${status}`} data-testid="run-status" data-status={status}>
        {STATUS_TEXT[status]}
      </span>
      {progress && (
        <span className="status status-preparing" data-testid="run-progress">
          {progress}
        </span>
      )}
      <CompileProgress />
      {evaluating && <span className="status status-preparing">evaluating on the dev set…</span>}
      <span data-testid="current-step" data-step={step}>
        step <strong>{step}</strong> / {view?.info?.spec?.train.steps ?? totalSteps}
      </span>
      <RunEta />
      <span data-testid="throughput" data-steps-per-sec={stepsPerSec} data-tokens-per-sec={tokensPerSec} data-gpu-ms={gpuMsPerStep ?? ''} data-host-ms={hostMsPerStep} data-gpu-bytes={gpuBytes}>
        <strong>{stepsPerSec.toFixed(stepsPerSec < 10 ? 2 : 1)}</strong> steps/s · <strong>{Math.round(tokensPerSec).toLocaleString()}</strong> tokens/s
        {' · '}GPU {gpuMsPerStep === null ? <span title="this device has no timestamp queries">time n/a</span> : <strong>{formatMs(gpuMsPerStep)}</strong>}/step
        {' · '}
        <span title="CPU time to write the step's inputs, encode its dispatches and submit">host {formatMs(hostMsPerStep)}/step</span>
        {' · '}
        <span title="What this run holds: weights, gradients, Adam moments, compiled buckets, activations">
          <strong>{formatBytes(gpuBytes)}</strong> GPU memory (run)
        </span>
        {' · '}
        <span
          data-testid="device-memory"
          data-live-bytes={device?.liveBytes ?? ''}
          data-live-buffers={device?.liveBuffers ?? ''}
          title="Every live GPU buffer of the worker's device: all runs, translators and scratch (back to its starting value after Reset)"
        >
          <strong>{device ? formatBytes(device.liveBytes) : '…'}</strong> GPU memory (device)
        </span>
      </span>
      <span className="hint">{tokensSeen.toLocaleString()} target tokens seen{view && view.label && ` (${view.label})`}</span>
      {autosave && (
        <span className="hint" data-testid="autosave-status" data-step={autosave.step}>
          autosaved at step {autosave.step}
        </span>
      )}
    </div>
  );
}
