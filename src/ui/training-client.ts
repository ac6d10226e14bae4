// The page's side of the worker protocol: starts the training worker, turns the user's commands into
// messages and the worker's messages into store updates. Step metrics are buffered and appended to the
// store once per animation frame, so a fast run costs one render per frame, not one per step.
import { download } from './export.ts';
import type { PageMessage, StepMetrics, WorkerMessage } from '../train/protocol.ts';
import { validate } from './schema.ts';
import { appendMetrics, emptyMetrics, patchRun, type PlaygroundStore } from './store.ts';

/** Flush buffered metrics after this long even when no animation frame comes (a hidden tab). */
const FLUSH_FALLBACK_MS = 250;

export class TrainingClient {
  private readonly worker: Worker;
  private buffer: StepMetrics[] = [];
  private rates = { stepsPerSec: 0, tokensPerSec: 0, tokensSeen: 0 };
  private frame: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** False between a start/reset and the new run's info: metrics still in flight belong to the old run. */
  private accepting = false;
  private translationId = 0;

  constructor(private readonly store: PlaygroundStore) {
    this.worker = new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' });
    this.worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => this.receive(event.data));
    this.worker.addEventListener('error', (event) => this.workerFailed(event.message));
    this.send({ type: 'hello' });
  }

  private send(message: PageMessage): void {
    this.worker.postMessage(message);
  }

  /** Start a fresh run with the current config (or resume a paused one). */
  start(paused = false): void {
    const { status } = this.store.getState().run;
    if (status === 'paused' && !paused) {
      this.send({ type: 'resume' });
      return;
    }
    const { values, imported } = this.store.getState().config;
    const checked = validate(values, imported);
    if (!checked.ok) {
      patchRun(this.store, { error: checked.errors.join('; ') });
      return;
    }
    this.clearRun();
    const { lrScale } = this.store.getState().run;
    const spec = { ...checked.spec, train: { ...checked.spec.train, lrScale } };
    patchRun(this.store, { status: 'preparing' });
    this.send({ type: 'start', spec, paused });
  }

  pause(): void {
    this.send({ type: 'pause' });
  }

  /** One step; with no run, prepare one (paused) first. */
  step(): void {
    const { status } = this.store.getState().run;
    if (status === 'idle' || status === 'done' || status === 'stopped') this.start(true);
    this.send({ type: 'step' });
  }

  reset(): void {
    this.clearRun();
    patchRun(this.store, { status: 'idle' });
    this.send({ type: 'reset' });
  }

  setLrScale(value: number): void {
    patchRun(this.store, { lrScale: value });
    this.store.setState((s) => ({ config: { ...s.config, values: { ...s.config.values, lrScale: value } } }));
    this.send({ type: 'set-lr-scale', value });
  }

  /** Ask the worker for the checkpoint; it arrives as a 'checkpoint' message and is downloaded. */
  saveCheckpoint(): void {
    this.send({ type: 'save' });
  }

  translate(text: string, beam: number): void {
    const id = ++this.translationId;
    patchRun(this.store, { translation: { id, pending: true, output: null, error: null, ms: 0 } });
    this.send({ type: 'translate', id, text, beam });
  }

  private clearRun(): void {
    this.accepting = false;
    this.buffer = [];
    this.rates = { stepsPerSec: 0, tokensPerSec: 0, tokensSeen: 0 };
    this.store.setState((s) => ({ metrics: emptyMetrics(), run: { ...s.run, info: null, error: null, stepsPerSec: 0, tokensPerSec: 0, tokensSeen: 0, evaluating: false } }));
  }

  private receive(m: WorkerMessage): void {
    switch (m.type) {
      case 'ready':
        return patchRun(this.store, { gpu: { state: 'ready', adapter: m.adapter, features: m.features } });
      case 'gpu-unavailable':
        return patchRun(this.store, { gpu: { state: 'unavailable', message: m.message } });
      case 'status':
        this.flush();
        return patchRun(this.store, { status: m.status });
      case 'run-info':
        this.accepting = true;
        return patchRun(this.store, { info: m.info });
      case 'metrics':
        if (!this.accepting) return;
        this.buffer.push(...m.items);
        this.rates = { stepsPerSec: m.stepsPerSec, tokensPerSec: m.tokensPerSec, tokensSeen: m.tokensSeen };
        return this.scheduleFlush();
      case 'evaluating':
        return patchRun(this.store, { evaluating: m.busy && this.accepting });
      case 'dev':
        if (!this.accepting) return;
        this.flush();
        return this.store.setState((s) => ({ metrics: { ...s.metrics, dev: [...s.metrics.dev, m.result] } }));
      case 'translation':
      case 'translation-failed':
        return this.translated(m);
      case 'checkpoint':
        return download(`weighted-transformer-${m.variant}-step${m.step}.safetensors`, m.bytes as Uint8Array<ArrayBuffer>, 'application/octet-stream');
      case 'error':
        this.flush();
        return patchRun(this.store, { error: m.message });
    }
  }

  private translated(m: Extract<WorkerMessage, { type: 'translation' | 'translation-failed' }>): void {
    if (m.id !== this.translationId) return; // an older request
    const output = m.type === 'translation' ? m.output : null;
    const error = m.type === 'translation-failed' ? m.message : null;
    patchRun(this.store, { translation: { id: m.id, pending: false, output, error, ms: m.type === 'translation' ? m.ms : 0 } });
  }

  private scheduleFlush(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => this.flush());
    this.timer = setTimeout(() => this.flush(), FLUSH_FALLBACK_MS);
  }

  /** Append the buffered metrics to the store in one update. */
  private flush(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    this.frame = this.timer = null;
    if (this.buffer.length === 0) return;
    const items = this.buffer;
    this.buffer = [];
    this.store.setState((s) => ({ metrics: appendMetrics(s.metrics, items), run: { ...s.run, ...this.rates } }));
  }

  private workerFailed(message: string): void {
    const { gpu } = this.store.getState().run;
    const text = `The training worker failed: ${message || 'it could not be loaded'}`;
    if (gpu.state === 'probing') patchRun(this.store, { gpu: { state: 'unavailable', message: text } });
    else patchRun(this.store, { error: text, status: 'stopped' });
  }
}
