// `npm run cli -- train`: the headless trainer on the Node adapter. Preset or explicit config, variant,
// steps, seed, data source; a progress line, periodic loss / tokens-per-second lines, a JSON-lines metrics
// file (step, tokens seen, loss, lr, kappa/alpha per layer, grad norm, dev loss) and a checkpoint
// (safetensors with the tokenizer) every --save-every steps, at the end and on SIGINT/SIGTERM.
// A NaN/Inf gradient (or an update that would make a weight NaN/Inf) stops the run and keeps the last good weights.
//
// Nothing trained is lost and nothing wrong is silent: --out and --metrics are checked before training,
// --out is locked (F.lock holds the pid) so two runs never write the same file, every checkpoint replaces
// the previous one atomically, and an I/O error stops the run naming the file. Exit codes: 0 done; 1 the run
// stopped early (NaN/Inf, GPU fault, I/O error); 2 bad arguments, paths or data, or --out in use, found
// before training; 128 + signal number (130 SIGINT, 143 SIGTERM) interrupted, after saving.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { acquireNodeGpu, nodeMemoryBytes } from '../gpu/node.ts';
import { assertConfigFitsDevice } from '../model/limits.ts';
import { presetConfig, validateModelConfig, PRESETS, type ModelConfig, type Variant, type Weighting } from '../model/config.ts';
import { encodeCheckpoint } from '../model/checkpoint.ts';
import { importCorpus } from '../data/import.ts';
import { nonfiniteReason, Trainer, type StepMetrics } from '../train/trainer.ts';
import { prepareData, type DataSource, type PreparedData, type TextPair } from '../train/data.ts';
import { exitCodeOf, numberOption, parseOptions, resolveUserPath, UsageError } from './args.ts';
import { acquireLock, AppendLog, describeError, FileError, LockedError, outputPathProblem, writeFileAtomic, type Lock } from './files.ts';
import { corpusBleu, formatBleu } from '../data/bleu.ts';
import { dataRecord, DEFAULT_DEV_PAIRS, type DataRecord } from '../experiments/dataset.ts';

const USAGE =
  'npm run cli -- train [--preset tiny|small|base | --config C.json] [--variant weighted|baseline] ' +
  '[--weighting projected|softmax|uniform] [--steps N] [--seed S] [--data builtin|de-en|copy|reverse|FILE.tsv] ' +
  '[--batch-tokens N] [--warmup N] [--kappa-warmup N] [--lr-scale R] [--kappa-lr-scale R (κ/α group only)] [--freeze-steps N] [--grad-clip G] ' +
  '[--eval-every N] [--log-every N] [--save-every N (0: only at the end)] [--metrics F.jsonl] ' +
  '[--out F.safetensors (default checkpoint-VARIANT-STEPS.safetensors)]';

const OPTIONS = {
  preset: { type: 'string' }, config: { type: 'string' }, variant: { type: 'string' }, weighting: { type: 'string' },
  steps: { type: 'string' }, seed: { type: 'string' }, data: { type: 'string' }, 'batch-tokens': { type: 'string' },
  warmup: { type: 'string' }, 'kappa-warmup': { type: 'string' }, 'lr-scale': { type: 'string' }, 'kappa-lr-scale': { type: 'string' }, 'freeze-steps': { type: 'string' },
  'grad-clip': { type: 'string' }, 'eval-every': { type: 'string' }, 'log-every': { type: 'string' }, 'save-every': { type: 'string' },
  metrics: { type: 'string' }, out: { type: 'string' }, vocab: { type: 'string' },
} as const;

export function run(argv: string[]): Promise<number> {
  return exitCodeOf('train', () => train(argv));
}

/** One metrics line: JSON with NaN, Infinity and -Infinity as those strings (JSON itself would write null). */
export function metricsLine(record: object): string {
  return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value)) + '\n';
}

