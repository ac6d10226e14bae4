// What an experiment measures on a dev set at the trainer's current weights: the token-weighted dev loss
// (dropout off) and corpus BLEU (sacreBLEU defaults, 0–100) of greedy translations. Shared by the seed
// runs and the test-time ablation.
import type { Trainer, Batch } from '../train/trainer.ts';
import type { Tokenizer } from '../data/tokenizer.ts';
import type { TextPair } from '../train/data.ts';
import { textBatch } from '../train/data.ts';
import { corpusBleu } from '../data/bleu.ts';

/** A dev set: fixed loss batches and sentence pairs to translate (the sources already tokenized). */
export interface EvalSet {
  batches: readonly Batch[];
  sources: number[][];
  references: string[];
  tokenizer: Tokenizer;
}

/** Sentences per translator call (as the translate CLI). */
const TRANSLATE_BATCH = 32;

/**
 * An eval set from the prepared dev split (its loss batches) or from pairs of text (batched here, 32 pairs
 * a batch, sorted by length). `bleuSentences` caps the sentences translated for BLEU (all by default).
 */
export function evalSet(tokenizer: Tokenizer, pairs: readonly TextPair[], maxLen: number, options: { batches?: readonly Batch[]; bleuSentences?: number } = {}): EvalSet {
  if (pairs.length === 0) throw new Error('the dev set holds no sentence pairs');
  let batches = options.batches;
  if (!batches) {
    const sorted = [...pairs].sort((a, b) => tokenizer.encode(a.src).length - tokenizer.encode(b.src).length);
    const out: Batch[] = [];
    for (let i = 0; i < sorted.length; i += TRANSLATE_BATCH) out.push(textBatch(tokenizer, sorted.slice(i, i + TRANSLATE_BATCH), maxLen) as Batch);
    batches = out;
  }
  const bleuPairs = pairs.slice(0, options.bleuSentences ?? pairs.length);
  return { batches, sources: bleuPairs.map((p) => tokenizer.encode(p.src).slice(0, maxLen - 1)), references: bleuPairs.map((p) => p.tgt), tokenizer };
}

export interface Measurement {
  loss: number;
  /** Corpus BLEU of greedy translations, 0–100 (null when no sentences were translated). */
  bleu: number | null;
}

/** Greedy corpus BLEU of the trainer's live weights on the set's sentences. */
export async function greedyBleu(trainer: Trainer, set: EvalSet): Promise<number | null> {
  if (set.sources.length === 0) return null;
  const translator = trainer.translator();
  const hyps: string[] = [];
  for (let at = 0; at < set.sources.length; at += TRANSLATE_BATCH) {
    const outputs = await translator.translate(set.sources.slice(at, at + TRANSLATE_BATCH), { beam: 1, maxLen: trainer.config.maxLen });
    for (const ids of outputs) hyps.push(set.tokenizer.decode(ids).replace(/\s*[\r\n]+\s*/g, ' ').trim());
  }
  return corpusBleu(hyps, [set.references]).score;
}

export async function measure(trainer: Trainer, set: EvalSet, withBleu = true): Promise<Measurement> {
  const { loss } = await trainer.evaluate(set.batches);
  return { loss, bleu: withBleu ? await greedyBleu(trainer, set) : null };
}
