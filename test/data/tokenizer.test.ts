// Byte-level BPE: special ids, exact round trip on arbitrary Unicode, determinism, known merges on a toy
// corpus, JSON save/load with validation, and training speed on a 20k-pair-sized corpus.
import { describe, expect, it } from 'vitest';
import { BASE_VOCAB, BOS, BYTE_OFFSET, EOS, PAD, Tokenizer, UNK, pretokenize } from '../../src/data/tokenizer.ts';
import { mulberry32 } from '../../src/testing/random.ts';

const TOY = ['the cat sat on the mat.', 'the cat ate the rat!', 'Le chat a mangé le rat.', 'le chat, le rat et le mat'];

/** A synthetic corpus: `n` sentences of Zipf-ish words over accented letters, with punctuation. */
function syntheticCorpus(n: number, seed: number): string[] {
  const rand = mulberry32(seed);
  const letters = 'abcdefghijklmnopqrstuvwxyzéèàçü';
  const words = Array.from({ length: 12000 }, () => {
    let w = '';
    const len = 2 + Math.floor(rand() * 9);
    for (let j = 0; j < len; j++) w += letters[Math.floor(rand() ** 1.5 * letters.length)];
    return w;
  });
  return Array.from({ length: n }, () => {
    const len = 3 + Math.floor(rand() * 12);
    const ws = Array.from({ length: len }, () => words[Math.floor(words.length * rand() ** 3)]);
    return ws.join(' ') + ['.', ' ?', '!', ', 42.'][Math.floor(rand() * 4)];
  });
}

/** Random strings of Unicode scalar values drawn from interesting ranges. */
function randomUnicode(rand: () => number, maxLen: number): string {
  const ranges: [number, number][] = [
    [0x00, 0x1f], // controls incl. NUL, tab, newline
    [0x20, 0x7e],
    [0x20, 0x20],
    [0xa0, 0x17f], // Latin-1, Latin Extended
    [0x300, 0x36f], // combining marks
    [0x4e00, 0x9fff], // CJK
    [0x0600, 0x06ff], // Arabic
    [0x1f300, 0x1faff], // emoji
    [0x2000, 0x206f], // general punctuation, odd spaces, ZWJ
    [0xe000, 0xf8ff], // private use
    [0xfff0, 0xffff], // specials, noncharacters
    [0x10000, 0x10ffff], // any astral
  ];
  let s = '';
  const len = Math.floor(rand() * maxLen);
  for (let i = 0; i < len; i++) {
    const [lo, hi] = ranges[Math.floor(rand() * ranges.length)];
    s += String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
  }
  return s;
}

/** Reference BPE: recount all pairs after every merge; best = max count, then smallest (left, right). */
function naiveMerges(texts: string[], maxMerges: number): number[] {
  const freq = new Map<string, number>();
  for (const t of texts) for (const c of pretokenize(t)) freq.set(c, (freq.get(c) ?? 0) + 1);
  const words = [...freq].map(([c, f]) => ({ s: Array.from(new TextEncoder().encode(c), (b) => b + BYTE_OFFSET), f }));
  const merges: number[] = [];
  for (let m = 0; m < maxMerges; m++) {
    const counts = new Map<number, number>(); // key = left * 65536 + right, so key order = (left, right) order
    for (const { s, f } of words) for (let i = 0; i + 1 < s.length; i++) counts.set(s[i] * 65536 + s[i + 1], (counts.get(s[i] * 65536 + s[i + 1]) ?? 0) + f);
    let bestKey = -1, bestCount = 1;
    for (const [k, c] of counts) if (c > bestCount || (c === bestCount && k < bestKey)) [bestKey, bestCount] = [k, c];
    if (bestKey < 0) break;
    const best = [Math.floor(bestKey / 65536), bestKey % 65536];
    merges.push(...best);
    const id = BASE_VOCAB + m;
    for (const w of words) {
      const out: number[] = [];
      for (let i = 0; i < w.s.length; i++) {
        if (i + 1 < w.s.length && w.s[i] === best[0] && w.s[i + 1] === best[1]) {
          out.push(id);
          i++;
        } else out.push(w.s[i]);
      }
      w.s = out;
    }
  }
  return merges;
}

