// Loading a checkpoint file on the page (checkCheckpointFile), with real checkpoints written by
// encodeCheckpoint: a playground checkpoint continues training with the same spec and shows values that
// validate back to the same model; a CLI checkpoint, or one trained on a corpus not imported now, loads
// for translation only; a file without a tokenizer or that is not a checkpoint is refused naming the file.
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/data/tokenizer.ts';
import { CHECKPOINT_EXTRAS, decodeCheckpoint, encodeCheckpoint, withCheckpointExtras } from '../../src/model/checkpoint.ts';
import { validateModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { initParams } from '../../src/model/init.ts';
import { buildParamTable } from '../../src/model/params.ts';
import type { RunSpec } from '../../src/train/protocol.ts';
import { specWithoutPairs } from '../../src/train/spec.ts';
import { corpusHash } from '../../src/data/import.ts';
import { boundedHistory, checkCheckpointFile, readHistory, valuesFromSpec } from '../../src/ui/checkpoint-load.ts';
import { emptyRunMetrics, type RunMetrics } from '../../src/ui/store.ts';
import { microValues, validate, type ConfigValues, type ImportedCorpus } from '../../src/ui/schema.ts';

// Too little text for the 280 tokens the micro preset asks for: BPE learns fewer (the model's vocab is the tokenizer's).
const sentences = ['the cat sat on the mat', 'the dog sat on the log', 'die Katze sitzt auf der Matte'];
const tokenizer = Tokenizer.train(sentences, { vocabSize: microValues().vocab });
const imported: ImportedCorpus = { name: 'corpus.tsv', pairs: [{ src: 'der Hund', tgt: 'the dog' }, { src: 'die Katze', tgt: 'the cat' }] };

/** The spec a run of `values` trains with: the worker fixes model.vocab to the tokenizer's. */
function trainedSpec(values: ConfigValues, corpus: ImportedCorpus | null = null): RunSpec {
  const checked = validate(values, corpus);
  if (!checked.ok) throw new Error(checked.errors.join('; '));
  const model = validateModelConfig({ ...checked.spec.model, vocab: tokenizer.vocabSize });
  return { ...checked.spec, id: 3, label: 'weighted · projected κ/α', model };
}

/** Checkpoint bytes as the worker writes them (TrainingRun.checkpointBytes); `spec` null = a CLI checkpoint. */
function checkpointBytes(config: ModelConfig, spec: RunSpec | null, step = 120, withTokenizer = true): Uint8Array {
  const extras: Record<string, unknown> = { [CHECKPOINT_EXTRAS.tokensSeen]: 4321 };
  if (withTokenizer) extras[CHECKPOINT_EXTRAS.tokenizer] = tokenizer.toJSON();
  if (spec) {
    extras[CHECKPOINT_EXTRAS.train] = spec.train;
    extras[CHECKPOINT_EXTRAS.run] = specWithoutPairs(spec);
  }
  return encodeCheckpoint({ config, params: initParams(buildParamTable(config), 7), step, extras });
}

const thrown = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a throw');
};

describe('a playground checkpoint', () => {
  const spec = trainedSpec(microValues());
  const bytes = checkpointBytes(spec.model, spec);

  it('continues training with the saved spec (id 0, the checkpoint\'s model) and no notice', () => {
    expect(tokenizer.vocabSize).toBeLessThan(microValues().vocab); // the vocab checks below mean something
    const checked = checkCheckpointFile('run.safetensors', bytes, null, 1);
    expect(checked.step).toBe(120);
    expect(checked.notice).toBeNull();
    expect(checked.load.checkpoint).toBe(bytes);
    expect(checked.load.spec).toEqual({ ...spec, id: 0 });
    expect(checked.load.id).toBe(0);
    expect(checked.load.label).toBe('weighted · projected κ/α');
  });

  it('shows the values of the run (its preset recognised), which validate back to the same run', () => {
    const checked = checkCheckpointFile('run.safetensors', bytes, null, 1);
    expect(checked.values).toEqual({ ...microValues(), autosaveEvery: 200 }); // autosaveEvery is not part of a run
    const again = validate(checked.values!, null);
    if (!again.ok) throw new Error(again.errors.join('; '));
    // The model up to the vocabulary: the values ask for the vocabulary size, the worker fixes it to the tokenizer's.
    expect(again.spec.model).toEqual({ ...spec.model, vocab: microValues().vocab });
    expect({ ...again.spec.model, vocab: tokenizer.vocabSize }).toEqual(checked.load.spec!.model);
    expect(again.spec.train).toEqual(spec.train);
    expect(again.spec.data).toEqual(spec.data);
    expect(again.spec.evalEvery).toBe(spec.evalEvery);
  });

  it('a custom model is shown as preset "custom"; the live LR scale is kept', () => {
    const values: ConfigValues = { ...microValues(), preset: 'custom', variant: 'baseline', dModel: 24, branches: 2, dFF: 48, decLayers: 2, seed: 9, gradClip: 1.5, compare: 'off' };
    const custom = trainedSpec(values);
    const checked = checkCheckpointFile('custom.safetensors', checkpointBytes(custom.model, custom, 7), null, 0.25);
    expect(checked.values).toEqual({ ...values, lrScale: 0.25, autosaveEvery: 200 });
    const again = validate(checked.values!, null);
    if (!again.ok) throw new Error(again.errors.join('; '));
    expect({ ...again.spec.model, vocab: tokenizer.vocabSize }).toEqual(custom.model);
  });

  it('a saved spec without a label takes the variant as its label', () => {
    const unlabelled = { ...spec, label: '' };
    const checked = checkCheckpointFile('run.safetensors', checkpointBytes(spec.model, unlabelled), null, 1);
    expect(checked.load.label).toBe('weighted');
    expect(checked.load.spec!.label).toBe('weighted');
  });
});

