// Training data end to end, shared by the headless trainer and the worker: sentence pairs (the built-in
// EN↔DE corpus, an imported TSV, or a synthetic copy/reverse task) → BPE learned on the training split →
// length-bucketed batches under a token budget. Plain TypeScript, no GPU, no Node APIs.
import { generateCorpus } from '../data/generator/index.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { Batcher, makeBatch, type Batch as TokenBatch, type SeqPair } from '../data/batching.ts';
import { SeededRandom } from '../model/init.ts';

export interface TextPair {
  src: string;
  tgt: string;
}

export type DataSource =
  | { kind: 'builtin'; direction: 'en-de' | 'de-en' }
  | { kind: 'copy' | 'reverse'; symbols?: number }
  /** An imported corpus; `hash` (corpusHash of the pairs) identifies it, the name is only shown. */
  | { kind: 'pairs'; name: string; pairs: TextPair[]; hash?: string };

export interface DataOptions {
  seed: number;
  /** Requested vocabulary size (the learned one may be smaller on a small corpus). */
  vocab: number;
  /** Longest padded length (S and T), counting EOS / BOS. */
  maxLen: number;
  /** Padded tokens B·(S+T) per batch. */
  batchTokens: number;
  /** Pairs in the dev split (taken from the source's own dev split, or split off the training pairs). */
  devPairs?: number;
  /** Use this tokenizer instead of learning one (a restored checkpoint's, so its ids keep their meaning). */
  tokenizer?: Tokenizer;
  /** Told what is being done on a large corpus ("tokenizing 120000/456000 pairs"), now and then. */
  onProgress?: (text: string) => void;
}

/** Pairs tokenized between two progress reports. */
const PROGRESS_EVERY = 20_000;

export interface PreparedData {
  description: string;
  tokenizer: Tokenizer;
  train: Batcher;
  /** The dev split as text and as fixed batches (same order every evaluation). */
  devText: TextPair[];
  dev: TokenBatch[];
  /** Held-out test split as text (built-in corpus only; empty otherwise). */
  testText: TextPair[];
}

/** Synthetic task: random number sequences over `symbols` numbers, copied or reversed (a first sanity check). */
export function syntheticPairs(kind: 'copy' | 'reverse', count: number, seed: number, symbols = 50): TextPair[] {
  const rng = new SeededRandom(seed);
  const out: TextPair[] = [];
  for (let i = 0; i < count; i++) {
    const len = 3 + Math.floor(rng.uniform() * 8);
    const words = Array.from({ length: len }, () => String(Math.floor(rng.uniform() * symbols)));
    out.push({ src: words.join(' '), tgt: (kind === 'reverse' ? [...words].reverse() : words).join(' ') });
  }
  return out;
}

function splitPairs(source: DataSource, seed: number, devCount: number): { train: TextPair[]; dev: TextPair[]; test: TextPair[]; description: string } {
  switch (source.kind) {
    case 'builtin': {
      const corpus = generateCorpus({ seed, direction: source.direction, dev: devCount });
      const map = (p: { src: string; tgt: string }): TextPair => ({ src: p.src, tgt: p.tgt });
      return { train: corpus.train.map(map), dev: corpus.dev.map(map), test: corpus.test.map(map), description: `built-in ${source.direction} corpus: ${corpus.heldOut}` };
    }
    case 'copy':
    case 'reverse': {
      const all = syntheticPairs(source.kind, 20000 + devCount, seed, source.symbols);
      return { train: all.slice(devCount), dev: all.slice(0, devCount), test: [], description: `synthetic ${source.kind} task` };
    }
    case 'pairs': {
      const shuffled = [...source.pairs];
      const rng = new SeededRandom(seed);
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const dev = Math.min(devCount, Math.floor(shuffled.length / 10));
      return { train: shuffled.slice(dev), dev: shuffled.slice(0, dev), test: [], description: `imported corpus ${source.name}` };
    }
  }
}

export function prepareData(source: DataSource, options: DataOptions): PreparedData {
  const split = splitPairs(source, options.seed, options.devPairs ?? 500);
  if (split.train.length === 0) throw new Error('the corpus has no training pairs');
  const progress = options.onProgress ?? (() => {});
  const total = split.train.length + split.dev.length;
  if (!options.tokenizer) progress(`learning a ${options.vocab}-token vocabulary (BPE) on ${split.train.length} pairs`);
  const tokenizer = options.tokenizer ?? Tokenizer.train(split.train.flatMap((p) => [p.src, p.tgt]), { vocabSize: options.vocab });
  let done = 0;
  const encode = (pairs: TextPair[]): SeqPair[] =>
    pairs.map((p) => {
      if (++done % PROGRESS_EVERY === 0) progress(`tokenizing ${done}/${total} pairs`);
      return { src: tokenizer.encode(p.src), tgt: tokenizer.encode(p.tgt) };
    });
  const batching = { maxTokens: options.batchTokens, maxLen: options.maxLen, overflow: 'truncate' as const, seed: options.seed, lengthMultiple: 16 };
  const train = new Batcher(encode(split.train), batching);
  const dev = [...new Batcher(encode(split.dev), { ...batching, shuffle: false }).epoch(0)];
  return { description: split.description, tokenizer, train, devText: split.dev, dev, testText: split.test };
}

/** One batch of texts (for translating or scoring a few sentences). */
export function textBatch(tokenizer: Tokenizer, pairs: TextPair[], maxLen: number): TokenBatch {
  const seqs = pairs.map((p) => ({ src: tokenizer.encode(p.src).slice(0, maxLen - 1), tgt: tokenizer.encode(p.tgt).slice(0, maxLen - 1) }));
  const s = Math.max(...seqs.map((q) => q.src.length + 1));
  const t = Math.max(...seqs.map((q) => q.tgt.length + 1));
  return makeBatch(seqs, s, t);
}
