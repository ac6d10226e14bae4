// The config schema: defaults and presets are valid, fieldError catches bad values, the URL hash round-trips
// random valid configs and reports every key it could not use (decodeHash's warnings).
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/testing/random.ts';
import {
  FIELDS, FIELD_BY_NAME, UI_PRESETS, decodeHash, defaultValues, encodeHash, fieldError, microValues, validate, withField,
  type ConfigValues, type Field, type NumberField, type SelectField,
} from '../../src/ui/schema.ts';

const field = <T extends Field>(name: string) => FIELD_BY_NAME.get(name as Field['name']) as T;

/** A random valid value of every field (the imported corpus cannot travel in a link). */
function randomValues(rand: () => number): ConfigValues {
  const values = defaultValues() as unknown as Record<string, string | number>;
  for (const f of FIELDS) {
    if (f.type === 'select') {
      const options = f.options.filter((o) => !(f.name === 'data' && o.value === 'imported'));
      values[f.name] = options[Math.floor(rand() * options.length)].value;
    } else if (f.type === 'int') {
      values[f.name] = f.min + Math.floor(rand() * (f.max - f.min + 1));
    } else {
      values[f.name] = f.min + rand() * (f.max - f.min);
    }
  }
  return values as unknown as ConfigValues;
}

describe('fields', () => {
  it('every default is a valid value of its field', () => {
    for (const f of FIELDS) expect(fieldError(f, f.default), f.name).toBeNull();
  });

  it('fieldError rejects out-of-range, non-integer, non-numeric values and unknown options', () => {
    const dModel = field<NumberField>('dModel');
    expect(fieldError(dModel, dModel.max + 8)).toMatch(/d_model must be in \[/);
    expect(fieldError(dModel, dModel.min - 1)).toMatch(/must be in/);
    expect(fieldError(dModel, 32.5)).toMatch(/whole number/);
    expect(fieldError(dModel, Number.NaN)).toMatch(/must be a number/);
    expect(fieldError(dModel, '32')).toMatch(/must be a number/);
    expect(fieldError(field('dropout'), 0.25)).toBeNull(); // 'number' fields take fractions
    expect(fieldError(field<SelectField>('variant'), 'transformer')).toMatch(/unknown choice "transformer"/);
    expect(fieldError(field<SelectField>('variant'), 'baseline')).toBeNull();
  });
});

describe('URL hash', () => {
  it('encodeHash → decodeHash gives back random valid configs, with no warnings', () => {
    const rand = mulberry32(1711_02132);
    for (let i = 0; i < 200; i++) {
      const values = randomValues(rand);
      const decoded = decodeHash(encodeHash(values), defaultValues());
      expect(decoded.warnings).toEqual([]);
      expect(decoded.values).toEqual(values);
    }
  });

  it('the defaults encode as an empty hash; fields equal to the defaults are left out', () => {
    expect(encodeHash(defaultValues())).toBe('');
    expect(encodeHash({ ...defaultValues(), steps: 500 })).toBe('#steps=500');
    expect(decodeHash('', defaultValues())).toEqual({ values: defaultValues(), warnings: [] });
  });

  it('an unknown key is ignored and reported', () => {
    const { values, warnings } = decodeHash('#foo=1&steps=500', defaultValues());
    expect(warnings).toEqual(['unknown key "foo" ignored']);
    expect(values).toEqual({ ...defaultValues(), steps: 500 });
  });

  it('out-of-range, non-numeric and non-integer values load the default and say which', () => {
    const d = defaultValues();
    const dModel = field<NumberField>('dModel');
    const { values, warnings } = decodeHash('#dModel=7000&dropout=oops&steps=12.5&seed=-1&warmup=&evalEvery=0x10&branches=8', d);
    expect(warnings).toEqual([
      `"dModel=7000" is out of range (${dModel.min}–${dModel.max}): using the default ${d.dModel}`,
      `"dropout=oops" is not a number: using the default ${d.dropout}`,
      `"steps=12.5" is not a whole number: using the default ${d.steps}`,
      `"seed=-1" is out of range (0–4294967295): using the default ${d.seed}`,
      `"warmup=" is not a number: using the default ${d.warmup}`,
      `"evalEvery=0x10" is not a number: using the default ${d.evalEvery}`,
    ]);
    expect(values).toEqual({ ...d, branches: 8 });
  });

  it('the default named is the base config’s (the micro one under ?e2e=micro)', () => {
    const micro = microValues();
    const { min, max } = field<NumberField>('dModel');
    const { values, warnings } = decodeHash('#dModel=7000', micro);
    expect(warnings).toEqual([`"dModel=7000" is out of range (${min}–${max}): using the default ${micro.dModel}`]);
    expect(values).toEqual(micro);
  });

  it('a bad select option, or data=imported, loads the default', () => {
    const d = defaultValues();
    const { values, warnings } = decodeHash('#variant=transformer&data=imported&weighting=softmax', d);
    expect(warnings).toEqual([
      `"variant=transformer" is not one of weighted, baseline: using the default ${d.variant}`,
      `"data=imported" cannot come from a link (import the corpus on this page): using the default ${d.data}`,
    ]);
    expect(values).toEqual({ ...d, weighting: 'softmax' });
  });

  it('a key given twice: the same value is used (and noted), different values load the default', () => {
    const d = defaultValues();
    const same = decodeHash('#steps=500&steps=500', d);
    expect(same.values.steps).toBe(500);
    expect(same.warnings).toEqual(['"steps" is given 2 times (the same value)']);
    const different = decodeHash('#steps=500&dModel=128&steps=600', d);
    expect(different.values).toEqual({ ...d, dModel: 128 });
    expect(different.warnings).toEqual([`"steps" is given 2 times with different values (500, 600): using the default ${d.steps}`]);
  });

  it('percent-encoded values decode; "+" is a space (trimmed around numbers)', () => {
    const { values, warnings } = decodeHash('#steps=%35%30%30&lrScale=+0.5', defaultValues());
    expect(warnings).toEqual([]);
    expect(values.steps).toBe(500);
    expect(values.lrScale).toBe(0.5);
  });
});

describe('validate', () => {
  it('accepts the defaults and builds a run spec from the values', () => {
    const values = defaultValues();
    const result = validate(values, null);
    if (!result.ok) throw new Error(result.errors.join('; '));
    const { spec } = result;
    const { variant, weighting, vocab, dModel, branches, dFF, encLayers, decLayers, maxLen, dropout, labelSmoothing } = values;
    expect(spec.model).toEqual({ variant, weighting, vocab, dModel, branches, dFF, encLayers, decLayers, maxLen, dropout, labelSmoothing });
    const { seed, gradClip, lrScale, warmup, kappaWarmup, steps, freezeSteps } = values;
    expect(spec.train).toMatchObject({ seed, gradClip, lrScale, warmup, kappaWarmup, steps, freezeSteps });
    expect(spec.data).toMatchObject({ source: { kind: 'builtin', direction: 'en-de' }, vocab, batchTokens: values.batchTokens, devPairs: values.devPairs });
    expect(spec.evalEvery).toBe(values.evalEvery);
  });

  it('accepts every preset and the e2e micro config', () => {
    for (const name of Object.keys(UI_PRESETS)) {
      const values = withField(defaultValues(), 'preset', name);
      expect(values.preset).toBe(name);
      const result = validate(values, null);
      expect(result.ok ? [] : result.errors, name).toEqual([]);
    }
    const micro = validate(microValues(), null);
    expect(micro.ok ? [] : micro.errors).toEqual([]);
  });

  it('reports bad combinations and a missing imported corpus', () => {
    const result = validate({ ...defaultValues(), dModel: 34, data: 'imported' }, null);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join('\n')).toMatch(/divisible by branches/);
    expect(result.errors.join('\n')).toMatch(/Import a corpus first/);
  });
});

describe('validate checks what the kernels and the GPU can run (src/model/limits.ts)', () => {
  it("refuses a head wider than the attention kernel's, naming the nearest valid value", () => {
    const checked = validate({ ...microValues(), preset: 'custom', dModel: 256, branches: 2, dFF: 512 }, null);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.errors.join('\n')).toMatch(/dModel\/branches = 128 exceeds the attention kernel's head width 64: use branches ≥ 4/);
  });

  it("refuses, with the device's limits, a batch whose logits exceed one storage binding", () => {
    const limits = { maxStorageBufferBindingSize: 1024 * 1024, maxBufferSize: 256 * 1024 * 1024, maxComputeWorkgroupsPerDimension: 65535 };
    const values = { ...microValues(), batchTokens: 4096 };
    expect(validate(values, null).ok).toBe(true);
    const checked = validate(values, null, limits);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.errors.join('\n')).toMatch(/more than one storage binding of this GPU .*: use batchTokens ≤ \d+/);
  });
});
