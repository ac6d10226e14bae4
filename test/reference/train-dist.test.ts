// reference/train_dist.py (PyTorch DistributedDataParallel) against itself and against the product, on a
// tiny weighted model (D 16, 4 branches, 1+1 layers) and 400 built-in corpus pairs:
// - 2 gloo processes with T padded tokens per rank = 1 process with 2T, 5 steps in f64 (within 1e-9);
// - 20 steps from a product checkpoint = 20 steps of the product's own Trainer (src/train/trainer.ts, on
//   the Node adapter) on the product's batches, within test/model/parity.test.ts's tolerance (1e-4);
// - product -> torch -> product with no step keeps every tensor bit for bit, and the product's strict
//   loader, the page's restore (planRestore) and `cli translate` accept train_dist.py's output; a
//   checkpoint saved by the page comes back continuable, with its curves extended by the cluster's steps;
// - SIGTERM mid-run leaves the last saved checkpoint valid; resuming from it ends bit for bit where the
//   uninterrupted run ends (f32, dropout on).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { testGpu } from '../helpers/gpu.ts';
import { Tokenizer } from '../../src/data/tokenizer.ts';
import { Batcher } from '../../src/data/batching.ts';
import { generateCorpus } from '../../src/data/generator/index.ts';
import { CHECKPOINT_EXTRAS, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/model/checkpoint.ts';
import { validateModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { buildParamTable, readParam } from '../../src/model/params.ts';
import { initParams } from '../../src/model/init.ts';
import { mulberry32 } from '../../src/util/random.ts';
import { maxAbs, compareClose } from '../../src/testing/compare.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { DataCache, planRestore } from '../../src/train/run.ts';
import { run as translateCli } from '../../src/cli/translate.ts';
import { parseMetricsJsonl } from '../../src/experiments/metrics-jsonl.ts';
import { checkCheckpointFile } from '../../src/ui/checkpoint-load.ts';
import { thinIndices } from '../../src/ui/chart-data.ts';
import { spawnSync } from 'node:child_process';
import { NO_TORCH, PYTHON, python, REFERENCE, tempDir, torchrun, trainDistProcess } from './python.ts';

const dir = tempDir('train-dist');
const at = (name: string) => join(dir, name);
const corpus = generateCorpus({ seed: 3, train: 400, dev: 40, test: 0 });
writeFileSync(at('train.tsv'), corpus.train.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
writeFileSync(at('dev.tsv'), corpus.dev.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
const tokenizer = Tokenizer.train(corpus.train.flatMap((p) => [p.src, p.tgt]), { vocabSize: 300 });
writeFileSync(at('tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
const modelConfig = (over: Partial<ModelConfig> = {}): ModelConfig => validateModelConfig({
  variant: 'weighted', weighting: 'projected', vocab: tokenizer.vocabSize, dModel: 16, branches: 4, dFF: 32, encLayers: 1, decLayers: 1,
  maxLen: 32, dropout: 0, labelSmoothing: 0.1, ...over,
});

/** Largest |got - want| over the largest |want| (0 when both are all zero). */
function relDeviation(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  const scale = maxAbs(want);
  return scale > 0 ? d / scale : d;
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const decode = (path: string, expected?: ModelConfig): Checkpoint => decodeCheckpoint(readFileSync(path), path, expected);
writeFileSync(at('config.json'), JSON.stringify(modelConfig()));
const SCHEDULE = ['--warmup', '8', '--kappa-warmup', '2', '--lr-scale', '0.5'];

/** A product checkpoint at step 20 with Adam moments and run state (encodeCheckpoint of the product's init). */
function productCheckpoint(): string {
  const path = at('product20.safetensors');
  if (existsSync(path)) return path;
  const config = modelConfig();
  const table = buildParamTable(config);
  const rand = mulberry32(8);
  const m = Float32Array.from({ length: table.size }, () => (rand() - 0.5) * 1e-2);
  const v = Float32Array.from({ length: table.size }, () => rand() * 1e-4);
  writeFileSync(path, encodeCheckpoint({
    config, params: initParams(table, 6), step: 20, adam: { m, v },
    extras: {
      [CHECKPOINT_EXTRAS.tokenizer]: tokenizer.toJSON(), [CHECKPOINT_EXTRAS.tokensSeen]: 1234, note: 'carried over',
      // what the page saves with a run: its settings (to continue it) and its bounded metrics history
      [CHECKPOINT_EXTRAS.run]: {
        id: 3, label: 'weighted', model: config, train: { seed: 9, gradClip: 0, lrScale: 1, warmup: 8, kappaWarmup: 2, steps: 30, freezeSteps: 0 },
        data: { source: { kind: 'builtin', direction: 'en-de' }, vocab: 300, batchTokens: 512, devPairs: 40 }, evalEvery: 10, bleuSentences: 0,
      },
      [CHECKPOINT_EXTRAS.history]: {
        steps: steps20, loss: steps20.map((s) => 6 - s / 10), lr: steps20.map((s) => s * 1e-3), gradNorm: steps20.map(() => 1), tokens: steps20.map((s) => 50 * s),
        branches: ['enc.0', 'dec.0'].map((layer) => ({ layer, kappa: steps20.map(() => [0.25, 0.25, 0.25, 0.25]), alpha: steps20.map(() => [0.1, 0.2, 0.3, 0.4]) })),
        dev: [{ step: 10, loss: 5, bleu: 1.5, sentences: 2, samples: [{ src: 'a', hyp: 'b', ref: 'c' }] }],
      },
    },
  }));
  return path;
}
const steps20 = Array.from({ length: 20 }, (_, i) => i + 1);

describe.skipIf(NO_TORCH !== null)('reference/train_dist.py', () => {
  it('2 gloo processes with T tokens per rank = 1 process with 2T: 5 steps in f64 within 1e-9', () => {
    const common = ['--init', at('config.json'), '--tokenizer-from', at('tokenizer.json'), '--data', at('train.tsv'), '--steps', '5', '--seed', '4',
      ...SCHEDULE, '--grad-clip', '0.5', '--dtype', 'float64'];
    for (const ranks of [1, 2]) {
      torchrun(ranks, [...common, '--batch-tokens', String(512 / ranks), '--metrics', at(`ddp${ranks}.jsonl`), '--out', at(`ddp${ranks}.safetensors`), '--final-f64', at(`ddp${ranks}.f64.safetensors`)]);
    }
    const [one, two] = [1, 2].map((r) => parseMetricsJsonl(readFileSync(at(`ddp${r}.jsonl`), 'utf8'), `ddp${r}.jsonl`));
    expect(one.step).toEqual([1, 2, 3, 4, 5]);
    expect(two.tokens).toEqual(one.tokens); // the same global batches
    const lossDev = Math.max(...one.loss.map((l, i) => Math.abs(l - two.loss[i]) / l));
    const clipped = one.gradNorm.filter((g) => g > 0.5).length;
    const [p1, p2] = [1, 2].map((r) => readSafetensors64(at(`ddp${r}.f64.safetensors`)));
    let worst = 0, worstKey = '', worstBk = 0;
    for (const [key, want] of p1) {
      const got = p2.get(key)!;
      if (key.endsWith('.bk')) {
        // bk has an exactly-zero gradient (softmax ignores a bias shared by all keys): Adam moves it by
        // f64 rounding noise only, which differs with the summation order; it stays ~1e-9.
        worstBk = Math.max(worstBk, ...want.map((w, i) => Math.abs(w - got[i])));
        continue;
      }
      const dev = relDeviation(got, want);
      if (dev > worst) [worst, worstKey] = [dev, key];
    }
    console.log(`[train_dist] 2 ranks x 256 vs 1 rank x 512 tokens, 5 steps (${clipped} clipped): losses within ${lossDev.toExponential(1)} relative, ` +
      `parameters within ${worst.toExponential(1)} of their tensor's max (${worstKey}), bk within ${worstBk.toExponential(1)} absolute`);
    expect(lossDev).toBeLessThanOrEqual(1e-9);
    expect(worst).toBeLessThanOrEqual(1e-9);
    expect(worstBk).toBeLessThanOrEqual(1e-7);
    expect(clipped).toBeGreaterThan(0); // the clip is exercised
    expect(decode(at('ddp2.safetensors')).step).toBe(5);
  }, 240_000);

  it('a batch of one sentence on 2 ranks (one rank has no rows) still equals 1 rank; the history thinning is the page\'s', () => {
    // three pairs of very different lengths: every bucket, hence every batch, holds one pair
    const lengths = [2, 9, 20];
    writeFileSync(at('ragged.tsv'), lengths.map((n) => `${corpus.train.slice(0, n).map((p) => p.src).join(' ').slice(0, 12 * n)}\t${corpus.train[n].tgt}\n`).join(''));
    const common = ['--init', at('config.json'), '--tokenizer-from', at('tokenizer.json'), '--data', at('ragged.tsv'), '--steps', '3', ...SCHEDULE, '--dtype', 'float64'];
    for (const ranks of [1, 2]) torchrun(ranks, [...common, '--batch-tokens', String(64 / ranks), '--metrics', at(`ragged${ranks}.jsonl`), '--out', at(`ragged${ranks}.safetensors`)]);
    const [one, two] = [1, 2].map((r) => parseMetricsJsonl(readFileSync(at(`ragged${r}.jsonl`), 'utf8')));
    expect(one.step).toEqual([1, 2, 3]);
    one.loss.forEach((l, i) => expect(Math.abs(l - two.loss[i]) / l).toBeLessThanOrEqual(1e-9));
    const [p1, p2] = [1, 2].map((r) => decode(at(`ragged${r}.safetensors`)).params);
    expect(relDeviation(p2, p1)).toBeLessThanOrEqual(1e-6); // F32 files: rounding only
    // train_dist.thin_indices = the page's thinIndices (src/ui/chart-data.ts) for the history it writes
    const sizes = [0, 1, 499, 500, 501, 999, 1000, 1001, 1999, 2001, 60000];
    const r = spawnSync(PYTHON, ['-c', `import json, train_dist; print(json.dumps([train_dist.thin_indices(n, 500) for n in ${JSON.stringify(sizes)}]))`], { cwd: REFERENCE, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(sizes.map((n) => thinIndices(n, 500)));
  }, 240_000);

  it('20 steps from a product checkpoint = 20 steps of the product\'s Trainer on the same batches (parity tolerance)', async () => {
    const gpu = await testGpu();
    const config = modelConfig();
    const options = { seed: 9, gradClip: 1, lrScale: 0.5, warmup: 8, kappaWarmup: 2, steps: 20, freezeSteps: 5 };
    const trainer = new Trainer(gpu, config, options);
    const start = await trainer.checkpoint({ [CHECKPOINT_EXTRAS.tokenizer]: tokenizer.toJSON() });
    writeFileSync(at('product0.safetensors'), encodeCheckpoint(start));
    // The product's batching of these pairs (src/train/data.ts prepareData's options).
    const pairs = corpus.train.map((p) => ({ src: tokenizer.encode(p.src), tgt: tokenizer.encode(p.tgt) }));
    const batcher = new Batcher(pairs, { maxTokens: 512, maxLen: config.maxLen, overflow: 'truncate', seed: options.seed, lengthMultiple: 16 });
    const product: { loss: number; kappa: number[][] }[] = [];
    trainer.onMetrics = (m) => product.push({ loss: m.loss, kappa: m.branches.flatMap((b) => [b.kappa, b.alpha]) });
    const stream = batcher.iterate(0);
    for (let s = 0; s < options.steps; s++) {
      trainer.trainStep(stream.next().value!.batch);
      if (!trainer.canReport) await trainer.flush();
    }
    const end = await trainer.checkpoint();
    trainer.destroy();

    python('train_dist.py', ['--cpu', '--init', at('product0.safetensors'), '--data', at('train.tsv'), '--steps', '20', '--batch-tokens', '512', '--seed', '9',
      ...SCHEDULE, '--freeze-steps', '5', '--grad-clip', '1', '--dtype', 'float64', '--metrics', at('torch20.jsonl'), '--out', at('torch20.safetensors')]);
    const torch = parseMetricsJsonl(readFileSync(at('torch20.jsonl'), 'utf8'), 'torch20.jsonl');
    const twin = decode(at('torch20.safetensors'), config);
    expect(twin.step).toBe(20);
    expect(product).toHaveLength(20);
    const lossDev = Math.max(...product.map((p, i) => Math.abs(p.loss - torch.loss[i]) / torch.loss[i]));
    const failures: string[] = [];
    let worst = 0, worstKey = '';
    const table = trainer.table;
    for (const e of table.entries) {
      const want = readParam(twin.params, e), got = readParam(end.params, e);
      const isBk = e.key.endsWith('.bk'); // as parity.test.ts: a zero-gradient bias moves by noise only
      const scale = isBk ? Math.max(maxAbs(want), 1e-2) : maxAbs(want);
      if (!isBk && relDeviation(got, want) > worst) [worst, worstKey] = [relDeviation(got, want), e.key];
      const report = compareClose(e.key, got, want, { atol: 1e-4 * scale, rtol: 0 });
      if (!report.ok) failures.push(report.message);
    }
    // κ/α as the metrics report them (effective, after each step): the freeze keeps the last 5 equal.
    let kappaDev = 0;
    product.forEach((p, i) => {
      const t = torch.layers.flatMap((_, l) => [torch.kappa[l][i], torch.alpha[l][i]]);
      p.kappa.forEach((w, j) => w.forEach((x, k) => (kappaDev = Math.max(kappaDev, Math.abs(x - t[j][k])))));
    });
    const frozen = torch.kappa[0].slice(15).every((k) => JSON.stringify(k) === JSON.stringify(torch.kappa[0][15]));
    console.log(`[train_dist] 20 steps vs the product's Trainer (${gpu.adapterName}): losses within ${lossDev.toExponential(1)} relative, ` +
      `parameters within ${worst.toExponential(1)} of their tensor's max (${worstKey}), effective kappa/alpha within ${kappaDev.toExponential(1)}`);
    expect(lossDev).toBeLessThanOrEqual(1e-4);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(kappaDev).toBeLessThanOrEqual(1e-4);
    expect(frozen, 'kappa/alpha frozen for the last 5 steps').toBe(true);
  }, 240_000);

  it('product -> torch -> product with no step keeps every tensor bit for bit; the strict loader, the page and cli translate accept it', async () => {
    python('train_dist.py', ['--cpu', '--init', productCheckpoint(), '--data', at('train.tsv'), '--steps', '20', '--batch-tokens', '512',
      '--dtype', 'float64', '--out', at('roundtrip.safetensors')]);
    const before = decode(productCheckpoint());
    const after = decode(at('roundtrip.safetensors'), before.config); // strict: the config must be the same
    expect(after.step).toBe(20);
    expect(after.config).toEqual(before.config);
    expect(bytesOf(after.params).equals(bytesOf(before.params)), 'parameters bit for bit').toBe(true);
    expect(bytesOf(after.adam!.m).equals(bytesOf(before.adam!.m)), 'adam.m bit for bit').toBe(true);
    expect(bytesOf(after.adam!.v).equals(bytesOf(before.adam!.v)), 'adam.v bit for bit').toBe(true);
    expect(after.extras[CHECKPOINT_EXTRAS.tokenizer]).toEqual(tokenizer.toJSON());
    expect(after.extras[CHECKPOINT_EXTRAS.tokensSeen]).toBe(1234);
    expect(after.extras.note).toBe('carried over');
    expect(after.extras[CHECKPOINT_EXTRAS.run]).toEqual(before.extras[CHECKPOINT_EXTRAS.run]);
    expect(after.extras[CHECKPOINT_EXTRAS.history]).toEqual(before.extras[CHECKPOINT_EXTRAS.history]);
    // The page's restore of a file (src/train/run.ts planRestore: every check the page makes before loading).
    const plan = planRestore({ checkpoint: readFileSync(at('roundtrip.safetensors')), spec: null, id: 1, label: 'cluster run', file: 'roundtrip.safetensors' }, new DataCache());
    expect(plan.restore?.step).toBe(20);
    expect(plan.tokensSeen).toBe(1234);
    let out = '', err = '';
    writeFileSync(at('sentences.txt'), `${corpus.dev[0].src}\n${corpus.dev[1].src}\n`);
    const code = await translateCli(['--checkpoint', at('roundtrip.safetensors'), '--input', at('sentences.txt'), '--max-len', '12'],
      { readStdin: () => Promise.resolve(new Uint8Array()), out: (t) => (out += t), err: (t) => (err += t) });
    expect(code, err).toBe(0);
    expect(out.split('\n')).toHaveLength(3); // two translations and the final newline
  }, 240_000);

  it('a checkpoint saved by the page continues in train_dist.py and comes back with its run settings and curves (continue, not translate only)', () => {
    python('train_dist.py', ['--cpu', '--init', productCheckpoint(), '--data', at('train.tsv'), '--dev', at('dev.tsv'), '--eval-every', '5', '--steps', '25',
      '--batch-tokens', '512', '--seed', '9', ...SCHEDULE, '--metrics', at('page25.jsonl'), '--out', at('page25.safetensors')]);
    const bytes = readFileSync(at('page25.safetensors'));
    const checked = checkCheckpointFile('page25.safetensors', bytes, null, 1); // what the page's "load checkpoint…" checks
    expect(checked.notice).toBeNull(); // continues: not "loaded for translation only"
    expect(checked.load.spec?.train.seed).toBe(9);
    expect(checked.step).toBe(25);
    const torch = parseMetricsJsonl(readFileSync(at('page25.jsonl'), 'utf8'));
    const h = checked.history!;
    expect(h.steps).toEqual([...steps20, 21, 22, 23, 24, 25]); // the page's 20 steps, then the cluster's 5
    expect(h.loss.slice(20)).toEqual(torch.loss);
    expect(h.tokens.slice(20)).toEqual(torch.tokensSeen);
    expect(h.branches.map((b) => b.layer)).toEqual(torch.layers);
    expect(h.branches[1].kappa.slice(20)).toEqual(torch.kappa[1]);
    expect(h.dev.map((d) => [d.step, d.loss])).toEqual([[10, 5], [25, torch.dev.loss[0]]]);
    const plan = planRestore(checked.load, new DataCache()); // the worker's side of continuing it
    expect(plan.restore?.step).toBe(25);
    expect(plan.data?.train.report.kept).toBe(20000);
  }, 240_000);

  it('SIGTERM mid-run saves a valid checkpoint; resuming from it ends bit for bit where the uninterrupted run ends', async () => {
    writeFileSync(at('config-dropout.json'), JSON.stringify(modelConfig({ dropout: 0.1 })));
    const args = (out: string) => ['--init', at('config-dropout.json'), '--tokenizer-from', at('tokenizer.json'), '--data', at('train.tsv'), '--dev', at('dev.tsv'),
      '--eval-every', '20', '--steps', '80', '--batch-tokens', '512', '--seed', '2', ...SCHEDULE, '--save-every', '10', '--dtype', 'float32',
      '--metrics', at(`${out}.jsonl`), '--out', at(`${out}.safetensors`)];
    const killed = trainDistProcess(args('killed'));
    let stderr = '';
    killed.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(killed, 'exit');
    for (let i = 0; i < 3000; i++) { // wait until step 23 is logged (two periodic saves behind it), then SIGTERM
      const text = existsSync(at('killed.jsonl')) ? readFileSync(at('killed.jsonl'), 'utf8') : '';
      if (/"step":23,/.test(text)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    killed.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code, stderr).toBe(143);
    const saved = decode(at('killed.safetensors'));
    expect(stderr).toContain(`interrupted by SIGTERM: saved step ${saved.step} to`);
    expect(saved.step).toBeGreaterThanOrEqual(23);
    expect(saved.step).toBeLessThan(80);
    python('train_dist.py', ['--cpu', ...args('killed'), '--resume']);
    python('train_dist.py', ['--cpu', ...args('straight')]);
    const [resumed, straight] = [decode(at('killed.safetensors')), decode(at('straight.safetensors'))];
    expect(resumed.step).toBe(80);
    expect(bytesOf(resumed.params).equals(bytesOf(straight.params)), 'parameters bit for bit').toBe(true);
    expect(bytesOf(resumed.adam!.m).equals(bytesOf(straight.adam!.m)) && bytesOf(resumed.adam!.v).equals(bytesOf(straight.adam!.v)), 'Adam moments bit for bit').toBe(true);
    const [mr, ms] = [parseMetricsJsonl(readFileSync(at('killed.jsonl'), 'utf8')), parseMetricsJsonl(readFileSync(at('straight.jsonl'), 'utf8'))];
    expect(mr.step).toEqual(ms.step); // the resumed file has every step once
    expect(mr.loss).toEqual(ms.loss);
    expect(mr.tokensSeen).toEqual(ms.tokensSeen);
    expect(mr.dev).toEqual(ms.dev);
    expect(resumed.extras[CHECKPOINT_EXTRAS.tokensSeen]).toBe(ms.tokensSeen[79]);
    const history = checkCheckpointFile('killed.safetensors', readFileSync(at('killed.safetensors')), null, 1).history!;
    expect(history.steps).toEqual(ms.step); // the page shows the whole run's curves, across the kill
    expect(history.loss).toEqual(ms.loss);
    console.log(`[train_dist] SIGTERM at step ${saved.step} of 80 (saved, exit 143); resumed run = uninterrupted run bit for bit (${ms.dev.step.length} dev evaluations)`);
  }, 240_000);

  it('an update that would make a weight Inf updates nothing and stops the run (exit 1): the checkpoint is the last good step', () => {
    const r = python('train_dist.py', ['--cpu', '--init', productCheckpoint(), '--data', at('train.tsv'), '--steps', '25', '--lr-scale', '1e300',
      '--metrics', at('inf.jsonl'), '--out', at('inf.safetensors')], { allowFail: true });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('stopped at step 21: the update would have made the weights NaN/Inf');
    const lines = readFileSync(at('inf.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; nonfinite: boolean; nonfiniteCause: string });
    expect(lines.map((l) => [l.step, l.nonfinite, l.nonfiniteCause])).toEqual([[21, true, 'update']]);
    const [before, after] = [decode(productCheckpoint()), decode(at('inf.safetensors'))];
    expect(after.step).toBe(20);
    expect(bytesOf(after.params).equals(bytesOf(before.params)) && bytesOf(after.adam!.v).equals(bytesOf(before.adam!.v))).toBe(true);
  }, 240_000);

  it('refuses bad arguments and files naming them (exit 2)', () => {
    const bad = decode(productCheckpoint());
    bad.params[3] = Number.NaN;
    writeFileSync(at('nan.safetensors'), encodeCheckpoint(bad));
    const cases: [string[], string][] = [
      [['--init', at('nan.safetensors'), '--data', at('train.tsv'), '--steps', '25', '--out', at('x.safetensors')], 'tensor "embed" has nan at flat index 3'],
      [['--init', at('missing.safetensors'), '--data', at('train.tsv'), '--steps', '5', '--out', at('x.safetensors')], 'missing.safetensors: cannot read it'],
      [['--init', at('config.json'), '--data', at('train.tsv'), '--steps', '5', '--out', at('x.safetensors')], '--tokenizer-from CHECKPOINT_OR_TOKENIZER.json is required'],
      [['--init', productCheckpoint(), '--data', at('train.tsv'), '--steps', '5', '--out', at('x.safetensors')], 'is at step 20, beyond --steps 5'],
      [['--init', productCheckpoint(), '--data', at('tokenizer.json'), '--steps', '25', '--out', at('x.safetensors')], 'tokenizer.json:1: no tab'],
      [['--init', productCheckpoint(), '--data', at('train.tsv'), '--steps', '25', '--out', join(dir, 'nope', 'x.safetensors')], 'does not exist'],
      [['--init', productCheckpoint(), '--data', at('train.tsv'), '--steps', '25', '--freeze-steps', '26', '--out', at('x.safetensors')], '--freeze-steps must be in [0, --steps 25], got 26'],
      [['--init', productCheckpoint(), '--data', at('train.tsv'), '--steps', '25', '--eval-every', '2', '--out', at('x.safetensors')], '--eval-every needs --dev'],
    ];
    // One Python process runs main() on every case (importing torch once per case would take most of the time).
    writeFileSync(at('cases.json'), JSON.stringify(cases.map(([argv]) => ['--cpu', ...argv])));
    const r = spawnSync(PYTHON, ['-c', RUN_CASES, at('cases.json')], { cwd: REFERENCE, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as [number, string][];
    cases.forEach(([argv, message], i) => {
      expect(results[i][0], `${argv.join(' ')}: ${results[i][1]}`).toBe(2);
      expect(results[i][1]).toContain(message);
    });
  }, 240_000);
});

/** Python: train_dist.main(argv) for each argv in the JSON file argv[1]; prints [[exit code, stderr], ...]. */
const RUN_CASES = `
import contextlib, io, json, sys
import train_dist
out = []
for argv in json.load(open(sys.argv[1])):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = train_dist.main(argv)
    out.append([code, err.getvalue()])
print(json.dumps(out))
`;

/** An F64 safetensors file (train_dist.py --final-f64) as key -> values. */
function readSafetensors64(path: string): Map<string, number[]> {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const out = new Map<string, number[]>();
  for (const [key, info] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    expect(info.dtype).toBe('F64');
    const [b, e] = info.data_offsets;
    const data = bytes.subarray(8 + n + b, 8 + n + e);
    out.set(key, Array.from({ length: (e - b) / 8 }, (_, i) => data.readDoubleLE(i * 8)));
  }
  return out;
}