describe('a checkpoint trained on an imported corpus', () => {
  const values: ConfigValues = { ...microValues(), data: 'imported' };
  const spec = trainedSpec(values, imported);
  const bytes = checkpointBytes(spec.model, spec, 60);

  it('continues training when the same corpus is imported now (its pairs put back)', () => {
    const checked = checkCheckpointFile('run.safetensors', bytes, imported, 1);
    expect(checked.notice).toBeNull();
    expect(checked.load.spec!.data.source).toEqual({ kind: 'pairs', name: 'corpus.tsv', pairs: imported.pairs, hash: corpusHash(imported.pairs) });
    expect(checked.values!.data).toBe('imported');
    const again = validate(checked.values!, imported);
    if (!again.ok) throw new Error(again.errors.join('; '));
    expect(again.spec.data).toEqual({ ...checked.load.spec!.data, source: { ...checked.load.spec!.data.source, hash: undefined } });
    expect({ ...again.spec.model, vocab: tokenizer.vocabSize }).toEqual(checked.load.spec!.model);
  });

  it('loads for translation only when no corpus, or another one, is imported', () => {
    for (const now of [null, { ...imported, name: 'other.tsv' }]) {
      const checked = checkCheckpointFile('run.safetensors', bytes, now, 1);
      expect(checked.load).toEqual({ checkpoint: bytes, spec: null, id: 0, label: 'weighted from run.safetensors', file: 'run.safetensors' });
      expect(checked.values).toBeNull();
      expect(checked.step).toBe(60);
      expect(checked.notice).toBe('"run.safetensors" was trained on the imported corpus "corpus.tsv": import it again to continue training; loaded for translation only.');
    }
  });
});

describe('a checkpoint whose corpus carries its content hash', () => {
  const hashed: ImportedCorpus = { ...imported, hash: corpusHash(imported.pairs) };
  const spec = trainedSpec({ ...microValues(), data: 'imported' }, hashed);
  const bytes = checkpointBytes(spec.model, spec, 60);

  it('continues on the same pairs under another file name', () => {
    const checked = checkCheckpointFile('run.safetensors', bytes, { ...hashed, name: 'renamed.tsv' }, 1);
    expect(checked.notice).toBeNull();
    expect(checked.load.spec!.data.source).toEqual({ kind: 'pairs', name: 'renamed.tsv', pairs: imported.pairs, hash: hashed.hash });
  });

  it('refuses to continue on a different good.tsv, naming both hashes (translation only)', () => {
    const other: ImportedCorpus = { name: 'corpus.tsv', pairs: [{ src: 'ein Baum', tgt: 'a tree' }] };
    const checked = checkCheckpointFile('run.safetensors', bytes, other, 1);
    expect(checked.load.spec).toBeNull();
    expect(checked.notice).toBe(
      `the checkpoint "run.safetensors" was trained on corpus.tsv with hash ${hashed.hash}; the imported corpus.tsv has hash ${corpusHash(other.pairs)}: loaded for translation only.`,
    );
  });
});

