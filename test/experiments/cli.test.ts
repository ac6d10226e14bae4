// `cli experiment` and `cli ablate` end to end at micro size (dModel 16, 1+1 layers, the copy task): the
// JSON reports have the documented shape and finite numbers; `cli train` records its data so `ablate`
// rebuilds the dev split; --src/--ref pairs; a baseline checkpoint and one without a data record refused.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as experiment } from '../../src/cli/experiment.ts';
import { run as ablate } from '../../src/cli/ablate.ts';
import { run as train } from '../../src/cli/train.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint.ts';
import { decodeReport } from '../../src/experiments/report.ts';

const dir = mkdtempSync(join(tmpdir(), 'experiments-cli-'));
const CONFIG = { variant: 'weighted', weighting: 'projected', vocab: 300, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1, maxLen: 12, dropout: 0, labelSmoothing: 0 };
const configPath = join(dir, 'config.json');
writeFileSync(configPath, JSON.stringify(CONFIG));
const MICRO = ['--config', configPath, '--data', 'copy', '--batch-tokens', '256', '--warmup', '5'];

async function cli(command: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; log: string; err: string }> {
  const log: string[] = [], err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void log.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    return { code: await command(argv), log: log.join('\n'), err: err.join('\n') };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

/** Every number in a JSON value is finite (NaN/Infinity would be written as strings). */
function allFinite(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (typeof value === 'string') return ['NaN', 'Infinity', '-Infinity'].includes(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => allFinite(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => allFinite(v, `${path}.${k}`));
  return [];
}

describe('cli experiment', () => {
  it('trains weighted and baseline over 2 seeds and writes curves, evaluations, targets, entropies and verdicts', async () => {
    const out = join(dir, 'report.json');
    const saveDir = join(dir, 'runs');
    mkdirSync(saveDir);
    const r = await cli(experiment, [...MICRO, '--seeds', '2', '--steps', '20', '--eval-every', '10', '--target-loss', '100', '--bleu-sentences', '8', '--save-dir', saveDir, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(allFinite(report)).toEqual([]);
    expect(report.runs.map((x: { label: string }) => x.label)).toEqual(['weighted', 'baseline']);
    expect(report.complete).toBe(true);
    expect(decodeReport(readFileSync(out, 'utf8')).kind).toBe('experiment'); // what the page reads
    for (const run of report.runs) {
      expect(run.seeds.map((s: { seed: number }) => s.seed)).toEqual([1, 2]);
      for (const s of run.seeds) {
        expect(s.curve).toHaveLength(20);
        expect(Object.keys(s.curve[0]).sort()).toEqual(['loss', 'step', 'tokens']);
        expect(s.evals.map((e: { step: number }) => e.step)).toEqual([10, 20]);
        expect(Object.keys(s.evals[0]).sort()).toEqual(['bleu', 'loss', 'step', 'tokens']);
        expect(s.target).toEqual({ step: 10, tokens: s.evals[0].tokens }); // a loss of 100 is reached at the first evaluation
        expect(s.stopped).toBeNull();
      }
    }
    const weighted = report.runs[0].seeds[0];
    expect(weighted.entropy.layers).toEqual(['enc.0', 'dec.0']);
    expect(weighted.entropy.kappa[0]).toHaveLength(20);
    expect(Array.isArray(weighted.events)).toBe(true);
    expect(report.runs[1].seeds[0].entropy.layers).toEqual([]); // the baseline has no κ/α
    // Same data for every run: the tokens seen at a step are equal.
    expect(report.runs[1].seeds[1].evals[1].tokens).toBe(weighted.evals[1].tokens);
    expect(report.summary.runs[0].devLoss.n).toBe(2);
    expect(report.summary.runs[0].devLossBand.map((p: { x: number }) => p.x)).toEqual([10, 20]);
    const verdicts = report.summary.verdicts.map((v: { text: string }) => v.text);
    expect(verdicts).toHaveLength(4);
    expect(verdicts[0]).toMatch(/^weighted − baseline dev loss: [+−]\d+\.\d\d ± \d+\.\d\d over 2 seeds at step 20/);
    expect(verdicts[2]).toMatch(/over 2 seeds at \d+ tokens/);
    for (const v of verdicts) expect(r.log).toContain(v); // printed on stdout
    // A checkpoint per run and seed, which `ablate` can take (it records the experiment's data).
    expect(readdirSync(saveDir).sort()).toEqual(['baseline-seed1.safetensors', 'baseline-seed2.safetensors', 'weighted-seed1.safetensors', 'weighted-seed2.safetensors']);
    const a = await cli(ablate, ['--checkpoint', join(saveDir, 'weighted-seed2.safetensors'), '--random-draws', '1', '--limit', '8', '--bleu-sentences', '3', '--out', join(dir, 'seed2-ablation.json')]);
    expect(a.code, a.err).toBe(0);
    const ablation = JSON.parse(readFileSync(join(dir, 'seed2-ablation.json'), 'utf8'));
    expect(ablation.step).toBe(20);
    expect([ablation.pairs, ablation.bleuPairs]).toEqual([8, 3]); // loss on the 8 pairs, BLEU on the first 3
    // The learned κ/α measured by ablate are the run's: its dev loss on the same split as the report's last evaluation.
    const full = await cli(ablate, ['--checkpoint', join(saveDir, 'weighted-seed2.safetensors'), '--random-draws', '0', '--no-bleu', '--out', join(dir, 'seed2-full.json')]);
    expect(full.code, full.err).toBe(0);
    const loss = JSON.parse(readFileSync(join(dir, 'seed2-full.json'), 'utf8'));
    expect(loss.learned.loss).toBeCloseTo(report.runs[0].seeds[1].evals[1].loss, 5);
    expect(loss.learned.bleu).toBeNull(); // --no-bleu
  });

  it('compares with the softmax weighting, and refuses bad options before training', async () => {
    const bad = await cli(experiment, [...MICRO, '--compare', 'nope', '--out', join(dir, 'x.json')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--compare must be one of baseline, softmax, uniform');
    const missing = await cli(experiment, [...MICRO, '--out', join(dir, 'missing', 'x.json')]);
    expect(missing.code).toBe(2);
    const out = join(dir, 'softmax.json');
    const r = await cli(experiment, [...MICRO, '--compare', 'softmax', '--seeds', '1', '--steps', '4', '--eval-every', '0', '--bleu-sentences', '0', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.runs.map((x: { config: { weighting: string } }) => x.config.weighting)).toEqual(['projected', 'softmax']);
    expect(report.runs[0].seeds[0].evals).toHaveLength(1); // only the last step
    expect(report.summary.verdicts[0].text).toContain('no clear difference (one seed');
    expect(report.compare).toBe('softmax');

    const sweepOut = join(dir, 'sweep.json');
    const sw = await cli(experiment, [...MICRO, '--sweep', 'kappa-warmup=2,8', '--seeds', '1', '--steps', '4', '--eval-every', '0', '--bleu-sentences', '0', '--out', sweepOut]);
    expect(sw.code, sw.err).toBe(0);
    const swept = JSON.parse(readFileSync(sweepOut, 'utf8'));
    expect(swept.runs.map((x: { label: string; train: unknown }) => [x.label, x.train])).toEqual([['kappa-warmup=2', { kappaWarmup: 2 }], ['kappa-warmup=8', { kappaWarmup: 8 }]]);
    expect(swept.sweep.param).toBe('kappa-warmup');
    expect(swept.sweep.points.map((p: { value: number; devLoss: { n: number } }) => [p.value, p.devLoss.n])).toEqual([[2, 1], [8, 1]]);
    expect(swept.summary.verdicts).toEqual([]);
    expect(sw.log).toContain('kappa-warmup=8: dev loss');
    expect((await cli(experiment, [...MICRO, '--sweep', 'kappa-warmup=2', '--compare', 'baseline', '--out', sweepOut])).code).toBe(2);
  });
});

/** A weighted checkpoint of `cli train` (20 steps of the copy task), made once for the ablate tests. */
let trained: Promise<string> | null = null;
function trainedCheckpoint(): Promise<string> {
  trained ??= (async () => {
    const ckpt = join(dir, 'w.safetensors');
    const t = await cli(train, [...MICRO, '--steps', '20', '--eval-every', '0', '--log-every', '10', '--out', ckpt]);
    expect(t.code, t.err).toBe(0);
    return ckpt;
  })();
  return trained;
}

describe('cli ablate', () => {
  it('rebuilds the dev split recorded by cli train and writes learned / uniform / random / muted', async () => {
    const ckpt = await trainedCheckpoint();
    expect(decodeCheckpoint(readFileSync(ckpt)).extras.data).toMatchObject({ source: 'copy', seed: 1, maxLen: 12, batchTokens: 256, devPairs: 500, devCount: 500 });
    const out = join(dir, 'ablation.json');
    const r = await cli(ablate, ['--checkpoint', ckpt, '--random-draws', '2', '--limit', '16', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const a = JSON.parse(readFileSync(out, 'utf8'));
    expect(allFinite(a)).toEqual([]);
    expect(Object.keys(a.learned).sort()).toEqual(['bleu', 'loss']);
    expect(Object.keys(a.uniform).sort()).toEqual(['bleu', 'loss']);
    expect(a.random).toMatchObject({ draws: 2 });
    for (const k of ['loss_mean', 'loss_sd', 'bleu_mean', 'bleu_sd']) expect(typeof a.random[k]).toBe('number');
    expect(a.muted).toHaveLength(16);
    expect(a.muted[0]).toEqual({ layer: 'enc.0', branch: 0, which: 'kappa', loss: expect.any(Number), bleu: expect.any(Number) });
    expect(a.muted.map((m: { which: string }) => m.which)).toContain('alpha');
    expect(a.pairs).toBe(16);
    expect(decodeReport(readFileSync(out, 'utf8')).kind).toBe('ablation');
  });

  it('rebuilds the dev split of a TSV corpus by its recorded path and hash, and refuses a changed file', async () => {
    const tsv = join(dir, 'corpus.tsv');
    const lines = Array.from({ length: 200 }, (_, i) => `w${i % 37} w${i % 11} w${i}\tv${i % 37} v${i}`);
    writeFileSync(tsv, lines.join('\n') + '\n');
    const ckpt = join(dir, 'tsv.safetensors');
    const t = await cli(train, ['--config', configPath, '--data', tsv, '--batch-tokens', '256', '--warmup', '5', '--steps', '3', '--eval-every', '0', '--out', ckpt]);
    expect(t.code, t.err).toBe(0);
    const record = decodeCheckpoint(readFileSync(ckpt)).extras.data as Record<string, unknown>;
    expect(record).toMatchObject({ source: 'pairs', path: tsv, devCount: 20 });
    expect(record.hash).toMatch(/^[0-9a-f]+$/);
    const r = await cli(ablate, ['--checkpoint', ckpt, '--random-draws', '0', '--out', join(dir, 'tsv.json')]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'tsv.json'), 'utf8')).pairs).toBe(20);
    writeFileSync(tsv, lines.slice(1).join('\n') + '\n');
    const changed = await cli(ablate, ['--checkpoint', ckpt, '--out', join(dir, 'tsv2.json')]);
    expect(changed.code).toBe(2);
    expect(changed.err).toContain('the corpus changed since training');
  });

  it('reads --src/--ref, and refuses a checkpoint without a data record or of a baseline', async () => {
    const ckpt = await trainedCheckpoint();
    const decoded = decodeCheckpoint(readFileSync(ckpt));
    const bare = join(dir, 'bare.safetensors');
    writeFileSync(bare, encodeCheckpoint({ ...decoded, extras: { tokenizer: decoded.extras.tokenizer } }));
    const refused = await cli(ablate, ['--checkpoint', bare, '--out', join(dir, 'b.json')]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('does not record its data');

    // A page checkpoint stores its run spec instead: the dev split is rebuilt from it.
    const page = join(dir, 'page.safetensors');
    const spec = { model: decoded.config, train: { seed: 1 }, data: { source: { kind: 'copy' }, vocab: 300, batchTokens: 256, devPairs: 500 } };
    writeFileSync(page, encodeCheckpoint({ ...decoded, extras: { tokenizer: decoded.extras.tokenizer, playground_run: spec, data: 'synthetic copy task' } }));
    const fromSpec = await cli(ablate, ['--checkpoint', page, '--random-draws', '0', '--no-bleu', '--out', join(dir, 'page.json')]);
    expect(fromSpec.code, fromSpec.err).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'page.json'), 'utf8')).pairs).toBe(500);
    const imported = { ...spec, data: { ...spec.data, source: { kind: 'pairs', name: 'my.tsv', pairs: [] } } };
    writeFileSync(page, encodeCheckpoint({ ...decoded, extras: { tokenizer: decoded.extras.tokenizer, playground_run: imported } }));
    expect((await cli(ablate, ['--checkpoint', page, '--out', join(dir, 'page2.json')])).code).toBe(2);

    writeFileSync(join(dir, 'dev.src'), '1 2 3\n4 5 6 7\n8 9\n');
    writeFileSync(join(dir, 'dev.ref'), '1 2 3\n4 5 6 7\n8 9\n');
    const out = join(dir, 'pairs.json');
    const r = await cli(ablate, ['--checkpoint', bare, '--src', join(dir, 'dev.src'), '--ref', join(dir, 'dev.ref'), '--random-draws', '1', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const a = JSON.parse(readFileSync(out, 'utf8'));
    expect(a.pairs).toBe(3);
    expect(a.random.draws).toBe(1);

    const baseConfig = join(dir, 'baseline.json');
    writeFileSync(baseConfig, JSON.stringify({ ...CONFIG, variant: 'baseline' }));
    const base = join(dir, 'base.safetensors');
    const t = await cli(train, ['--config', baseConfig, ...MICRO.slice(2), '--steps', '2', '--eval-every', '0', '--out', base]);
    expect(t.code, t.err).toBe(0);
    const b = await cli(ablate, ['--checkpoint', base, '--out', join(dir, 'c.json')]);
    expect(b.code).toBe(2);
    expect(b.err).toContain('a baseline model has no κ/α to ablate');
  });
});
