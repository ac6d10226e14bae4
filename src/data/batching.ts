// Batching: (source ids, target ids) pairs → padded Int32 matrices grouped by length buckets under a
// token budget, shuffled by a seed (same seed and epoch → same batches, in Node and the browser).
//
// Layout (model.md "Tokens and batches"), row-major, PAD = 0:
//   src    (B, S): tokens + EOS
//   tgtIn  (B, T): BOS + tokens
//   tgtOut (B, T): tokens + EOS        (PAD exactly where tgtIn is PAD)
// S and T are padded lengths: rounded up to a multiple of `lengthMultiple` (default 8, capped at maxLen) or
// to the next entry of `bucketLengths`, so the GPU sees few distinct shapes. maxLen bounds the sequence
// lengths S and T *including* EOS/BOS; a longer pair is dropped or truncated (keeping the final EOS).
// Token budget: B * (S + T) <= maxTokens, i.e. padded source plus padded target positions.
import { mulberry32 } from '../util/random.ts';

import { BOS, EOS, PAD } from './tokenizer.ts';

export interface SeqPair {
  /** Source token ids without EOS. */
  src: ArrayLike<number>;
  /** Target token ids without BOS/EOS. */
  tgt: ArrayLike<number>;
}

export interface BatchingOptions {
  /** Budget per batch: B * (S + T) padded positions. */
  maxTokens: number;
  /** Max S and T, counting EOS / BOS. */
  maxLen: number;
  /** What to do with a pair longer than maxLen. Default 'drop'. */
  overflow?: 'drop' | 'truncate';
  /** Shuffle seed. Default 1. */
  seed?: number;
  /** Shuffle pairs and batch order each epoch. Default true (false keeps input order, e.g. for eval). */
  shuffle?: boolean;
  /** Padded lengths are rounded up to a multiple of this (capped at maxLen). Default 8. */
  lengthMultiple?: number;
  /** Explicit padded lengths, ascending; the last must be >= maxLen. Overrides lengthMultiple. */
  bucketLengths?: number[];
  /** Upper bound on B. Default unbounded. */
  maxBatch?: number;
}

export interface Batch {
  src: Int32Array; // (B, S)
  tgtIn: Int32Array; // (B, T)
  tgtOut: Int32Array; // (B, T)
  batch: number; // B
  srcLen: number; // S
  tgtLen: number; // T
  /** Non-PAD positions of tgtOut (the tokens the loss averages over). */
  tokens: number;
  /** Non-PAD positions of src. */
  srcTokens: number;
  /** Indices of the rows' pairs in the Batcher's input. */
  indices: Int32Array;
}

export interface BatchingReport {
  pairs: number;
  kept: number;
  truncated: number;
  dropped: number;
  /** Distinct (S, T) shapes the batches use. */
  shapes: [number, number][];
}

interface Prepared {
  index: number;
  srcN: number; // tokens kept on the source side (EOS not counted)
  tgtN: number;
  S: number;
  T: number;
}

type ResolvedOptions = Required<Omit<BatchingOptions, 'bucketLengths'>> & { bucketLengths?: number[] };

/** One batch to be: its padded shape and the input indices of its pairs (rows in this order). */
export interface BatchPlan {
  S: number;
  T: number;
  indices: number[];
}

export class Batcher {
  readonly report: BatchingReport;
  private readonly prepared: Prepared[];
  private readonly byIndex = new Map<number, Prepared>();
  private readonly opts: ResolvedOptions;

