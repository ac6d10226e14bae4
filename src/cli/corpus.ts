// `npm run cli -- corpus --import F.tsv [...]`: check a TSV corpus the way the playground imports it and
// print what would be kept and what is rejected (grouped by reason, with line numbers). Optionally write the
// cleaned pairs (--out) and learn a BPE vocabulary on them (--vocab N) to see token counts and timing.
// Exit code: 0 when usable pairs remain, 1 when nothing usable remains, the file cannot be read, --out cannot
// be written or no vocabulary can be learned, 2 on bad arguments, 3 with --strict when any line (other than
// a duplicate) was rejected. Relative paths are the user's (see resolveUserPath); --out is written atomically.
// `--save-tokenizer F.json` (with --vocab) writes the learned tokenizer as the JSON checkpoints carry.
//
// `npm run cli -- corpus --export DIR [--seed S] [--direction en-de|de-en] [--vocab N]` writes the built-in
// corpus as DIR/train.tsv, dev.tsv and test.tsv: the split `cli train --data builtin|de-en --seed S` and the
// page train on (src/train/data.ts: generateCorpus with the default 500 dev pairs), pairs in that order, so
// another engine (reference/train_dist.py) can train on the same data; with --vocab N also DIR/tokenizer.json,
// the vocabulary `cli train --vocab N` learns on that training split. Exit 0 written, 1 an I/O error, 2 bad
// arguments (DIR is checked before anything is generated).

import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { importCorpus, groupRejected, formatLineList, describeReason, IMPORT_DEFAULTS, type ImportOptions, type Pair } from '../data/import.ts';
import { BASE_VOCAB, Tokenizer } from '../data/tokenizer.ts';
import { resolveUserPath } from './args.ts';
import { describeError, FileError, outputPathProblem, writeFileAtomic } from './files.ts';
import { generateCorpus } from '../data/generator/index.ts';
import { DEFAULT_DEV_PAIRS } from '../experiments/dataset.ts';

const MAX_VOCAB = 65536;

const USAGE = `Usage: npm run cli -- corpus --import F.tsv [options]
       npm run cli -- corpus --export DIR [--seed S] [--direction en-de|de-en] [--vocab N]
  --import F        TSV file: source<TAB>target per line (further columns ignored)
  --max-len N       max words per side (default 100)
  --max-chars N     max characters per side (default 400)
  --max-pairs N     keep at most N pairs (default 500000)
  --max-mb N        refuse files above N MiB (default 64)
  --direction D     forward (column 1 → column 2, default) or reverse; with --export en-de (default) or de-en
  --keep-duplicates keep repeated pairs
  --strict          exit 3 if any line other than a duplicate was rejected
  --out F           write the cleaned pairs as TSV
  --vocab N         learn a shared BPE vocabulary of size N (${BASE_VOCAB}..${MAX_VOCAB}) on the kept pairs and report token counts
                    (with --export: on the training split, written to DIR/tokenizer.json)
  --save-tokenizer F  with --import and --vocab: write the learned tokenizer as JSON (as checkpoints carry it)
  --export DIR      write the built-in corpus split (train.tsv, dev.tsv, test.tsv) into DIR (created if its parent exists)
  --seed S          with --export: the corpus seed (the run's --seed; default 1)`;

interface Args {
  file?: string;
  out?: string;
  vocab?: number;
  saveTokenizer?: string;
  exportDir?: string;
  seed?: number;
  direction?: string;
  strict: boolean;
  options: ImportOptions;
}

