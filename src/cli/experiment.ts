// `npm run cli -- experiment`: issue 12's seed experiment headless. The weighted model (projected κ/α) and a
// comparison (the multi-head baseline, or the softmax / uniform weightings) trained over N seeds on the same
// data (prepared once with --data-seed; a seed fixes each run's init and dropout), evaluated every
// --eval-every steps (dev loss, greedy BLEU on --bleu-sentences dev sentences). Writes a JSON report (per
// run and seed: metrics curve, evaluations, steps-to-target, κ/α entropies and events; a summary with
// mean ± sd and the verdicts) and prints the summary and the verdict lines on stdout; progress goes to
// stderr. The report (src/experiments/report.ts) is rewritten after every finished run with "complete":
// false until the last, so an interrupted experiment keeps what it measured; --save-dir writes a checkpoint
// per run and seed (LABEL-seedS.safetensors, with its data record) for `cli ablate`. The code is
// src/experiments/, shared with the page. Exit codes: 0 done, 1 a run failed (NaN/Inf, GPU fault, I/O),
// 2 bad arguments or paths (found before training).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCheckpoint } from '../model/checkpoint.ts';
import { acquireNodeGpu } from '../gpu/node.ts';
import { presetConfig, validateModelConfig, PRESETS, type ModelConfig } from '../model/config.ts';
import { importCorpus } from '../data/import.ts';
import { prepareData, type DataSource, type TextPair } from '../train/data.ts';
import { runSeeds, summarizeRuns, type ComparedRun, type ExperimentSummary, type RunResult } from '../experiments/seeds.ts';
import { dataRecord, DEFAULT_DEV_PAIRS } from '../experiments/dataset.ts';
import { parseSweep, sweepPoints, sweepRuns, SWEEP_PARAMS, type Sweep } from '../experiments/sweep.ts';
import { encodeReport, REPORT_VERSION, type ExperimentReportFile } from '../experiments/report.ts';
import { exitCodeOf, numberOption, parseOptions, resolveUserPath, UsageError } from './args.ts';
import { describeError, outputPathProblem, writeFileAtomic } from './files.ts';

const USAGE =
  'npm run cli -- experiment [--preset tiny|small|base | --config C.json] [--compare baseline|softmax|uniform] ' +
  '[--seeds N] [--steps N] --out report.json [--eval-every E] [--target-loss X] [--batch-tokens T] ' +
  '[--data builtin|de-en|copy|reverse|FILE.tsv] [--data-seed S] [--vocab V] [--warmup N] [--kappa-warmup N] ' +
  '[--lr-scale R] [--kappa-lr-scale R (κ/α group only)] [--freeze-steps N] [--grad-clip G] [--bleu-sentences N] [--save-dir DIR (a checkpoint per run and seed)] ' +
  `[--sweep NAME=V1,V2,... instead of --compare; NAME: ${SWEEP_PARAMS.join(', ')}]`;

const OPTIONS = {
  preset: { type: 'string' }, config: { type: 'string' }, compare: { type: 'string' }, seeds: { type: 'string' },
  steps: { type: 'string' }, out: { type: 'string' }, 'eval-every': { type: 'string' }, 'target-loss': { type: 'string' },
  'batch-tokens': { type: 'string' }, data: { type: 'string' }, 'data-seed': { type: 'string' }, vocab: { type: 'string' },
  warmup: { type: 'string' }, 'kappa-warmup': { type: 'string' }, 'lr-scale': { type: 'string' }, 'kappa-lr-scale': { type: 'string' }, 'freeze-steps': { type: 'string' },
  'grad-clip': { type: 'string' }, 'bleu-sentences': { type: 'string' }, 'save-dir': { type: 'string' }, sweep: { type: 'string' },
} as const;

const COMPARE = ['baseline', 'softmax', 'uniform'] as const;

export function run(argv: string[]): Promise<number> {
  return exitCodeOf('experiment', () => experiment(argv));
}

/** The pairs of a TSV corpus file (importCorpus's messages go to stderr); UsageError when unreadable. */
export function loadPairsFile(path: string, option: string): TextPair[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`${option}: cannot read "${path}" (${describeError(err)})`, { cause: err });
  }
  const result = importCorpus(bytes);
  for (const m of result.messages) console.error(`${path}: ${m}`);
  if (result.fatal) throw new UsageError(`${option} ${path}: ${result.fatal}`);
  return result.pairs.map((p) => ({ src: p.source, tgt: p.target }));
}

/** --data as `cli train` reads it: builtin (en-de), de-en, copy, reverse or a TSV file. */
export function dataSourceOf(spec: string): DataSource {
  if (spec === 'builtin' || spec === 'en-de') return { kind: 'builtin', direction: 'en-de' };
  if (spec === 'de-en') return { kind: 'builtin', direction: 'de-en' };
  if (spec === 'copy' || spec === 'reverse') return { kind: spec };
  const path = resolveUserPath(spec);
  return { kind: 'pairs', name: path, pairs: loadPairsFile(path, '--data') };
}

