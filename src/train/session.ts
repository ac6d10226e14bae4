// The worker-side run loop: one session of one or more runs on the worker's device. Several runs (the
// comparison mode) are stepped in turn, one optimizer step each, so they share the device fairly and their
// curves advance together. Commands from the page (start, load, pause, resume, step, reset, translate,
// save, ...) arrive between steps: the loop yields a task after every round, and everything that touches
// the GPU runs one at a time through `exclusive`, so a translation or a dev evaluation never interleaves
// with a half-submitted step. What goes back to the page is plain numbers (protocol.ts); metrics are
// batched every METRICS_INTERVAL_MS per run. Steps are queued on the GPU ahead of their metrics, so pause,
// single step and reset are states of their own ('pausing', 'stepping', 'resetting') until every step in
// flight has reported (or the runs are freed): 'paused' means no step is applied or reported any more.
import type { Gpu } from '../gpu/device.ts';
import { tokenLabels } from './translate.ts';
import type { AttentionMaps, DeviceMemory, PageMessage, RunSpec, RunState, RunStatus, SaveReason, StepMetrics, TextPairs, WorkerMessage } from './protocol.ts';
import { DataCache, planFresh, planRestore, TrainingRun, type RunPlan } from './run.ts';
import { specWithPairs } from './spec.ts';
import { corpusHash, importCorpus } from '../data/import.ts';
import { nonfiniteReason, warmPipelines } from './trainer.ts';
import { validateModelConfig } from '../model/config.ts';
import { ablationProblem, measureMuted, runAblation, uniformWeightingLoss } from '../experiments/ablation.ts';
import { evalSet } from '../experiments/measure.ts';

const METRICS_INTERVAL_MS = 50;
/** Steps queued on the GPU ahead of the last reported one: about this much work, at least 2 steps (so the
 *  GPU never waits for the page), at most the trainer's readback slots. Pause and translate wait for it. */
const QUEUE_SECONDS = 0.1;
const MIN_IN_FLIGHT = 2;
const MAX_IN_FLIGHT = 8;

export class Session {
  private runs: TrainingRun[] = [];
  private status: RunStatus = 'idle';
  /** Bumped by every start, load and reset: loops and tasks of an older generation stop. */
  private generation = 0;
  private looping = false;
  private lock: Promise<unknown> = Promise.resolve();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lostMessage: string | null = null;
  /** Bumped by every reset command when it arrives: a start or load still queued before it is dropped. */
  private resets = 0;
  /** Imported corpora by content hash (runs name them instead of sending 456k pairs per run). */
  readonly corpora = new Map<string, { name: string; pairs: TextPairs }>();
  /** A learning-rate scale set after the last start command (applied to its runs once they exist). */
  private lrScaleSinceStart: number | null = null;

  constructor(
    private readonly gpu: Gpu,
    private readonly post: (message: WorkerMessage) => void,
  ) {
    gpu.onFault((message, kind) => {
      if (kind === 'lost') this.lostMessage = message;
      this.failAll(message);
    });
  }

  handle(message: PageMessage): void {
    switch (message.type) {
      case 'start':
        this.lrScaleSinceStart = null;
        return this.begin(message.request ?? 0, message.paused, (cache) => message.runs.map((spec) => planFresh(this.withCorpus(spec), cache, this.gpu.limits)), false);
      case 'load':
        this.lrScaleSinceStart = null;
        return this.begin(message.request ?? 0, message.paused, (cache) => message.runs.map((load) => planRestore({ ...load, spec: load.spec && this.withCorpus(load.spec) }, cache, this.gpu.limits)), true);
      case 'add':
        return this.add(message.request, message.run);
      case 'import':
        return void importInWorker(message, this.post, this.corpora);
      case 'corpus':
        this.corpora.set(message.hash, { name: message.name, pairs: message.pairs });
        return;
      case 'pause':
        return this.pause();
      case 'resume':
        return this.resume();
      case 'step':
        return void this.exclusive(() => this.singleStep());
      case 'reset':
        this.resets++; // a start or load not begun yet is dropped
        return this.reset();
      case 'set-lr-scale':
        this.lrScaleSinceStart = message.value;
        for (const run of this.runs) run.trainer.setLrScale(message.value);
        return;
      case 'translate':
        return void this.exclusive(() => this.translate(message));
      case 'save':
        return void this.exclusive(() => this.save(message.runIds, message.reason));
      case 'ablate':
        return void this.exclusive(() => this.ablate(message));
      case 'simulate-device-loss':
        // destroy() reports reason 'destroyed', which device.ts treats as our own cleanup: report it here.
        this.lostMessage = 'GPU device lost (simulated by the page): the device was destroyed';
        this.gpu.device.destroy();
        return this.failAll(this.lostMessage);
      case 'simulate-nan':
        for (const run of this.runs) if (run.state === 'active') run.trainer.poisonNextStep();
        return;
      case 'warm':
        return void this.exclusive(async () => this.warm(message.runs));
      case 'hello':
        return;
    }
  }