interface Settings {
  config: ModelConfig;
  data: PreparedData;
  /** Where the data came from, recorded in the checkpoint so `cli ablate` can rebuild the dev split. */
  dataRecord: DataRecord;
  options: { seed: number; steps: number; warmup: number; kappaWarmup: number; lrScale: number; kappaLrScale: number; freezeSteps: number; gradClip: number };
  batchTokens: number;
  evalEvery: number;
  logEvery: number;
  saveEvery: number;
  out: string;
  metrics: string | null;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${String(value)}"`);
  return value as T;
}

/** Every option checked and every output path with it, before any data is prepared. */
function parseSettings(argv: string[]): Omit<Settings, 'data' | 'config' | 'dataRecord'> & { base: ModelConfig; vocab: number; dataSpec: string } {
  const v = parseOptions(argv, OPTIONS, USAGE);
  const variant = oneOf<Variant>(v.variant, ['weighted', 'baseline'], 'variant', 'weighted');
  const weighting = oneOf<Weighting>(v.weighting, ['projected', 'softmax', 'uniform'], 'weighting', 'projected');
  const preset = oneOf(v.preset, Object.keys(PRESETS), 'preset', 'tiny');
  const steps = numberOption(v, 'steps', 2000, { integer: true, min: 1, max: 1e8 });
  const seed = numberOption(v, 'seed', 1, { integer: true, min: 0, max: 0xffffffff });
  const warmup = numberOption(v, 'warmup', 400, { integer: true, min: 1 });
  const options = {
    seed, steps, warmup,
    kappaWarmup: numberOption(v, 'kappa-warmup', Math.max(1, Math.round(warmup / 10)), { integer: true, min: 1 }),
    lrScale: numberOption(v, 'lr-scale', 1, { min: 0 }),
    kappaLrScale: numberOption(v, 'kappa-lr-scale', 1, { min: 0, max: 100 }),
    freezeSteps: numberOption(v, 'freeze-steps', 0, { integer: true, min: 0, max: steps }),
    gradClip: numberOption(v, 'grad-clip', 0, { min: 0 }),
  };
  let base: ModelConfig;
  if (typeof v.config === 'string') {
    base = readConfig(resolveUserPath(v.config));
    // The file sets the whole model: an option that would change it is refused, never silently ignored.
    for (const name of ['preset', 'variant', 'weighting'] as const) {
      if (v[name] === undefined) continue;
      const set = name === 'preset' ? 'every model setting' : `"${name}": "${base[name]}"`;
      throw new UsageError(`--${name} cannot be combined with --config (${v.config} sets ${set}); change the file or leave out --${name}`);
    }
  } else base = presetConfig(preset, variant, weighting);
  const out = resolveUserPath(typeof v.out === 'string' ? v.out : `checkpoint-${base.variant}-${steps}.safetensors`);
  const metrics = typeof v.metrics === 'string' ? resolveUserPath(v.metrics) : null;
  checkOutput('out', out, true);
  if (metrics) checkOutput('metrics', metrics, false);
  if (metrics === out) throw new UsageError(`--metrics and --out are the same file (${out})`);
  return {
    base, options, out, metrics,
    vocab: numberOption(v, 'vocab', base.vocab, { integer: true, min: 260, max: 65536 }),
    dataSpec: typeof v.data === 'string' ? v.data : 'builtin',
    batchTokens: numberOption(v, 'batch-tokens', 2048, { integer: true, min: 16 }),
    evalEvery: numberOption(v, 'eval-every', 200, { integer: true, min: 0 }),
    logEvery: numberOption(v, 'log-every', 50, { integer: true, min: 1 }),
    saveEvery: numberOption(v, 'save-every', 200, { integer: true, min: 0 }),
  };
}

function checkOutput(option: string, path: string, replace: boolean): void {
  const problem = outputPathProblem(path, replace);
  if (problem) throw new UsageError(`--${option} ${path}: ${problem}`);
}

