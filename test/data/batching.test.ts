// Batching: padding layout (model.md), shapes and buckets, token budget, overflow handling, seeded
// determinism, epoch iteration and the train/valid split.
import { describe, expect, it } from 'vitest';
import { Batcher, makeBatch, splitTrainValid, type Batch, type SeqPair } from '../../src/data/batching.ts';
import { BOS, EOS, PAD } from '../../src/data/tokenizer.ts';
import { mulberry32 } from '../../src/testing/random.ts';

/** n pairs with lengths in [1, maxLen] and token ids >= 4 that encode the pair index. */
function randomPairs(n: number, maxLen: number, seed: number): SeqPair[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const s = 1 + Math.floor(rand() * maxLen), t = 1 + Math.floor(rand() * maxLen);
    return { src: Array.from({ length: s }, (_, j) => 4 + ((i * 7 + j) % 500)), tgt: Array.from({ length: t }, (_, j) => 4 + ((i * 13 + j) % 500)) };
  });
}

function row(m: Int32Array, width: number, b: number): number[] {
  return Array.from(m.subarray(b * width, (b + 1) * width));
}

function allBatches(batcher: Batcher, epoch: number): Batch[] {
  return [...batcher.epoch(epoch)];
}

describe('makeBatch', () => {
  it('lays out src = x + EOS, tgtIn = BOS + y, tgtOut = y + EOS, PAD 0', () => {
    const b = makeBatch([{ src: [10, 11, 12], tgt: [20] }, { src: [13], tgt: [21, 22, 23] }], 5, 4);
    expect([b.batch, b.srcLen, b.tgtLen]).toEqual([2, 5, 4]);
    expect(row(b.src, 5, 0)).toEqual([10, 11, 12, EOS, PAD]);
    expect(row(b.src, 5, 1)).toEqual([13, EOS, PAD, PAD, PAD]);
    expect(row(b.tgtIn, 4, 0)).toEqual([BOS, 20, PAD, PAD]);
    expect(row(b.tgtOut, 4, 0)).toEqual([20, EOS, PAD, PAD]);
    expect(row(b.tgtIn, 4, 1)).toEqual([BOS, 21, 22, 23]);
    expect(row(b.tgtOut, 4, 1)).toEqual([21, 22, 23, EOS]);
    expect(b.tokens).toBe(2 + 4);
    expect(b.srcTokens).toBe(4 + 2);
    expect(Array.from(b.indices)).toEqual([0, 1]);
  });

  it('refuses pairs that do not fit', () => {
    expect(() => makeBatch([{ src: [5, 6, 7], tgt: [5] }], 3, 4)).toThrow('makeBatch: pair 0 needs S >= 4');
  });
});

