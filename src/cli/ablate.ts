// `npm run cli -- ablate --checkpoint F.safetensors [--src dev.en --ref dev.de] [--random-draws K] [--seed S]
// [--limit N] [--no-bleu] --out A.json`: the paper's Table 3 at test time on a trained weighted model (src/experiments/
// ablation.ts): dev loss and greedy BLEU (0–100) with the learned κ/α, uniform 1/M, K random points of the
// simplex (mean ± sd) and each branch muted in turn. Sentence pairs from --src/--ref (one per line, the
// same count), or by default the checkpoint's own dev split, rebuilt from the data it records (`cli train`
// writes it). Writes {"learned": {loss, bleu}, "uniform": {...}, "random": {loss_mean, loss_sd, bleu_mean,
// bleu_sd, draws, samples}, "muted": [{layer, branch, which, loss, bleu}, ...], ...}. Exit codes: 0 done,
// 1 failed on the GPU, 2 bad arguments, files or a model the ablation does not apply to.
import { readFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { CHECKPOINT_EXTRAS, decodeCheckpoint, type Checkpoint } from '../model/checkpoint.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { Trainer } from '../train/trainer.ts';
import { prepareData, type TextPair } from '../train/data.ts';
import { ablationProblem, runAblation } from '../experiments/ablation.ts';
import { evalSet, type EvalSet } from '../experiments/measure.ts';
import { readDataRecord, recordFromRunSpec, sourceOfRecord } from '../experiments/dataset.ts';
import { exitCodeOf, numberOption, parseOptions, required, resolveUserPath, UsageError } from './args.ts';
import { describeError, outputPathProblem, writeFileAtomic } from './files.ts';
import { loadPairsFile } from './experiment.ts';
import { encodeReport, REPORT_VERSION, type AblationReportFile } from '../experiments/report.ts';

const USAGE = 'npm run cli -- ablate --checkpoint F.safetensors [--src dev.en --ref dev.de] [--random-draws K] [--seed S] [--limit N (first N pairs)] [--bleu-sentences N (BLEU on the first N of them; default all)] [--no-bleu (dev loss only)] --out A.json';

const OPTIONS = {
  checkpoint: { type: 'string' }, src: { type: 'string' }, ref: { type: 'string' }, 'random-draws': { type: 'string' },
  seed: { type: 'string' }, limit: { type: 'string' }, 'bleu-sentences': { type: 'string' }, out: { type: 'string' }, 'no-bleu': { type: 'boolean' },
} as const;

export function run(argv: string[]): Promise<number> {
  return exitCodeOf('ablate', () => ablate(argv));
}

function readBytes(path: string, option: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`--${option} ${path}: cannot read it (${describeError(err)})`, { cause: err });
  }
}

/** The checkpoint and its tokenizer (which must match the model's vocabulary). */
function loadCheckpoint(path: string): { ckpt: Checkpoint; tokenizer: Tokenizer } {
  let ckpt: Checkpoint;
  try {
    ckpt = decodeCheckpoint(readBytes(path, 'checkpoint'), path);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message, { cause: err });
  }
  const json = ckpt.extras[CHECKPOINT_EXTRAS.tokenizer];
  if (json === undefined) throw new UsageError(`${path}: the checkpoint has no tokenizer in its metadata, so its token ids cannot be read`);
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJSON(json);
  } catch (err) {
    throw new UsageError(`${path}: the checkpoint's tokenizer is malformed (${(err as Error).message})`, { cause: err });
  }
  if (tokenizer.vocabSize !== ckpt.config.vocab) throw new UsageError(`${path}: its tokenizer has ${tokenizer.vocabSize} tokens but the model a vocabulary of ${ckpt.config.vocab}`);
  return { ckpt, tokenizer };
}