  /** Run GPU work one task at a time, in the order requested; a failure stops the session and is reported. */
  private exclusive(task: () => Promise<void>): Promise<void> {
    const next = this.lock.then(task).catch((err: unknown) => this.failAll(err instanceof Error ? err.message : String(err)));
    this.lock = next;
    return next;
  }

  /**
   * Replace the session's runs by new ones (fresh or restored; restored runs are evaluated first). Every
   * spec, checkpoint, tokenizer and data source is checked, and the data prepared, before anything is
   * replaced: a refusal ('rejected', naming the file) leaves the current runs as they were.
   */
  private begin(request: number, paused: boolean, plan: (cache: DataCache) => RunPlan[], evaluateFirst: boolean): void {
    const resets = this.resets;
    void this.exclusive(async () => {
      if (resets !== this.resets) return; // reset meanwhile
      if (this.lostMessage) {
        this.post({ type: 'rejected', request, message: `${this.lostMessage}. Reload the page (or resume from the autosave) to get a new GPU device.` });
        return;
      }
      let plans: RunPlan[];
      try {
        plans = plan(new DataCache((text) => this.post({ type: 'progress', text })));
      } catch (err) {
        this.post({ type: 'progress', text: null });
        this.post({ type: 'rejected', request, message: err instanceof Error ? err.message : String(err) });
        return;
      }
      this.post({ type: 'progress', text: null });
      const generation = ++this.generation;
      this.post({ type: 'accepted', request });
      await this.dispose();
      if (generation !== this.generation) return;
      this.setStatus('preparing');
      // One at a time into this.runs: when one fails (out of GPU memory), those made before it are still
      // freed by the next reset or start.
      for (const p of plans) this.runs.push(TrainingRun.create(this.gpu, p));
      const runs = this.runs;
      for (const run of runs) {
        if (this.lrScaleSinceStart !== null) run.trainer.setLrScale(this.lrScaleSinceStart);
        run.trainer.onMetrics = (m) => this.onMetrics(generation, run, m);
        this.post({ type: 'run-info', info: run.info() });
        if (run.state === 'translate-only') this.setRunState(run, 'translate-only', null);
      }
      // A fault while preparing (a lost device, reported at once by failAll as 'stopped') ends the start:
      // after every await the session must still be this start's and still 'preparing'.
      const superseded = () => generation !== this.generation || this.status !== 'preparing';
      if (evaluateFirst) for (const run of runs) await this.evaluate(generation, run);
      if (superseded()) return;
      // Each run's step compiled before its first step ('compile-progress': pipelines made asynchronously).
      for (const run of runs) {
        await run.prepare((p) => this.post({ type: 'compile-progress', ...p }));
        if (superseded()) return;
      }
      const trainable = runs.some((r) => r.state === 'active');
      if (trainable && !paused) this.post({ type: 'compile-progress', phase: 'first-step', done: 0, total: 1 });
      this.setStatus(!trainable ? 'done' : paused ? 'paused' : 'running');
      if (this.status === 'running') void this.loop(generation);
    });
  }

