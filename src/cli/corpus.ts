// `npm run cli -- corpus --import F.tsv [...]`: check a TSV corpus the way the playground imports it and
// print what would be kept and what is rejected (grouped by reason, with line numbers). Optionally write the
// cleaned pairs (--out) and learn a BPE vocabulary on them (--vocab N) to see token counts and timing.
// Exit code: 0 when usable pairs remain, 1 when nothing usable remains, the file cannot be read, --out cannot
// be written or no vocabulary can be learned, 2 on bad arguments, 3 with --strict when any line (other than
// a duplicate) was rejected. Relative paths are the user's (see resolveUserPath); --out is written atomically.

import { readFileSync } from 'node:fs';
import { importCorpus, groupRejected, formatLineList, describeReason, IMPORT_DEFAULTS, type ImportOptions, type Pair } from '../data/import.ts';
import { BASE_VOCAB, Tokenizer } from '../data/tokenizer.ts';
import { resolveUserPath } from './args.ts';
import { FileError, writeFileAtomic } from './files.ts';

const MAX_VOCAB = 65536;

const USAGE = `Usage: npm run cli -- corpus --import F.tsv [options]
  --import F        TSV file: source<TAB>target per line (further columns ignored)
  --max-len N       max words per side (default 100)
  --max-chars N     max characters per side (default 400)
  --max-pairs N     keep at most N pairs (default 500000)
  --max-mb N        refuse files above N MiB (default 64)
  --direction D     forward (column 1 → column 2, default) or reverse
  --keep-duplicates keep repeated pairs
  --strict          exit 3 if any line other than a duplicate was rejected
  --out F           write the cleaned pairs as TSV
  --vocab N         learn a shared BPE vocabulary of size N (${BASE_VOCAB}..${MAX_VOCAB}) on the kept pairs and report token counts`;

interface Args {
  file?: string;
  out?: string;
  vocab?: number;
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
  if (!args.file) {
    console.error(`corpus: --import F is required\n${USAGE}`);
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
  if (args.vocab !== undefined && !reportTokenizer(result.pairs, args.vocab)) return 1;
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
    else if (flag === '--direction') {
      const d = value();
      if (d !== 'forward' && d !== 'reverse') throw new Error(`--direction must be forward or reverse, got "${d}"`);
      args.options.direction = d;
    } else throw new Error(`unknown option "${flag}"`);
  }
  return args;
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

/** Learn the vocabulary and print its token counts; false (with the reason printed) when it cannot be learned. */
function reportTokenizer(pairs: Pair[], vocabSize: number): boolean {
  const texts = pairs.flatMap((p) => [p.source, p.target]);
  const t0 = performance.now();
  let tok: Tokenizer;
  try {
    tok = Tokenizer.train(texts, { vocabSize });
  } catch (err) {
    console.error(`corpus: ${(err as Error).message}`);
    return false;
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
  return true;
}