function readConfig(path: string): ModelConfig {
  try {
    return validateModelConfig(JSON.parse(readFileSync(path, 'utf8')), `--config ${path}`);
  } catch (err) {
    throw new UsageError(err instanceof SyntaxError ? `--config ${path}: not valid JSON (${err.message})` : `--config ${path}: ${describeError(err)}`, { cause: err });
  }
}

/** The compared runs: the weighted model first, then the comparison made from it. */
export function comparedRuns(main: ModelConfig, compare: (typeof COMPARE)[number]): ComparedRun[] {
  // The file sets the model: one that cannot be the learned weighted run is refused, never silently changed.
  if (main.variant !== 'weighted') throw new UsageError('--config: the first run of an experiment is the weighted model; give a config with "variant": "weighted" (the comparison is made from it)');
  if (main.weighting === 'uniform') throw new UsageError('--config: "weighting": "uniform" learns no κ/α; the weighted run uses "projected" or "softmax" (compare with --compare uniform)');
  const weighted: ModelConfig = { ...main };
  const other: ModelConfig = compare === 'baseline' ? { ...weighted, variant: 'baseline', weighting: 'projected' } : { ...weighted, weighting: compare };
  if (compare !== 'baseline' && weighted.weighting === compare) throw new UsageError(`--compare ${compare}: the weighted model already uses weighting "${compare}"`);
  return [{ label: 'weighted', config: weighted }, { label: compare, config: other }];
}

