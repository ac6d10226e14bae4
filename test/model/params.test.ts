// The parameter table follows model.md's key list and shapes; init is seeded; checkpoints round-trip and
// malformed ones are refused with a message naming the first problem.
import { describe, expect, it } from 'vitest';
import { presetConfig, validateModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { buildParamTable, readParam, writeParam } from '../../src/model/params.ts';
import { initParams } from '../../src/model/init.ts';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint.ts';

const tiny = (variant: 'weighted' | 'baseline'): ModelConfig =>
  validateModelConfig({ variant, weighting: 'projected', vocab: 37, dModel: 16, branches: 4, dFF: 32, encLayers: 2, decLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0.1 });

describe('parameter table', () => {
  it('has exactly the keys and shapes of model.md (weighted)', () => {
    const t = buildParamTable(tiny('weighted'));
    const keys = t.entries.map((e) => e.key);
    expect(keys).toContain('embed');
    for (const k of ['wq', 'bq', 'wk', 'bk', 'wv', 'bv', 'wo']) {
      expect(t.byKey.get(`enc.1.attn.${k}`)!.shape).toEqual(k.startsWith('w') ? [16, 16] : [16]);
      expect(t.byKey.has(`dec.0.self.${k}`) && t.byKey.has(`dec.0.cross.${k}`)).toBe(true);
    }
    expect(t.byKey.has('enc.0.attn.bo')).toBe(false); // no bias on wo
    expect(t.byKey.get('enc.0.ffn.w1')!.shape).toEqual([4, 16, 8]);
    expect(t.byKey.get('enc.0.ffn.b1')!.shape).toEqual([4, 8]);
    expect(t.byKey.get('dec.0.ffn.w2')!.shape).toEqual([4, 8, 16]);
    expect(t.byKey.get('dec.0.ffn.b2')!.shape).toEqual([4, 16]);
    expect(t.byKey.get('dec.0.kappa')!.shape).toEqual([4]);
    expect(keys.filter((k) => k.includes('.ln'))).toEqual(['enc.0.ln.g', 'enc.0.ln.b', 'enc.1.ln.g', 'enc.1.ln.b', 'dec.0.ln0.g', 'dec.0.ln0.b', 'dec.0.ln.g', 'dec.0.ln.b']);
    // kappa/alpha last and contiguous
    expect(t.branchRange).toEqual({ offset: t.size - 6 * 4, count: 6 * 4 });
  });

  it('baseline has ln1/ln2 and full FFNs, no kappa/alpha, and the same weight count up to biases and LNs', () => {
    const b = buildParamTable(tiny('baseline'));
    const w = buildParamTable(tiny('weighted'));
    expect(b.byKey.get('enc.0.ffn.w1')!.shape).toEqual([16, 32]);
    expect(b.byKey.has('enc.0.kappa')).toBe(false);
    expect(b.branchRange.count).toBe(0);
    const weights = (t: typeof b) => t.entries.filter((e) => /\.w\w*$|^embed$/.test(e.key)).reduce((s, e) => s + e.shape.reduce((x, y) => x * y, 1), 0);
    expect(weights(w)).toBe(weights(b));
  });

  it('packed Q/K/V slices do not overlap and cover their block', () => {
    const t = buildParamTable(tiny('weighted'));
    const flat = new Float32Array(t.size);
    t.entries.forEach((e, i) => writeParam(flat, e, new Float32Array(e.shape.reduce((a, b) => a * b, 1)).fill(i + 1)));
    t.entries.forEach((e, i) => expect(readParam(flat, e).every((v) => v === i + 1)).toBe(true));
    for (const block of t.blocks.values()) {
      expect(flat.subarray(block.offset, block.offset + block.size).every((v) => v !== 0)).toBe(true);
      expect(block.offset % 64).toBe(0); // 256-byte aligned: bindable as a buffer sub-range
    }
  });

  it('init is seeded, Xavier-bounded, and kappa/alpha start on the simplex', () => {
    const t = buildParamTable(presetConfig('tiny', 'weighted'));
    const a = initParams(t, 7), b = initParams(t, 7), c = initParams(t, 8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const wq = readParam(a, t.byKey.get('enc.0.attn.wq')!);
    const bound = Math.sqrt(6 / 128);
    expect(Math.max(...wq.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...wq.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    const kappa = readParam(a, t.byKey.get('dec.1.kappa')!);
    expect(kappa.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    const embed = readParam(a, t.byKey.get('embed')!);
    const std = Math.sqrt(embed.reduce((s, v) => s + v * v, 0) / embed.length);
    expect(std).toBeCloseTo(64 ** -0.5, 2);
  });
});

describe('config validation', () => {
  it('names the first problem', () => {
    const good = tiny('weighted');
    expect(() => validateModelConfig({ ...good, dModel: 18 }, 'c.json')).toThrow(/c.json: dModel \(18\) must be divisible by branches \(4\)/);
    expect(() => validateModelConfig({ ...good, variant: 'x' })).toThrow(/"variant" must be/);
    expect(() => validateModelConfig({ ...good, extra: 1 })).toThrow(/unknown key "extra"/);
    const { vocab: _vocab, ...missing } = good;
    expect(() => validateModelConfig(missing)).toThrow(/missing key "vocab"/);
    expect(() => validateModelConfig({ ...good, dropout: 1.5 })).toThrow(/"dropout" must be a number in \[0, 1\)/);
  });
});

describe('checkpoints', () => {
  const config = tiny('weighted');
  const table = buildParamTable(config);
  const params = initParams(table, 3);
  const adam = { m: initParams(table, 4), v: initParams(table, 5).map(Math.abs) };

  it('round-trip weights, step, Adam moments and extras', () => {
    const bytes = encodeCheckpoint({ config, params, step: 42, adam, extras: { tokenizer: { merges: [] } } });
    const back = decodeCheckpoint(bytes, 'ck.safetensors', config);
    expect(back.params).toEqual(params);
    expect(back.adam!.m).toEqual(adam.m);
    expect(back.step).toBe(42);
    expect(back.extras.tokenizer).toEqual({ merges: [] });
    const file = readSafetensors(bytes);
    expect(file.tensors.get('enc.0.attn.wk')!.shape).toEqual([16, 16]);
    expect(JSON.parse(file.metadata.config).variant).toBe('weighted');
  });

  it('refuses malformed files naming the first problem, without absurd allocation', () => {
    const good = encodeCheckpoint({ config, params, step: 1, extras: {} });
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 60n, true);
    expect(() => decodeCheckpoint(huge, 'a.st')).toThrow(/a.st: header length \d+ exceeds the file/);
    expect(() => decodeCheckpoint(good.subarray(0, 5), 'b.st')).toThrow(/too short/);
    expect(() => decodeCheckpoint(good.subarray(0, good.length - 4), 'c.st')).toThrow(/fall outside/);
    const garbage = good.slice();
    garbage[8] = 0x7b + 1;
    expect(() => decodeCheckpoint(garbage, 'd.st')).toThrow(/not valid UTF-8 JSON/);
    expect(() => decodeCheckpoint(good, 'e.st', { ...config, dModel: 32 })).toThrow(/e.st: config "dModel" is 16 but the run expects 32/);
    const missing = writeSafetensors([{ name: 'embed', shape: [37, 16], data: new Float32Array(37 * 16) }], { config: JSON.stringify(config) });
    expect(() => decodeCheckpoint(missing, 'f.st')).toThrow(/missing tensor "enc.0.attn.wq"/);
    const wrongShape = writeSafetensors([{ name: 'embed', shape: [16, 37], data: new Float32Array(37 * 16) }], { config: JSON.stringify(config) });
    expect(() => decodeCheckpoint(wrongShape, 'g.st')).toThrow(/"embed" has shape \[16,37\] but the config gives \[37,16\]/);
    const f16 = good.slice();
    const headerLen = Number(new DataView(f16.buffer).getBigUint64(0, true));
    const text = new TextDecoder().decode(f16.subarray(8, 8 + headerLen)).replace('"F32"', '"F16"');
    f16.set(new TextEncoder().encode(text), 8);
    expect(() => decodeCheckpoint(f16, 'h.st')).toThrow(/dtype "F16" is not supported/);
  });
});
