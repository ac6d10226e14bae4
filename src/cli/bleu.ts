// `npm run cli -- bleu --hyp H.txt --ref R.txt [--ref R2.txt ...]`: corpus BLEU of line-aligned files,
// printed exactly as sacreBLEU's score string (no signature):
//   BLEU = 34.12 65.3/40.2/28.1/19.8 (BP = 1.000 ratio = 1.012 hyp_len = 123 ref_len = 121)
// Defaults match sacreBLEU's: 13a tokenization, mixed case, 'exp' smoothing.

import { readFileSync } from 'node:fs';
import { corpusBleu, formatBleu, pyFixed, type BleuOptions, type SmoothMethod } from '../data/bleu.ts';

const USAGE = `Usage: npm run cli -- bleu --hyp H.txt --ref R.txt [--ref R2.txt ...] [options]
  --tokenize T      13a (default) or none
  --lowercase       case-insensitive BLEU
  --smooth M        exp (default), floor, add-k or none
  --smooth-value V  value for floor (default 0.1) and add-k (default 1)
  --score-only      print only the score`;

export async function run(argv: string[]): Promise<number> {
  let hypFile: string | undefined;
  const refFiles: string[] = [];
  const options: BleuOptions = {};
  let scoreOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i], next = argv[i + 1];
    const needsValue = ['--hyp', '--ref', '--tokenize', '--smooth', '--smooth-value'].includes(flag);
    if (needsValue && next === undefined) return usage(`${flag} needs a value`);
    if (flag === '--hyp') hypFile = argv[++i];
    else if (flag === '--ref') refFiles.push(argv[++i]);
    else if (flag === '--lowercase') options.lowercase = true;
    else if (flag === '--score-only') scoreOnly = true;
    else if (flag === '--tokenize') {
      if (next !== '13a' && next !== 'none') return usage(`--tokenize must be 13a or none, got "${next}"`);
      options.tokenize = next;
      i++;
    } else if (flag === '--smooth') {
      if (!['exp', 'floor', 'add-k', 'none'].includes(next)) return usage(`unknown smoothing "${next}"`);
      options.smoothMethod = next as SmoothMethod;
      i++;
    } else if (flag === '--smooth-value') {
      options.smoothValue = Number(argv[++i]);
      if (!Number.isFinite(options.smoothValue)) return usage(`--smooth-value needs a number, got "${next}"`);
    } else return usage(`unknown option "${flag}"`);
  }
  if (!hypFile || refFiles.length === 0) return usage('--hyp and at least one --ref are required');

  try {
    const hyps = readLines(hypFile);
    const refs = refFiles.map(readLines);
    const score = corpusBleu(hyps, refs, options);
    console.log(scoreOnly ? pyFixed(score.score, 2) : formatBleu(score));
    return 0;
  } catch (err) {
    console.error(`bleu: ${(err as Error).message}`);
    return 1;
  }
}

function usage(problem: string): number {
  console.error(`bleu: ${problem}\n${USAGE}`);
  return 2;
}

/** Lines as Python iterates a text file opened with newline='\n' (a final newline ends the last line). */
function readLines(file: string): string[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new Error(`${file} is not valid UTF-8`, { cause: err });
  }
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
