// Corpus import: cleaning (NFC, whitespace, BOM/CRLF), one rejection kind per fixture line, whole-file
// problems, limits, and the `corpus` CLI command.
import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cleanText, decodeLines, formatLineList, importCorpus } from '../../src/data/import.ts';
import { run } from '../../src/cli/corpus.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/data');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('importCorpus: good file', () => {
  const r = importCorpus(fixture('good.tsv'));

  it('keeps the pairs, skips the blank line, drops extra columns', () => {
    expect(r.fatal).toBeUndefined();
    expect(r.pairs.map((p) => [p.source, p.target])).toEqual([
      ['Go.', 'Va !'],
      ['Hi.', 'Salut !'],
      ['Run! now', 'Cours maintenant !'],
      ['Café crème.', 'Un café crème.'],
      ['I see.', 'Je comprends.'],
    ]);
    expect(r.pairs.map((p) => p.line)).toEqual([1, 2, 3, 4, 7]);
    expect(r.stats).toMatchObject({ lines: 7, blankLines: 1, kept: 5, rejected: 1 });
  });

  it('normalizes to NFC (the fixture line is NFD)', () => {
    const raw = decodeLines(fixture('good.tsv'))[3] as string;
    expect(raw).not.toBe(raw.normalize('NFC'));
    expect(r.pairs[3].source).toBe('Café crème.'.normalize('NFC'));
    expect(r.pairs[3].source.length).toBe(11);
  });

  it('rejects the duplicate with its line number', () => {
    expect(r.rejected).toEqual([{ line: 5, reason: 'duplicate' }]);
    expect(r.messages).toEqual(['line 5: duplicate of an earlier pair']);
  });

  it('keeps duplicates on request and swaps columns for direction "reverse"', () => {
    const k = importCorpus(fixture('good.tsv'), { keepDuplicates: true, direction: 'reverse' });
    expect(k.pairs.length).toBe(6);
    expect(k.pairs[0]).toEqual({ source: 'Va !', target: 'Go.', line: 1 });
  });
});