  /**
   * One more fresh run beside the session's (they keep their state and steps): checked and prepared
   * like a start's, then stepped in turn with the others; a done or stopped session runs again.
   */
  private add(request: number, spec: RunSpec): void {
    const generation = this.generation;
    const resets = this.resets;
    void this.exclusive(async () => {
      const refuse = (message: string) => this.post({ type: 'rejected', request, message });
      if (resets !== this.resets || generation !== this.generation) return refuse('the session was reset or replaced meanwhile');
      if (this.lostMessage) return refuse(`${this.lostMessage}. Reload the page to get a new GPU device.`);
      if (this.runs.length === 0 || this.status === 'idle' || this.status === 'resetting') return refuse('there are no runs to add one to: press Start');
      if (this.runs.some((r) => r.id === spec?.id)) return refuse(`run id ${String(spec?.id)} is already in use`);
      let plan: RunPlan;
      try {
        plan = planFresh(this.withCorpus(spec), new DataCache((text) => this.post({ type: 'progress', text })), this.gpu.limits);
      } catch (err) {
        this.post({ type: 'progress', text: null });
        return refuse(err instanceof Error ? err.message : String(err));
      }
      this.post({ type: 'progress', text: null });
      this.post({ type: 'accepted', request });
      const run = TrainingRun.create(this.gpu, plan);
      this.runs.push(run);
      if (this.lrScaleSinceStart !== null) run.trainer.setLrScale(this.lrScaleSinceStart);
      run.trainer.onMetrics = (m) => this.onMetrics(generation, run, m);
      this.post({ type: 'run-info', info: run.info() });
      if (this.status === 'done' || this.status === 'stopped') {
        this.setStatus('running');
        void this.loop(generation);
      }
    });
  }

  /** See PageMessage 'warm': the pipelines of the runs the page would start, made in the background. */
  private warm(runs: Extract<PageMessage, { type: 'warm' }>['runs']): void {
    if (this.runs.length > 0 || this.lostMessage) return;
    for (const run of runs) {
      try {
        const config = validateModelConfig(run.model, 'warm');
        // A typical first batch: 24 (or maxLen) positions a side, batchTokens padded tokens.
        const len = Math.min(config.maxLen, 24);
        warmPipelines(this.gpu, config, run.train, { batch: Math.max(1, Math.floor(run.batchTokens / (2 * len))), srcLen: len, tgtLen: len });
      } catch {
        // Speculative: a config the device refuses is Start's to report.
      }
    }
  }

  /** A spec whose imported corpus was left out (pairs: []) gets the pairs the worker holds by its hash. */
  private withCorpus(spec: RunSpec): RunSpec {
    const source = spec?.data?.source;
    if (source?.kind !== 'pairs' || source.pairs.length > 0 || typeof source.hash !== 'string') return spec;
    const held = this.corpora.get(source.hash);
    if (!held) throw new Error(`run "${spec.label}": the imported corpus ${source.name} (hash ${source.hash}) is not loaded: import it again`);
    return specWithPairs(spec, held.pairs);
  }

  /** Stop submitting steps now; 'paused' once every step already queued on the GPU has reported. */
  private pause(): void {
    if (this.status !== 'running') return;
    const generation = this.generation;
    this.setStatus('pausing');
    // After the step being submitted (exclusive), if any: the loop sees 'pausing' and submits no more.
    void this.exclusive(async () => {
      await this.drain(generation);
      if (this.generation === generation && this.status === 'pausing') this.setStatus('paused');
    });
  }

  /** Wait until every run's submitted steps have reported, then send their metrics to the page. */
  private async drain(generation: number): Promise<void> {
    for (const run of this.runs) await run.trainer.flush();
    if (this.generation === generation) this.flushMetrics();
  }

  private resume(): void {
    if (this.status !== 'paused') return;
    for (const run of this.runs) run.meter.reset();
    this.setStatus('running');
    void this.loop(this.generation);
  }

