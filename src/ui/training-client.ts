// The page's side of the worker protocol: starts the training worker, turns the user's commands into
// messages and the worker's messages into store updates. Step metrics are buffered per run and appended
// to the store once per animation frame, so a fast run costs one render per frame, not one per step.
// It also drives the autosave (every N steps, all runs' checkpoints into IndexedDB) and the recoveries:
// resume from the autosave after a reload, or on a fresh worker and device after the device was lost.
import { download } from './export.ts';
import type { DeviceMemory, LoadSpec, PageMessage, RunSpec, StepMetrics, WorkerMessage } from '../train/protocol.ts';
import { corpusHash, type ImportResult } from '../data/import.ts';
import type { ConfigValues, ImportedCorpus } from './schema.ts';
import { runSpecs } from './runs.ts';
import { ExperimentClient } from './experiments/experiment-client.ts';
import { expandSeeds } from './experiments/seed-runs.ts';
import { specWithPairs, specWithoutPairs } from '../train/spec.ts';
import { autosaveStep, deleteAutosave, newAutosaveKey, readAutosaveAt, tabId, writeAutosave, type AutosaveRecord, type AutosavedRun } from './autosave.ts';
import { boundedHistory, checkCheckpointFile } from './checkpoint-load.ts';
import { CHECKPOINT_EXTRAS, withCheckpointExtras } from '../model/checkpoint.ts';
import { changeLabel, changedFields } from './runs.ts';
import {
  addDevResult, appendMetrics, emptyRunMetrics, idleRates, idleTranslation, patchConfig, patchRun, patchRunView, truncateMetrics,
  type PlaygroundStore, type RunMetrics, type RunSlice, type RunView,
} from './store.ts';

/** Flush buffered metrics after this long even when no animation frame comes (a hidden tab). */
const FLUSH_FALLBACK_MS = 250;

export class TrainingClient {
  private worker: Worker;
  private buffers = new Map<number, StepMetrics[]>();
  private rates = new Map<number, RunView['rates']>();
  /** The device's memory from the buffered metrics (into the store with them). */
  private memory: DeviceMemory | null = null;
  private frame: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by every start/load/reset: messages of older sessions are dropped until its run-info. */
  private session = 0;
  private accepting = new Set<number>();
  private translationId = 0;
  /** Autosave in progress: the checkpoints received so far, by run id. */
  private autosaving: { step: number; received: Map<number, { bytes: Uint8Array; step: number }> } | null = null;
  private lastAutosaveStep = 0;
  /** This session's own autosave slot (IndexedDB key); a new one for every start, load or resume. */
  private autosaveKey: string | null = null;
  /** The slot a resumed session came from: deleted once the session's own autosave replaces it (this tab's only). */
  private resumedFrom: string | null = null;
  /** Start/load commands sent and not yet answered: what to show once the worker accepts one. */
  private request = 0;
  private pending: Pending | null = null;
  /** Imported corpora (by hash) the current worker holds: specs then leave their pairs out. */
  private workerCorpora = new Set<string>();
  /** Corpus imports in the worker, by id: who hears their progress and result. */
  private imports = new Map<number, (m: Extract<WorkerMessage, { type: 'import-progress' | 'import-result' }>) => void>();
  private importId = 0;
  /** 'add' commands sent and not yet answered: the run each adds. */
  private adding = new Map<number, { id: number; label: string }>();
  /** Target tokens a restored run had seen (its checkpoint's), until its first metrics. */
  private restoredTokens = new Map<number, number>();

  /** Issue 12's experiments: ablations, muted branches, sweeps, opened reports (experiments/experiment-client.ts). */
  readonly experiments: ExperimentClient;

  constructor(private readonly store: PlaygroundStore) {
    this.worker = this.spawn();
    this.experiments = new ExperimentClient(store, (m) => this.send(m), (specs, options) => this.startRuns(specs, options));
  }

