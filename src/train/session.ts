// The worker-side run loop: one training run at a time on the worker's device. Commands from the page
// (start, pause, resume, step, reset, translate, ...) arrive between steps: the loop yields a task after
// every step, and everything that touches the GPU runs one at a time through `exclusive`, so a
// translation or a dev evaluation never interleaves with a half-submitted step. What goes back to the
// page is plain numbers (protocol.ts); metrics are batched every METRICS_INTERVAL_MS.
import { encodeCheckpoint } from '../model/checkpoint.ts';
import type { Gpu } from '../gpu/device.ts';
import { validateModelConfig, type Weighting } from '../model/config.ts';
import { corpusBleu } from '../data/bleu.ts';
import { Trainer, type Batch, type StepMetrics } from './trainer.ts';
import { prepareData, type PreparedData } from './data.ts';
import type { PageMessage, RunSpec, RunStatus, WorkerMessage } from './protocol.ts';

const METRICS_INTERVAL_MS = 50;
/** Steps queued on the GPU ahead of the last reported one: about this much work, at least 2 steps (so the
 *  GPU never waits for the page), at most the trainer's readback slots. Pause and translate wait for it. */
const QUEUE_SECONDS = 0.1;
const MIN_IN_FLIGHT = 2;
const MAX_IN_FLIGHT = 8;
/** Dev translations sent back with each evaluation. */
const DEV_SAMPLES = 3;

interface Run {
  spec: RunSpec;
  data: PreparedData;
  trainer: Trainer;
  batches: Generator<{ batch: Batch }>;
  status: RunStatus;
  looping: boolean;
  lastEvalStep: number;
  /** The last step whose metrics came back, and who waits for the next one. */
  lastReported: number;
  reported: (() => void)[];
  tokensSeen: number;
  meter: RateMeter;
}

