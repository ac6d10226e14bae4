// checkConfigForDevice (src/model/limits.ts): configs inside the config ranges that the kernels or the
// device cannot run are refused up front, each with the reason and the nearest valid value (issue 11).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { assertConfigFitsDevice, checkConfigForDevice, DEFAULT_DEVICE_LIMITS, DeviceLimitError, estimateMemory, KERNEL_LIMITS } from '../../src/model/limits.ts';
import { ATTENTION_LIMITS } from '../../src/gpu/kernels/attention.ts';
import { EMBEDDING_MAX_DIM } from '../../src/gpu/kernels/embedding.ts';
import { SIMPLEX_MAX_M } from '../../src/gpu/kernels/simplex.ts';

/** lavapipe's limits (llvmpipe, Mesa 22-25): 128 MiB per binding, 4 GiB per buffer. */
const LAVAPIPE = { maxStorageBufferBindingSize: 128 * 1024 * 1024, maxBufferSize: 4294967295, maxComputeWorkgroupsPerDimension: 65535 };

const cfg = (over: Partial<ModelConfig>): ModelConfig => validateModelConfig({
  variant: 'weighted', weighting: 'projected', vocab: 16000, dModel: 512, branches: 8, dFF: 2048, encLayers: 6, decLayers: 6,
  maxLen: 64, dropout: 0.1, labelSmoothing: 0.1, ...over,
});
const messages = (c: ModelConfig, limits = LAVAPIPE, bound = {}) => checkConfigForDevice(c, limits, bound).map((p) => `${p.key}: ${p.message}`);