  private spawn(): Worker {
    this.workerCorpora = new Set();
    const worker = new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' });
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => this.receive(event.data));
    worker.addEventListener('error', (event) => this.workerFailed(event.message));
    worker.postMessage({ type: 'hello' } satisfies PageMessage);
    return worker;
  }

  private send(message: PageMessage): void {
    this.worker.postMessage(message);
  }

  /** Let the worker start making the pipelines of what Start would train (the form as it is now). */
  private warm(): void {
    const { values, imported } = this.store.getState().config;
    const { gpu } = this.store.getState().run;
    const checked = runSpecs(values, imported, gpu.state === 'ready' ? (gpu.limits ?? null) : null);
    if (checked.ok) this.send({ type: 'warm', runs: checked.specs.map((s) => ({ model: s.model, train: s.train, batchTokens: s.data.batchTokens })) });
  }

  /** Start fresh runs with the current config (or resume paused ones). */
  start(paused = false): void {
    const { status } = this.store.getState().run;
    if (status === 'paused' && !paused) return this.send({ type: 'resume' });
    const { values, imported } = this.store.getState().config;
    const { gpu } = this.store.getState().run;
    const checked = runSpecs(values, imported, gpu.state === 'ready' ? (gpu.limits ?? null) : null);
    if (!checked.ok) return patchRun(this.store, { error: checked.errors.join('; ') });
    this.experiments.comparisonStarting();
    this.startRuns(expandSeeds(checked.specs, values.seeds), { liveLrScale: true }, paused); // each compared run × the seeds (experiments/seed-runs.ts)
  }

  /**
   * Toggle one muted branch of a run (issue 12): measure its dev loss and BLEU with κ_i or α_i of `layer`
   * ("enc.0", "dec.1") set to 0 and the rest renormalized, beside the learned ones, its weights restored
   * afterwards; the result is `experiments.mutes[muteKey(runId, {layer, branch, which})]` in the store
   * (experiments/slice.ts) and is listed in the Experiments panel. A second call clears it.
   */
  muteBranch(runId: number, layer: string, branch: number, which: 'kappa' | 'alpha'): void {
    this.experiments.muteBranch(runId, layer, branch, which);
  }

  /** Start these runs as a new session; `liveLrScale`: with the live LR slider's scale (not for an LR sweep). */
  startRuns(specs: RunSpec[], options: { liveLrScale: boolean }, paused = false): void {
    const { values } = this.store.getState().config;
    const { lrScale } = this.store.getState().run;
    const runs = options.liveLrScale ? specs.map((s) => ({ ...s, train: { ...s.train, lrScale } })) : specs;
    this.propose({ runs: runs.map((s) => ({ id: s.id, label: s.label, metrics: emptyRunMetrics() })), startedWith: values }, 'checking the settings and preparing the data…', (request) => ({
      type: 'start', request, runs: runs.map((s) => this.lean(s)), paused,
    }));
  }

  /**
   * Send a start or load; the page's runs are replaced only once the worker has checked it ('accepted'):
   * a refused one ('rejected', naming the file and the problem) leaves the current runs as they are.
   */
  private propose(next: Omit<Pending, 'request'>, progress: string, message: (request: number) => PageMessage): void {
    const request = ++this.request;
    this.pending = { ...next, request };
    patchRun(this.store, { progress, error: null });
    this.send(message(request));
  }

  /** A spec without its imported pairs when the worker holds them (else they go once, in a 'corpus'). */
  private lean(spec: RunSpec): RunSpec {
    const source = spec.data.source;
    if (source.kind !== 'pairs') return spec;
    const hash = source.hash ?? corpusHash(source.pairs);
    if (!this.workerCorpora.has(hash)) {
      this.send({ type: 'corpus', name: source.name, hash, pairs: source.pairs });
      this.workerCorpora.add(hash);
    }
    return specWithoutPairs({ ...spec, data: { ...spec.data, source: { ...source, hash } } });
  }

  private accepted(request: number): void {
    const added = this.adding.get(request);
    if (added) return this.runAdded(request, added);
    const next = this.pending;
    if (!next || next.request !== request) return;
    this.pending = null;
    if (next.values) patchConfig(this.store, { values: next.values, ...(next.imported !== undefined ? { imported: next.imported } : {}) });
    if (next.lrScale !== undefined) patchRun(this.store, { lrScale: next.lrScale });
    this.beginSession(next.runs, next.focus ?? null, next.autosave ?? null);
    if (next.autosaveStep !== undefined) this.lastAutosaveStep = next.autosaveStep;
    next.onAccepted?.();
    patchRun(this.store, { progress: null, startedWith: next.values ?? next.startedWith ?? null });
  }

  /**
   * "New run with this change": one more fresh run, with the form's settings, beside the session's runs
   * (they go on as they are; the new one starts from scratch on the same data). Labelled by what changed.
   */
  addRun(): void {
    const { config, run } = this.store.getState();
    const base = run.startedWith;
    const checked = runSpecs({ ...config.values, compare: 'off' }, config.imported, run.gpu.state === 'ready' ? (run.gpu.limits ?? null) : null);
    if (!checked.ok) return patchRun(this.store, { error: checked.errors.join('; ') });
    const id = Math.max(-1, ...run.runs.map((r) => r.id)) + 1;
    const label = base ? changeLabel(changedFields(base, config.values)) : checked.specs[0].label;
    const spec = { ...checked.specs[0], id, label, train: { ...checked.specs[0].train, lrScale: run.lrScale } };
    const request = ++this.request;
    this.adding.set(request, { id, label });
    patchRun(this.store, { progress: `preparing the new run (${label})…`, error: null });
    this.send({ type: 'add', request, run: this.lean(spec) });
  }

  private runAdded(request: number, added: { id: number; label: string }): void {
    this.adding.delete(request);
    this.autosaving = null; // an autosave asked before this run existed would wait for its checkpoint forever
    const view: RunView = { id: added.id, label: added.label, info: null, state: 'preparing', error: null, rates: idleRates(), evaluating: false };
    this.store.setState((s) => ({
      metrics: { runs: { ...s.metrics.runs, [added.id]: emptyRunMetrics() } },
      run: { ...s.run, runs: [...s.run.runs, view], progress: null, startedWith: { ...s.config.values, compare: s.run.startedWith?.compare ?? s.config.values.compare } },
    }));
  }

  private rejected(request: number, message: string): void {
    if (this.adding.delete(request)) return patchRun(this.store, { progress: null, error: `No run was added: ${message}` });
    if (this.pending?.request !== request) return;
    this.pending = null;
    patchRun(this.store, { progress: null, error: `Nothing was replaced: ${message}` });
  }

  pause(): void {
    this.send({ type: 'pause' });
  }

  /** One step of every run; with no runs, prepare them (paused) first. */
  step(): void {
    const { status } = this.store.getState().run;
    if (status === 'idle' || status === 'done' || status === 'stopped') this.start(true);
    this.send({ type: 'step' });
  }

  /** Drop the runs now; the worker says 'idle' once it has freed them (without a device: at once). */
  reset(): void {
    this.pending = null; // the worker drops a start or load not begun before the reset: no answer comes
    this.adding.clear();
    patchRun(this.store, { progress: null, startedWith: null });
    this.beginSession([]);
    patchRun(this.store, { status: this.store.getState().run.gpu.state === 'ready' ? 'resetting' : 'idle' });
    this.send({ type: 'reset' });
  }

  setLrScale(value: number): void {
    patchRun(this.store, { lrScale: value });
    this.store.setState((s) => ({ config: { ...s.config, values: { ...s.config.values, lrScale: value } } }));
    this.send({ type: 'set-lr-scale', value });
  }

  setFocus(runId: number): void {
    patchRun(this.store, { focus: runId });
  }

  /** Ask the worker for a run's checkpoint (the focused one by default); it arrives and is downloaded. */
  saveCheckpoint(runId?: number): void {
    const id = runId ?? this.store.getState().run.focus ?? 0;
    this.send({ type: 'save', runIds: [id], reason: 'download' });
  }

  translate(text: string, beam: number, attentionLayer: number | null = null): void {
    const id = ++this.translationId;
    const runId = this.store.getState().run.focus ?? 0;
    patchRun(this.store, { translation: { ...idleTranslation, id, pending: true, runId } });
    this.send({ type: 'translate', id, runId, text, beam, attentionLayer });
  }

  /** Parse a corpus file in the worker (the page stays responsive), with the fraction read so far. */
  async importCorpusFile(file: File, onProgress: (fraction: number) => void): Promise<ImportedFile> {
    const id = ++this.importId;
    const bytes = new Uint8Array(await file.arrayBuffer());
    return new Promise((resolve) => {
      this.imports.set(id, (m) => {
        if (m.type === 'import-progress') return onProgress(m.fraction);
        this.imports.delete(id);
        if (m.hash) this.workerCorpora.add(m.hash);
        resolve({ name: m.name, result: m.result, hash: m.hash, pairs: m.pairs });
      });
      this.worker.postMessage({ type: 'import', id, name: file.name, bytes } satisfies PageMessage, [bytes.buffer]);
    });
  }

  /** Load a checkpoint file (continue training, or translate only); a bad file changes nothing. */
  async loadCheckpointFile(file: File): Promise<string | null> {
    const { imported } = this.store.getState().config;
    const bytes = new Uint8Array(await file.arrayBuffer());
    let checked;
    try {
      checked = checkCheckpointFile(file.name, bytes, imported, this.store.getState().run.lrScale);
    } catch (err) {
      patchRun(this.store, { error: err instanceof Error ? err.message : String(err) });
      return null;
    }
    const load = checked.load.spec ? { ...checked.load, spec: this.lean(checked.load.spec) } : checked.load;
    this.restoredTokens.set(load.id, checked.tokensSeen);
    this.propose({ runs: [{ id: load.id, label: load.label, metrics: checked.history ?? emptyRunMetrics() }], values: checked.values ?? undefined }, `checking ${file.name}…`, (request) => ({
      type: 'load', request, runs: [load], paused: true,
    }));
    return [checked.summary, checked.notice].filter(Boolean).join(' ');
  }

  /**
   * Resume autosaved runs (after a reload, from the list, or after a lost device: on a fresh worker and
   * device). `key` is the record's slot; the resumed session autosaves into a new slot of its own.
   */
  resumeFromAutosave(record: AutosaveRecord, freshWorker = false, key: string | null = null): void {
    if (freshWorker) {
      this.worker.terminate();
      this.worker = this.spawn();
      patchRun(this.store, { gpu: { state: 'probing' }, error: null, deviceLost: false });
    }
    const step = autosaveStep(record);
    const runs: LoadSpec[] = record.runs.map((r) => ({
      checkpoint: r.checkpoint, spec: this.lean(record.imported ? specWithPairs(r.spec, record.imported.pairs) : r.spec), id: r.id, label: r.label, file: `the autosave of ${r.label}`,
    }));
    const ownSlot = key !== null && key.startsWith(`${tabId()}/`);
    this.propose(
      {
        runs: record.runs.map((r) => ({ id: r.id, label: r.label, metrics: truncateMetrics(r.metrics, r.step) })), focus: record.focus, autosave: { step, savedAt: record.savedAt },
        values: record.values, imported: record.imported, lrScale: record.values.lrScale, autosaveStep: step, onAccepted: () => (this.resumedFrom = ownSlot ? key : null),
      },
      'checking the autosave…',
      (request) => ({ type: 'load', request, runs, paused: false }),
    );
  }

  /** After a lost device: this session's own autosave (never another tab's), on a fresh worker and device. */
  async resumeAfterDeviceLoss(): Promise<void> {
    const key = this.autosaveKey;
    const record = key ? await readAutosaveAt(key) : null;
    if (!record) throw new Error('the autosave of this run is gone');
    this.resumeFromAutosave(record, true, key);
  }

  /** Delete one autosave from this browser. */
  discardAutosave(key: string): Promise<void> {
    return deleteAutosave(key);
  }

  /** Test hook (e2e): the next step of every run gets a NaN gradient. */
  simulateNan(): void {
    this.send({ type: 'simulate-nan' });
  }

  /** Test hook (e2e): make the worker's device lost. */
  simulateDeviceLoss(): void {
    this.send({ type: 'simulate-device-loss' });
  }

  /** Forget the previous session's runs and metrics; accept messages only for the new runs. */
  private beginSession(runs: { id: number; label: string; metrics: RunMetrics }[], focus: number | null = null, autosave: RunSlice['autosave'] = null): void {
    this.session++;
    this.experiments.sessionBegun();
    this.accepting = new Set();
    this.buffers = new Map();
    this.rates = new Map();
    this.memory = null;
    this.autosaving = null;
    this.lastAutosaveStep = 0;
    this.autosaveKey = runs.length > 0 ? newAutosaveKey() : null;
    this.resumedFrom = null;
    const views: RunView[] = runs.map((r) => ({ id: r.id, label: r.label, info: null, state: 'preparing', error: null, rates: idleRates(), evaluating: false }));
    this.store.setState((s) => ({
      metrics: { runs: Object.fromEntries(runs.map((r) => [r.id, r.metrics])) },
      // `autosave` is this session's (a device-lost recovery resumes this session's runs, not older ones).
      run: { ...s.run, runs: views, focus: focus ?? runs[0]?.id ?? null, error: null, status: runs.length > 0 ? 'preparing' : s.run.status, autosave, compile: null },
    }));
  }

  private receive(m: WorkerMessage): void {
    switch (m.type) {
      case 'ready':
        patchRun(this.store, { gpu: { state: 'ready', adapter: m.adapter, features: m.features, limits: m.limits }, gpuMemory: m.memory });
        return this.warm();
      case 'gpu-unavailable':
        return patchRun(this.store, { gpu: { state: 'unavailable', message: m.message } });
      case 'status':
        this.flush();
        // Compile progress only lasts while a session prepares or runs up to its first metrics.
        return patchRun(this.store, { status: m.status, gpuMemory: m.memory, ...(m.status === 'preparing' || m.status === 'running' ? {} : { compile: null }) });
      case 'run-info': {
        this.accepting.add(m.info.id);
        const seen = this.store.getState().metrics.runs[m.info.id]?.tokens.at(-1) ?? this.restoredTokens.get(m.info.id) ?? 0;
        this.restoredTokens.delete(m.info.id);
        return patchRunView(this.store, m.info.id, { info: m.info, state: 'active', rates: { ...idleRates(), tokensSeen: seen, gpuBytes: m.info.gpuBytes } });
      }
      case 'run-state':
        if (!this.accepting.has(m.runId)) return;
        this.flush();
        return patchRunView(this.store, m.runId, { state: m.state, error: m.message });
      case 'metrics':
        if (!this.accepting.has(m.runId)) return;
        this.buffers.set(m.runId, [...(this.buffers.get(m.runId) ?? []), ...m.items]);
        this.rates.set(m.runId, m.rates);
        this.memory = m.memory;
        if (this.store.getState().run.compile !== null) patchRun(this.store, { compile: null }); // the first step is done
        return this.scheduleFlush();
      case 'evaluating':
        if (!this.accepting.has(m.runId)) return;
        return patchRunView(this.store, m.runId, { evaluating: m.busy });
      case 'dev':
        if (!this.accepting.has(m.runId)) return;
        this.flush();
        return this.store.setState((s) => ({
          metrics: { runs: { ...s.metrics.runs, [m.runId]: addDevResult(s.metrics.runs[m.runId] ?? emptyRunMetrics(), m.result) } },
          run: { ...s.run, gpuMemory: m.memory },
        }));
      case 'translation':
      case 'translation-failed':
        return this.translated(m);
      case 'checkpoint':
        if (m.reason === 'autosave') return this.autosaveReceived(m);
        this.flush(); // the steps up to the checkpoint's came before it: on the charts as it downloads
        return download(`weighted-transformer-${slug(m.label)}-step${m.step}.safetensors`, this.withHistory(m.runId, m.step, m.bytes) as Uint8Array<ArrayBuffer>, 'application/octet-stream');
      case 'accepted':
        return this.accepted(m.request);
      case 'rejected':
        return this.rejected(m.request, m.message);
      case 'progress':
        return patchRun(this.store, { progress: m.text ?? (this.pending ? this.store.getState().run.progress : null) });
      case 'compile-progress':
        return patchRun(this.store, { compile: { phase: m.phase, done: m.done, total: m.total } });
      case 'ablation':
      case 'ablation-progress':
      case 'ablation-failed':
        return this.experiments.receive(m);
      case 'import-progress':
      case 'import-result':
        return this.imports.get(m.id)?.(m);
      case 'error':
        this.flush();
        return patchRun(this.store, { error: m.message, deviceLost: m.deviceLost || this.store.getState().run.deviceLost });
    }
  }

  /** A downloaded checkpoint carries the run's metrics up to its step (bounded), so loading it shows them. */
  private withHistory(runId: number, step: number, bytes: Uint8Array): Uint8Array {
    const metrics = this.store.getState().metrics.runs[runId];
    if (!metrics || metrics.steps.length === 0) return bytes;
    return withCheckpointExtras(bytes, { [CHECKPOINT_EXTRAS.history]: boundedHistory(truncateMetrics(metrics, step)) });
  }

  private translated(m: Extract<WorkerMessage, { type: 'translation' | 'translation-failed' }>): void {
    if (m.id !== this.translationId) return; // an older request
    const ok = m.type === 'translation';
    patchRun(this.store, {
      ...(ok ? { gpuMemory: m.memory } : {}),
      translation: { id: m.id, pending: false, output: ok ? m.output : null, error: ok ? null : m.message, ms: ok ? m.ms : 0, runId: ok ? m.runId : null, attention: ok ? m.attention : null },
    });
  }

  private scheduleFlush(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => this.flush());
    this.timer = setTimeout(() => this.flush(), FLUSH_FALLBACK_MS);
  }

  /** Append the buffered metrics of every run to the store in one update. */
  private flush(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    this.frame = this.timer = null;
    if (this.buffers.size === 0) return;
    const buffers = this.buffers;
    const memory = this.memory;
    this.buffers = new Map();
    this.memory = null;
    this.store.setState((s) => {
      const runs = { ...s.metrics.runs };
      for (const [id, items] of buffers) {
        const prev = runs[id] ?? emptyRunMetrics();
        const seen = prev.tokens.length > 0 ? prev.tokens[prev.tokens.length - 1] : (this.rates.get(id)?.tokensSeen ?? 0) - items.reduce((a, b) => a + b.tokens, 0);
        runs[id] = appendMetrics(prev, items, seen);
      }
      const views = s.run.runs.map((r) => (this.rates.has(r.id) ? { ...r, rates: this.rates.get(r.id)! } : r));
      return { metrics: { runs }, run: { ...s.run, runs: views, gpuMemory: memory ?? s.run.gpuMemory } };
    });
    this.maybeAutosave();
  }

  /** Every `autosaveEvery` steps of the slowest active run, ask for every run's checkpoint. */
  private maybeAutosave(): void {
    const { config, run, metrics } = this.store.getState();
    const every = config.values.autosaveEvery;
    const active = run.runs.filter((r) => r.state === 'active' && r.info?.spec);
    if (every <= 0 || this.autosaving || active.length === 0 || active.length !== run.runs.length) return;
    const step = Math.min(...active.map((r) => metrics.runs[r.id]?.steps.at(-1) ?? 0));
    if (Math.floor(step / every) <= Math.floor(this.lastAutosaveStep / every)) return;
    this.autosaving = { step, received: new Map() };
    this.send({ type: 'save', runIds: null, reason: 'autosave' });
  }

  private autosaveReceived(m: Extract<WorkerMessage, { type: 'checkpoint' }>): void {
    const pending = this.autosaving;
    if (!pending || !this.accepting.has(m.runId)) return;
    pending.received.set(m.runId, { bytes: m.bytes, step: m.step });
    this.flush(); // the metrics up to the checkpoint's step arrived before it: into the store with them
    const { config, run, metrics } = this.store.getState();
    if (pending.received.size < run.runs.length) return;
    this.autosaving = null;
    this.lastAutosaveStep = pending.step;
    const runs: AutosavedRun[] = run.runs.map((r) => {
      const got = pending.received.get(r.id)!;
      return { id: r.id, label: r.label, spec: specWithoutPairs(r.info!.spec!), checkpoint: got.bytes, step: got.step, metrics: truncateMetrics(metrics.runs[r.id] ?? emptyRunMetrics(), got.step) };
    });
    const record: AutosaveRecord = { version: 1, savedAt: Date.now(), values: config.values, imported: config.imported, focus: run.focus, runs, tabId: tabId() };
    const session = this.session;
    const key = this.autosaveKey ?? (this.autosaveKey = newAutosaveKey());
    writeAutosave(key, record).then(
      () => {
        if (session !== this.session) return;
        patchRun(this.store, { autosave: { step: autosaveStep(record), savedAt: record.savedAt } });
        // The continued run's own autosave now holds everything the one it was resumed from did.
        if (this.resumedFrom) void deleteAutosave(this.resumedFrom).catch(() => {});
        this.resumedFrom = null;
      },
      (err: unknown) => patchRun(this.store, { error: `Autosave failed (training goes on): ${err instanceof Error ? err.message : String(err)}` }),
    );
  }

  private workerFailed(message: string): void {
    const { gpu } = this.store.getState().run;
    const text = `The training worker failed: ${message || 'it could not be loaded'}`;
    if (gpu.state === 'probing') patchRun(this.store, { gpu: { state: 'unavailable', message: text } });
    else patchRun(this.store, { error: text, status: 'stopped' });
  }
}

/** A corpus file parsed in the worker: the report (its own pairs left out), the pairs and their hash. */
export interface ImportedFile {
  name: string;
  result: ImportResult;
  hash: string | null;
  pairs: { src: string; tgt: string }[];
}

/** A start or load waiting for the worker's answer, and what the page shows once it is accepted. */
interface Pending {
  request: number;
  runs: { id: number; label: string; metrics: RunMetrics }[];
  focus?: number | null;
  autosave?: RunSlice['autosave'];
  autosaveStep?: number;
  values?: ConfigValues;
  imported?: ImportedCorpus | null;
  lrScale?: number;
  /** The settings a start used (a load's or resume's are `values`). */
  startedWith?: ConfigValues;
  onAccepted?: () => void;
}

function slug(label: string): string {
  return label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase() || 'run';
}