describe('run settings read from a checkpoint pass the form\'s limits', () => {
  const spec = trainedSpec(microValues());
  const bad: [string, (s: RunSpec) => unknown, string][] = [
    ['steps "abc"', (s) => ({ ...s, train: { ...s.train, steps: 'abc' } }), 'run setting train.steps must be a whole number in [1, 1000000], got "abc"'],
    ['devPairs -1', (s) => ({ ...s, data: { ...s.data, devPairs: -1 } }), 'run setting data.devPairs must be a whole number in [10, 2000], got -1'],
    ['batchTokens 1e9', (s) => ({ ...s, data: { ...s.data, batchTokens: 1e9 } }), 'run setting data.batchTokens must be a whole number in [64, 32768], got 1000000000'],
    ['no seed', (s) => ({ ...s, train: { ...s.train, seed: undefined } }), 'run setting train.seed must be a whole number in [0, 4294967295], got nothing'],
    ['an unknown source', (s) => ({ ...s, data: { ...s.data, source: { kind: 'web' } } }), 'run setting data.source.kind must be builtin, copy, reverse or pairs, got "web"'],
    ['freeze past the end', (s) => ({ ...s, train: { ...s.train, steps: 10, freezeSteps: 20 } }), 'run setting train.freezeSteps (20) exceeds train.steps (10)'],
  ];
  for (const [what, spoil, message] of bad) {
    it(`refuses ${what}, naming the file`, () => {
      const config = spec.model;
      const extras: Record<string, unknown> = { [CHECKPOINT_EXTRAS.tokenizer]: tokenizer.toJSON(), [CHECKPOINT_EXTRAS.run]: spoil(spec) };
      const bytes = encodeCheckpoint({ config, params: initParams(buildParamTable(config), 7), step: 3, extras });
      expect(thrown(() => checkCheckpointFile('bad.safetensors', bytes, null, 1))).toBe(`"bad.safetensors": ${message}`);
    });
  }

  it('refuses a step beyond 1e9', () => {
    expect(thrown(() => checkCheckpointFile('far.safetensors', checkpointBytes(spec.model, spec, 2e9), null, 1))).toBe('"far.safetensors": its step 2000000000 is beyond 1000000000: not a run this playground can continue');
  });
});

describe('other checkpoints', () => {
  const config = trainedSpec({ ...microValues(), variant: 'baseline' }).model;

  it('one without playground run settings (e.g. from the CLI) loads for translation only', () => {
    const bytes = checkpointBytes(config, null, 500);
    const checked = checkCheckpointFile('cli.safetensors', bytes, imported, 1);
    expect(checked).toEqual({
      load: { checkpoint: bytes, spec: null, id: 0, label: 'baseline from cli.safetensors', file: 'cli.safetensors' },
      step: 500, values: null, notice: '"cli.safetensors" has no playground run settings: loaded for translation only.',
      history: null, tokensSeen: 4321,
      summary: 'Loaded cli.safetensors: multi-head baseline (D 16, 4 heads, 1+1 layers) at step 500, 4,321 target tokens seen, trained on unknown corpus; no history in the file: the charts start at step 500.',
    });
  });

  it('one without a tokenizer is refused, naming the file', () => {
    const bytes = checkpointBytes(config, null, 5, false);
    expect(thrown(() => checkCheckpointFile('bare.safetensors', bytes, null, 1))).toBe(
      '"bare.safetensors": it has no tokenizer in its metadata, so the playground cannot read or write its token ids',
    );
  });

  it('bytes that are not a checkpoint, or a truncated one, are refused naming the file', () => {
    const garbage = new TextEncoder().encode('this is not a safetensors file at all');
    expect(thrown(() => checkCheckpointFile('notes.txt', garbage, null, 1))).toMatch(/^"notes\.txt": /);
    expect(thrown(() => checkCheckpointFile('empty.bin', new Uint8Array(0), null, 1))).toMatch(/^"empty\.bin": /);
    const full = checkpointBytes(config, null);
    expect(thrown(() => checkCheckpointFile('cut.safetensors', full.slice(0, full.length - 100), null, 1))).toMatch(/^"cut\.safetensors": /);
  });
});

describe('valuesFromSpec', () => {
  it('maps each data source to its choice', () => {
    for (const data of ['en-de', 'de-en', 'copy', 'reverse'] as const) {
      expect(valuesFromSpec(trainedSpec({ ...microValues(), data }), 1).data).toBe(data);
    }
    expect(valuesFromSpec(trainedSpec({ ...microValues(), data: 'imported' }, imported), 1).data).toBe('imported');
  });
});

