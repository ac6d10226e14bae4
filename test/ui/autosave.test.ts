// The autosave record's validation (checkAutosave): a good record passes as is, every broken shape is refused
// with a message naming the problem; autosaveStep. readAutosave/writeAutosave need IndexedDB (browser only;
// covered by the e2e tests).
import { describe, expect, it } from 'vitest';
import type { RunSpec } from '../../src/train/protocol.ts';
import { specWithoutPairs } from '../../src/train/spec.ts';
import { AUTOSAVE_VERSION, autosaveStep, checkAutosave, type AutosaveRecord, type AutosavedRun } from '../../src/ui/autosave.ts';
import { defaultValues, microValues, validate, type ConfigValues, type ImportedCorpus } from '../../src/ui/schema.ts';
import { appendMetrics, emptyRunMetrics } from '../../src/ui/store.ts';
import { Tokenizer } from '../../src/data/tokenizer.ts';
import { CHECKPOINT_EXTRAS, decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint.ts';
import { validateModelConfig } from '../../src/model/config.ts';
import { initParams } from '../../src/model/init.ts';
import { buildParamTable } from '../../src/model/params.ts';
import { corpusHash } from '../../src/data/import.ts';

const tokenizer = Tokenizer.train(['ein Haus', 'a house', 'the cat sat on the mat'], { vocabSize: 280 });

const imported: ImportedCorpus = { name: 'corpus.tsv', pairs: [{ src: 'ein Haus', tgt: 'a house' }] };

/** The spec as the worker stores it: the model's vocabulary is the tokenizer's. */
function specOf(values: ConfigValues): RunSpec {
  const checked = validate(values, imported);
  if (!checked.ok) throw new Error(checked.errors.join('; '));
  const model = validateModelConfig({ ...checked.spec.model, vocab: tokenizer.vocabSize });
  return specWithoutPairs({ ...checked.spec, model });
}

/** A real checkpoint of the spec's model at `step` (as TrainingRun.checkpointBytes writes it). */
function checkpointOf(spec: RunSpec, step: number, params?: Float32Array): Uint8Array {
  const table = buildParamTable(spec.model);
  const extras = { [CHECKPOINT_EXTRAS.tokenizer]: tokenizer.toJSON(), [CHECKPOINT_EXTRAS.run]: spec };
  return encodeCheckpoint({ config: spec.model, params: params ?? initParams(table, 3), step, extras });
}

const run = (id: number, step: number, spec = specOf(microValues())): AutosavedRun => ({
  id, label: `run ${id}`, spec, checkpoint: checkpointOf(spec, step), step,
  metrics: appendMetrics(emptyRunMetrics(), [{ step, loss: 2, tokens: 10, gradNorm: 1, nonfinite: false, lr: 1e-3, gpuMs: null, hostMs: 1, branches: [] }], 0),
});

const record = (patch: Partial<AutosaveRecord> = {}): AutosaveRecord => ({
  version: AUTOSAVE_VERSION, savedAt: 1_700_000_000_000, values: microValues(), imported: null, focus: 0, runs: [run(0, 40), run(1, 40)], ...patch,
});

/** checkAutosave's message for a broken record. */
const refusal = (raw: unknown): string => {
  try {
    checkAutosave(raw);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('checkAutosave accepted a broken record');
};
const PREFIX = 'the autosave in this browser cannot be used: ';

describe('checkAutosave accepts', () => {
  it('a valid record, returned as is', () => {
    const r = record();
    expect(checkAutosave(r)).toBe(r);
  });

  it("a 'pairs' run with its imported corpus in the record", () => {
    const values = { ...microValues(), data: 'imported' as const };
    const r = record({ values, imported, runs: [run(0, 10, specOf(values))] });
    expect(checkAutosave(r)).toBe(r);
  });

  it('an autosave of an older page: a field added since takes its default', () => {
    const { seeds: _seeds, autosaveEvery: _autosaveEvery, ...older } = microValues();
    const checked = checkAutosave(record({ values: older as ConfigValues }));
    expect(checked.values.seeds).toBe(defaultValues().seeds);
    expect(checked.values.autosaveEvery).toBe(defaultValues().autosaveEvery);
    expect(checked.values.dModel).toBe(microValues().dModel);
  });
});

describe('checkAutosave refuses, naming the problem', () => {
  it('something that is not a record', () => {
    expect(refusal(null)).toBe(`${PREFIX}it is not a record`);
    expect(refusal('last')).toBe(`${PREFIX}it is not a record`);
  });

  it('another version of the format', () => {
    expect(refusal(record({ version: 2 }))).toBe(`${PREFIX}it was written by another version of the page (format 2, expected 1)`);
    const { version: _version, ...noVersion } = record();
    expect(refusal(noVersion)).toBe(`${PREFIX}it was written by another version of the page (format undefined, expected 1)`);
  });

  it('no savedAt', () => {
    expect(refusal({ ...record(), savedAt: '2024' })).toBe(`${PREFIX}savedAt is missing`);
  });

  it('no configuration, or a bad configuration field', () => {
    expect(refusal({ ...record(), values: null })).toBe(`${PREFIX}the configuration is missing`);
    expect(refusal(record({ values: { ...microValues(), dModel: 12.5 } }))).toBe(`${PREFIX}configuration field dModel: d_model must be a whole number`);
    expect(refusal(record({ values: { ...microValues(), steps: 0 } }))).toBe(`${PREFIX}configuration field steps: Steps must be in [1, 1000000]`);
    expect(refusal(record({ values: { ...microValues(), variant: 'transformer' } as unknown as ConfigValues }))).toBe(
      `${PREFIX}configuration field variant: Variant: unknown choice "transformer"`,
    );
  });

  it('no runs', () => {
    expect(refusal(record({ runs: [] }))).toBe(`${PREFIX}it holds no runs`);
    expect(refusal({ ...record(), runs: undefined })).toBe(`${PREFIX}it holds no runs`);
  });

  it('a run that is not a record', () => {
    expect(refusal({ ...record(), runs: [run(0, 1), null] })).toBe(`${PREFIX}run 2 is not a record`);
  });

  it('a run without checkpoint bytes', () => {
    expect(refusal(record({ runs: [run(0, 5), { ...run(1, 5), checkpoint: new Uint8Array(0) }] }))).toBe(`${PREFIX}run 2 has no checkpoint bytes`);
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), checkpoint: [1, 2, 3] }] })).toBe(`${PREFIX}run 1 has no checkpoint bytes`);
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), checkpoint: undefined }] })).toBe(`${PREFIX}run 1 has no checkpoint bytes`);
  });

  it('a run without spec, step or data source', () => {
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), spec: null }] })).toBe(`${PREFIX}run 1 has no spec or step`);
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), step: '5' }] })).toBe(`${PREFIX}run 1 has no spec or step`);
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), step: 6 }] })).toBe(`${PREFIX}run 1's step 6 is not its checkpoint's (5)`);
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), spec: { id: 0, label: 'x' } }] })).toBe(`${PREFIX}run 1 has no spec or step`);
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), spec: { ...specOf(microValues()), data: { source: null } } }] })).toBe(`${PREFIX}run 1 has no spec or step`);
  });

  it('a run without metrics', () => {
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), metrics: undefined }] })).toBe(`${PREFIX}run 1 has no metrics`);
    expect(refusal({ ...record(), runs: [{ ...run(0, 5), metrics: { steps: 'none' } }] })).toBe(`${PREFIX}run 1 has no metrics`);
  });

  it("a 'pairs' run whose imported corpus is missing", () => {
    const values = { ...microValues(), data: 'imported' as const };
    expect(refusal(record({ values, imported: null, runs: [run(0, 10, specOf(values))] }))).toBe(`${PREFIX}its imported corpus is missing`);
  });
});

