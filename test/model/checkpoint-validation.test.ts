// Nothing wrong in a checkpoint is silent: non-finite weights or Adam moments, negative second moments,
// and (weighting projected) kappa/alpha off the simplex are refused naming the tensor and the index; the
// safetensors layout is held to what the format's own reader requires (tensors tile the data section,
// begin <= end) plus no duplicate JSON keys. Each case corrupts a good checkpoint from encodeCheckpoint.
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/model/checkpoint.ts';
import { validateModelConfig, type ModelConfig, type Weighting } from '../../src/model/config.ts';
import { initParams } from '../../src/model/init.ts';
import { buildParamTable, readParam, writeParam } from '../../src/model/params.ts';
import { readSafetensors, SafetensorsError, writeSafetensors } from '../../src/model/safetensors.ts';
import { checkCheckpointFile } from '../../src/ui/checkpoint-load.ts';

const configOf = (weighting: Weighting): ModelConfig => validateModelConfig({
  variant: 'weighted', weighting, vocab: 37, dModel: 16, branches: 4, dFF: 32, encLayers: 2, decLayers: 1, maxLen: 12, dropout: 0, labelSmoothing: 0,
});

/** A good checkpoint (params, Adam moments) of `weighting`, as the trainers write it. */
function good(weighting: Weighting = 'projected'): Checkpoint {
  const config = configOf(weighting);
  const table = buildParamTable(config);
  return { config, params: initParams(table, 3), step: 5, adam: { m: initParams(table, 4), v: initParams(table, 5).map(Math.abs) }, extras: {} };
}

/** Set logical element `index` (row-major within the tensor) of `key` in a flat array. */
function setAt(config: ModelConfig, flat: Float32Array, key: string, index: number, value: number): void {
  const e = buildParamTable(config).byKey.get(key)!;
  const t = readParam(flat, e);
  t[index] = value;
  writeParam(flat, e, t);
}

function setVector(config: ModelConfig, flat: Float32Array, key: string, values: number[]): void {
  writeParam(flat, buildParamTable(config).byKey.get(key)!, values);
}

/** The message decodeCheckpoint throws (it must be a SafetensorsError). */
function refusal(bytes: Uint8Array, where = 'W.safetensors'): string {
  try {
    decodeCheckpoint(bytes, where);
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    return (err as Error).message;
  }
  throw new Error('expected the checkpoint to be refused');
}