  /** Step every active run in turn until paused, reset, or every run is done or stopped. */
  private async loop(generation: number): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    const live = () => this.generation === generation && this.status === 'running';
    try {
      while (live()) {
        const active = this.runs.filter((r) => r.state === 'active');
        if (active.length === 0) break;
        for (const run of active) {
          if (!live()) break;
          if (run.trainer.step >= run.totalSteps) await this.exclusive(() => this.finish(generation, run));
          else await this.exclusive(() => this.stepOnce(generation, run, false));
        }
        await yieldTask(); // commands (pause, translate, ...) get through here
      }
      if (live()) await this.exclusive(async () => this.settle(generation));
    } finally {
      this.looping = false;
    }
  }

  /** Once no run is active: the session is done (or stopped when every run stopped). */
  private settle(generation: number): void {
    if (this.generation !== generation || this.runs.some((r) => r.state === 'active')) return;
    this.flushMetrics();
    this.setStatus(this.runs.every((r) => r.state === 'stopped') ? 'stopped' : 'done');
  }

  /** One step of every active run; 'paused' again once their metrics are back (and sent). */
  private async singleStep(): Promise<void> {
    const generation = this.generation;
    if (this.status !== 'paused') return;
    this.setStatus('stepping');
    for (const run of this.runs.filter((r) => r.state === 'active')) {
      run.meter.reset();
      if (run.trainer.step < run.totalSteps) await this.stepOnce(generation, run, true);
    }
    await this.drain(generation);
    // (A reset meanwhile changed the status: read it again, not as narrowed above.)
    if (this.generation === generation && (this.status as RunStatus) === 'stepping') this.setStatus('paused');
  }

  /** One optimizer step of one run (and its dev evaluation when it is due). */
  private async stepOnce(generation: number, run: TrainingRun, single: boolean): Promise<void> {
    const wanted = () => this.generation === generation && run.state === 'active' && this.status === (single ? 'stepping' : 'running');
    if (!wanted()) return;
    const trainer = run.trainer;
    await this.pace(generation, run);
    if (!trainer.canReport) await trainer.flush();
    if (!wanted()) return; // paused or reset while waiting
    trainer.trainStep(run.nextBatch());
    const every = run.spec?.evalEvery ?? 0;
    if (every > 0 && trainer.step % every === 0) await this.evaluate(generation, run);
  }

  /** Wait until few enough of the run's steps are in flight (see QUEUE_SECONDS). */
  private async pace(generation: number, run: TrainingRun): Promise<void> {
    const limit = Math.max(MIN_IN_FLIGHT, Math.min(MAX_IN_FLIGHT, Math.ceil(run.meter.stepsPerSec() * QUEUE_SECONDS)));
    const live = () => this.generation === generation && run.state === 'active' && this.status !== 'resetting';
    while (live() && run.trainer.step - run.lastReported >= limit) {
      // A lost device never reports: wake up now and then to notice the run stopped.
      await new Promise<void>((resolve) => {
        run.reported.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }

  private async finish(generation: number, run: TrainingRun): Promise<void> {
    if (this.generation !== generation || run.state !== 'active') return;
    await run.trainer.flush();
    if (run.lastEvalStep !== run.trainer.step) await this.evaluate(generation, run);
    this.flushMetrics();
    if (this.generation === generation && run.state === 'active') this.setRunState(run, 'done', null);
  }

  /** Evaluate a run on its dev set and send the result. */
  private async evaluate(generation: number, run: TrainingRun): Promise<void> {
    if (!run.data) return;
    const step = run.trainer.step;
    this.post({ type: 'evaluating', runId: run.id, step, busy: true });
    try {
      const result = await run.evaluateDev(() => this.generation === generation);
      if (result && this.generation === generation) {
        this.flushMetrics();
        this.post({ type: 'dev', runId: run.id, result, memory: this.memory() });
      }
    } finally {
      this.post({ type: 'evaluating', runId: run.id, step, busy: false });
    }
  }

  private async save(runIds: number[] | null, reason: SaveReason): Promise<void> {
    const runs = runIds ? this.runs.filter((r) => runIds.includes(r.id)) : this.runs;
    if (runs.length === 0) {
      if (reason === 'download') this.post({ type: 'error', message: 'There is no model to save yet: start training first.', deviceLost: false });
      return;
    }
    for (const run of runs) {
      const { bytes, step } = await run.checkpointBytes();
      this.flushMetrics(); // the page gets every step up to the checkpoint's before the checkpoint
      this.post({ type: 'checkpoint', runId: run.id, reason, bytes, step, label: run.label });
    }
  }

  private async translate(m: Extract<PageMessage, { type: 'translate' }>): Promise<void> {
    const run = this.runs.find((r) => r.id === m.runId) ?? this.runs[0];
    if (!run) {
      this.post({ type: 'translation-failed', id: m.id, message: 'There is no model yet: start training first.' });
      return;
    }
    const t0 = performance.now();
    const ids = run.tokenizer.encode(m.text.trim());
    const translator = run.trainer.translator();
    const [out] = await translator.translate([ids], { beam: m.beam, maxLen: run.trainer.config.maxLen });
    const output = run.tokenizer.decode(out).trim();
    const ms = performance.now() - t0;
    let attention: AttentionMaps | null = null;
    if (m.attentionLayer !== null) {
      const layer = Math.min(Math.max(0, m.attentionLayer), run.trainer.config.decLayers - 1);
      const maps = await translator.crossAttention(ids, out, layer);
      attention = { layer, srcTokens: tokenLabels(run.tokenizer, maps.srcIds), outTokens: tokenLabels(run.tokenizer, maps.outIds), maps: maps.probs };
    }
    this.post({ type: 'translation', id: m.id, runId: run.id, output, ms, attention, memory: this.memory() });
  }

  /**
   * Issue 12's test-time ablation of one run, between its steps (inside `exclusive`: no step is submitted
   * meanwhile; the steps in flight finish first). The learned κ/α are written back and checked bit for bit
   * (src/experiments/ablation.ts) before the numbers go back; a refusal or failure is 'ablation-failed'
   * and leaves the session running (only a GPU fault stops it, through onFault).
   */
  private async ablate(m: Extract<PageMessage, { type: 'ablate' }>): Promise<void> {
    const run = this.runs.find((r) => r.id === m.runId);
    const fail = (message: string) => this.post({ type: 'ablation-failed', id: m.id, runId: m.runId, message });
    if (!run) return fail(`there is no run ${m.runId} in this session`);
    const problem = ablationProblem(run.trainer.config) ?? (!run.data || run.data.dev.length === 0 ? 'the run has no dev set to measure on' : null);
    if (problem) return fail(`${run.label}: ${problem}`);
    if (!m.only && (!Number.isInteger(m.randomDraws) || m.randomDraws < 1 || m.randomDraws > 1000)) return fail(`random draws must be a whole number from 1 to 1000, got ${m.randomDraws}`);
    const generation = this.generation;
    const data = run.data!;
    const set = evalSet(run.tokenizer, data.devText, run.trainer.config.maxLen, { batches: data.dev, bleuSentences: m.bleu ? (run.spec?.bleuSentences ?? 0) : 0 });
    const progress = (text: string, done: number, total: number) => this.post({ type: 'ablation-progress', id: m.id, runId: run.id, text, done, total });
    try {
      await run.trainer.flush();
      this.flushMetrics();
      const step = run.trainer.step;
      const withBleu = m.bleu && set.sources.length > 0;
      let report = null, mute = null;
      if (m.only) {
        progress(`${m.only.layer} ${m.only.which} branch ${m.only.branch} muted`, 0, 1);
        mute = await measureMuted(run.trainer, set, m.only, withBleu);
      } else {
        report = await runAblation(run.trainer, set, { randomDraws: m.randomDraws, seed: m.seed, bleu: withBleu, onProgress: progress });
      }
      const uniformCheck = m.uniformCheck ? await uniformWeightingLoss(run.trainer, set) : null;
      if (this.generation === generation) this.post({ type: 'ablation', id: m.id, runId: run.id, step, report, mute, uniformCheck, memory: this.memory() });
    } catch (err) {
      if (this.lostMessage) throw err; // the device is gone: the session stops (reported once, by failAll)
      fail(`${run.label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private onMetrics(generation: number, run: TrainingRun, m: StepMetrics): void {
    // A stopped run's steps that were already queued (the trainer halted them: they changed nothing).
    if (this.generation !== generation || run.state === 'stopped') return;
    run.record(m);
    this.flushTimer ??= setTimeout(() => this.flushMetrics(), METRICS_INTERVAL_MS);
    if (m.nonfinite && run.state === 'active') {
      this.flushMetrics();
      this.setRunState(run, 'stopped', `${run.label}: training stopped at step ${m.step}: ${nonfiniteReason(m)}; weights kept from the last good step`);
      if (!this.runs.some((r) => r.state === 'active')) this.settle(generation);
    }
  }

  private flushMetrics(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const run of this.runs) {
      if (run.pending.length === 0) continue;
      const items = run.pending;
      run.pending = [];
      this.post({ type: 'metrics', runId: run.id, items, rates: run.rates(), memory: this.memory() });
    }
  }

  /** Stop every run (they stay inspectable: translations still work unless the device is gone). */
  private failAll(message: string): void {
    for (const run of this.runs) if (run.state === 'active') this.setRunState(run, 'stopped', null);
    this.setStatus(this.runs.length > 0 ? 'stopped' : 'idle');
    this.post({ type: 'error', message, deviceLost: this.lostMessage !== null });
  }

  /** Stop at once (nothing more is reported); 'idle' once every run's GPU memory is freed. */
  private reset(): void {
    ++this.generation;
    this.setStatus('resetting');
    void this.exclusive(async () => {
      await this.dispose();
      // A start queued after this reset has not begun yet (exclusive): 'idle' is this reset's last word.
      this.setStatus('idle');
    });
  }

  /** Free the runs' GPU objects (trainers with their buckets, translators, readback rings) once their
   *  submitted work is done; nothing else in the session holds GPU memory (the data cache is host data). */
  private async dispose(): Promise<void> {
    const runs = this.runs;
    this.runs = [];
    for (const run of runs) {
      run.state = 'stopped';
      await run.trainer.flush().catch(() => {});
      run.destroy();
    }
  }

  /** Every live GPU buffer of the device (all runs, translators, launcher scratch), for the page. */
  private memory(): DeviceMemory {
    const { liveBytes, liveBuffers } = this.gpu.memory;
    return { liveBytes, liveBuffers };
  }

  private setRunState(run: TrainingRun, state: RunState, message: string | null): void {
    run.state = state;
    this.post({ type: 'run-state', runId: run.id, state, message });
  }

  /** The status with the step the page shows (the last reported one) and the device's memory. */
  private setStatus(status: RunStatus): void {
    this.status = status;
    this.post({ type: 'status', status, step: Math.max(0, ...this.runs.map((r) => r.lastReported)), memory: this.memory() });
  }
}

/**
 * Parse a corpus file in the worker, off the page's main thread, posting the fraction read now and then;
 * the page gets the report and the pairs once, and `corpora` keeps them by hash (runs then name them).
 */
export function importInWorker(m: Extract<PageMessage, { type: 'import' }>, post: (message: WorkerMessage) => void, corpora: Map<string, { name: string; pairs: TextPairs }>): void {
  let last = -1;
  const result = importCorpus(m.bytes, {
    onProgress: (fraction) => {
      const percent = Math.floor(fraction * 100);
      if (percent === last) return;
      last = percent;
      post({ type: 'import-progress', id: m.id, fraction });
    },
  });
  const pairs = result.fatal ? [] : result.pairs.map((p) => ({ src: p.source, tgt: p.target }));
  const hash = result.fatal ? null : corpusHash(pairs);
  if (hash) corpora.set(hash, { name: m.name, pairs });
  // The pairs go back once, as {src, tgt}: the report's own copy is left out.
  post({ type: 'import-result', id: m.id, name: m.name, result: { ...result, pairs: [] }, hash, pairs });
}

/** Yield one task (not a microtask) so queued messages are handled; no setTimeout clamping. */
function yieldTask(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}
const waiting: (() => void)[] = [];
const channel = new MessageChannel();
channel.port1.onmessage = () => waiting.shift()?.();