describe('checkAutosave checks the whole record, as a checkpoint file is', () => {
  it('truncated checkpoint bytes', () => {
    const r = run(0, 5);
    expect(refusal(record({ runs: [{ ...r, checkpoint: r.checkpoint.slice(0, r.checkpoint.length - 40) }] }))).toMatch(new RegExp(`^${PREFIX}run 1's checkpoint: `));
  });

  it('NaN weights and kappa off the simplex', () => {
    const spec = specOf(microValues());
    const table = buildParamTable(spec.model);
    const nan = initParams(table, 3);
    nan[5] = NaN;
    expect(refusal(record({ runs: [{ ...run(0, 5), checkpoint: checkpointOf(spec, 5, nan) }] }))).toMatch(new RegExp(`^${PREFIX}run 1's checkpoint: .*NaN`));
    const off = initParams(table, 3);
    const kappa = table.byKey.get('enc.0.kappa')!;
    off[kappa.offset] = 2;
    expect(refusal(record({ runs: [{ ...run(0, 5), checkpoint: checkpointOf(spec, 5, off) }] }))).toMatch(new RegExp(`^${PREFIX}run 1's checkpoint: .*enc\\.0\\.kappa`));
  });

  it('a checkpoint without a tokenizer', () => {
    const spec = specOf(microValues());
    const bare = encodeCheckpoint({ ...decodeCheckpoint(checkpointOf(spec, 5)), extras: {} });
    expect(refusal(record({ runs: [{ ...run(0, 5), checkpoint: bare }] }))).toBe(`${PREFIX}run 1's checkpoint has no tokenizer`);
  });

  it('run settings outside the form\'s limits or unlike the checkpoint\'s model', () => {
    const spec = specOf(microValues());
    const steps = { ...spec, train: { ...spec.train, steps: 'abc' } } as unknown as RunSpec;
    expect(refusal(record({ runs: [{ ...run(0, 5), spec: steps }] }))).toBe(`${PREFIX}run 1's settings: run setting train.steps must be a whole number in [1, 1000000], got "abc"`);
    const dev = { ...spec, data: { ...spec.data, devPairs: -1 } };
    expect(refusal(record({ runs: [{ ...run(0, 5), spec: dev }] }))).toBe(`${PREFIX}run 1's settings: run setting data.devPairs must be a whole number in [10, 2000], got -1`);
    const wider = { ...spec, model: { ...spec.model, dModel: 32, dFF: 64 } };
    expect(refusal(record({ runs: [{ ...run(0, 5), spec: wider }] }))).toBe(`${PREFIX}run 1's settings have model.dModel = 32 but its checkpoint 16`);
  });

  it('metrics field by field', () => {
    const r = run(0, 5);
    const with_ = (patch: object) => record({ runs: [{ ...r, metrics: { ...r.metrics, ...patch } }] });
    expect(refusal(with_({ loss: 'x' }))).toBe(`${PREFIX}run 1's metrics: loss is not a list`);
    expect(refusal(with_({ lr: [] }))).toBe(`${PREFIX}run 1's metrics: lr has 0 values for 1 steps`);
    expect(refusal(with_({ tokens: [null] }))).toBe(`${PREFIX}run 1's metrics: tokens[0] is null, not a number`);
    expect(refusal(with_({ steps: [0] }))).toBe(`${PREFIX}run 1's metrics: steps[0] = 0 is not a step after the one before`);
    expect(refusal(with_({ branches: [{ layer: 'enc.0', kappa: [[0.5, 'a']], alpha: [[1]] }] }))).toBe(`${PREFIX}run 1's metrics: enc.0.kappa[0] is not a list of finite numbers`);
    expect(refusal(with_({ dev: [{ step: 5, loss: 1 }] }))).toBe(`${PREFIX}run 1's metrics: dev result 1 is not a dev result (step, loss, bleu, sentences, samples)`);
    // A NaN loss is a real measurement (the step that went non-finite): kept.
    expect(checkAutosave(with_({ loss: [NaN] })).runs[0].metrics.loss).toEqual([NaN]);
  });

  it('an imported corpus whose pairs do not hash to its recorded hash', () => {
    const values = { ...microValues(), data: 'imported' as const };
    const bad = { ...imported, hash: '0000000000000000' };
    expect(refusal(record({ values, imported: bad, runs: [run(0, 10, specOf(values))] }))).toBe(
      `${PREFIX}its imported corpus corpus.tsv has hash ${corpusHash(imported.pairs)}, not the 0000000000000000 recorded`,
    );
  });
});

describe('autosaveStep', () => {
  it("is the slowest run's step", () => {
    expect(autosaveStep(record({ runs: [run(0, 200), run(1, 180), run(2, 190)] }))).toBe(180);
    expect(autosaveStep(record({ runs: [run(0, 30)] }))).toBe(30);
  });
});