describe('Tokenizer', () => {
  const toy = Tokenizer.train(TOY, { vocabSize: 300 });

  it('reserves PAD 0, BOS 1, EOS 2, UNK 3, then 256 bytes', () => {
    expect([PAD, BOS, EOS, UNK, BYTE_OFFSET, BASE_VOCAB]).toEqual([0, 1, 2, 3, 4, 260]);
    expect([0, 1, 2, 3].map((id) => toy.piece(id))).toEqual(['<pad>', '<bos>', '<eos>', '<unk>']);
    expect(toy.piece(BYTE_OFFSET + 0x41)).toBe('A');
    const ids = toy.encode('the cat sat on the mat.');
    expect(ids.every((id) => id >= BYTE_OFFSET && id < toy.vocabSize)).toBe(true);
    expect(toy.decode([BOS, ...ids, EOS, PAD, PAD])).toBe('the cat sat on the mat.');
    expect(toy.decode([UNK])).toBe('\ufffd');
  });

  it('learns the most frequent pair first ("at": 11 times in the toy corpus)', () => {
    expect(toy.piece(BASE_VOCAB)).toBe('at');
    expect(toy.encode(' cat')).toHaveLength(1);
  });

  it('learns the same merges as a naive recount-everything BPE (incl. tie breaks)', () => {
    const corpus = syntheticCorpus(200, 9).concat(TOY, ['aaaa aaa aa', 'ababab abab']);
    const tok = Tokenizer.train(corpus, { vocabSize: 560 });
    expect(Array.from(tok.merges)).toEqual(naiveMerges(corpus, 560 - BASE_VOCAB));
  });

  it('pre-tokenizes into words with a leading space, and chunks concatenate back', () => {
    expect(pretokenize('Hello,  world! 42x\tß\u0301')).toEqual(['Hello', ',', ' ', ' world', '!', ' 42', 'x', '\t', 'ß\u0301']);
    expect(pretokenize('')).toEqual([]);
    expect(pretokenize('a  ')).toEqual(['a', '  ']);
  });

  it('round-trips random Unicode exactly (emoji, CJK, combining marks, controls, spaces)', () => {
    const tok = Tokenizer.train(syntheticCorpus(500, 3).concat(TOY), { vocabSize: 600 });
    const rand = mulberry32(11);
    const fixed = ['', ' ', '   ', ' lead', 'trail ', 'a\u00a0b', '👩‍👩‍👧‍👦 family', '中文字符', 'e\u0301 vs é', '\x00\x01\t\n\r', 'Ünïcödé 🎉!'];
    for (const s of fixed) expect(tok.decode(tok.encode(s))).toBe(s);
    for (let i = 0; i < 3000; i++) {
      const s = randomUnicode(rand, 24);
      const ids = tok.encode(s);
      expect(ids.every((id) => id >= BYTE_OFFSET && id < tok.vocabSize)).toBe(true);
      expect(tok.decode(ids)).toBe(s);
    }
  });

  it('compresses text it was trained on', () => {
    const corpus = syntheticCorpus(2000, 5);
    const tok = Tokenizer.train(corpus, { vocabSize: 2000 });
    const bytes = corpus.reduce((n, s) => n + new TextEncoder().encode(s).length, 0);
    const tokens = corpus.reduce((n, s) => n + tok.encode(s).length, 0);
    expect(tokens).toBeLessThan(bytes / 2);
  });

  it('is deterministic: same corpus and size → same merges, whatever the corpus order', () => {
    const corpus = syntheticCorpus(1000, 7);
    const a = Tokenizer.train(corpus, { vocabSize: 800 });
    const b = Tokenizer.train([...corpus].reverse(), { vocabSize: 800 });
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(a.vocabSize).toBe(800);
  });

  it('stops early when no pair is frequent enough', () => {
    const tok = Tokenizer.train(['ab'], { vocabSize: 1000 });
    expect(tok.vocabSize).toBe(BASE_VOCAB);
    expect(Tokenizer.train(['ab'], { vocabSize: 1000, minFrequency: 1 }).vocabSize).toBe(BASE_VOCAB + 1);
  });

  it('saves to JSON and loads back to the same encodings', () => {
    const json = JSON.parse(JSON.stringify(toy.toJSON()));
    const back = Tokenizer.fromJSON(json);
    expect(back.vocabSize).toBe(toy.vocabSize);
    for (const s of TOY) expect(back.encode(s)).toEqual(toy.encode(s));
  });

  it('rejects malformed JSON with clear errors', () => {
    const good = toy.toJSON();
    const bad = (patch: object) => () => Tokenizer.fromJSON({ ...good, ...patch });
    expect(() => Tokenizer.fromJSON(null)).toThrow('Tokenizer.fromJSON: expected an object');
    expect(bad({ type: 'wordpiece' })).toThrow('type must be "byte-bpe"');
    expect(bad({ version: 2 })).toThrow('unsupported version 2');
    expect(bad({ merges: 'x' })).toThrow('merges must be an array');
    expect(bad({ merges: [4] })).toThrow('even length');
    expect(bad({ merges: [4, 260], vocabSize: 261 })).toThrow('merges[1] = 260 is not a byte or earlier merge id');
    expect(bad({ merges: [4, 1.5], vocabSize: 261 })).toThrow('merges[1] = 1.5');
    expect(bad({ merges: [0, 5], vocabSize: 261 })).toThrow('merges[0] = 0');
    expect(bad({ vocabSize: 5 })).toThrow('vocabSize 5 does not match');
  });

  it('rejects bad training sizes and out-of-range ids', () => {
    expect(() => Tokenizer.train(TOY, { vocabSize: 100 })).toThrow('vocabSize must be an integer in [260, 65536]');
    expect(() => toy.decode([toy.vocabSize])).toThrow(`id ${toy.vocabSize} is outside the vocabulary`);
  });

  it('trains on 20k pairs (40k sentences) up to vocab 8000', () => {
    // Speed is not asserted (timings are benchmarks, not tests): ~0.3 s / ~0.9 s on the 2-core dev machine.
    const corpus = syntheticCorpus(40_000, 13);
    for (const vocabSize of [500, 8000]) expect(Tokenizer.train(corpus, { vocabSize }).vocabSize).toBe(vocabSize);
  });
});
