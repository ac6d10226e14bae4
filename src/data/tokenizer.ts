// Byte-level BPE tokenizer: one vocabulary shared by source and target, learned on the training split.
//
// Ids: 0 PAD, 1 BOS, 2 EOS, 3 UNK (model.md "Tokens and batches"), 4..259 the 256 byte values, then one id
// per learned merge in the order learned. Text is split into chunks by a GPT-2 style pre-tokenizer
// (a word keeps its leading space: "the cat." → "the", " cat", "."), each chunk is UTF-8 bytes, and merges
// apply inside a chunk only. Because every byte is a token (byte fallback), encode never needs UNK and
//   decode(encode(text)) === text  exactly, for every well-formed Unicode string
// (spaces, tabs, newlines, controls, emoji, CJK, combining marks; no normalization happens here — the
// importer normalizes to NFC). A lone UTF-16 surrogate is not Unicode text; it comes back as U+FFFD.
//
// Training (src/data/bpe-train.ts) is deterministic for a given corpus and size: the most frequent
// adjacent pair is merged, ties going to the smallest (left id, right id); distinct chunks are processed
// in sorted order. Pair counts are incremental: 40k sentences / 8000 merges take ~0.9 s on a 2-core box.
// The vocabulary can come out smaller than asked when no pair occurs `minFrequency` times any more.

import { learnMerges, type TrainWords } from './bpe-train.ts';

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;
export const BYTE_OFFSET = 4;
export const BASE_VOCAB = BYTE_OFFSET + 256;
const MAX_VOCAB = 1 << 16;

/** Pre-tokenizer: a letter run (with marks), a digit run, or a punctuation run, each with one optional
 *  leading space; a whitespace run leaves its last character to the next word. Some alternative matches
 *  at every position, so the chunks concatenate back to the text. */
const CHUNK = / ?\p{L}[\p{L}\p{M}]*| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface TrainOptions {
  /** Total vocabulary size including the 4 specials and 256 bytes (>= 260). */
  vocabSize: number;
  /** A pair must occur at least this often to be merged. Default 2. */
  minFrequency?: number;
}

export interface TokenizerJSON {
  type: 'byte-bpe';
  version: 1;
  vocabSize: number;
  /** Learned merges flattened: [left0, right0, left1, right1, ...]; merge i creates id 260 + i. */
  merges: number[];
}

export class Tokenizer {
  readonly merges: Int32Array;
  private readonly ranks = new Map<number, number>();
  private readonly bytesOf: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  private constructor(merges: Int32Array) {
    this.merges = merges;
    for (let id = 0; id < BASE_VOCAB; id++) {
      this.bytesOf.push(id < BYTE_OFFSET ? new Uint8Array(0) : Uint8Array.of(id - BYTE_OFFSET));
    }
    for (let i = 0; i < merges.length / 2; i++) {
      const a = merges[2 * i], b = merges[2 * i + 1];
      this.ranks.set(pairKey(a, b), i);
      this.bytesOf.push(concatBytes(this.bytesOf[a], this.bytesOf[b]));
    }
  }

  get vocabSize(): number {
    return BASE_VOCAB + this.merges.length / 2;
  }

  /** Learn merges from texts (pass both sides of the training pairs for a shared vocabulary). */
  static train(texts: Iterable<string>, options: TrainOptions): Tokenizer {
    const { vocabSize, minFrequency = 2 } = options;
    if (!Number.isInteger(vocabSize) || vocabSize < BASE_VOCAB || vocabSize > MAX_VOCAB) {
      throw new Error(`Tokenizer.train: vocabSize must be an integer in [${BASE_VOCAB}, ${MAX_VOCAB}], got ${vocabSize}`);
    }
    const words = trainWords(countChunks(texts));
    return new Tokenizer(learnMerges(words, BASE_VOCAB, vocabSize - BASE_VOCAB, Math.max(1, minFrequency)));
  }

  static fromJSON(obj: unknown): Tokenizer {
    return new Tokenizer(validateJSON(obj));
  }

  toJSON(): TokenizerJSON {
    return { type: 'byte-bpe', version: 1, vocabSize: this.vocabSize, merges: Array.from(this.merges) };
  }