export async function run(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`corpus: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.exportDir !== undefined) return exportBuiltin(args);
  if (!args.file) {
    console.error(`corpus: --import F or --export DIR is required\n${USAGE}`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(args.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    console.error(`corpus: cannot read ${args.file}: ${why}`);
    return 1;
  }
  const result = importCorpus(bytes, args.options);
  printReport(args.file, result, { ...IMPORT_DEFAULTS, ...args.options });
  if (result.fatal) {
    console.error(`corpus: nothing usable in ${args.file}: ${result.fatal}`);
    return 1;
  }
  if (args.out) {
    try {
      writeFileAtomic(args.out, result.pairs.map((p) => `${p.source}\t${p.target}\n`).join(''));
    } catch (err) {
      if (!(err instanceof FileError)) throw err;
      console.error(`corpus: ${err.message}`);
      return 1;
    }
  }
  if (args.vocab !== undefined) {
    const tok = reportTokenizer(result.pairs, args.vocab);
    if (!tok) return 1;
    if (args.saveTokenizer && !writeOut(args.saveTokenizer, JSON.stringify(tok.toJSON()))) return 1;
  }
  const serious = result.rejected.some((r) => r.reason !== 'duplicate');
  return args.strict && serious ? 3 : 0;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { strict: false, options: {} };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value(), n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got "${v}"`);
      return n;
    };
    if (flag === '--import') args.file = resolveUserPath(value());
    else if (flag === '--export') args.exportDir = resolveUserPath(value());
    else if (flag === '--save-tokenizer') args.saveTokenizer = resolveUserPath(value());
    else if (flag === '--seed') {
      const v = value(), n = Number(v);
      if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`--seed needs an integer in [0, 4294967295], got "${v}"`);
      args.seed = n;
    }
    else if (flag === '--out') args.out = resolveUserPath(value());
    else if (flag === '--max-len') args.options.maxWords = int();
    else if (flag === '--max-chars') args.options.maxChars = int();
    else if (flag === '--max-pairs') args.options.maxPairs = int();
    else if (flag === '--max-mb') args.options.maxBytes = int() * 1024 * 1024;
    else if (flag === '--vocab') {
      const n = int();
      if (n < BASE_VOCAB || n > MAX_VOCAB) throw new Error(`--vocab must be in [${BASE_VOCAB}, ${MAX_VOCAB}] (the ${BASE_VOCAB} byte and special tokens and the merges), got ${n}`);
      args.vocab = n;
    }
    else if (flag === '--keep-duplicates') args.options.keepDuplicates = true;
    else if (flag === '--strict') args.strict = true;
    else if (flag === '--direction') args.direction = value();
    else throw new Error(`unknown option "${flag}"`);
  }
  const exporting = args.exportDir !== undefined;
  if (exporting && args.file !== undefined) throw new Error('--import and --export cannot be combined');
  if (args.direction !== undefined) {
    const allowed = exporting ? ['en-de', 'de-en'] : ['forward', 'reverse'];
    if (!allowed.includes(args.direction)) throw new Error(`--direction must be ${allowed.join(' or ')}${exporting ? ' with --export' : ''}, got "${args.direction}"`);
    if (!exporting) args.options.direction = args.direction as 'forward' | 'reverse';
  }
  if (args.seed !== undefined && !exporting) throw new Error('--seed is an option of --export (the built-in corpus seed)');
  if (args.saveTokenizer !== undefined && (exporting || args.vocab === undefined)) {
    throw new Error(exporting ? '--save-tokenizer is for --import (--export --vocab N writes DIR/tokenizer.json)' : '--save-tokenizer needs --vocab N');
  }
  if (exporting) {
    const importOnly = ['--out', '--strict', '--keep-duplicates', '--max-len', '--max-chars', '--max-pairs', '--max-mb'].filter((f) => argv.includes(f));
    if (importOnly.length > 0) throw new Error(`${importOnly.join(', ')} ${importOnly.length > 1 ? 'are options' : 'is an option'} of --import, not --export`);
  }
  return args;
}

/** Write a file atomically; false (the reason printed) on an I/O error. */
function writeOut(path: string, text: string): boolean {
  try {
    writeFileAtomic(path, text);
    return true;
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    console.error(`corpus: ${err.message}`);
    return false;
  }
}

/** Why DIR cannot take the export, or null: an existing folder we can write in, or a new one under an existing folder. */
function exportDirProblem(dir: string): string | null {
  try {
    if (!statSync(dir).isDirectory()) return `--export ${dir} is a file, not a folder`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return `--export ${dir}: ${describeError(err)}`;
    try {
      if (!statSync(dirname(dir)).isDirectory()) return `--export ${dir}: ${dirname(dir)} is not a folder`;
    } catch {
      return `--export ${dir}: neither it nor its parent folder ${dirname(dir)} exists`;
    }
    return null;
  }
  const problem = outputPathProblem(join(dir, 'train.tsv'), true);
  return problem ? `--export ${dir}: ${problem}` : null;
}