describe('importCorpus: bad lines', () => {
  it('names each kind with its lines', () => {
    const r = importCorpus(fixture('mixed.tsv'), { maxWords: 20 });
    expect(r.fatal).toBeUndefined();
    expect(r.pairs.map((p) => p.line)).toEqual([1, 8, 10]);
    expect(r.rejected).toEqual([
      { line: 2, reason: 'no-tab' },
      { line: 3, reason: 'empty-source' },
      { line: 4, reason: 'empty-target' },
      { line: 5, reason: 'too-long' },
      { line: 6, reason: 'control-chars' },
      { line: 7, reason: 'duplicate' },
      { line: 9, reason: 'no-tab' },
    ]);
    expect(r.messages[0]).toBe('lines 2, 9: no tab between source and target');
    expect(r.summary).toMatch(/^kept 3 pairs of 10 lines; rejected 7 \(no tab between source and target: 2, /);
  });

  it('a side of only invisible characters counts as empty; visible text with them is kept', () => {
    const invisible = ['\u200b', '\u200d\u2060', '\ufeff', '\u00ad', '\u200e\u200f', '\u3164', '\u2800', '\u034f\ufe0f'];
    const lines = invisible.map((x, i) => (i % 2 ? `Hallo ${i}\t${x}` : `${x} \tBonjour ${i}`));
    const r = importCorpus(utf8([...lines, 'a\u200bb\tc\u00add', '😀\t✓'].join('\n')));
    expect(r.rejected).toEqual(invisible.map((_, i) => ({ line: i + 1, reason: i % 2 ? 'empty-target' : 'empty-source' })));
    expect(r.pairs.map((p) => p.line)).toEqual([invisible.length + 1, invisible.length + 2]);
    expect(r.messages.join('\n')).toMatch(/only invisible characters/);
  });

  it('applies the character limit per side (code points)', () => {
    const r = importCorpus(utf8('😀😀😀\tok\nabcd\tok\n'), { maxChars: 3 });
    expect(r.pairs.map((p) => p.line)).toEqual([1]);
    expect(r.rejected).toEqual([{ line: 2, reason: 'too-long' }]);
  });

  it('rejects invalid UTF-8 lines and keeps the rest', () => {
    const r = importCorpus(fixture('invalid-utf8.tsv'));
    expect(r.pairs.map((p) => p.source)).toEqual(['Good.', 'Fine.']);
    expect(r.rejected).toEqual([
      { line: 2, reason: 'invalid-utf8' },
      { line: 4, reason: 'invalid-utf8' },
    ]);
    expect(r.messages).toEqual(['lines 2, 4: invalid UTF-8']);
  });

  it('is fatal when nothing usable remains', () => {
    const r = importCorpus(fixture('no-tabs.tsv'));
    expect(r.pairs).toEqual([]);
    expect(r.fatal).toBe('no usable sentence pairs: lines 1, 2: no tab between source and target');
  });

  it('formats long line lists', () => {
    expect(formatLineList([3, 7, 12, ...Array.from({ length: 40 }, (_, i) => 20 + i)], 3)).toBe('lines 3, 7, 12 (and 40 more)');
    expect(formatLineList([4])).toBe('line 4');
  });
});

describe('importCorpus: whole-file problems', () => {
  it('empty file', () => {
    expect(importCorpus(fixture('empty.tsv')).fatal).toBe('file is empty');
    expect(importCorpus(utf8('\ufeff \n\r\n')).fatal).toBe('file is empty');
  });

  it('binary file, with the first lines holding NUL bytes', () => {
    const r = importCorpus(fixture('binary.bin'));
    expect(r.pairs).toEqual([]);
    expect(r.fatal).toMatch(/^looks like a binary file, not UTF-8 text \(NUL bytes on lines 2, /);
  });

  it('a high ratio of control bytes without NULs is binary too', () => {
    const bytes = new Uint8Array(300).map((_, i) => (i % 3 === 0 ? 0x01 : 0x41));
    expect(importCorpus(bytes).fatal).toMatch(/binary file.*33% control bytes on line 1\)/);
  });

  it('UTF-16 file', () => {
    expect(importCorpus(fixture('utf16.tsv')).fatal).toMatch(/UTF-16/);
  });

  it('size limit', () => {
    const r = importCorpus(fixture('good.tsv'), { maxBytes: 100 });
    expect(r.fatal).toBe('file is 196 bytes, over the import limit of 100 bytes');
  });

  it('pair limit keeps the first pairs and says where reading stopped', () => {
    const r = importCorpus(fixture('mixed.tsv'), { maxPairs: 2 });
    expect(r.fatal).toBeUndefined();
    expect(r.pairs.map((p) => p.line)).toEqual([1, 5]);
    expect(r.stats.truncatedAtLine).toBe(6);
    expect(r.messages.at(-1)).toBe('pair limit of 2 reached: line 6 and the 4 after it were not read');
  });
});

describe('readers and cleaning', () => {
  it('tolerates BOM, CRLF, lone CR and a missing final newline', () => {
    expect(decodeLines(utf8('\ufeffa\r\nb\rc\nd'))).toEqual(['a', 'b', 'c', 'd']);
    expect(decodeLines(utf8('a\n\nb\n'))).toEqual(['a', '', 'b']);
  });

  it('cleanText: NFC, collapsed and trimmed whitespace', () => {
    expect(cleanText('  e\u0301te\u0301 \t\u00a0 ici  ')).toBe('\u00e9t\u00e9 ici');
  });
});

describe('corpus CLI', () => {
  async function cli(argv: string[]) {
    const out: string[] = [], err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      const code = await run(argv);
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it('prints kept pairs and rejected lines grouped by reason', async () => {
    const r = await cli(['--import', join(FIXTURES, 'mixed.tsv'), '--max-len', '20']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('pairs kept:     3');
    expect(r.out).toContain('lines rejected: 7');
    expect(r.out).toMatch(/2 × no tab between source and target: lines 2, 9/);
    expect(r.out).toMatch(/1 × sentence too long \(over 20 words or 400 characters on a side\): line 5/);
  });

  it('--strict fails on rejected lines; --vocab trains a tokenizer', async () => {
    expect((await cli(['--import', join(FIXTURES, 'mixed.tsv'), '--strict'])).code).toBe(3);
    const r = await cli(['--import', join(FIXTURES, 'good.tsv'), '--vocab', '300']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/BPE: vocabulary \d+ \(asked 300\)/);
  });

  it('is registered in the CLI entry point and exits 1 when nothing is usable', () => {
    const root = join(import.meta.dirname, '../..');
    const r = spawnSync(join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'corpus', '--import', join(FIXTURES, 'no-tabs.tsv')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/lines rejected: 2/);
    expect(r.stderr).toMatch(/nothing usable in .*no-tabs\.tsv: no usable sentence pairs: lines 1, 2: no tab/);
  });

  it('exits non-zero when nothing is usable, on a missing file and on bad arguments', async () => {
    const bin = await cli(['--import', join(FIXTURES, 'binary.bin')]);
    expect(bin.code).toBe(1);
    expect(bin.err).toMatch(/binary file/);
    const missing = await cli(['--import', join(FIXTURES, 'nope.tsv')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read .*nope\.tsv: no such file/);
    expect((await cli(['--import'])).code).toBe(2);
    expect((await cli(['--direction', 'sideways', '--import', 'x'])).code).toBe(2);
  });
});

describe('corpusHash and import progress', () => {
  it('identifies a corpus by its pairs (FNV-1a 64 over the UTF-16 code units), not its name', async () => {
    const { corpusHash } = await import('../../src/data/import.ts');
    // Reference: FNV-1a 64 with BigInt over the bytes a\0 \t\0 b\0 \n\0.
    let h = 0xcbf29ce484222325n;
    for (const b of [0x61, 0, 0x09, 0, 0x62, 0, 0x0a, 0]) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    expect(corpusHash([{ src: 'a', tgt: 'b' }])).toBe(h.toString(16).padStart(16, '0'));
    const pairs = [{ src: 'ein Haus', tgt: 'a house' }, { src: 'Grüße 👋', tgt: 'greetings' }];
    expect(corpusHash(pairs)).toMatch(/^[0-9a-f]{16}$/);
    expect(corpusHash(pairs)).toBe(corpusHash(pairs.map((p) => ({ ...p }))));
    expect(corpusHash(pairs)).not.toBe(corpusHash([pairs[1], pairs[0]]));
    expect(corpusHash(pairs)).not.toBe(corpusHash([{ src: 'ein Haus', tgt: 'a houses' }, pairs[1]]));
  });

  it('reports the fraction of the file read, rising to 1', async () => {
    const { importCorpus } = await import('../../src/data/import.ts');
    const text = Array.from({ length: 20000 }, (_, i) => `source ${i}\ttarget ${i}`).join('\n');
    const seen: number[] = [];
    const result = importCorpus(new TextEncoder().encode(text), { onProgress: (f) => seen.push(f) });
    expect(result.pairs).toHaveLength(20000);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= seen[i - 1]))).toBe(true);
    expect(seen.at(-1)).toBe(1);
  });
});