describe('checkConfigForDevice', () => {
  it('mirrors the kernels\' constants', () => {
    expect(KERNEL_LIMITS.maxHeadWidth).toBe(ATTENTION_LIMITS.maxDHead);
    expect(KERNEL_LIMITS.maxEmbeddingWidth).toBe(EMBEDDING_MAX_DIM);
    expect(KERNEL_LIMITS.maxBranches).toBe(SIMPLEX_MAX_M);
  });

  it('passes the 52M model of issue 11 on lavapipe (its flat buffers exceed one binding: bound per window)', () => {
    const c = cfg({});
    const est = estimateMemory(c, { batchTokens: 2048 });
    expect(est.parameters).toBeGreaterThan(52e6);
    expect(est.flatBytes).toBeGreaterThan(LAVAPIPE.maxStorageBufferBindingSize);
    expect(est.largestBlock).toEqual({ name: 'embed', bytes: 16000 * 512 * 4 });
    expect(messages(c)).toEqual([]);
    expect(messages(c, LAVAPIPE, { batchTokens: 2048 })).toEqual([]);
    // Under WebGPU's default limits too (256 MiB buffers).
    expect(messages(c, DEFAULT_DEVICE_LIMITS, { batchTokens: 2048 })).toEqual([]);
  });

  it('refuses a batch budget whose logits exceed one binding, with the largest that fits', () => {
    expect(messages(cfg({}), LAVAPIPE, { batchTokens: 4096 })).toEqual([
      'batchTokens: the logits (B·T, V) of a batch of 4096 rows needs 250.0 MiB, more than one storage binding of this GPU ' +
        '(maxStorageBufferBindingSize 128.0 MiB): use batchTokens ≤ 2097',
    ]);
    // One exact batch (the parity tools): rows B·max(S, T).
    expect(messages(cfg({}), LAVAPIPE, { batch: { batch: 64, srcLen: 40, tgtLen: 48 } })[0]).toMatch(/3072 rows .* use batches of at most 2097 target rows/);
    expect(messages(cfg({}), LAVAPIPE, { batch: { batch: 32, srcLen: 40, tgtLen: 48 } })).toEqual([]);
  });

  it('refuses a head wider than the attention kernel\'s, naming the branches and dModel that fit', () => {
    const c = cfg({ branches: 4 });
    expect(messages(c)).toEqual(['branches: dModel/branches = 128 exceeds the attention kernel\'s head width 64: use branches ≥ 8 (dividing dModel and dFF: 8, 16) or dModel ≤ 256']);
    // Device-independent: also without limits (the init tool, the form before a device exists).
    expect(checkConfigForDevice(c, null)).toHaveLength(1);
    expect(() => assertConfigFitsDevice(c, null, {}, 'C.json')).toThrow(DeviceLimitError);
    expect(() => assertConfigFitsDevice(c, null, {}, 'C.json')).toThrow(/^C.json cannot run on this GPU: dModel\/branches = 128/);
  });

  it('refuses the largest config of the ranges ("Invalid typed array length") with every reason', () => {
    const c = cfg({ vocab: 65536, dModel: 2048, branches: 16, dFF: 16384, encLayers: 24, decLayers: 24 });
    const got = messages(c, LAVAPIPE, { batchTokens: 2048 });
    expect(got[0]).toBe('branches: dModel/branches = 128 exceeds the attention kernel\'s head width 64: use dModel ≤ 1024');
    expect(got[1]).toBe('dModel: dModel 2048 exceeds the embedding-gradient kernel\'s row width 1024: use dModel ≤ 1024');
    expect(got[2]).toMatch(/^dModel: the model's \d+ parameters need 1[0-9.]+ GiB per flat buffer .*more than this GPU's maxBufferSize 4.00 GiB: use dModel ≤ \d+, or fewer layers/);
    expect(got[3]).toBe('vocab: the embedding (vocab 65536 × dModel 2048) needs 512.0 MiB, more than one storage binding of this GPU (maxStorageBufferBindingSize 128.0 MiB): use vocab ≤ 16384');
    expect(got[4]).toMatch(/^batchTokens: the logits \(B·T, V\) of a batch of 2048 rows needs 512.0 MiB.*use batchTokens ≤ 512$/);
    expect(got).toHaveLength(5);
  });

  it('refuses a parameter block past one binding that is not the embedding', () => {
    const c = cfg({ vocab: 1000, dModel: 1024, branches: 16, dFF: 16384, encLayers: 1, decLayers: 1 });
    expect(messages(c)).toEqual([]); // 64 MiB fits lavapipe's 128 MiB binding
    const small = { ...LAVAPIPE, maxStorageBufferBindingSize: 32 * 1024 * 1024 };
    expect(messages(c, small)).toEqual([
      'dModel: the parameter block enc.0.ffn.w1 needs 64.0 MiB, more than one storage binding of this GPU (maxStorageBufferBindingSize 32.0 MiB): use dModel ≤ 512 or a smaller dFF',
    ]);
  });

  it('refuses more attention heads than the workgroup grid holds, and a step past the device memory', () => {
    const c = cfg({ vocab: 1000, dModel: 256, branches: 16, dFF: 1024, encLayers: 1, decLayers: 1, maxLen: 64 });
    const heads = messages(c, { ...LAVAPIPE, maxComputeWorkgroupsPerDimension: 1024 }, { batchTokens: 8192 });
    expect(heads).toEqual(['batchTokens: B·M = 4096 attention heads exceed this GPU\'s 1024 workgroups per dimension: use at most 64 sentences per batch (batchTokens ≤ 2048)']);
    const est = estimateMemory(c, { batchTokens: 8192 });
    const memory = messages(c, LAVAPIPE, { batchTokens: 8192, memoryBytes: est.totalBytes / 2 });
    expect(memory).toHaveLength(1);
    expect(memory[0]).toMatch(/^batchTokens: a training step needs about [\d.]+ GiB .* more than the [\d.]+ GiB this device has: use batchTokens ≤ \d+ or a smaller model$/);
    const fits = Number(/batchTokens ≤ (\d+)/.exec(memory[0])![1]);
    expect(estimateMemory(c, { batchTokens: fits }).totalBytes).toBeLessThanOrEqual(est.totalBytes / 2);
    expect(estimateMemory(c, { batchTokens: fits + 1 }).totalBytes).toBeGreaterThan(est.totalBytes / 2);
  });
});

describe('the CLI refuses such configs', () => {
  it('init: a head wider than the attention kernel\'s exits 1 with the reason and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const root = join(import.meta.dirname, '../..');
    writeFileSync(join(dir, 'c.json'), JSON.stringify(cfg({ branches: 4, dropout: 0 })));
    const run = spawnSync(join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'init', '--config', join(dir, 'c.json'), '--seed', '1', '--out', join(dir, 'w.safetensors')],
      { cwd: root, encoding: 'utf8', env: { ...process.env, INIT_CWD: dir } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('the model config cannot run on this GPU: dModel/branches = 128 exceeds the attention kernel\'s head width 64: use branches ≥ 8');
    expect(existsSync(join(dir, 'w.safetensors'))).toBe(false);
  });
});