describe('Batcher', () => {
  const pairs = randomPairs(1000, 40, 1);
  const opts = { maxTokens: 2048, maxLen: 32, seed: 42 };

  it('covers every kept pair exactly once per epoch, with a consistent layout', () => {
    const batcher = new Batcher(pairs, opts);
    const { kept, dropped, truncated } = batcher.report;
    expect(kept + dropped).toBe(1000);
    expect(truncated).toBe(0);
    const seen = new Set<number>();
    for (const b of allBatches(batcher, 0)) {
      expect(b.src.length).toBe(b.batch * b.srcLen);
      expect(b.tgtIn.length).toBe(b.batch * b.tgtLen);
      expect(b.batch * (b.srcLen + b.tgtLen)).toBeLessThanOrEqual(opts.maxTokens);
      expect(b.srcLen % 8 === 0 || b.srcLen === opts.maxLen).toBe(true);
      let tokens = 0;
      b.indices.forEach((idx, r) => {
        expect(seen.has(idx)).toBe(false);
        seen.add(idx);
        const p = pairs[idx];
        expect(row(b.src, b.srcLen, r).slice(0, p.src.length + 1)).toEqual([...Array.from(p.src), EOS]);
        expect(row(b.tgtOut, b.tgtLen, r).slice(0, p.tgt.length + 1)).toEqual([...Array.from(p.tgt), EOS]);
        // tgtOut is PAD exactly where tgtIn is PAD
        const padIn = row(b.tgtIn, b.tgtLen, r).map((v) => v === PAD);
        expect(row(b.tgtOut, b.tgtLen, r).map((v) => v === PAD)).toEqual(padIn);
        tokens += p.tgt.length + 1;
      });
      expect(b.tokens).toBe(tokens);
      // the padded length is the smallest multiple of 8 that fits the longest row (capped at maxLen)
      const longestSrc = Math.max(...Array.from(b.indices, (i) => pairs[i].src.length + 1));
      expect(b.srcLen).toBe(Math.min(Math.ceil(longestSrc / 8) * 8, opts.maxLen));
    }
    expect(seen.size).toBe(kept);
  });

  it('drops or truncates pairs over maxLen and reports the counts', () => {
    const over = pairs.filter((p) => p.src.length + 1 > 32 || p.tgt.length + 1 > 32).length;
    expect(over).toBeGreaterThan(0);
    expect(new Batcher(pairs, opts).report).toMatchObject({ pairs: 1000, kept: 1000 - over, dropped: over, truncated: 0 });
    const trunc = new Batcher(pairs, { ...opts, overflow: 'truncate' });
    expect(trunc.report).toMatchObject({ kept: 1000, dropped: 0, truncated: over });
    for (const b of allBatches(trunc, 0)) {
      expect(b.srcLen).toBeLessThanOrEqual(32);
      b.indices.forEach((idx, r) => {
        if (pairs[idx].src.length + 1 > 32) expect(b.src[r * b.srcLen + 31]).toBe(EOS); // EOS kept at the end
      });
    }
  });

  it('is deterministic for a seed, differs across epochs and seeds', () => {
    const sig = (bs: Batch[]) => bs.map((b) => Array.from(b.indices).join(',')).join('|');
    const a = new Batcher(pairs, opts), b = new Batcher(pairs, opts);
    expect(sig(allBatches(a, 3))).toBe(sig(allBatches(b, 3)));
    expect(sig(allBatches(a, 3))).not.toBe(sig(allBatches(a, 4)));
    expect(sig(allBatches(a, 0))).not.toBe(sig(allBatches(new Batcher(pairs, { ...opts, seed: 43 }), 0)));
    const plain = new Batcher(pairs, { ...opts, shuffle: false });
    expect(sig(allBatches(plain, 0))).toBe(sig(allBatches(plain, 1)));
  });

  it('uses explicit bucket lengths and maxBatch', () => {
    const batcher = new Batcher(pairs, { ...opts, bucketLengths: [8, 16, 32], maxBatch: 16 });
    for (const [S, T] of batcher.report.shapes) {
      expect([8, 16, 32]).toContain(S);
      expect([8, 16, 32]).toContain(T);
    }
    expect(batcher.report.shapes.length).toBeLessThanOrEqual(9);
    for (const b of allBatches(batcher, 0)) expect(b.batch).toBeLessThanOrEqual(16);
    expect(batcher.batchSize(32, 32)).toBe(16);
    expect(new Batcher(pairs, opts).batchSize(32, 32)).toBe(32);
  });

  it('gives B = 1 when one pair exceeds the budget', () => {
    const batcher = new Batcher(randomPairs(10, 30, 2), { maxTokens: 10, maxLen: 32 });
    for (const b of allBatches(batcher, 0)) expect(b.batch).toBe(1);
  });

  it('iterates over epochs endlessly', () => {
    const batcher = new Batcher(randomPairs(50, 10, 3), { maxTokens: 64, maxLen: 16 });
    const perEpoch = batcher.plan(0).length;
    const it = batcher.iterate();
    const seen: number[] = [];
    for (let i = 0; i < 2 * perEpoch + 1; i++) seen.push(it.next().value!.epoch);
    expect(seen.filter((e) => e === 0)).toHaveLength(perEpoch);
    expect(seen.filter((e) => e === 1)).toHaveLength(perEpoch);
    expect(seen.at(-1)).toBe(2);
    expect(new Batcher([], { maxTokens: 64, maxLen: 16 }).iterate().next().done).toBe(true);
  });

  it('starts at any position in O(1): the same batches as skipping them one by one, even at step 1e12', () => {
    const batcher = new Batcher(randomPairs(60, 10, 4), { maxTokens: 64, maxLen: 16, seed: 5 });
    const perEpoch = batcher.batchesPerEpoch();
    expect(perEpoch).toBe(batcher.plan(0).length);
    expect(batcher.plan(3).length).toBe(perEpoch);
    const all = batcher.iterate();
    const stream = Array.from({ length: 3 * perEpoch + 2 }, () => all.next().value!);
    for (const position of [0, 1, perEpoch - 1, perEpoch, 2 * perEpoch + 1]) {
      const from = batcher.iterateFrom(position);
      for (let k = 0; k < 3; k++) {
        const got = from.next().value!;
        const want = stream[position + k];
        expect([got.epoch, got.step, Array.from(got.batch.indices)]).toEqual([want.epoch, want.step, Array.from(want.batch.indices)]);
      }
    }
    const t0 = performance.now();
    const far = batcher.iterateFrom(1e12).next().value!;
    expect(performance.now() - t0).toBeLessThan(500);
    expect(far.epoch).toBe(Math.floor(1e12 / perEpoch));
    expect(far.step).toBe(1e12 % perEpoch);
    expect(() => batcher.iterateFrom(-1).next()).toThrow('position must be a non-negative integer');
    expect(() => batcher.iterateFrom(1.5).next()).toThrow('position must be a non-negative integer');
  });

  it('validates its options', () => {
    expect(() => new Batcher(pairs, { maxTokens: 0, maxLen: 8 })).toThrow('Batcher: maxTokens must be a positive integer');
    expect(() => new Batcher(pairs, { maxTokens: 64, maxLen: 1 })).toThrow('maxLen must be >= 2');
    expect(() => new Batcher(pairs, { maxTokens: 64, maxLen: 32, bucketLengths: [16, 8] })).toThrow('ascending');
    expect(() => new Batcher(pairs, { maxTokens: 64, maxLen: 32, bucketLengths: [8, 16] })).toThrow('below maxLen 32');
  });
});

describe('splitTrainValid', () => {
  it('splits deterministically by count or fraction', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const a = splitTrainValid(items, 0.1, 5), b = splitTrainValid(items, 10, 5);
    expect(a.valid).toHaveLength(10);
    expect(a).toEqual(b);
    expect([...a.train, ...a.valid].sort((x, y) => x - y)).toEqual(items);
    expect(splitTrainValid(items, 10, 6).valid).not.toEqual(a.valid);
  });
});
