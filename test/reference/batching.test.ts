// reference/batching.py forms the product's batches: the built-in corpus exported by `cli corpus --export`
// (train.tsv + tokenizer.json), batched in Python, gives exactly the batches (shapes, pairs, order, epoch
// after epoch) that `cli train --data builtin` trains on (src/train/data.ts prepareData), so train_dist.py
// and the product see the same data.
import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { run as corpusCli } from '../../src/cli/corpus.ts';
import { prepareData } from '../../src/train/data.ts';
import { NO_PYTHON, python, tempDir } from './python.ts';

interface PyPlan {
  perEpoch: number;
  epochs: { S: number; T: number; indices: number[] }[][];
}

describe.skipIf(NO_PYTHON !== null)('reference/batching.py against the product\'s batching', () => {
  it('exported built-in corpus: the same batches as cli train --data de-en --seed 7 for two epochs', async () => {
    const dir = tempDir('batching-parity');
    const seed = 7, vocab = 400, maxLen = 48, batchTokens = 1024;
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await corpusCli(['--export', join(dir, 'corpus'), '--seed', String(seed), '--direction', 'de-en', '--vocab', String(vocab)]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const data = prepareData({ kind: 'builtin', direction: 'de-en' }, { seed, vocab, maxLen, batchTokens });
    const r = python('batching.py', ['plan', '--tokenizer', join(dir, 'corpus', 'tokenizer.json'), '--data', join(dir, 'corpus', 'train.tsv'),
      '--max-tokens', String(batchTokens), '--max-len', String(maxLen), '--seed', String(seed), '--epochs', '2']);
    const py = JSON.parse(r.stdout) as PyPlan;
    expect(py.perEpoch).toBe(data.train.batchesPerEpoch());
    for (let e = 0; e < 2; e++) {
      const ts = data.train.plan(e);
      expect(py.epochs[e].length).toBe(ts.length);
      const firstDiff = ts.findIndex((g, k) => JSON.stringify(g) !== JSON.stringify(py.epochs[e][k]));
      expect(firstDiff, `epoch ${e}: batch ${firstDiff} differs`).toBe(-1);
    }
    const shapes = new Set(py.epochs[0].map((g) => `${g.S}x${g.T}`));
    console.log(`[batching] ${data.train.report.kept} pairs, ${py.perEpoch} batches per epoch, shapes ${[...shapes].join(' ')}: identical for 2 epochs`);
    expect(shapes.size).toBeGreaterThan(1); // several length buckets are exercised
  }, 240_000);
});