export class Session {
  private run: Run | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private pending: StepMetrics[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lostMessage: string | null = null;
  /** A learning-rate scale set after the last start command (applied to that run once it exists). */
  private lrScaleSinceStart: number | null = null;

  constructor(
    private readonly gpu: Gpu,
    private readonly post: (message: WorkerMessage) => void,
  ) {
    gpu.onFault((message) => this.fail(message));
    void gpu.lost.then((message) => (this.lostMessage = message));
  }

  handle(message: PageMessage): void {
    switch (message.type) {
      case 'start':
        this.lrScaleSinceStart = null;
        void this.exclusive(() => this.start(message.spec, message.paused));
        break;
      case 'pause':
        if (this.run?.status === 'running') this.setStatus(this.run, 'paused');
        break;
      case 'resume':
        this.resume();
        break;
      case 'step':
        void this.exclusive(() => this.singleStep());
        break;
      case 'reset':
        this.reset();
        break;
      case 'set-lr-scale':
        this.lrScaleSinceStart = message.value;
        this.run?.trainer.setLrScale(message.value);
        break;
      case 'translate':
        void this.exclusive(() => this.translate(message.id, message.text, message.beam));
        break;
      case 'save':
        void this.exclusive(() => this.save());
        break;
      case 'hello':
        break;
    }
  }

  /** Run GPU work one task at a time, in the order requested; a failure stops the run and is reported. */
  private exclusive(task: () => Promise<void>): Promise<void> {
    const next = this.lock.then(task).catch((err: unknown) => this.fail(err instanceof Error ? err.message : String(err)));
    this.lock = next;
    return next;
  }

  private async start(spec: RunSpec, paused: boolean): Promise<void> {
    await this.dispose();
    if (this.lostMessage) throw new Error(`${this.lostMessage}. Reload the page to get a new GPU device.`);
    this.post({ type: 'status', status: 'preparing', step: 0 });
    await yieldTask(); // let the status through before the (synchronous) data preparation
    const { source, vocab, batchTokens, devPairs } = spec.data;
    const data = prepareData(source, { seed: spec.train.seed, vocab, maxLen: spec.model.maxLen, batchTokens, devPairs });
    const config = validateModelConfig({ ...spec.model, vocab: data.tokenizer.vocabSize }, 'run config');
    const trainer = new Trainer(this.gpu, config, spec.train);
    if (this.lrScaleSinceStart !== null) trainer.setLrScale(this.lrScaleSinceStart);
    const run: Run = {
      spec: { ...spec, model: config }, data, trainer, batches: data.train.iterate(0), status: 'paused', looping: false,
      lastEvalStep: 0, lastReported: 0, reported: [], tokensSeen: 0, meter: new RateMeter(),
    };
    trainer.onMetrics = (m) => this.onMetrics(run, m);
    this.run = run;
    const info = { description: data.description, config, parameters: trainer.table.size, trainPairs: data.train.report.kept, devPairs: data.devText.length, layers: trainer.branchedLayers() };
    this.post({ type: 'run-info', info });
    this.setStatus(run, paused ? 'paused' : 'running');
    if (!paused) void this.loop(run);
  }

  private resume(): void {
    const run = this.run;
    if (!run || run.status !== 'paused') return;
    run.meter.reset();
    this.setStatus(run, 'running');
    void this.loop(run);
  }

  private async loop(run: Run): Promise<void> {
    if (run.looping) return;
    run.looping = true;
    try {
      while (this.run === run && run.status === 'running') {
        if (run.trainer.step >= run.spec.train.steps) {
          await this.exclusive(() => this.finish(run));
          break;
        }
        await this.exclusive(() => this.stepOnce(run, false));
        await yieldTask(); // commands (pause, translate, ...) get through here
      }
    } finally {
      run.looping = false;
    }
  }

  private async singleStep(): Promise<void> {
    const run = this.run;
    if (!run || run.status !== 'paused' || run.trainer.step >= run.spec.train.steps) return;
    run.meter.reset();
    await this.stepOnce(run, true);
    this.setStatus(run, 'paused');
  }

  /** One optimizer step (and the dev evaluation when it is due). */
  private async stepOnce(run: Run, single: boolean): Promise<void> {
    const wanted = () => this.run === run && (single ? run.status === 'paused' : run.status === 'running');
    if (!wanted()) return;
    const trainer = run.trainer;
    await this.pace(run);
    if (!trainer.canReport) await trainer.flush();
    if (!wanted()) return; // paused or reset while waiting
    const next = run.batches.next();
    if (next.done) throw new Error('the training data produced no batch');
    trainer.trainStep(next.value.batch);
    const every = run.spec.evalEvery;
    if (every > 0 && trainer.step % every === 0) await this.evaluate(run);
  }

  /** Wait until few enough steps are in flight (see QUEUE_SECONDS). */
  private async pace(run: Run): Promise<void> {
    const limit = Math.max(MIN_IN_FLIGHT, Math.min(MAX_IN_FLIGHT, Math.ceil(run.meter.stepsPerSec() * QUEUE_SECONDS)));
    const live = () => this.run === run && run.status !== 'stopped' && run.status !== 'idle';
    while (live() && run.trainer.step - run.lastReported >= limit) {
      // A lost device never reports: wake up now and then to notice the run stopped.
      await new Promise<void>((resolve) => {
        run.reported.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }

  private async finish(run: Run): Promise<void> {
    if (this.run !== run || run.status !== 'running') return;
    await run.trainer.flush();
    if (run.lastEvalStep !== run.trainer.step) await this.evaluate(run);
    this.flushMetrics();
    if (this.run === run && run.status === 'running') this.setStatus(run, 'done');
  }

  /** Dev loss over the dev split and BLEU of greedy translations of its first sentences. */
  private async evaluate(run: Run): Promise<void> {
    const { trainer } = run;
    run.lastEvalStep = trainer.step;
    this.post({ type: 'evaluating', step: trainer.step, busy: true });
    try {
      await this.evaluateDev(run);
    } finally {
      this.post({ type: 'evaluating', step: trainer.step, busy: false });
    }
  }

  private async evaluateDev(run: Run): Promise<void> {
    const { trainer, data } = run;
    const { loss } = await trainer.evaluate(data.dev);
    if (this.run !== run || run.status === 'idle') return; // reset meanwhile: skip the (slow) translations
    const sample = data.devText.slice(0, run.spec.bleuSentences);
    let bleu = 0;
    let samples: { src: string; hyp: string; ref: string }[] = [];
    if (sample.length > 0) {
      const outputs = await trainer.translator().translate(sample.map((p) => data.tokenizer.encode(p.src)), { beam: 1, maxLen: trainer.config.maxLen });
      const hyps = outputs.map((ids) => data.tokenizer.decode(ids).trim());
      bleu = corpusBleu(hyps, [sample.map((p) => p.tgt)]).score;
      samples = sample.slice(0, DEV_SAMPLES).map((p, i) => ({ src: p.src, hyp: hyps[i], ref: p.tgt }));
    }
    if (this.run !== run) return;
    this.post({ type: 'dev', result: { step: run.lastEvalStep, loss, bleu, sentences: sample.length, samples } });
  }

  private async save(): Promise<void> {
    const run = this.run;
    if (!run) {
      this.post({ type: 'error', message: 'There is no model to save yet: start training first.' });
      return;
    }
    const ckpt = await run.trainer.checkpoint({ tokenizer: run.data.tokenizer.toJSON(), train: run.spec.train, data: run.data.description });
    this.post({ type: 'checkpoint', bytes: encodeCheckpoint(ckpt), step: ckpt.step, variant: ckpt.config.variant });
  }

  private async translate(id: number, text: string, beam: number): Promise<void> {
    const run = this.run;
    if (!run) {
      this.post({ type: 'translation-failed', id, message: 'There is no model yet: start training first.' });
      return;
    }
    const t0 = performance.now();
    const ids = run.data.tokenizer.encode(text.trim());
    const [out] = await run.trainer.translator().translate([ids], { beam, maxLen: run.trainer.config.maxLen });
    this.post({ type: 'translation', id, output: run.data.tokenizer.decode(out).trim(), ms: performance.now() - t0 });
  }

  private onMetrics(run: Run, m: StepMetrics): void {
    if (this.run !== run) return;
    run.lastReported = m.step;
    for (const wake of run.reported.splice(0)) wake();
    run.tokensSeen += m.tokens;
    run.meter.record(performance.now(), m.tokens);
    const weighting = run.spec.model.weighting;
    this.pending.push({ ...m, branches: m.branches.map((b) => ({ layer: b.layer, kappa: effectiveWeights(weighting, b.kappa), alpha: effectiveWeights(weighting, b.alpha) })) });
    this.flushTimer ??= setTimeout(() => this.flushMetrics(), METRICS_INTERVAL_MS);
    if (m.nonfinite && run.status !== 'stopped') {
      this.flushMetrics();
      this.fail(`training stopped at step ${m.step}: the gradient was NaN/Inf; weights kept from the last good step`);
    }
  }

  private flushMetrics(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const run = this.run;
    if (!run || this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.post({ type: 'metrics', items, tokensSeen: run.tokensSeen, stepsPerSec: run.meter.stepsPerSec(), tokensPerSec: run.meter.tokensPerSec() });
  }

  /** Stop the run (it stays inspectable: translations still work) and report why. */
  private fail(message: string): void {
    const run = this.run;
    if (run && run.status !== 'stopped') this.setStatus(run, 'stopped');
    if (!run) this.post({ type: 'status', status: 'idle', step: 0 });
    this.post({ type: 'error', message });
  }

  private reset(): void {
    if (this.run) this.run.status = 'idle';
    this.post({ type: 'status', status: 'idle', step: 0 });
    // Again once done: a start queued before the reset may have reported 'running' in between.
    void this.exclusive(async () => {
      await this.dispose();
      this.post({ type: 'status', status: 'idle', step: 0 });
    });
  }

  /** Free the current run's GPU objects once its submitted work is done. */
  private async dispose(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.run = null;
    run.status = 'idle';
    this.pending = [];
    await run.trainer.flush().catch(() => {});
    run.trainer.destroy();
  }

  private setStatus(run: Run, status: RunStatus): void {
    run.status = status;
    this.post({ type: 'status', status, step: run.trainer.step });
  }
}

/** The weights the model uses, from the stored kappa/alpha (model.md "How kappa and alpha are kept ..."). */
export function effectiveWeights(weighting: Weighting, stored: number[]): number[] {
  if (weighting === 'uniform') return stored.map(() => 1 / stored.length);
  if (weighting === 'projected') return stored;
  const max = Math.max(...stored);
  const e = stored.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** Steps/s and tokens/s over the last few reported steps (by arrival time). */
class RateMeter {
  private times: number[] = [];
  private tokens: number[] = [];
  private static readonly WINDOW = 32;

  record(time: number, tokens: number): void {
    this.times.push(time);
    this.tokens.push(tokens);
    if (this.times.length > RateMeter.WINDOW) {
      this.times.shift();
      this.tokens.shift();
    }
  }

  reset(): void {
    this.times = [];
    this.tokens = [];
  }

  private seconds(): number {
    return this.times.length < 2 ? 0 : (this.times[this.times.length - 1] - this.times[0]) / 1000;
  }

  stepsPerSec(): number {
    const s = this.seconds();
    return s > 0 ? (this.times.length - 1) / s : 0;
  }

  tokensPerSec(): number {
    const s = this.seconds();
    return s > 0 ? this.tokens.slice(1).reduce((a, b) => a + b, 0) / s : 0;
  }
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
