// `npm run cli -- corpus`: exit codes say what happened. A vocabulary size the tokenizer cannot have
// (below the 260 byte and special tokens) is a bad argument (2), not a success after an error message;
// a good one reports token counts (0); --out is written atomically and relative to the user's folder.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/corpus.ts';

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
});
