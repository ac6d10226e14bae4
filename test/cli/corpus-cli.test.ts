// `npm run cli -- corpus`: exit codes say what happened. A vocabulary size the tokenizer cannot have
// (below the 260 byte and special tokens) is a bad argument (2), not a success after an error message;
// a good one reports token counts (0); --out is written atomically and relative to the user's folder.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/corpus.ts';
import { Tokenizer } from '../../src/data/tokenizer.ts';
import { generateCorpus } from '../../src/data/generator/index.ts';
import { prepareData } from '../../src/train/data.ts';

const dir = mkdtempSync(join(tmpdir(), 'corpus-cli-'));
const tsv = join(dir, 'pairs.tsv');
writeFileSync(tsv, 'the cat sat\tdie Katze saß\nthe dog ran\tder Hund lief\nno tab here\n');

async function cli(argv: string[]): Promise<{ code: number; log: string; err: string }> {
  const log: string[] = [], err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void log.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await run(argv);
  vi.restoreAllMocks();
  return { code, log: log.join('\n'), err: err.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

describe('cli corpus', () => {
  it('--vocab below 260 or above 65536 is a bad argument: exit 2 naming the range', async () => {
    for (const vocab of ['100', '70000']) {
      const r = await cli(['--import', tsv, '--vocab', vocab]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--vocab must be in [260, 65536]`);
    }
  });

  it('a usable --vocab reports token counts (exit 0); --out relative to INIT_CWD holds the kept pairs', async () => {
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = dir;
    try {
      const r = await cli(['--import', 'pairs.tsv', '--vocab', '270', '--out', 'clean.tsv']);
      expect(r.code, r.err).toBe(0);
      expect(r.log).toContain('BPE: vocabulary');
      expect(readFileSync(join(dir, 'clean.tsv'), 'utf8')).toBe('the cat sat\tdie Katze saß\nthe dog ran\tder Hund lief\n');
      expect(readdirSync(dir).sort()).toEqual(['clean.tsv', 'pairs.tsv']); // no temp file left
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
  });

  it('an --out that cannot be written: exit 1 naming the file', async () => {
    const out = join(dir, 'missing', 'clean.tsv');
    const r = await cli(['--import', tsv, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`corpus: cannot write ${out}: no such file or folder (ENOENT)`);
  });

  it('--save-tokenizer with --vocab writes the learned tokenizer as JSON that Tokenizer.fromJSON reads', async () => {
    const out = join(dir, 'tok.json');
    const r = await cli(['--import', tsv, '--vocab', '270', '--save-tokenizer', out]);
    expect(r.code, r.err).toBe(0);
    const tok = Tokenizer.fromJSON(JSON.parse(readFileSync(out, 'utf8')));
    expect(tok.vocabSize).toBeLessThanOrEqual(270);
    expect(tok.decode(tok.encode('the cat sat'))).toBe('the cat sat');
  });
});

describe('cli corpus --export', () => {
  const lines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1).map((l) => l.split('\t'));

  it('writes the split cli train trains on for a seed (en-de), and with --vocab the tokenizer it learns', async () => {
    const out = join(dir, 'export-en-de');
    const r = await cli(['--export', out, '--seed', '4', '--vocab', '400']);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['dev.tsv', 'test.tsv', 'tokenizer.json', 'train.tsv']);
    const data = prepareData({ kind: 'builtin', direction: 'en-de' }, { seed: 4, vocab: 400, maxLen: 48, batchTokens: 1024 });
    const corpus = generateCorpus({ seed: 4, direction: 'en-de', dev: 500 });
    expect(lines(join(out, 'train.tsv'))).toEqual(corpus.train.map((p) => [p.src, p.tgt]));
    expect(lines(join(out, 'dev.tsv'))).toEqual(data.devText.map((p) => [p.src, p.tgt]));
    expect(lines(join(out, 'test.tsv'))).toEqual(data.testText.map((p) => [p.src, p.tgt]));
    expect(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'))).toEqual(data.tokenizer.toJSON());
    expect(r.log).toContain(`20000 train, 500 dev, 1000 test pairs written to ${out}`);
  });

  it('--direction de-en puts German first; the default seed is 1 (the product\'s)', async () => {
    const out = join(dir, 'export-de-en');
    const r = await cli(['--export', out, '--direction', 'de-en']);
    expect(r.code, r.err).toBe(0);
    const corpus = generateCorpus({ seed: 1, direction: 'en-de', dev: 500 });
    expect(lines(join(out, 'dev.tsv'))).toEqual(corpus.dev.map((p) => [p.tgt, p.src]));
    expect(readdirSync(out).sort()).toEqual(['dev.tsv', 'test.tsv', 'train.tsv']);
  });

  it('refuses a DIR that cannot be one and options that do not go with --export (exit 2, nothing written)', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const cases: [string[], string][] = [
      [['--export', join(dir, 'a-file')], `--export ${join(dir, 'a-file')} is a file, not a folder`],
      [['--export', join(dir, 'no', 'such')], `--export ${join(dir, 'no', 'such')}: neither it nor its parent folder ${join(dir, 'no')} exists`],
      [['--export', join(dir, 'e1'), '--direction', 'forward'], '--direction must be en-de or de-en with --export, got "forward"'],
      [['--import', tsv, '--direction', 'de-en'], '--direction must be forward or reverse, got "de-en"'],
      [['--export', join(dir, 'e2'), '--import', tsv], '--import and --export cannot be combined'],
      [['--export', join(dir, 'e3'), '--seed', '-1'], '--seed needs an integer in [0, 4294967295], got "-1"'],
      [['--export', join(dir, 'e4'), '--seed', '1.5'], '--seed needs an integer in [0, 4294967295], got "1.5"'],
      [['--import', tsv, '--seed', '3'], '--seed is an option of --export'],
      [['--export', join(dir, 'e5'), '--out', 'x.tsv'], '--out is an option of --import, not --export'],
      [['--export', join(dir, 'e6'), '--vocab', '100'], '--vocab must be in [260, 65536]'],
      [['--import', tsv, '--save-tokenizer', join(dir, 't.json')], '--save-tokenizer needs --vocab N'],
      [['--export', join(dir, 'e7'), '--vocab', '300', '--save-tokenizer', join(dir, 't.json')], '--save-tokenizer is for --import'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(message);
    }
    expect(readdirSync(dir).filter((f) => /^e\d$/.test(f) || f === 't.json')).toEqual([]);
  });
});