async function experiment(argv: string[]): Promise<number> {
  const v = parseOptions(argv, OPTIONS, USAGE);
  if (typeof v.out !== 'string' || v.out === '') throw new UsageError(`missing --out\nUsage: ${USAGE}`);
  const out = resolveUserPath(v.out);
  const problem = outputPathProblem(out, true);
  if (problem) throw new UsageError(`--out ${out}: ${problem}`);
  const compare = v.compare ?? 'baseline';
  if (!COMPARE.includes(compare as (typeof COMPARE)[number])) throw new UsageError(`--compare must be one of ${COMPARE.join(', ')}, got "${String(compare)}"`);
  if (typeof v.config === 'string' && v.preset !== undefined) throw new UsageError('--preset cannot be combined with --config (the file sets the whole model)');
  const preset = (v.preset as string | undefined) ?? 'tiny';
  if (!(preset in PRESETS)) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${preset}"`);
  const base = typeof v.config === 'string' ? readConfig(resolveUserPath(v.config)) : presetConfig(preset, 'weighted');
  const steps = numberOption(v, 'steps', 1200, { integer: true, min: 1, max: 1e8 });
  const seedCount = numberOption(v, 'seeds', 3, { integer: true, min: 1, max: 64 });
  const warmup = numberOption(v, 'warmup', 400, { integer: true, min: 1 });
  const train = {
    steps, warmup,
    kappaWarmup: numberOption(v, 'kappa-warmup', Math.max(1, Math.round(warmup / 10)), { integer: true, min: 1 }),
    lrScale: numberOption(v, 'lr-scale', 1, { min: 0 }),
    kappaLrScale: numberOption(v, 'kappa-lr-scale', 1, { min: 0, max: 100 }),
    freezeSteps: numberOption(v, 'freeze-steps', 0, { integer: true, min: 0, max: steps }),
    gradClip: numberOption(v, 'grad-clip', 0, { min: 0 }),
  };
  const settings = {
    evalEvery: numberOption(v, 'eval-every', 200, { integer: true, min: 0 }),
    targetLoss: v['target-loss'] === undefined ? null : numberOption(v, 'target-loss', 0, { min: 0 }),
    bleuSentences: numberOption(v, 'bleu-sentences', 100, { integer: true, min: 0 }),
    batchTokens: numberOption(v, 'batch-tokens', 2048, { integer: true, min: 16 }),
    dataSeed: numberOption(v, 'data-seed', 1, { integer: true, min: 0, max: 0xffffffff }),
    vocab: numberOption(v, 'vocab', base.vocab, { integer: true, min: 260, max: 65536 }),
  };
  const saveDir = typeof v['save-dir'] === 'string' ? resolveUserPath(v['save-dir']) : null;
  if (saveDir) {
    const dirProblem = outputPathProblem(join(saveDir, 'weighted-seed1.safetensors'), true);
    if (dirProblem) throw new UsageError(`--save-dir ${saveDir}: ${dirProblem}`);
  }
  const source = dataSourceOf(typeof v.data === 'string' ? v.data : 'builtin');
  let sweep: Sweep | null = null;
  if (typeof v.sweep === 'string') {
    if (v.compare !== undefined) throw new UsageError('--sweep and --compare go separately (a sweep trains one weighted run per value)');
    try {
      sweep = parseSweep(v.sweep);
    } catch (err) {
      throw new UsageError((err as Error).message, { cause: err });
    }
    if (sweep.param === 'freeze-steps' && sweep.values.some((x) => (x as number) > steps)) throw new UsageError(`--sweep freeze-steps: a value exceeds --steps ${steps}`);
  }
  let runs: ComparedRun[];
  try {
    runs = sweep ? sweepRuns(base, sweep) : comparedRuns(base, compare as (typeof COMPARE)[number]);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message, { cause: err }); // a swept model that is not valid (dModel % M)
  }

  const data = prepareData(source, { seed: settings.dataSeed, vocab: settings.vocab, maxLen: base.maxLen, batchTokens: settings.batchTokens });
  runs = runs.map((r) => ({ ...r, config: validateModelConfig({ ...r.config, vocab: data.tokenizer.vocabSize }) }));
  const gpu = await acquireNodeGpu();
  let fault: string | null = null;
  gpu.onFault((m) => (fault ??= m));
  console.error(`experiment: adapter ${gpu.adapterName}; ${data.description}; ${runs.map((r) => r.label).join(' vs ')}, ${seedCount} seeds × ${steps} steps`);
  const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);
  const started = performance.now();
  const record = dataRecord(source, { seed: settings.dataSeed, vocab: settings.vocab, maxLen: base.maxLen, batchTokens: settings.batchTokens, devPairs: DEFAULT_DEV_PAIRS, devCount: data.devText.length });
  // The report is rewritten (atomically) after every finished run, with "complete": false until the last,
  // so a long experiment that is stopped keeps what it measured.
  const write = (results: RunResult[], complete: boolean): ExperimentSummary => {
    const summarized = summarizeRuns(results, settings.targetLoss);
    // A sweep has no compared pair: its figure is the final dev loss/BLEU against the value.
    const summary = sweep ? { ...summarized, verdicts: [] } : summarized;
    const report: ExperimentReportFile = {
      kind: 'experiment', version: REPORT_VERSION, complete, adapter: gpu.adapterName, seconds: (performance.now() - started) / 1000,
      data: { ...record, description: data.description }, seeds, train, ...settings,
      ...(sweep ? { sweep: { param: sweep.param, points: sweepPoints(sweep, summary).slice(0, results.length) } } : { compare: compare as string }),
      runs: results, summary,
    };
    writeFileAtomic(out, encodeReport(report));
    return summary;
  };
  const results = await runSeeds(gpu, data, runs, {
    seeds, train, evalEvery: settings.evalEvery, targetLoss: settings.targetLoss, bleuSentences: settings.bleuSentences,
    onProgress: (text) => console.error(`experiment: ${text}`),
    onRunDone: (partial) => void write(partial, false),
    // A checkpoint per run and seed, with the tokenizer and the data record `cli ablate` rebuilds the dev split from.
    onTrained: saveDir ? async (trainer, label, seed) => {
      const file = join(saveDir, `${label}-seed${seed}.safetensors`);
      const ckpt = await trainer.checkpoint({ tokenizer: data.tokenizer.toJSON(), train: { ...train, seed }, data: record });
      writeFileAtomic(file, encodeCheckpoint(ckpt));
      console.error(`experiment: saved ${file}`);
    } : undefined,
  });
  const summary = write(results, true);
  for (const r of summary.runs) {
    const bleu = r.bleu ? `, dev BLEU ${r.bleu.mean.toFixed(1)} ± ${r.bleu.sd.toFixed(1)}` : '';
    const target = r.target ? `, reached dev loss ${settings.targetLoss} in ${r.target.reached}/${r.target.of} seeds${r.target.steps ? ` (step ${r.target.steps.mean.toFixed(0)} ± ${r.target.steps.sd.toFixed(0)})` : ''}` : '';
    console.log(`${r.label}: dev loss ${r.devLoss.mean.toFixed(3)} ± ${r.devLoss.sd.toFixed(3)} over ${r.devLoss.n} seed${r.devLoss.n === 1 ? '' : 's'}${bleu}${target}`);
  }
  for (const verdict of summary.verdicts) console.log(verdict.text);
  const stopped = results.flatMap((r) => r.seeds.filter((s) => s.stopped).map((s) => `${r.label} seed ${s.seed} stopped at ${s.stopped}`));
  for (const s of stopped) console.error(`experiment: ${s}`);
  if (fault) console.error(`experiment: GPU fault: ${fault}`);
  console.error(`experiment: wrote ${out}`);
  return stopped.length > 0 || fault ? 1 : 0;
}
