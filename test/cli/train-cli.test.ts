// `npm run cli -- train` reports what the model uses: for every weighting, the loss and token count of
// each step are real (positive, tokens = the batch's non-PAD targets), the log lines and the metrics file
// give the EFFECTIVE kappa/alpha (on the simplex; softmax of the stored logits for `softmax`, 1/M for
// `uniform`), while the checkpoint stores the tensors as model.md says (logits for `softmax`).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/train.ts';
import { decodeCheckpoint } from '../../src/model/checkpoint.ts';
import { buildParamTable, readParam } from '../../src/model/params.ts';
import { effectiveWeights } from '../../src/model/config.ts';

const CONFIG = { variant: 'weighted', vocab: 300, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 24, dropout: 0, labelSmoothing: 0.1 };
const STEPS = 4;

interface MetricsLine {
  step: number;
  loss?: number;
  tokens?: number;
  tokens_seen?: number;
  branches?: { layer: string; kappa: number[]; alpha: number[] }[];
}

afterEach(() => vi.restoreAllMocks());

describe('cli train', () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-cli-'));
  for (const weighting of ['projected', 'softmax', 'uniform'] as const) {
    it(`${weighting}: real loss and tokens, effective kappa/alpha in the log and metrics, stored tensors in the checkpoint`, async () => {
      const configPath = join(dir, `${weighting}.json`), metrics = join(dir, `${weighting}.jsonl`), out = join(dir, `${weighting}.safetensors`);
      writeFileSync(configPath, JSON.stringify({ ...CONFIG, weighting }));
      const logged: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logged.push(a.join(' ')));
      vi.spyOn(console, 'error').mockImplementation(() => {});
      const code = await run(['--config', configPath, '--data', 'copy', '--steps', String(STEPS), '--seed', '5', '--batch-tokens', '256',
        '--eval-every', '0', '--log-every', '1', '--warmup', '2', '--metrics', metrics, '--out', out]);
      expect(code, logged.join('\n')).toBe(0);
      const lines = readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsLine);
      const steps = lines.filter((l) => l.loss !== undefined);
      expect(steps.map((l) => l.step)).toEqual([1, 2, 3, 4]);
      let seen = 0;
      for (const l of steps) {
        expect(l.loss!).toBeGreaterThan(1); // ln(300) ≈ 5.7 at the start: a cross-entropy, not a stray value
        expect(Number.isInteger(l.tokens) && l.tokens! > 0).toBe(true);
        seen += l.tokens!;
        expect(l.tokens_seen).toBe(seen);
        for (const b of l.branches!) {
          for (const w of [b.kappa, b.alpha]) {
            expect(w.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5);
            for (const x of w) expect(x).toBeGreaterThanOrEqual(0);
          }
        }
      }
      // The log's kappa[0] is the metrics' effective kappa of the first layer.
      const last = steps[steps.length - 1];
      const logLine = logged.find((l) => l.startsWith(`step ${STEPS}/${STEPS} `))!;
      expect(logLine).toContain(`kappa[0] ${last.branches![0].kappa.map((x) => x.toFixed(3)).join('/')}`);
      // The checkpoint stores model.md's tensors; their effective weights are what the metrics said.
      const ckpt = decodeCheckpoint(readFileSync(out));
      const table = buildParamTable(ckpt.config);
      for (const b of last.branches!) {
        const stored = Array.from(readParam(ckpt.params, table.byKey.get(`${b.layer}.kappa`)!));
        const effective = effectiveWeights(weighting, stored);
        effective.forEach((x, i) => expect(b.kappa[i]).toBeCloseTo(x, 6));
        if (weighting === 'softmax') expect(Math.abs(stored.reduce((a, x) => a + x, 0) - 1)).toBeGreaterThan(1e-3); // logits, not weights
        if (weighting === 'uniform') expect(b.kappa).toEqual(Array(4).fill(0.25));
      }
    }, 120_000);
  }

  it('a corpus too small for a dev split says so and never reports a dev loss of 0', async () => {
    const corpus = join(dir, 'dups.tsv'), configPath = join(dir, 'dups.json'), metrics = join(dir, 'dups.jsonl');
    writeFileSync(corpus, Array.from({ length: 40 }, (_, i) => `hello world ${i % 3}\thallo welt ${i % 3}`).join('\n') + '\n');
    writeFileSync(configPath, JSON.stringify({ ...CONFIG, weighting: 'projected' }));
    const logged: string[] = [], errors: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logged.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    const code = await run(['--config', configPath, '--data', corpus, '--steps', '2', '--eval-every', '1', '--batch-tokens', '256', '--metrics', metrics, '--out', join(dir, 'dups.safetensors')]);
    expect(code, [...logged, ...errors].join('\n')).toBe(0);
    expect(errors.join('\n')).toMatch(/no dev set \(0 dev pairs\): dev loss and BLEU are not measured/);
    expect(logged.some((l) => /dev loss/.test(l))).toBe(false);
    expect(readFileSync(metrics, 'utf8')).not.toMatch(/dev_loss/);
  }, 120_000);
});