/** TSV lines of pairs; a tab or line break inside a sentence would change the columns, so it is refused. */
function tsv(pairs: readonly { src: string; tgt: string }[], name: string): string {
  return pairs.map((p, i) => {
    if (/[\t\r\n]/.test(p.src + p.tgt)) throw new Error(`corpus: ${name} pair ${i + 1} holds a tab or line break`);
    return `${p.src}\t${p.tgt}\n`;
  }).join('');
}

/** --export: the built-in corpus split the product trains on for --seed and --direction. */
function exportBuiltin(args: Args): number {
  const dir = args.exportDir as string;
  const problem = exportDirProblem(dir);
  if (problem) {
    console.error(`corpus: ${problem}`);
    return 2;
  }
  const seed = args.seed ?? 1;
  const direction = (args.direction ?? 'en-de') as 'en-de' | 'de-en';
  const corpus = generateCorpus({ seed, direction, dev: DEFAULT_DEV_PAIRS });
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    console.error(`corpus: cannot create the folder ${dir}: ${describeError(err)}`);
    return 1;
  }
  const files: [string, string][] = [['train.tsv', tsv(corpus.train, 'train')], ['dev.tsv', tsv(corpus.dev, 'dev')], ['test.tsv', tsv(corpus.test, 'test')]];
  if (args.vocab !== undefined) {
    const tok = Tokenizer.train(corpus.train.flatMap((p) => [p.src, p.tgt]), { vocabSize: args.vocab });
    files.push(['tokenizer.json', JSON.stringify(tok.toJSON())]);
  }
  for (const [name, text] of files) if (!writeOut(join(dir, name), text)) return 1;
  console.log(`built-in ${direction} corpus, seed ${seed}: ${corpus.train.length} train, ${corpus.dev.length} dev, ${corpus.test.length} test pairs written to ${dir} (held out: ${corpus.heldOut})` +
    (args.vocab !== undefined ? `; tokenizer.json (vocabulary asked ${args.vocab})` : ''));
  return 0;
}

function printReport(file: string, result: ReturnType<typeof importCorpus>, limits: { maxWords: number; maxChars: number }): void {
  const { stats } = result;
  console.log(`${file}: ${result.summary}`);
  console.log(`  pairs kept:     ${stats.kept}`);
  console.log(`  lines rejected: ${stats.rejected}`);
  if (stats.blankLines > 0) console.log(`  blank lines:    ${stats.blankLines} (skipped)`);
  for (const [reason, lines] of groupRejected(result.rejected)) {
    console.log(`  ${String(lines.length).padStart(6)} × ${describeReason(reason, limits)}: ${formatLineList(lines, 10)}`);
  }
  if (stats.truncatedAtLine !== undefined) console.log(`  ${result.messages[result.messages.length - 1]}`);
  for (const p of result.pairs.slice(0, 3)) console.log(`  e.g. line ${p.line}: ${p.source}  →  ${p.target}`);
}

/** Learn the vocabulary and print its token counts; null (with the reason printed) when it cannot be learned. */
function reportTokenizer(pairs: Pair[], vocabSize: number): Tokenizer | null {
  const texts = pairs.flatMap((p) => [p.source, p.target]);
  const t0 = performance.now();
  let tok: Tokenizer;
  try {
    tok = Tokenizer.train(texts, { vocabSize });
  } catch (err) {
    console.error(`corpus: ${(err as Error).message}`);
    return null;
  }
  const t1 = performance.now();
  let srcTokens = 0, tgtTokens = 0, maxLen = 0;
  for (const p of pairs) {
    const s = tok.encode(p.source).length, t = tok.encode(p.target).length;
    srcTokens += s;
    tgtTokens += t;
    maxLen = Math.max(maxLen, s + 1, t + 1);
  }
  const t2 = performance.now();
  console.log(`BPE: vocabulary ${tok.vocabSize} (asked ${vocabSize}), learned in ${(t1 - t0).toFixed(0)} ms, encoded in ${(t2 - t1).toFixed(0)} ms`);
  console.log(
    `  tokens per sentence: source ${(srcTokens / pairs.length).toFixed(1)}, target ${(tgtTokens / pairs.length).toFixed(1)}; ` +
      `longest sequence with EOS ${maxLen}`,
  );
  return tok;
}
