// One training run inside the worker's session: its data, its trainer, its batch stream and its running
// rates. A run is either fresh (initialized from its spec's seed) or restored from a checkpoint (weights,
// Adam moments, step and tokenizer from the file; the batch stream skips the batches already trained on,
// so a restored run continues exactly where the saved one would have). Runs of one session share prepared
// data when their data settings are equal (comparison mode: the same batches for every run).
import type { Gpu } from '../gpu/device.ts';
import { CHECKPOINT_EXTRAS as EXTRAS, decodeCheckpoint, encodeCheckpoint } from '../model/checkpoint.ts';
import { validateModelConfig, type ModelConfig } from '../model/config.ts';
import { assertConfigFitsDevice, type DeviceLimits } from '../model/limits.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { corpusBleu } from '../data/bleu.ts';
import { Trainer, type Batch, type StepMetrics } from './trainer.ts';
import { prepareData, type PreparedData } from './data.ts';
import { checkCorpus, checkRunSpec, MAX_STEP, specWithoutPairs } from './spec.ts';
import { corpusHash } from '../data/import.ts';
import type { DevResult, LoadSpec, RunInfo, RunRates, RunSpec, RunState, TrainerOptions } from './protocol.ts';
import type { ProgressCallback } from '../gpu/pipelines.ts';

/** Dev translations sent back with each evaluation. */
const DEV_SAMPLES = 3;

/** Prepared data keyed by the settings that determine it, shared by the runs of one session. */
export class DataCache {
  private readonly entries = new Map<string, PreparedData>();

  constructor(private readonly onProgress?: (text: string) => void) {}

  get(spec: RunSpec, tokenizer?: Tokenizer): PreparedData {
    const { source, vocab, batchTokens, devPairs } = spec.data;
    // An imported corpus by its hash (its pairs are not part of the key: 456k pairs would be stringified).
    const sourceKey = source.kind === 'pairs' ? { kind: 'pairs', hash: source.hash ?? corpusHash(source.pairs) } : source;
    // The data's own seed when a seed experiment gives one (its runs share the data), else the run's seed.
    const seed = spec.data.seed ?? spec.train.seed;
    const key = JSON.stringify([sourceKey, vocab, batchTokens, devPairs, seed, spec.model.maxLen, tokenizer ? JSON.stringify(tokenizer.toJSON()) : null]);
    let data = this.entries.get(key);
    if (!data) {
      data = prepareData(source, { seed, vocab, maxLen: spec.model.maxLen, batchTokens, devPairs, tokenizer, onProgress: this.onProgress });
      this.entries.set(key, data);
    }
    return data;
  }
}

/**
 * Everything a run needs except its GPU objects, checked: a spec through the form's limits, a
 * checkpoint's weights, tokenizer, step and settings, the data prepared. Made before the session's current
 * runs are replaced, so a bad file or setting is refused while they go on (TrainingRun.create then only
 * allocates on the GPU).
 */
export interface RunPlan {
  id: number;
  label: string;
  spec: RunSpec | null;
  config: ModelConfig;
  train: TrainerOptions;
  tokenizer: Tokenizer;
  data: PreparedData | null;
  restore: { params: Float32Array; m?: Float32Array; v?: Float32Array; step: number } | null;
  tokensSeen: number;
}

/** A fresh run: its spec checked, its data prepared (or shared). */
export function planFresh(raw: RunSpec, cache: DataCache, limits: DeviceLimits | null = null): RunPlan {
  const where = `run "${typeof raw?.label === 'string' ? raw.label : '?'}"`;
  const spec = checkCorpus(checkRunSpec(raw, where), where);
  const data = cache.get(spec);
  const config = validateModelConfig({ ...spec.model, vocab: data.tokenizer.vocabSize }, `${where} config`);
  assertConfigFitsDevice(config, limits, { batchTokens: spec.data.batchTokens }, `${where}: its model`);
  return { id: spec.id, label: spec.label, spec: { ...spec, model: config }, config, train: spec.train, tokenizer: data.tokenizer, data, restore: null, tokensSeen: 0 };
}

