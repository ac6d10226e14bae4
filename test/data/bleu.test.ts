// BLEU against sacreBLEU's published test vectors (sacrebleu test/test_bleu.py and
// test/test_sentence_bleu.py, 2.x), the 13a tokenizer, Python-style number formatting and the `bleu` CLI.
import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { computeBleu, corpusBleu, formatBleu, pyFixed, sentenceBleu, tokenize13a, type BleuOptions } from '../../src/data/bleu.ts';
import { run } from '../../src/cli/bleu.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/data');

// sacreBLEU README example: three hypotheses, two reference streams.
const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const HYPS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

/** sacrebleu.raw_corpus_bleu: no tokenization, 'floor' smoothing, effective order. */
const raw = (hyps: string[], refs: string[][], floor = 0.1) =>
  corpusBleu(hyps, refs, { tokenize: 'none', smoothMethod: 'floor', smoothValue: floor, effectiveOrder: true }).score / 100;

describe('corpus BLEU (test_bleu.py)', () => {
  it.each([
    [{}, 48.530827],
    [{ tokenize: '13a' }, 48.530827],
    [{ tokenize: 'none' }, 49.1919566],
    [{ smoothMethod: 'none' }, 48.530827],
  ] as [BleuOptions, number][])('README example with %o', (opts, expected) => {
    expect(Math.abs(corpusBleu(HYPS, REFS, opts).score - expected)).toBeLessThan(1e-6);
  });

  it('empty hypotheses are scored, not removed', () => {
    expect(corpusBleu(['', '', ''], REFS).score).toBe(0);
  });

  it.each([
    [1, '77.65'],
    [2, '60.50'],
    [3, '53.93'],
    [4, '48.53'],
    [5, '46.14'],
    [6, '43.28'],
  ])('max n-gram order %i', (order, expected) => {
    expect(pyFixed(corpusBleu(HYPS, REFS, { maxNgramOrder: order }).score, 2)).toBe(expected);
  });

  it('raw corpus BLEU cases (no match → 0 since sacreBLEU #141)', () => {
    expect(raw(['this is a test', 'another test'], [['ref1', 'ref2']], 0.01)).toBe(0);
    expect(raw(['this is a test'], [['this is a test']], 0.01)).toBeCloseTo(1, 10);
    expect(raw(['this is a fest'], [['this is a test']], 0.01)).toBeCloseTo(0.223606797749979, 10);
  });

  it('effective order cases', () => {
    expect(raw(['test'], [['a test']], 0.01)).toBeCloseTo(0.3678794411714425, 10);
    expect(raw(['a test'], [['a test']], 0.01)).toBeCloseTo(1, 10);
    expect(raw(['a little test'], [['a test']], 0.01)).toBeCloseTo(0.03218297948685433, 10);
  });

  it('statistics and offset', () => {
    const s = corpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], { tokenize: 'none' });
    expect([s.counts, s.totals]).toEqual([
      [4, 2, 1, 0],
      [6, 5, 4, 3],
    ]);
    expect(raw(['am I am a character sequence'], [['I am a symbol string sequence a a']], 0)).toBe(0);
    expect(raw(['am I am a character sequence'], [['I am a symbol string sequence a a']])).toBeCloseTo(0.1555722182, 9);
  });

  it('scoring from statistics and degenerate statistics', () => {
    expect(computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100).toBeCloseTo(0.8375922397, 9);
    const floor = (c: number[], t: number[], sys: number, ref: number, v: number) =>
      computeBleu(c, t, sys, ref, { smoothMethod: 'floor', smoothValue: v }).score;
    expect(floor([0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0)).toBe(0);
    expect(floor([0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0)).toBe(0);
    expect(floor([0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0)).toBe(0);
    expect(floor([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0)).toBe(0);
    expect(floor([0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1)).toBe(0);
    expect(floor([0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01)).toBe(0);
  });

  it('rejects misaligned and empty references', () => {
    expect(() => corpusBleu(['a', 'b'], [['a']])).toThrow('reference stream 1 has 1 lines but the hypotheses have 2');
    expect(() => corpusBleu(['a'], [['']])).toThrow('empty reference sentence for segment 1');
  });
});

describe('sentence BLEU (test_sentence_bleu.py)', () => {
  // Example from sacreBLEU issue #98.
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';

  it.each([
    [{ smoothMethod: 'exp' }, 8.493],
    [{ smoothMethod: 'none' }, 0.0],
    [{ smoothMethod: 'floor' }, 4.51688],
    [{ smoothMethod: 'floor', smoothValue: 0.1 }, 4.51688],
    [{ smoothMethod: 'floor', smoothValue: 0.5 }, 10.1],
    [{ smoothMethod: 'add-k' }, 14.882],
    [{ smoothMethod: 'add-k', smoothValue: 1 }, 14.882],
    [{ smoothMethod: 'add-k', smoothValue: 2 }, 21.389],
    [{ smoothMethod: 'exp', tokenize: 'none' }, 7.347],
  ] as [BleuOptions, number][])('%o', (opts, expected) => {
    expect(Math.abs(sentenceBleu(SYS, [REF], opts).score - expected)).toBeLessThan(1e-3);
  });

  it('defaults to exp smoothing with effective order', () => {
    expect(sentenceBleu(SYS, [REF]).score).toBeCloseTo(8.493, 3);
  });

  it.each(['exp', 'none', 'floor', 'add-k'] as const)('no match at all → 0 (%s)', (smoothMethod) => {
    expect(sentenceBleu('this is a cat', ['okay thanks'], { smoothMethod }).score).toBe(0);
  });
});

describe('13a tokenizer', () => {
  it('splits punctuation and symbols, keeps digit groups, unescapes entities', () => {
    expect(tokenize13a('Hello, world! It costs $3.50 (1,000-2,000) &amp; &quot;quotes&quot; e.g. a.b')).toBe(
      'Hello , world ! It costs $ 3.50 ( 1,000 - 2,000 ) & " quotes " e . g . a . b',
    );
    expect(tokenize13a("It wasn't 5-6 <skipped>km.")).toBe("It wasn't 5 - 6 km .") // the apostrophe (0x27) is not in 13a's class;
    expect(tokenize13a('  spaced\tout  ')).toBe('spaced out');
    expect(tokenize13a('über-cool, 3.')).toBe('über-cool , 3 .');
  });
});

describe('formatting', () => {
  it('prints the sacreBLEU score string', () => {
    expect(formatBleu(corpusBleu(HYPS, REFS))).toBe(
      'BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)',
    );
  });

  it('rounds exact ties to even like Python', () => {
    expect([pyFixed(0.125, 2), pyFixed(0.375, 2), pyFixed(2.5, 0), pyFixed(1.0005, 3)]).toEqual(['0.12', '0.38', '2', '1.000']);
    expect([pyFixed(1.005, 2), pyFixed(100, 1), pyFixed(0, 3)]).toEqual(['1.00', '100.0', '0.000']);
  });
});

describe('bleu CLI', () => {
  async function cli(argv: string[]) {
    const out: string[] = [], err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      return { code: await run(argv), out: out.join('\n'), err: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }
  const f = (name: string) => join(FIXTURES, name);

  it('prints the score string for one or more references', async () => {
    const two = await cli(['--hyp', f('hyp.txt'), '--ref', f('ref1.txt'), '--ref', f('ref2.txt')]);
    expect(two).toEqual({ code: 0, out: 'BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)', err: '' });
    const one = await cli(['--hyp', f('hyp.txt'), '--ref', f('ref1.txt'), '--score-only']);
    expect(one.out).toBe(corpusBleu(HYPS, [REFS[0]]).score.toFixed(2));
  });

  it('is registered in the CLI entry point (npm run cli -- bleu ...)', () => {
    const root = join(import.meta.dirname, '../..');
    const r = spawnSync(join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'bleu', '--hyp', f('hyp.txt'), '--ref', f('ref1.txt'), '--ref', f('ref2.txt')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)');
  });

  it('fails clearly on missing files, misaligned files and bad options', async () => {
    const missing = await cli(['--hyp', f('nope.txt'), '--ref', f('ref1.txt')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read .*nope\.txt: no such file/);
    const misaligned = await cli(['--hyp', f('hyp.txt'), '--ref', f('good.tsv')]);
    expect(misaligned.code).toBe(1);
    expect(misaligned.err).toMatch(/reference stream 1 has 7 lines but the hypotheses have 3/);
    expect((await cli(['--hyp', f('hyp.txt')])).code).toBe(2);
    expect((await cli(['--hyp', f('hyp.txt'), '--ref', f('ref1.txt'), '--tokenize', 'intl'])).code).toBe(2);
  });
});