function readConfig(path: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot read it (${describeError(err)})`;
    throw new UsageError(`--config ${path}: ${why}`, { cause: err });
  }
  try {
    return validateModelConfig(raw, `--config ${path}`);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

function dataSource(spec: string): DataSource {
  if (spec === 'builtin' || spec === 'en-de') return { kind: 'builtin', direction: 'en-de' };
  if (spec === 'de-en') return { kind: 'builtin', direction: 'de-en' };
  if (spec === 'copy' || spec === 'reverse') return { kind: spec };
  const path = resolveUserPath(spec);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`--data: "${path}" is neither builtin, de-en, copy, reverse nor a readable file (${describeError(err)})`, { cause: err });
  }
  const result = importCorpus(bytes);
  for (const m of result.messages) console.error(`${path}: ${m}`);
  if (result.fatal) throw new UsageError(`--data ${path}: ${result.fatal}`);
  return { kind: 'pairs', name: path, pairs: result.pairs.map((p) => ({ src: p.source, tgt: p.target })) };
}

/** The lock on --out; a live holder or an unwritable folder is refused before training. */
function lockOutput(out: string): Lock {
  try {
    return acquireLock(out, (m) => console.error(`note: ${m}`));
  } catch (err) {
    if (err instanceof LockedError) {
      const holder = err.pid === null ? 'another run is starting' : `pid ${err.pid} holds ${err.lockPath}`;
      throw new UsageError(`--out ${out} is in use by another run (${holder}); wait for it to end or choose another --out`, { cause: err });
    }
    if (err instanceof FileError) throw new UsageError(`--out ${out}: ${err.message}`, { cause: err });
    throw err;
  }
}

async function train(argv: string[]): Promise<number> {
  const s = parseSettings(argv);
  const lock = lockOutput(s.out);
  process.once('exit', lock.release); // also on an exit this function does not see
  const saved: Saved = { step: null };
  const signals = watchSignals((signal) => {
    console.error(`${signal} again: quitting without saving; ${savedNote(s.out, saved.step)}`);
    lock.release();
    process.exit(signalExitCode(signal));
  });
  let metrics: AppendLog | null = null;
  try {
    if (s.metrics) {
      try {
        metrics = new AppendLog(s.metrics);
      } catch (err) {
        throw new UsageError(`--metrics ${s.metrics}: ${(err as Error).message}`, { cause: err });
      }
    }
    const source = dataSource(s.dataSpec);
    const data = prepareData(source, { seed: s.options.seed, vocab: s.vocab, maxLen: s.base.maxLen, batchTokens: s.batchTokens });
    const config = validateModelConfig({ ...s.base, vocab: data.tokenizer.vocabSize });
    const record = dataRecord(source, { seed: s.options.seed, vocab: s.vocab, maxLen: s.base.maxLen, batchTokens: s.batchTokens, devPairs: DEFAULT_DEV_PAIRS, devCount: data.devText.length });
    return await trainLocked({ ...s, config, data, dataRecord: record }, { metrics, signals, saved });
  } finally {
    signals.dispose();
    metrics?.close();
    lock.release();
    process.off('exit', lock.release);
  }
}

/** Why the loop stopped early (all null: it ran every step). */
interface Stop {
  diverged: StepMetrics | null;
  fault: string | null;
  io: FileError | null;
}

/** The step in --out written by this run (null: none yet). */
interface Saved {
  step: number | null;
}

interface RunIo {
  metrics: AppendLog | null;
  signals: Signals;
  saved: Saved;
}

async function trainLocked(s: Settings, { metrics, signals, saved }: RunIo): Promise<number> {
  const { config, data, options, out } = s;
  if (signals.signal) return interrupted(signals.signal, out, saved);
  const gpu = await acquireNodeGpu();
  console.log(`adapter: ${gpu.adapterName}`);
  assertConfigFitsDevice(config, gpu.limits, { batchTokens: s.batchTokens, memoryBytes: nodeMemoryBytes(gpu) }, 'the model config');
  console.log(`data: ${data.description}; vocabulary ${config.vocab}; ${data.train.report.kept} training pairs, ${data.devText.length} dev`);
  const noDev = data.dev.length === 0;
  if (noDev) console.error(`warning: no dev set (${data.devText.length} dev pairs): dev loss and BLEU are not measured; a corpus needs at least 10 distinct pairs to split one off`);
  reportTruncation(data, config.maxLen);
  console.log(`model: ${JSON.stringify(config)}`);
  const stop: Stop = { diverged: null, fault: null, io: null };
  gpu.onFault((m) => (stop.fault = m));
  const trainer = new Trainer(gpu, config, options);
  console.log(`parameters: ${trainer.table.size}`);

  const writeMetrics = (record: object): void => {
    if (!metrics || stop.io) return;
    try {
      metrics.append(metricsLine(record));
    } catch (err) {
      if (!(err instanceof FileError)) throw err;
      stop.io = err;
    }
  };
  /** Checkpoint of the last completed step (of the last good one after a NaN), replacing --out atomically. */
  const save = async (): Promise<void> => {
    const ckpt = await trainer.checkpoint({ tokenizer: data.tokenizer.toJSON(), train: options, data: s.dataRecord });
    if (ckpt.step === saved.step) return;
    try {
      metrics?.sync(); // the metrics on disk cover the saved step
    } catch (err) {
      keepFileError(err, stop);
    }
    writeFileAtomic(out, encodeCheckpoint(ckpt));
    saved.step = ckpt.step;
    console.log(`saved step ${ckpt.step} to ${out}`);
  };

  let tokensSeen = 0, lastLogTime = performance.now(), lastLogTokens = 0;
  const tokensAt = new Map<number, number>();
  trainer.onMetrics = (m) => {
    if (m.nonfinite && !stop.diverged) stop.diverged = m;
    writeMetrics({ ...m, tokens_seen: tokensAt.get(m.step) });
    tokensAt.delete(m.step);
    if (m.step % s.logEvery === 0 || m.step === 1) {
      const now = performance.now();
      const tps = ((tokensSeen - lastLogTokens) / (now - lastLogTime)) * 1000;
      [lastLogTime, lastLogTokens] = [now, tokensSeen];
      const kappa = m.branches.length ? ` kappa[0] ${m.branches[0].kappa.map((x) => x.toFixed(3)).join('/')}` : '';
      console.log(`step ${m.step}/${options.steps} loss ${m.loss.toFixed(4)} lr ${m.lr.toExponential(2)} |g| ${m.gradNorm.toFixed(3)} ${tps.toFixed(0)} tok/s${kappa}`);
    }
  };
  const batches = data.train.iterate(0);
  for (let step = 1; step <= options.steps; step++) {
    if (stop.diverged || stop.fault || stop.io || signals.signal) break;
    const batch = batches.next().value!.batch;
    tokensSeen += batch.tokens;
    tokensAt.set(step, tokensSeen);
    if (!trainer.canReport) await trainer.flush(); // keep the GPU queue short and every step's metrics
    trainer.trainStep(batch);
    if (process.stderr.isTTY) process.stderr.write(`\r${progressBar(step, options.steps)}`);
    if (s.evalEvery > 0 && step % s.evalEvery === 0 && !noDev) {
      const dev = await trainer.evaluate(data.dev);
      console.log(`${process.stderr.isTTY ? '\n' : ''}step ${step} dev loss ${dev.loss.toFixed(4)} over ${dev.tokens} tokens`);
      writeMetrics({ step, tokens_seen: tokensSeen, dev_loss: dev.loss });
    }
    if (s.saveEvery > 0 && step % s.saveEvery === 0 && step < options.steps) await save().catch((err: unknown) => keepFileError(err, stop));
    // Let SIGINT/SIGTERM in between steps (tsx kills a child that does not take a signal within ~60 ms).
    await new Promise((resolve) => setImmediate(resolve));
  }
  await trainer.flush();
  if (process.stderr.isTTY) process.stderr.write('\n');
  if (stop.diverged) console.error(`stopped at step ${stop.diverged.step}: ${nonfiniteReason(stop.diverged)}; the weights are those of the last good step`);
  if (stop.fault) console.error(`stopped: ${stop.fault}`);
  if (stop.io && stop.io.path !== out) console.error(`stopped after step ${trainer.step}: ${stop.io.message}`);
  if (!signals.signal && !stop.io) await reportTranslations(trainer, data);
  if (stop.io?.path !== out && trainer.step > 0) await save().catch((err: unknown) => keepFileError(err, stop));
  if (stop.io?.path === out) {
    console.error(`train: stopped after step ${trainer.step}: ${stop.io.message}; ${savedNote(out, saved.step)}`);
    return 1;
  }
  if (signals.signal) return interrupted(signals.signal, out, saved);
  return stop.diverged || stop.fault || stop.io ? 1 : 0;
}

function interrupted(signal: NodeJS.Signals, out: string, saved: Saved): number {
  console.error(`interrupted by ${signal}: ${saved.step === null ? 'before the first step, nothing to save' : `saved step ${saved.step} to ${out}`}`);
  return signalExitCode(signal);
}

function keepFileError(err: unknown, stop: Stop): void {
  if (!(err instanceof FileError)) throw err;
  stop.io = err;
}

function savedNote(out: string, savedStep: number | null): string {
  return savedStep === null ? 'no checkpoint was saved by this run' : `${out} holds the checkpoint of step ${savedStep}`;
}

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/**
 * SIGINT/SIGTERM: the first asks the loop to stop after the current step and save. Repeats within 2 s are
 * the same keypress (a terminal's Ctrl-C reaches npm, tsx and node, and npm and tsx relay it); a later one
 * quits at once through `force`.
 */
interface Signals {
  readonly signal: NodeJS.Signals | null;
  dispose(): void;
}

function watchSignals(force: (signal: NodeJS.Signals) => void): Signals {
  let first: NodeJS.Signals | null = null, at = 0;
  const handler = (signal: NodeJS.Signals): void => {
    if (first === null) {
      [first, at] = [signal, Date.now()];
      console.error(`\n${signal}: stopping after the current step to save a checkpoint (send it again to quit without saving)`);
    } else if (Date.now() - at > 2000) force(signal);
  };
  for (const name of ['SIGINT', 'SIGTERM'] as const) process.on(name, handler);
  return {
    get signal() {
      return first;
    },
    dispose: () => {
      for (const name of ['SIGINT', 'SIGTERM'] as const) process.off(name, handler);
    },
  };
}

/**
 * Pairs longer than maxLen (tokens with EOS/BOS) are truncated by the batcher: say how many. The dev split's
 * count is recomputed here with the Batcher's rule (PreparedData keeps only the training split's report).
 */
function reportTruncation(data: PreparedData, maxLen: number): void {
  const long = (p: TextPair): boolean => data.tokenizer.encode(p.src).length + 1 > maxLen || data.tokenizer.encode(p.tgt).length + 1 > maxLen;
  const dev = data.devText.filter(long).length;
  const { pairs, truncated, dropped } = data.train.report;
  if (truncated + dropped + dev === 0) return;
  const train = `${truncated} of ${pairs} training pairs truncated${dropped > 0 ? `, ${dropped} dropped` : ''}`;
  console.error(`warning: longer than maxLen ${maxLen} tokens (with EOS/BOS): ${train}, ${dev} of ${data.devText.length} dev pairs truncated`);
}

/** Greedy translations of the first 100 dev sentences: corpus BLEU (sacreBLEU's defaults) and 3 examples. */
async function reportTranslations(trainer: Trainer, data: PreparedData): Promise<void> {
  const sample = data.devText.slice(0, 100);
  if (sample.length === 0) return;
  const outputs = await trainer.translator().translate(sample.map((p) => data.tokenizer.encode(p.src)), { beam: 1, maxLen: trainer.config.maxLen });
  const hyps = outputs.map((ids) => data.tokenizer.decode(ids));
  console.log(`dev BLEU (greedy, ${sample.length} sentences): ${formatBleu(corpusBleu(hyps, [sample.map((p) => p.tgt)]))}`);
  for (let i = 0; i < Math.min(3, sample.length); i++) console.log(`  ${sample[i].src}\n  → ${hyps[i]}\n  (reference: ${sample[i].tgt})`);
}

function progressBar(step: number, total: number): string {
  const width = 30, filled = Math.round((step / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${total}`;
}