function lines(path: string, option: string): string[] {
  const text = new TextDecoder().decode(readBytes(path, option));
  const out = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** Pairs from --src/--ref, or the checkpoint's dev split; with where they came from. */
function devPairs(v: Record<string, unknown>, ckpt: Checkpoint, tokenizer: Tokenizer, path: string, limit: number | null, bleuSentences: number | undefined): { set: EvalSet; description: string } {
  const maxLen = ckpt.config.maxLen;
  if ((v.src === undefined) !== (v.ref === undefined)) throw new UsageError('--src and --ref go together (source and reference sentences, one per line)');
  if (typeof v.src === 'string' && typeof v.ref === 'string') {
    const [srcPath, refPath] = [resolveUserPath(v.src), resolveUserPath(v.ref)];
    const src = lines(srcPath, 'src'), ref = lines(refPath, 'ref');
    if (src.length !== ref.length) throw new UsageError(`--src has ${src.length} lines but --ref ${ref.length}: they must pair line by line`);
    const pairs: TextPair[] = src.map((s, i) => ({ src: s, tgt: ref[i] })).filter((p) => p.src.trim() !== '' && p.tgt.trim() !== '');
    if (pairs.length === 0) throw new UsageError(`--src ${srcPath}: no sentence pairs (empty lines are skipped)`);
    return { set: evalSet(tokenizer, limit === null ? pairs : pairs.slice(0, limit), maxLen, { bleuSentences }), description: `${srcPath} / ${refPath}` };
  }
  // `cli train` and `cli experiment` record the data under "data"; the page stores its run spec.
  const record = readDataRecord(ckpt.extras[CHECKPOINT_EXTRAS.data]) ?? recordFromRunSpec(ckpt.extras[CHECKPOINT_EXTRAS.run]);
  if (!record) throw new UsageError(`${path}: the checkpoint does not record its data (checkpoints of \`cli train\`, \`cli experiment\` and of the page's built-in or synthetic data do), so its dev set cannot be rebuilt; give --src and --ref`);
  let source;
  try {
    source = sourceOfRecord(record, (p) => loadPairsFile(p, 'the recorded corpus'));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message, { cause: err });
  }
  const data = prepareData(source, { seed: record.seed, vocab: record.vocab, maxLen: record.maxLen, batchTokens: record.batchTokens, devPairs: record.devPairs, tokenizer });
  if (record.devCount !== undefined && data.devText.length !== record.devCount) throw new UsageError(`${path}: the rebuilt dev split has ${data.devText.length} pairs, the checkpoint recorded ${record.devCount}; give --src and --ref`);
  const description = `dev split of ${data.description} (data seed ${record.seed})`;
  if (limit !== null && limit < data.devText.length) return { set: evalSet(tokenizer, data.devText.slice(0, limit), maxLen, { bleuSentences }), description: `${description}, first ${limit}` };
  return { set: evalSet(tokenizer, data.devText, maxLen, { batches: data.dev, bleuSentences }), description };
}

async function ablate(argv: string[]): Promise<number> {
  const v = parseOptions(argv, OPTIONS, USAGE);
  const checkpointPath = resolveUserPath(required(v, 'checkpoint', USAGE));
  const out = resolveUserPath(required(v, 'out', USAGE));
  const problem = outputPathProblem(out, true);
  if (problem) throw new UsageError(`--out ${out}: ${problem}`);
  const randomDraws = numberOption(v, 'random-draws', 5, { integer: true, min: 0, max: 1000 });
  const seed = numberOption(v, 'seed', 1, { integer: true, min: 0, max: 0xffffffff });
  const limit = v.limit === undefined ? null : numberOption(v, 'limit', 0, { integer: true, min: 1 });
  const bleuSentences = v['bleu-sentences'] === undefined ? undefined : numberOption(v, 'bleu-sentences', 0, { integer: true, min: 1 });
  const { ckpt, tokenizer } = loadCheckpoint(checkpointPath);
  const refused = ablationProblem(ckpt.config);
  if (refused) throw new UsageError(`${checkpointPath}: ${refused}`);
  const { set, description } = devPairs(v, ckpt, tokenizer, checkpointPath, limit, bleuSentences);

  const lossPairs = set.batches.reduce((n, b) => n + b.batch, 0);
  const gpu = await acquireNodeGpu();
  console.error(`ablate: adapter ${gpu.adapterName}; ${ckpt.config.weighting} weighted model, step ${ckpt.step}; ${lossPairs} sentence pairs for the loss, ${set.sources.length} translated for BLEU (${description}); ${randomDraws} random draws`);
  const trainer = new Trainer(gpu, ckpt.config, { seed, steps: 1, warmup: 1, kappaWarmup: 1, lrScale: 1, freezeSteps: 0, gradClip: 0 }, { params: ckpt.params, step: ckpt.step });
  try {
    const result = await runAblation(trainer, set, { randomDraws, seed, bleu: v['no-bleu'] !== true, onProgress: (t) => console.error(`ablate: ${t}`) });
    const report: AblationReportFile = { kind: 'ablation', version: REPORT_VERSION, checkpoint: checkpointPath, step: ckpt.step, config: ckpt.config, adapter: gpu.adapterName, pairs: lossPairs, bleuPairs: set.sources.length, data: description, seed, ...result };
    writeFileAtomic(out, encodeReport(report));
    const row = (name: string, loss: number, bleu: number | null) => console.log(`${name.padEnd(28)} dev loss ${loss.toFixed(4)}  BLEU ${bleu === null ? '—' : bleu.toFixed(2)}`);
    row('learned κ/α', result.learned.loss, result.learned.bleu);
    row('uniform 1/M', result.uniform.loss, result.uniform.bleu);
    const r = result.random;
    if (r.draws > 0) console.log(`${`random (${r.draws} draws)`.padEnd(28)} dev loss ${r.loss_mean.toFixed(4)} ± ${r.loss_sd.toFixed(4)}  BLEU ${r.bleu_mean === null ? '—' : `${r.bleu_mean.toFixed(2)} ± ${r.bleu_sd!.toFixed(2)}`}`);
    for (const m of result.muted) row(`${m.layer} ${m.which === 'kappa' ? 'κ' : 'α'} branch ${m.branch} muted`, m.loss, m.bleu);
    console.error(`ablate: wrote ${out}`);
    return 0;
  } finally {
    trainer.destroy();
  }
}
