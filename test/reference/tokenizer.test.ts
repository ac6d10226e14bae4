// reference/tokenizer.py encodes text exactly as the product's tokenizer (src/data/tokenizer.ts): on a few
// thousand strings (the built-in corpus, and generated ones mixing scripts, emoji with modifiers and ZWJ,
// flags, combining marks in odd places, digits of several scripts, JavaScript whitespace and its near
// misses such as U+0085 and U+200B, lone surrogates), the same pre-tokenizer chunks and the same ids.
// Characters come from blocks assigned before Unicode 14 (Python's unicodedata here), whose categories
// Node's newer Unicode data keeps.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pretokenize, Tokenizer } from '../../src/data/tokenizer.ts';
import { generateCorpus } from '../../src/data/generator/index.ts';
import { mulberry32 } from '../../src/util/random.ts';
import { NO_PYTHON, python, tempDir } from './python.ts';

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i));
/** Pools of characters the generated strings draw from. */
const POOLS: string[][] = [
  [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'],
  [...'0123456789'],
  [...".,;:!?'\"()[]{}<>-_/\\@#$%^&*+=~`|"],
  [...'äöüßÄÖÜéèêçñøåœæ'],
  range(0x0300, 0x036f), // combining diacritics (Mn)
  range(0x0391, 0x03a9), range(0x0410, 0x044f), // Greek, Cyrillic
  range(0x4e00, 0x4e80), range(0x3041, 0x3096), range(0xac00, 0xac40), // CJK, Hiragana, Hangul
  range(0x0621, 0x064a), range(0x0905, 0x0939), range(0x093e, 0x094d), // Arabic, Devanagari letters and marks
  range(0x0660, 0x0669), range(0xff10, 0xff19), [...'²³¹¼½ⅫⅣ'], // Arabic-Indic and fullwidth digits, No, Nl
  range(0x1f600, 0x1f64f), range(0x1f3fb, 0x1f3ff), ['\u200d', '\ufe0f', '\u20e3'], // emoji, skin tones, ZWJ, VS16, keycap
  range(0x1f1e6, 0x1f1ff), // regional indicators (flags)
  [' ', ' ', ' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2003', '\u2009', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'],
  ['\u0085', '\u200b', '\u180e', '\u001c', '\u001f', '\u00ad', '\u2060', '\u0000', '\u007f'], // not JavaScript \s
];
const SPECIAL = ['👨‍👩‍👧‍👦', '🇩🇪🇯🇵', '👍🏽', '1️⃣', 'e\u0301', '\u0301start', ' \u0301', 'x  \u0301y', '한국어', '日本語のテキスト', 'Ünïcödé', '  two  spaces  ', '\t\ttabs\t', 'a\r\nb', '\ud800', 'x\udc00y', '\ud83d', '  ', ' ', '', 'end '];

function generated(count: number, seed: number): string[] {
  const rand = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const mostly = [pick(POOLS), pick(POOLS), POOLS[0], POOLS[POOLS.length - 2]];
    const len = 1 + Math.floor(rand() * 24);
    let s = '';
    for (let j = 0; j < len; j++) s += rand() < 0.1 ? pick(SPECIAL) : pick(pick(mostly));
    out.push(s);
  }
  return out;
}

describe.skipIf(NO_PYTHON !== null)('reference/tokenizer.py against src/data/tokenizer.ts', () => {
  it('the same chunks and ids for corpus lines and 3000 generated strings of every script and oddity', () => {
    const corpus = generateCorpus({ seed: 5, train: 600, dev: 0, test: 0 });
    const strings = [...corpus.train.flatMap((p) => [p.src, p.tgt]), ...SPECIAL, ...generated(3000, 11)];
    // Merges learned on the strings themselves, so multi-byte characters and spaces get merged too.
    const tok = Tokenizer.train(strings, { vocabSize: 2000 });
    const dir = tempDir('tokenizer-parity');
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.toJSON()));
    writeFileSync(join(dir, 'strings.json'), JSON.stringify(strings));
    python('tokenizer.py', ['encode', '--tokenizer', join(dir, 'tokenizer.json'), '--strings', join(dir, 'strings.json'), '--out', join(dir, 'out.json')]);
    const py = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { ids: number[][]; chunks: string[][] };
    expect(py.ids).toHaveLength(strings.length);
    let chunkMismatch = 0, idMismatch = 0, firstBad = '';
    strings.forEach((s, i) => {
      const chunks = pretokenize(s), ids = tok.encode(s);
      const badChunks = JSON.stringify(chunks) !== JSON.stringify(py.chunks[i]);
      const badIds = JSON.stringify(ids) !== JSON.stringify(py.ids[i]);
      chunkMismatch += badChunks ? 1 : 0;
      idMismatch += badIds ? 1 : 0;
      if ((badChunks || badIds) && !firstBad) firstBad = `${JSON.stringify(s)}: TS ${JSON.stringify(chunks)} ${JSON.stringify(ids)} vs Python ${JSON.stringify(py.chunks[i])} ${JSON.stringify(py.ids[i])}`;
    });
    const merged = strings.reduce((n, s) => n + tok.encode(s).filter((id) => id >= 260).length, 0);
    console.log(`[tokenizer] ${strings.length} strings, vocabulary ${tok.vocabSize}, ${merged} merged tokens: ${idMismatch} id and ${chunkMismatch} chunk mismatches`);
    expect(firstBad, firstBad).toBe('');
    expect(merged).toBeGreaterThan(1000); // the merges are exercised, not only bytes
  });

  it('reads the tokenizer out of a checkpoint and refuses a bad tokenizer JSON naming the problem', () => {
    const dir = tempDir('tokenizer-bad');
    writeFileSync(join(dir, 'strings.json'), '["a"]');
    const bad = { type: 'byte-bpe', version: 1, vocabSize: 262, merges: [4, 300] };
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const r = python('tokenizer.py', ['encode', '--tokenizer', join(dir, 'bad.json'), '--strings', join(dir, 'strings.json'), '--out', join(dir, 'o.json')], { allowFail: true });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('merges[1] = 300 is not a byte or earlier merge id in [4, 260)');
  });
});