/** A run from a checkpoint; `load.spec` (to continue training) must describe the same model. */
export function planRestore(load: LoadSpec, cache: DataCache, limits: DeviceLimits | null = null): RunPlan {
  const where = load.file ? `"${load.file}"` : `checkpoint of "${load.spec?.label ?? load.label}"`;
  const ckpt = decodeCheckpoint(load.checkpoint, where);
  if (ckpt.step > MAX_STEP) throw new Error(`${where}: its step ${ckpt.step} is beyond ${MAX_STEP}: not a run this playground can continue`);
  const tokenizerJson = ckpt.extras[EXTRAS.tokenizer];
  if (tokenizerJson === undefined) throw new Error(`${where}: it has no tokenizer in its metadata, so its token ids cannot be read`);
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJSON(tokenizerJson);
  } catch (err) {
    throw new Error(`${where}: its tokenizer cannot be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (tokenizer.vocabSize !== ckpt.config.vocab) throw new Error(`${where}: its tokenizer has ${tokenizer.vocabSize} tokens but the model a vocabulary of ${ckpt.config.vocab}`);
  const spec = load.spec ? checkCorpus(checkRunSpec(load.spec, where), where) : null;
  if (spec) assertSameModel(spec.model, ckpt.config, where);
  assertConfigFitsDevice(ckpt.config, limits, spec ? { batchTokens: spec.data.batchTokens } : {}, `${where}: its model`);
  const train = spec?.train ?? { seed: 0, gradClip: 0, lrScale: 1, warmup: 1, kappaWarmup: 1, steps: ckpt.step, freezeSteps: 0 };
  let data: PreparedData | null;
  try {
    data = spec ? cache.get(spec, tokenizer) : null;
  } catch (err) {
    throw new Error(`${where}: its data cannot be prepared: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const saved = ckpt.extras[EXTRAS.tokensSeen];
  const tokensSeen = typeof saved === 'number' && Number.isFinite(saved) && saved >= 0 ? saved : 0;
  return {
    id: spec?.id ?? load.id, label: spec?.label ?? load.label, spec: spec ? { ...spec, model: ckpt.config } : null, config: ckpt.config, train, tokenizer, data,
    restore: { params: ckpt.params, m: ckpt.adam?.m, v: ckpt.adam?.v, step: ckpt.step }, tokensSeen,
  };
}

export class TrainingRun {
  state: RunState;
  lastEvalStep: number;
  /** The last step whose metrics came back, and who waits for the next one. */
  lastReported: number;
  readonly reported: (() => void)[] = [];
  tokensSeen: number;
  gpuMsPerStep: number | null = null;
  hostMsPerStep = 0;
  readonly meter = new RateMeter();
  /** Metrics not yet sent to the page. */
  pending: StepMetrics[] = [];
  private readonly batches: Generator<{ batch: Batch }> | null;

  private constructor(
    readonly id: number,
    readonly label: string,
    readonly spec: RunSpec | null,
    readonly trainer: Trainer,
    readonly tokenizer: Tokenizer,
    readonly data: PreparedData | null,
    tokensSeen: number,
  ) {
    this.state = spec ? 'active' : 'translate-only';
    this.lastEvalStep = trainer.step;
    this.lastReported = trainer.step;
    this.tokensSeen = tokensSeen;
    // A restored run continues with the batch it would have trained on next (O(1) in the step).
    this.batches = data ? data.train.iterateFrom(trainer.step) : null;
  }

  /** The run of a plan: only the GPU objects are made here. */
  static create(gpu: Gpu, plan: RunPlan): TrainingRun {
    const trainer = new Trainer(gpu, plan.config, plan.train, plan.restore ?? undefined);
    return new TrainingRun(plan.id, plan.label, plan.spec, trainer, plan.tokenizer, plan.data, plan.tokensSeen);
  }

  info(): RunInfo {
    const { trainer, data } = this;
    return {
      id: this.id, label: this.label, description: data?.description ?? 'restored from a checkpoint (translation only)', config: trainer.config,
      spec: this.spec && specWithoutPairs(this.spec), parameters: trainer.table.size, trainPairs: data?.train.report.kept ?? 0, devPairs: data?.devText.length ?? 0,
      layers: trainer.branchedLayers(), step: trainer.step, gpuBytes: trainer.gpuBytes(),
    };
  }

  get totalSteps(): number {
    return this.spec?.train.steps ?? this.trainer.step;
  }

  /** The first training batch, taken from the stream ahead of its step by prepare() (which compiles its shape). */
  private upcoming: Batch | null = null;

  /** Compile the step of the next batch's shape before it runs (pipelines asynchronously), with progress. */
  async prepare(onProgress?: ProgressCallback): Promise<void> {
    if (!this.batches || this.state !== 'active') return;
    this.upcoming ??= this.nextBatch();
    await this.trainer.prepare([this.upcoming], onProgress);
  }

  /** The next training batch. */
  nextBatch(): Batch {
    if (this.upcoming) {
      const batch = this.upcoming;
      this.upcoming = null;
      return batch;
    }
    const next = this.batches?.next();
    if (!next || next.done) throw new Error(`run "${this.label}": the training data produced no batch`);
    return next.value.batch;
  }

  /** Record one step's metrics (kappa/alpha are already the effective weights: see StepMetrics). */
  record(m: StepMetrics): StepMetrics {
    this.lastReported = m.step;
    for (const wake of this.reported.splice(0)) wake();
    this.tokensSeen += m.tokens;
    if (m.gpuMs !== null) this.gpuMsPerStep = m.gpuMs;
    this.hostMsPerStep = m.hostMs;
    this.meter.record(performance.now(), m.tokens);
    this.pending.push(m);
    return m;
  }

  rates(): RunRates {
    return { stepsPerSec: this.meter.stepsPerSec(), tokensPerSec: this.meter.tokensPerSec(), tokensSeen: this.tokensSeen, gpuMsPerStep: this.gpuMsPerStep, hostMsPerStep: this.hostMsPerStep, gpuBytes: this.trainer.gpuBytes() };
  }

  /** Dev loss over the dev split and BLEU of greedy translations of its first sentences (waits). */
  async evaluateDev(stillWanted: () => boolean): Promise<DevResult | null> {
    const { trainer, data } = this;
    if (!data || data.dev.length === 0) return null; // no dev set: nothing is measured (never a loss of 0)
    this.lastEvalStep = trainer.step;
    const step = trainer.step;
    const { loss } = await trainer.evaluate(data.dev);
    if (!stillWanted()) return null; // reset meanwhile: skip the (slow) translations
    const sample = data.devText.slice(0, this.spec?.bleuSentences ?? 0);
    let bleu = 0;
    let samples: DevResult['samples'] = [];
    if (sample.length > 0) {
      const outputs = await trainer.translator().translate(sample.map((p) => this.tokenizer.encode(p.src)), { beam: 1, maxLen: trainer.config.maxLen });
      const hyps = outputs.map((ids) => this.tokenizer.decode(ids).trim());
      bleu = corpusBleu(hyps, [sample.map((p) => p.tgt)]).score;
      samples = sample.slice(0, DEV_SAMPLES).map((p, i) => ({ src: p.src, hyp: hyps[i], ref: p.tgt }));
    }
    return { step, loss, bleu, sentences: sample.length, samples };
  }

  /** The run as a checkpoint file: weights, Adam moments, tokenizer, and the spec to continue it. */
  async checkpointBytes(): Promise<{ bytes: Uint8Array; step: number }> {
    const extras: Record<string, unknown> = { [EXTRAS.tokenizer]: this.tokenizer.toJSON(), [EXTRAS.tokensSeen]: this.tokensSeen };
    if (this.spec) {
      extras[EXTRAS.train] = this.spec.train;
      extras[EXTRAS.run] = specWithoutPairs(this.spec);
    }
    if (this.data) extras[EXTRAS.data] = this.data.description;
    const ckpt = await this.trainer.checkpoint(extras);
    return { bytes: encodeCheckpoint(ckpt), step: ckpt.step };
  }

  destroy(): void {
    this.trainer.destroy();
  }
}

function assertSameModel(wanted: ModelConfig, found: ModelConfig, where: string): void {
  for (const key of Object.keys(found) as (keyof ModelConfig)[]) {
    if (wanted[key] !== found[key]) throw new Error(`${where}: its model has ${key} = ${String(found[key])} but the run asks for ${String(wanted[key])}`);
  }
}

/** Steps/s and tokens/s over the last few reported steps (by arrival time). */
export class RateMeter {
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
