// `npm run cli -- train`: the headless trainer on the Node adapter. Preset or explicit config, variant,
// steps, seed, data source; a progress line, periodic loss / tokens-per-second lines, a JSON-lines metrics
// file (step, tokens seen, loss, lr, kappa/alpha per layer, grad norm, dev loss) and a final checkpoint
// (safetensors with the tokenizer). A NaN/Inf gradient stops the run and keeps the last good weights.
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { presetConfig, validateModelConfig, PRESETS, type ModelConfig, type Variant, type Weighting } from '../model/config.ts';
import { encodeCheckpoint } from '../model/checkpoint.ts';
import { importCorpus } from '../data/import.ts';
import { Trainer, type StepMetrics } from '../train/trainer.ts';
import { prepareData, type DataSource } from '../train/data.ts';
import { numberOption, parseOptions, UsageError } from './args.ts';
import { corpusBleu, formatBleu } from '../data/bleu.ts';

const USAGE =
  'npm run cli -- train [--preset tiny|small|base | --config C.json] [--variant weighted|baseline] ' +
  '[--weighting projected|softmax|uniform] [--steps N] [--seed S] [--data builtin|de-en|copy|reverse|FILE.tsv] ' +
  '[--batch-tokens N] [--warmup N] [--kappa-warmup N] [--lr-scale R] [--freeze-steps N] [--grad-clip G] ' +
  '[--eval-every N] [--log-every N] [--metrics F.jsonl] [--out F.safetensors]';

const OPTIONS = {
  preset: { type: 'string' }, config: { type: 'string' }, variant: { type: 'string' }, weighting: { type: 'string' },
  steps: { type: 'string' }, seed: { type: 'string' }, data: { type: 'string' }, 'batch-tokens': { type: 'string' },
  warmup: { type: 'string' }, 'kappa-warmup': { type: 'string' }, 'lr-scale': { type: 'string' }, 'freeze-steps': { type: 'string' },
  'grad-clip': { type: 'string' }, 'eval-every': { type: 'string' }, 'log-every': { type: 'string' }, metrics: { type: 'string' },
  out: { type: 'string' }, vocab: { type: 'string' },
} as const;

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${String(value)}"`);
  return value as T;
}