  constructor(
    private readonly pairs: readonly SeqPair[],
    options: BatchingOptions,
  ) {
    this.opts = validate(options);
    this.prepared = [];
    let truncated = 0, dropped = 0;
    pairs.forEach((p, index) => {
      const over = p.src.length + 1 > this.opts.maxLen || p.tgt.length + 1 > this.opts.maxLen;
      if (over && this.opts.overflow === 'drop') {
        dropped++;
        return;
      }
      if (over) truncated++;
      const srcN = Math.min(p.src.length, this.opts.maxLen - 1), tgtN = Math.min(p.tgt.length, this.opts.maxLen - 1);
      this.prepared.push({ index, srcN, tgtN, S: this.padded(srcN + 1), T: this.padded(tgtN + 1) });
    });
    const shapes = new Map<number, [number, number]>();
    for (const p of this.prepared) {
      shapes.set(p.S * 65536 + p.T, [p.S, p.T]);
      this.byIndex.set(p.index, p);
    }
    const sorted = [...shapes.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    this.report = { pairs: pairs.length, kept: this.prepared.length, truncated, dropped, shapes: sorted };
  }

  /** B for a padded shape: floor(maxTokens / (S + T)), at least 1, at most maxBatch. */
  batchSize(S: number, T: number): number {
    return Math.max(1, Math.min(this.opts.maxBatch, Math.floor(this.opts.maxTokens / (S + T))));
  }

  /** The batches of one epoch as index groups (cheap; no matrices). */
  plan(epoch: number): BatchPlan[] {
    const rand = mulberry32(mix32(this.opts.seed, epoch));
    const order = [...this.prepared];
    if (this.opts.shuffle) shuffleInPlace(order, rand);
    const buckets = new Map<number, number[]>();
    for (const p of order) {
      const key = p.S * 65536 + p.T;
      const list = buckets.get(key);
      if (list) list.push(p.index);
      else buckets.set(key, [p.index]);
    }
    const groups: BatchPlan[] = [];
    for (const key of [...buckets.keys()].sort((a, b) => a - b)) {
      const list = buckets.get(key) as number[];
      const S = Math.floor(key / 65536), T = key % 65536, B = this.batchSize(S, T);
      for (let i = 0; i < list.length; i += B) groups.push({ S, T, indices: list.slice(i, i + B) });
    }
    if (this.opts.shuffle) shuffleInPlace(groups, rand);
    return groups;
  }

  /** The batches of one epoch, built lazily. */
  *epoch(epoch: number): Generator<Batch> {
    for (const g of this.plan(epoch)) yield this.build(g);
  }

  /** Endless stream over epochs 0, 1, 2, ... (or from `startEpoch`). */
  *iterate(startEpoch = 0): Generator<{ epoch: number; step: number; batch: Batch }> {
    yield* this.iterateFrom(startEpoch * this.batchesPerEpoch());
  }

  /** Batches in one epoch: the same for every epoch (each bucket keeps its pairs; only their order changes). */
  batchesPerEpoch(): number {
    let n = 0;
    const counts = new Map<number, number>();
    for (const p of this.prepared) counts.set(p.S * 65536 + p.T, (counts.get(p.S * 65536 + p.T) ?? 0) + 1);
    for (const [key, count] of counts) n += Math.ceil(count / this.batchSize(Math.floor(key / 65536), key % 65536));
    return n;
  }

  /**
   * The endless stream from batch `position` on (position = batches already taken, e.g. a restored run's
   * step): epoch floor(position / batchesPerEpoch), then the batch inside it. O(pairs), not O(position):
   * a checkpoint at step 1e9 restores as fast as one at step 10, with exactly the batches it would have seen.
   */
  *iterateFrom(position: number): Generator<{ epoch: number; step: number; batch: Batch }> {
    if (!Number.isSafeInteger(position) || position < 0) throw new Error(`Batcher: position must be a non-negative integer, got ${position}`);
    if (this.prepared.length === 0) return;
    const perEpoch = this.batchesPerEpoch();
    let skip = position % perEpoch;
    for (let epoch = Math.floor(position / perEpoch); ; epoch++) {
      const groups = this.plan(epoch);
      for (let step = skip; step < groups.length; step++) yield { epoch, step, batch: this.build(groups[step]) };
      skip = 0;
    }
  }

  private padded(len: number): number {
    const { bucketLengths, lengthMultiple, maxLen } = this.opts;
    if (bucketLengths) return bucketLengths.find((b) => b >= len) as number;
    return Math.min(Math.ceil(len / lengthMultiple) * lengthMultiple, maxLen);
  }

  private build(g: BatchPlan): Batch {
    const rows = g.indices.map((i) => this.byIndex.get(i) as Prepared);
    const pairs = rows.map((r) => this.pairs[r.index]);
    return fillBatch(pairs, rows, g.S, g.T);
  }
}

/** Pad pairs into one batch of shape (B, S) / (B, T); lengths must fit (srcN + 1 <= S, tgtN + 1 <= T). */
export function makeBatch(pairs: readonly SeqPair[], S: number, T: number): Batch {
  const rows = pairs.map((p, index) => ({ index, srcN: p.src.length, tgtN: p.tgt.length, S, T }));
  for (const r of rows) {
    if (r.srcN + 1 > S || r.tgtN + 1 > T) {
      throw new Error(`makeBatch: pair ${r.index} needs S >= ${r.srcN + 1}, T >= ${r.tgtN + 1}; got S = ${S}, T = ${T}`);
    }
  }
  return fillBatch(pairs, rows, S, T);
}

function fillBatch(pairs: readonly SeqPair[], rows: readonly Prepared[], S: number, T: number): Batch {
  const B = rows.length;
  const src = new Int32Array(B * S).fill(PAD), tgtIn = new Int32Array(B * T).fill(PAD), tgtOut = new Int32Array(B * T).fill(PAD);
  let tokens = 0, srcTokens = 0;
  rows.forEach((r, b) => {
    const p = pairs[b];
    for (let j = 0; j < r.srcN; j++) src[b * S + j] = p.src[j];
    src[b * S + r.srcN] = EOS;
    tgtIn[b * T] = BOS;
    for (let j = 0; j < r.tgtN; j++) {
      tgtIn[b * T + j + 1] = p.tgt[j];
      tgtOut[b * T + j] = p.tgt[j];
    }
    tgtOut[b * T + r.tgtN] = EOS;
    tokens += r.tgtN + 1;
    srcTokens += r.srcN + 1;
  });
  const indices = Int32Array.from(rows, (r) => r.index);
  return { src, tgtIn, tgtOut, batch: B, srcLen: S, tgtLen: T, tokens, srcTokens, indices };
}

/** Deterministic split: `valid` items (a count, or a fraction < 1) go to validation, the rest to training. */
export function splitTrainValid<T>(items: readonly T[], valid: number, seed: number): { train: T[]; valid: T[] } {
  const n = valid < 1 ? Math.round(items.length * valid) : Math.min(items.length, Math.floor(valid));
  const order = items.map((_, i) => i);
  shuffleInPlace(order, mulberry32(mix32(seed, 0x5eed)));
  const isValid = new Uint8Array(items.length);
  for (let i = 0; i < n; i++) isValid[order[i]] = 1;
  return { train: items.filter((_, i) => !isValid[i]), valid: items.filter((_, i) => isValid[i] === 1) };
}

function validate(o: BatchingOptions): ResolvedOptions {
  const fail = (msg: string): never => {
    throw new Error(`Batcher: ${msg}`);
  };
  const posInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) fail(`${name} must be a positive integer, got ${v}`);
  };
  posInt(o.maxTokens, 'maxTokens');
  posInt(o.maxLen, 'maxLen');
  if (o.maxLen < 2) fail(`maxLen must be >= 2 (one token plus EOS), got ${o.maxLen}`);
  const lengthMultiple = o.lengthMultiple ?? 8;
  posInt(lengthMultiple, 'lengthMultiple');
  if (o.bucketLengths) {
    const b = o.bucketLengths;
    if (b.length === 0 || b.some((v, i) => !Number.isInteger(v) || v < 1 || (i > 0 && v <= b[i - 1]))) {
      fail(`bucketLengths must be ascending positive integers, got [${b.join(', ')}]`);
    }
    if (b[b.length - 1] < o.maxLen) fail(`the last bucket length ${b[b.length - 1]} is below maxLen ${o.maxLen}`);
  }
  return {
    maxTokens: o.maxTokens,
    maxLen: o.maxLen,
    overflow: o.overflow ?? 'drop',
    seed: o.seed ?? 1,
    shuffle: o.shuffle ?? true,
    lengthMultiple,
    bucketLengths: o.bucketLengths,
    maxBatch: o.maxBatch ?? Number.MAX_SAFE_INTEGER,
  };
}

function shuffleInPlace<T>(a: T[], rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

function mix32(seed: number, epoch: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch >>> 0, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