  /** Token ids of `text` (no BOS/EOS; batching adds those). */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const chunk of pretokenize(text)) {
      for (const id of this.encodeChunk(chunk)) out.push(id);
    }
    return out;
  }

  /** Text of ids. PAD/BOS/EOS decode to nothing, UNK to U+FFFD; byte runs that are not valid UTF-8
   *  (possible in model output) decode to U+FFFD per the WHATWG decoder. */
  decode(ids: ArrayLike<number>): string {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const bytes = id === UNK ? UNK_BYTES : this.bytesOf[id];
      if (bytes === undefined) throw new Error(`Tokenizer.decode: id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      parts.push(bytes);
      n += bytes.length;
    }
    const all = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return this.decoder.decode(all);
  }

  /** A readable form of one token, for display: specials by name, bytes decoded leniently. */
  piece(id: number): string {
    if (id < BYTE_OFFSET) return SPECIALS[id] ?? `<${id}>`;
    const bytes = this.bytesOf[id];
    if (bytes === undefined) return `<${id}?>`;
    const text = this.decoder.decode(bytes);
    return text.includes('\ufffd') ? Array.from(bytes, (b) => `<0x${b.toString(16).padStart(2, '0')}>`).join('') : text;
  }

  private encodeChunk(chunk: string): number[] {
    const hit = this.cache.get(chunk);
    if (hit) return hit;
    const ids = Array.from(this.encoder.encode(chunk), (b) => b + BYTE_OFFSET);
    applyMerges(ids, this.ranks);
    if (this.cache.size < 200_000) this.cache.set(chunk, ids);
    return ids;
  }
}

const UNK_BYTES = Uint8Array.of(0xef, 0xbf, 0xbd);

function pairKey(a: number, b: number): number {
  return a * MAX_VOCAB + b;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Standard BPE encoding of one chunk: repeatedly merge the adjacent pair of lowest rank (in place). */
function applyMerges(ids: number[], ranks: Map<number, number>): void {
  while (ids.length > 1) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i + 1 < ids.length; i++) {
      const r = ranks.get(pairKey(ids[i], ids[i + 1]));
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) return;
    const merged = BASE_VOCAB + bestRank;
    const a = ids[best], b = ids[best + 1];
    let w = 0;
    for (let i = 0; i < ids.length; i++) {
      if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
        ids[w++] = merged;
        i++;
      } else ids[w++] = ids[i];
    }
    ids.length = w;
  }
}

function countChunks(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const chunk of pretokenize(text)) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
  }
  return counts;
}

/** Distinct chunks in sorted order (so word indices do not depend on corpus order) as byte symbols. */
function trainWords(counts: Map<string, number>): TrainWords {
  const encoder = new TextEncoder();
  const chunks = [...counts.keys()].sort();
  return {
    symbols: chunks.map((c) => Array.from(encoder.encode(c), (b) => b + BYTE_OFFSET)),
    freq: chunks.map((c) => counts.get(c) ?? 0),
  };
}

/** Chunks of `text` (the pre-tokenizer's output; their concatenation is `text`). */
export function pretokenize(text: string): string[] {
  return text.match(CHUNK) ?? [];
}

// ---------------------------------------------------------------------------------------------------
// JSON validation.

function validateJSON(obj: unknown): Int32Array {
  const fail = (msg: string): never => {
    throw new Error(`Tokenizer.fromJSON: ${msg}`);
  };
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) fail('expected an object');
  const o = obj as Record<string, unknown>;
  if (o.type !== 'byte-bpe') fail(`type must be "byte-bpe", got ${JSON.stringify(o.type)}`);
  if (o.version !== 1) fail(`unsupported version ${JSON.stringify(o.version)} (expected 1)`);
  if (!Array.isArray(o.merges)) fail('merges must be an array of integers');
  const merges = o.merges as unknown[];
  if (merges.length % 2 !== 0) fail(`merges must hold pairs (even length), got length ${merges.length}`);
  for (let i = 0; i < merges.length; i++) {
    const id = merges[i];
    const limit = BASE_VOCAB + Math.floor(i / 2);
    if (typeof id !== 'number' || !Number.isInteger(id) || id < BYTE_OFFSET || id >= limit) {
      fail(`merges[${i}] = ${JSON.stringify(id)} is not a byte or earlier merge id in [${BYTE_OFFSET}, ${limit})`);
    }
  }
  const vocabSize = BASE_VOCAB + merges.length / 2;
  if (vocabSize > MAX_VOCAB) fail(`vocabulary of ${vocabSize} exceeds ${MAX_VOCAB}`);
  if (o.vocabSize !== vocabSize) fail(`vocabSize ${JSON.stringify(o.vocabSize)} does not match ${merges.length / 2} merges (expected ${vocabSize})`);
  return Int32Array.from(merges as number[]);
}