function dataSource(spec: string): DataSource {
  if (spec === 'builtin' || spec === 'en-de') return { kind: 'builtin', direction: 'en-de' };
  if (spec === 'de-en') return { kind: 'builtin', direction: 'de-en' };
  if (spec === 'copy' || spec === 'reverse') return { kind: spec };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(spec);
  } catch (err) {
    throw new UsageError(`--data: "${spec}" is neither builtin, de-en, copy, reverse nor a readable file (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  const result = importCorpus(bytes);
  for (const m of result.messages) console.error(`${spec}: ${m}`);
  if (result.fatal) throw new Error(`${spec}: ${result.fatal}`);
  return { kind: 'pairs', name: spec, pairs: result.pairs.map((p) => ({ src: p.source, tgt: p.target })) };
}

export async function run(argv: string[]): Promise<number> {
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
    freezeSteps: numberOption(v, 'freeze-steps', 0, { integer: true, min: 0, max: steps }),
    gradClip: numberOption(v, 'grad-clip', 0, { min: 0 }),
  };
  const batchTokens = numberOption(v, 'batch-tokens', 2048, { integer: true, min: 16 });
  const evalEvery = numberOption(v, 'eval-every', 200, { integer: true, min: 0 });
  const logEvery = numberOption(v, 'log-every', 50, { integer: true, min: 1 });

  let base: ModelConfig;
  if (typeof v.config === 'string') base = validateModelConfig(JSON.parse(readFileSync(v.config, 'utf8')), v.config);
  else base = presetConfig(preset, variant, weighting);
  const vocab = numberOption(v, 'vocab', base.vocab, { integer: true, min: 260, max: 65536 });
  const data = prepareData(dataSource(typeof v.data === 'string' ? v.data : 'builtin'), { seed, vocab, maxLen: base.maxLen, batchTokens });
  const config = validateModelConfig({ ...base, variant: v.config ? base.variant : variant, weighting: v.config ? base.weighting : weighting, vocab: data.tokenizer.vocabSize });

  const gpu = await acquireNodeGpu();
  console.log(`adapter: ${gpu.adapterName}`);
  console.log(`data: ${data.description}; vocabulary ${config.vocab}; ${data.train.report.kept} training pairs, ${data.devText.length} dev`);
  console.log(`model: ${JSON.stringify(config)}`);
  let fault: string | null = null;
  gpu.onFault((m) => (fault = m));
  const trainer = new Trainer(gpu, config, options);
  console.log(`parameters: ${trainer.table.size}`);

  const metricsPath = typeof v.metrics === 'string' ? v.metrics : null;
  if (metricsPath) writeFileSync(metricsPath, '');
  let tokensSeen = 0, lastLogTime = performance.now(), lastLogTokens = 0, diverged: StepMetrics | null = null;
  const tokensAt = new Map<number, number>();
  trainer.onMetrics = (m) => {
    if (m.nonfinite && !diverged) diverged = m;
    if (metricsPath) appendFileSync(metricsPath, JSON.stringify({ ...m, tokens_seen: tokensAt.get(m.step) }) + '\n');
    tokensAt.delete(m.step);
    if (m.step % logEvery === 0 || m.step === 1) {
      const now = performance.now();
      const tps = ((tokensSeen - lastLogTokens) / (now - lastLogTime)) * 1000;
      [lastLogTime, lastLogTokens] = [now, tokensSeen];
      const kappa = m.branches.length ? ` kappa[0] ${m.branches[0].kappa.map((x) => x.toFixed(3)).join('/')}` : '';
      console.log(`step ${m.step}/${steps} loss ${m.loss.toFixed(4)} lr ${m.lr.toExponential(2)} |g| ${m.gradNorm.toFixed(3)} ${tps.toFixed(0)} tok/s${kappa}`);
    }
  };
  const batches = data.train.iterate(0);
  for (let step = 1; step <= steps; step++) {
    if (diverged || fault) break;
    const batch = batches.next().value!.batch;
    tokensSeen += batch.tokens;
    tokensAt.set(step, tokensSeen);
    if (!trainer.canReport) await trainer.flush(); // keep the GPU queue short and every step's metrics
    trainer.trainStep(batch);
    if (process.stderr.isTTY) process.stderr.write(`\r${progressBar(step, steps)}`);
    if (evalEvery > 0 && step % evalEvery === 0) {
      const dev = await trainer.evaluate(data.dev);
      console.log(`${process.stderr.isTTY ? '\n' : ''}step ${step} dev loss ${dev.loss.toFixed(4)} over ${dev.tokens} tokens`);
      if (metricsPath) appendFileSync(metricsPath, JSON.stringify({ step, tokens_seen: tokensSeen, dev_loss: dev.loss }) + '\n');
    }
  }
  await trainer.flush();
  if (process.stderr.isTTY) process.stderr.write('\n');
  const stopped = diverged as StepMetrics | null;
  if (stopped) console.error(`stopped: the gradient at step ${stopped.step} was NaN/Inf; the weights are those of the last good step`);
  if (fault) console.error(`stopped: ${fault}`);
  await reportTranslations(trainer, data);
  const out = typeof v.out === 'string' ? v.out : `checkpoint-${config.variant}-${trainer.step}.safetensors`;
  const ckpt = await trainer.checkpoint({ tokenizer: data.tokenizer.toJSON(), train: options });
  writeFileSync(out, encodeCheckpoint(ckpt));
  console.log(`wrote ${out} (step ${ckpt.step})`);
  return stopped || fault ? 1 : 0;
}

/** Greedy translations of the first 100 dev sentences: corpus BLEU (sacreBLEU's defaults) and 3 examples. */
async function reportTranslations(trainer: Trainer, data: ReturnType<typeof prepareData>): Promise<void> {
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