/** A safetensors file from a literal header text and `dataBytes` data bytes (zeros). */
function rawFile(header: string, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const f32 = (begin: number, end: number, n = (end - begin) / 4) => `{"dtype":"F32","shape":[${n}],"data_offsets":[${begin},${end}]}`;

function readRefusal(bytes: Uint8Array): string {
  try {
    readSafetensors(bytes, 'x.safetensors');
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('checkpoint values', () => {
  it('a good checkpoint of every weighting decodes', () => {
    for (const w of ['projected', 'softmax', 'uniform'] as const) {
      const ckpt = good(w);
      expect(decodeCheckpoint(encodeCheckpoint(ckpt), 'W.safetensors').params).toEqual(ckpt.params);
    }
  });

  it('NaN in a weight: names the tensor, its index and flat index', () => {
    const ckpt = good();
    // enc.0.ffn.w1 is (M, D, F/M) = (4, 16, 8): [2, 5, 3] is 2*128 + 5*8 + 3 = 299.
    setAt(ckpt.config, ckpt.params, 'enc.0.ffn.w1', 299, NaN);
    setAt(ckpt.config, ckpt.params, 'enc.0.ffn.w1', 300, NaN);
    expect(refusal(encodeCheckpoint(ckpt))).toBe(
      'W.safetensors: tensor "enc.0.ffn.w1" has NaN at index [2, 5, 3] (flat 299); 2 of its 512 values are not finite',
    );
  });

  it('Inf in a packed weight and in adam.m', () => {
    const ckpt = good();
    setAt(ckpt.config, ckpt.params, 'dec.0.self.wv', 3 * 16 + 7, -Infinity); // a column slice of the (D, 3D) block
    expect(refusal(encodeCheckpoint(ckpt))).toBe('W.safetensors: tensor "dec.0.self.wv" has -Inf at index [3, 7] (flat 55)');
    const other = good();
    setAt(other.config, other.adam!.m, 'dec.0.cross.wk', 3 * 16 + 7, Infinity);
    expect(refusal(encodeCheckpoint(other))).toBe('W.safetensors: tensor "adam.m.dec.0.cross.wk" has Inf at index [3, 7] (flat 55)');
  });

  it('adam.v: non-finite or negative is refused', () => {
    const ckpt = good();
    setAt(ckpt.config, ckpt.adam!.v, 'embed', 10 * 16 + 2, -0.5);
    expect(refusal(encodeCheckpoint(ckpt))).toBe(
      'W.safetensors: tensor "adam.v.embed" has -0.5 at index [10, 2] (flat 162): Adam second moments cannot be negative',
    );
    const nan = good();
    setAt(nan.config, nan.adam!.v, 'enc.1.alpha', 1, NaN);
    expect(refusal(encodeCheckpoint(nan))).toBe('W.safetensors: tensor "adam.v.enc.1.alpha" has NaN at index [1] (flat 1)');
    // adam.m may be negative (a signed average of gradients).
    const signed = good();
    setAt(signed.config, signed.adam!.m, 'embed', 0, -3);
    expect(decodeCheckpoint(encodeCheckpoint(signed)).adam!.m).toEqual(signed.adam!.m);
  });

  it('projected: kappa/alpha must be on the simplex (entries >= 0, sum 1 within 1e-4)', () => {
    const sum = good('projected');
    setVector(sum.config, sum.params, 'enc.1.kappa', [0.4, 0.3, 0.3, 0.3]);
    expect(refusal(encodeCheckpoint(sum))).toBe(
      'W.safetensors: tensor "enc.1.kappa" is not on the simplex: sums to 1.3, not 1 within 0.0001 (weighting projected)',
    );
    const negative = good('projected');
    setVector(negative.config, negative.params, 'dec.0.alpha', [-0.25, 0.5, 0.5, 0.25]);
    expect(refusal(encodeCheckpoint(negative))).toMatch(
      /^W\.safetensors: tensor "dec\.0\.alpha" is not on the simplex: entry \[0\] is -0\.25 \(weighting projected\)$/,
    );
    const nan = good('projected');
    setVector(nan.config, nan.params, 'enc.0.kappa', [NaN, 0.5, 0.25, 0.25]);
    expect(refusal(encodeCheckpoint(nan))).toBe('W.safetensors: tensor "enc.0.kappa" has NaN at index [0] (flat 0)');
    // float32 rounding of a projection, exact zeros (clipped entries) and a sum 5e-5 off are accepted
    const close = good('projected');
    setVector(close.config, close.params, 'enc.0.kappa', [0, 0.1, 0.3, 0.6 + 5e-5]);
    setVector(close.config, close.params, 'enc.0.alpha', [1 / 3, 1 / 3, 1 / 3, 0]);
    expect(decodeCheckpoint(encodeCheckpoint(close)).params).toEqual(close.params);
  });

  it('softmax: logits that do not sum to 1 (or are negative) are accepted; uniform: ignored but finite', () => {
    const logits = good('softmax');
    setVector(logits.config, logits.params, 'enc.1.kappa', [3, -2, 0.5, 7]);
    setVector(logits.config, logits.params, 'dec.0.alpha', [-1, -1, -1, -1]);
    expect(decodeCheckpoint(encodeCheckpoint(logits)).params).toEqual(logits.params);
    const uniform = good('uniform');
    setVector(uniform.config, uniform.params, 'enc.0.kappa', [5, 5, 5, -5]);
    expect(decodeCheckpoint(encodeCheckpoint(uniform)).params).toEqual(uniform.params);
    setVector(uniform.config, uniform.params, 'enc.0.alpha', [0.25, Infinity, 0.25, 0.25]);
    expect(refusal(encodeCheckpoint(uniform))).toBe('W.safetensors: tensor "enc.0.alpha" has Inf at index [1] (flat 1)');
  });

  it('the page shows the same message (checkCheckpointFile)', () => {
    const ckpt = good();
    setAt(ckpt.config, ckpt.params, 'embed', 0, NaN);
    expect(() => checkCheckpointFile('run.safetensors', encodeCheckpoint(ckpt), null, 1)).toThrow(
      '"run.safetensors": tensor "embed" has NaN at index [0, 0] (flat 0)',
    );
  });
});

describe('safetensors layout, as the format refuses it', () => {
  it('tensors in any order that tile the data section are accepted', () => {
    const file = readSafetensors(rawFile(`{"b":${f32(16, 24)},"a":${f32(0, 16)},"z":${f32(24, 24)}}`, 24));
    expect([...file.tensors.keys()]).toEqual(['b', 'a', 'z']);
    expect(file.tensors.get('z')!.shape).toEqual([0]);
  });

  it('overlapping offsets name both tensors', () => {
    expect(readRefusal(rawFile(`{"a":${f32(0, 16)},"b":${f32(8, 24)}}`, 24))).toBe(
      'x.safetensors: tensor "b": data_offsets [8, 24] overlap tensor "a" [0, 16]',
    );
    // the same offsets twice overlap too
    expect(readRefusal(rawFile(`{"a":${f32(0, 16)},"b":${f32(0, 16)}}`, 16))).toMatch(/x\.safetensors: tensor "[ab]": data_offsets \[0, 16\] overlap tensor "[ab]" \[0, 16\]/);
  });

  it('a gap between tensors, or before the first', () => {
    expect(readRefusal(rawFile(`{"a":${f32(0, 16)},"b":${f32(20, 36)}}`, 36))).toBe(
      'x.safetensors: tensor "b": data_offsets [20, 36] leave a gap: data bytes [16, 20) belong to no tensor (after tensor "a")',
    );
    expect(readRefusal(rawFile(`{"a":${f32(4, 20)}}`, 20))).toBe(
      'x.safetensors: tensor "a": data_offsets [4, 20] leave a gap: data bytes [0, 4) belong to no tensor',
    );
  });

  it('trailing bytes after the last tensor', () => {
    const bytes = encodeCheckpoint(good());
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    const dataLen = bytes.length - 8 - Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(refusal(longer)).toBe(
      `W.safetensors: the data section has ${dataLen + 4} bytes but the tensors end at byte ${dataLen}: 4 trailing bytes belong to no tensor`,
    );
    expect(readRefusal(rawFile('{}', 8))).toBe('x.safetensors: the data section has 8 bytes but the tensors end at byte 0: 8 trailing bytes belong to no tensor');
  });

  it('begin after end', () => {
    expect(readRefusal(rawFile(`{"a":${f32(16, 0, 4)}}`, 16))).toBe('x.safetensors: tensor "a": data_offsets [16, 0] are out of order (begin after end)');
  });

  it('duplicate keys: top level, __metadata__, a tensor entry, the config; escapes are decoded', () => {
    expect(readRefusal(rawFile(`{"a":${f32(0, 16)},"a":${f32(0, 16)}}`, 16))).toBe(
      'x.safetensors: duplicate key "a" in the header (a JSON reader keeps one of them silently)',
    );
    expect(readRefusal(rawFile(`{"__metadata__":{"step":"1","step":"2"},"a":${f32(0, 16)}}`, 16))).toBe(
      'x.safetensors: duplicate key "step" in __metadata__ (a JSON reader keeps one of them silently)',
    );
    expect(readRefusal(rawFile(`{"__metadata__":{"k":"1"},"a":${f32(0, 16)},"__metadata__":{"k":"2"}}`, 16))).toMatch(/duplicate key "__metadata__" in the header/);
    expect(readRefusal(rawFile('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"shape":[2]}}', 16))).toBe(
      'x.safetensors: duplicate key "shape" in the entry of tensor "a" (a JSON reader keeps one of them silently)',
    );
    expect(readRefusal(rawFile(`{"a":${f32(0, 16)}, "\\u0061" :${f32(0, 16)}}`, 16))).toMatch(/duplicate key "a" in the header/);
    const config = good().config;
    const text = JSON.stringify(config).replace('"dModel":16', '"dModel":32,"dModel":16');
    const file = writeSafetensors([{ name: 'embed', shape: [37, 16], data: new Float32Array(37 * 16) }], { config: text });
    expect(refusal(file)).toBe('W.safetensors: __metadata__.config has the key "dModel" twice');
  });

  it('keys inside strings and the same key in different objects are not duplicates', () => {
    const meta = JSON.stringify({ note: '{"a":1,"a":2} "x": {', other: 'a' });
    const file = readSafetensors(rawFile(`{"__metadata__":${meta},"a":${f32(0, 16)},"b":${f32(16, 16, 0)}}`, 16));
    expect(file.metadata.note).toBe('{"a":1,"a":2} "x": {');
    expect([...file.tensors.keys()]).toEqual(['a', 'b']);
  });
});