/** A run's metrics of `n` steps (1..n), 2 branches in enc.0, a dev result every 10 steps. */
function fakeMetrics(n: number): RunMetrics {
  const steps = Array.from({ length: n }, (_, i) => i + 1);
  return {
    ...emptyRunMetrics(),
    steps, loss: steps.map((s) => 5 / s), lr: steps.map(() => 1e-3), gradNorm: steps.map(() => 1), tokens: steps.map((s) => s * 100),
    branches: [{ layer: 'enc.0', kappa: steps.map((s) => [s / (n + 1), 1 - s / (n + 1)]), alpha: steps.map(() => [0.5, 0.5]) }],
    dev: steps.filter((s) => s % 10 === 0).map((s) => ({ step: s, loss: 4 / s, bleu: s / 10, sentences: 5, samples: [{ src: 'a', hyp: 'b', ref: 'c' }, { src: 'd', hyp: 'e', ref: 'f' }, { src: 'g', hyp: 'h', ref: 'i' }] })),
  };
}

describe('the metrics history a page checkpoint carries', () => {
  const values = microValues();
  const spec = trainedSpec(values);
  it('withCheckpointExtras adds it to the metadata and keeps every tensor and the rest of the metadata', () => {
    const bytes = checkpointBytes(spec.model, spec, 120);
    const history = boundedHistory(fakeMetrics(120));
    const out = withCheckpointExtras(bytes, { [CHECKPOINT_EXTRAS.history]: history });
    const before = decodeCheckpoint(bytes);
    const after = decodeCheckpoint(out);
    expect(after.params).toEqual(before.params);
    expect(after.step).toBe(120);
    expect(after.extras[CHECKPOINT_EXTRAS.tokensSeen]).toBe(4321);
    expect(after.extras[CHECKPOINT_EXTRAS.history]).toEqual(history);
    expect(out.byteLength % 8).toBe(bytes.byteLength % 8); // header padded to 8 like writeSafetensors'
  });

  it('loading shows what was loaded and puts the history back on the charts', () => {
    const metrics = fakeMetrics(120);
    const out = withCheckpointExtras(checkpointBytes(spec.model, spec, 120), { [CHECKPOINT_EXTRAS.history]: boundedHistory(metrics) });
    const checked = checkCheckpointFile('run.safetensors', out, null, 1);
    expect(checked.history?.steps).toEqual(metrics.steps);
    expect(checked.history?.branches[0].kappa).toEqual(metrics.branches[0].kappa);
    expect(checked.tokensSeen).toBe(4321);
    expect(checked.summary).toContain('at step 120');
    expect(checked.summary).toContain('4,321 target tokens seen');
    expect(checked.summary).toContain('Weighted Transformer (D 16, 4 branches, 1+1 layers)');
    expect(checked.summary).toContain('history of 120 points');
  });

  it('without a history the summary says the charts start at the checkpoint step', () => {
    const checked = checkCheckpointFile('run.safetensors', checkpointBytes(spec.model, spec, 120), null, 1);
    expect(checked.history).toBeNull();
    expect(checked.summary).toContain('the charts start at step 120');
  });

  it('is bounded: at most 500 points (the last kept), 100 dev results with 2 samples each', () => {
    const h = boundedHistory(fakeMetrics(5000));
    expect(h.steps.length).toBeLessThanOrEqual(500);
    expect(h.steps.at(-1)).toBe(5000);
    expect(h.branches[0].kappa).toHaveLength(h.steps.length);
    expect(h.dev).toHaveLength(100);
    expect(h.dev.every((d) => d.samples.length === 2)).toBe(true);
    expect(JSON.stringify(h).length).toBeLessThan(200_000);
  });

  it('a malformed history (untrusted file) is not shown', () => {
    const good = boundedHistory(fakeMetrics(30));
    expect(readHistory(good, 30)).toEqual(good);
    expect(readHistory(good, 20)).toBeNull(); // steps beyond the checkpoint's
    expect(readHistory({ ...good, loss: good.loss.slice(1) }, 30)).toBeNull();
    expect(readHistory({ ...good, steps: [...good.steps].reverse() }, 30)).toBeNull();
    expect(readHistory({ ...good, branches: [{ layer: 'enc.0', kappa: good.branches[0].kappa.map(() => ['x']), alpha: good.branches[0].alpha }] }, 30)).toBeNull();
    expect(readHistory('nonsense', 30)).toBeNull();
    expect(readHistory(null, 30)).toBeNull();
  });
});
