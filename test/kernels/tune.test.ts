// src/gpu/tune.ts: the tuner picks the fastest candidate from a fake timer (the default on ties), within
// its budget; the cache key, the cache file's round trip and a corrupt file (ignored with a warning);
// WEBGPU_TUNE off/fresh/auto; and one real tuning on the test adapter (its winner is not asserted: a
// timing is never a test assertion).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { matmulShapeClass, type MatmulVariant } from '../../src/gpu/kernels/matmul.ts';
import {
  TUNING_VERSION, candidates, defaultTuningCachePath, readTuningCache, resolveKernelChoice, tuneForGpu, tuneMatmul, tuneMode, tuningCacheKey,
  writeTuningCache, type TuneShape, type VariantTimer,
} from '../../src/gpu/tune.ts';

// 1024x64x64: 'auto' runs 64-row tiles (a small grid), so the candidates are auto, tile32 and tile128.
const SHORT: TuneShape = { m: 1024, n: 64, k: 64 };
// 2048x512x128: 'auto' runs 128-row tiles.
const WIDE: TuneShape = { m: 2048, n: 512, k: 128 };

/** A timer answering from a table per variant, recording every call. */
function fakeTimer(ms: Partial<Record<MatmulVariant, number>>): { time: VariantTimer; calls: [MatmulVariant, string][] } {
  const calls: [MatmulVariant, string][] = [];
  return {
    calls,
    time: (variant, shape) => {
      calls.push([variant, matmulShapeClass(shape)]);
      return Promise.resolve(ms[variant] ?? 100);
    },
  };
}

const tmpCache = () => join(mkdtempSync(join(tmpdir(), 'tune-')), 'sub', 'kernel-tuning.json');

describe('matmul tuner', () => {
  it('candidates: auto first, fixed tiles that auto does not already run', () => {
    expect(candidates(SHORT)).toEqual(['auto', 'tile32', 'tile128']);
    expect(candidates(WIDE)).toEqual(['auto', 'tile32', 'tile64']);
  });

  it('picks the fastest per class, every candidate timed once per round in rotated order', async () => {
    const t = fakeTimer({ auto: 10, tile32: 5, tile64: 20, tile128: 20 });
    const { choice, classes } = await tuneMatmul([SHORT, { ...SHORT, m: 1000 }, WIDE], { time: t.time, rounds: 2, budgetMs: 1e9 });
    // SHORT and m = 1000 share a class: two classes, 2 rounds x 3 candidates each.
    expect(Object.keys(choice)).toEqual([matmulShapeClass(SHORT), matmulShapeClass(WIDE)]);
    expect(choice[matmulShapeClass(SHORT)]).toBe('tile32');
    expect(choice[matmulShapeClass(WIDE)]).toBe('tile32');
    expect(t.calls.map(([v]) => v)).toEqual(['auto', 'tile32', 'tile128', 'tile32', 'tile128', 'auto', 'auto', 'tile32', 'tile64', 'tile32', 'tile64', 'auto']);
    expect(classes[0].medians).toEqual({ auto: 10, tile32: 5, tile128: 20 });
  });

  it('keeps the default on ties and on gains within the noise share', async () => {
    const tie = await tuneMatmul([SHORT], { time: fakeTimer({ auto: 10, tile32: 10, tile128: 10 }).time });
    expect(tie.choice[matmulShapeClass(SHORT)]).toBe('auto');
    const noise = await tuneMatmul([SHORT], { time: fakeTimer({ auto: 10, tile32: 9.8, tile128: 11 }).time, tieShare: 0.03 });
    expect(noise.choice[matmulShapeClass(SHORT)]).toBe('auto');
    const slower = await tuneMatmul([SHORT], { time: fakeTimer({ auto: 10, tile32: 12, tile128: 11 }).time });
    expect(slower.choice[matmulShapeClass(SHORT)]).toBe('auto');
  });

  it('switches only on a win in every interleaved round (one slow round under load keeps the default)', async () => {
    let n = 0;
    const outlier: VariantTimer = (v) => Promise.resolve(v === 'tile32' ? (n++ === 0 ? 1000 : 5) : 10);
    expect((await tuneMatmul([SHORT], { time: outlier, rounds: 3 })).choice[matmulShapeClass(SHORT)]).toBe('auto');
    // The same load on the default in that round (paired): tile32 still wins it.
    let m = 0;
    const paired: VariantTimer = (v) => Promise.resolve((v === 'tile32' ? 5 : 10) * (m++ < 3 ? 100 : 1));
    const { choice, classes } = await tuneMatmul([SHORT], { time: paired, rounds: 3 });
    expect(choice[matmulShapeClass(SHORT)]).toBe('tile32');
    expect(classes[0].medians.tile32).toBe(5);
  });

  it('too few rounds within the budget keeps the default', async () => {
    let clock = 0;
    const time: VariantTimer = (v) => { clock += 400; return Promise.resolve(v === 'auto' ? 10 : 1); };
    const { choice } = await tuneMatmul([SHORT], { time, rounds: 3, budgetMs: 1000, now: () => clock });
    expect(choice[matmulShapeClass(SHORT)]).toBe('auto');
  });

  it('stops starting rounds when its budget is spent (one round always runs)', async () => {
    let clock = 0;
    const time: VariantTimer = () => { clock += 400; return Promise.resolve(1); };
    const progress: number[] = [];
    const { classes } = await tuneMatmul([SHORT, WIDE], { time, rounds: 5, budgetMs: 1000, now: () => clock, onProgress: (d) => progress.push(d) });
    // 500 ms per class; a round of 3 candidates takes 1200 ms: one round each.
    expect(classes.map((c) => c.rounds)).toEqual([1, 1]);
    expect(progress.at(-1)).toBe(10);
  });
});

describe('tuning cache and WEBGPU_TUNE', () => {
  it('cache key: vendor, architecture, device, description and the variants version', () => {
    const key = tuningCacheKey({ vendor: 'mesa', architecture: 'llvm', device: 'llvmpipe', description: 'Mesa 22.3.6' });
    expect(key).toBe(`mesa | llvm | llvmpipe | Mesa 22.3.6 # matmul variants v${TUNING_VERSION}`);
    expect(tuningCacheKey({ vendor: 'mesa', architecture: 'llvm', device: 'llvmpipe', description: 'Mesa 23.0' })).not.toBe(key);
  });

  it('cache path: $XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultTuningCachePath({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/weighted-transformer-playground/kernel-tuning.json');
    expect(defaultTuningCachePath({})).toMatch(/\.cache\/weighted-transformer-playground\/kernel-tuning\.json$/);
  });

  it('file round trip, directories created', () => {
    const path = tmpCache();
    const cache = { version: TUNING_VERSION, adapters: { a: { tunedAt: '2026-12-04T00:00:00.000Z', matmul: { [matmulShapeClass(SHORT)]: 'tile32' as const } } } };
    writeTuningCache(path, cache);
    expect(readTuningCache(path, () => { throw new Error('no warning expected'); })).toEqual(cache);
  });

  it('a missing file is an empty cache; a corrupt or invalid one is ignored with a warning, not a crash', () => {
    const warnings: string[] = [];
    expect(readTuningCache(join(tmpdir(), 'no-such-dir-xyz', 'f.json'), (m) => warnings.push(m)).adapters).toEqual({});
    expect(warnings).toEqual([]);
    const path = tmpCache();
    writeTuningCache(path, { version: TUNING_VERSION, adapters: {} });
    for (const text of ['{"version": 1, "adapt', JSON.stringify({ version: TUNING_VERSION, adapters: { a: { tunedAt: 'x', matmul: { c: 'tile999' } } } }), '[1,2]']) {
      writeFileSync(path, text);
      expect(readTuningCache(path, (m) => warnings.push(m)).adapters).toEqual({});
    }
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain(`kernel tuning cache ${path} ignored`);
    expect(warnings[1]).toContain('entry "a"');
  });

  it('WEBGPU_TUNE: off under vitest/Playwright unless set, auto otherwise; unknown values refused', () => {
    expect(tuneMode({ VITEST: 'true' })).toBe('off');
    expect(tuneMode({ PLAYWRIGHT_TEST: '1' })).toBe('off');
    expect(tuneMode({})).toBe('auto');
    expect(tuneMode({ VITEST: 'true', WEBGPU_TUNE: 'fresh' })).toBe('fresh');
    expect(tuneMode({ WEBGPU_TUNE: 'off' })).toBe('off');
    expect(tuneMode({ WEBGPU_TUNE: 'auto' })).toBe('auto');
    expect(() => tuneMode({ WEBGPU_TUNE: 'yes' })).toThrow('WEBGPU_TUNE=yes: expected one of off, fresh, auto');
    expect(tuneMode()).toBe('off'); // this test runs under vitest
  });

  it('off times nothing; auto tunes once then reads the cache, adding only new classes; fresh tunes again', async () => {
    const cachePath = tmpCache();
    const t = fakeTimer({ auto: 10, tile32: 5 });
    const off = await resolveKernelChoice('adapter', [SHORT], t.time, { mode: 'off', cachePath });
    expect(off).toEqual({ choice: undefined, source: 'off', classes: [] });
    expect(t.calls).toEqual([]);

    const first = await resolveKernelChoice('adapter', [SHORT], t.time, { mode: 'auto', cachePath, rounds: 1 });
    expect(first.source).toBe('tuned');
    expect(first.choice).toEqual({ matmul: { [matmulShapeClass(SHORT)]: 'tile32' } });
    expect(t.calls).toHaveLength(3);
    expect((JSON.parse(readFileSync(cachePath, 'utf8')) as { adapters: Record<string, unknown> }).adapters.adapter).toBeDefined();

    const again = await resolveKernelChoice('adapter', [SHORT], t.time, { mode: 'auto', cachePath });
    expect(again.source).toBe('cache');
    expect(again.choice).toEqual(first.choice);
    expect(t.calls).toHaveLength(3);

    const more = await resolveKernelChoice('adapter', [SHORT, WIDE], t.time, { mode: 'auto', cachePath, rounds: 1 });
    expect(more.source).toBe('tuned');
    expect(t.calls.slice(3).every(([, cls]) => cls === matmulShapeClass(WIDE))).toBe(true);
    expect(Object.keys(more.choice!.matmul!)).toEqual([matmulShapeClass(SHORT), matmulShapeClass(WIDE)]);

    const other = await resolveKernelChoice('other adapter', [SHORT], fakeTimer({ auto: 1 }).time, { mode: 'auto', cachePath, rounds: 1 });
    expect(other.choice).toEqual({ matmul: { [matmulShapeClass(SHORT)]: 'auto' } });

    const before = t.calls.length;
    const fresh = await resolveKernelChoice('adapter', [SHORT], fakeTimer({ auto: 1, tile32: 5 }).time, { mode: 'fresh', cachePath, rounds: 1 });
    expect(fresh.source).toBe('tuned');
    expect(fresh.choice).toEqual({ matmul: { [matmulShapeClass(SHORT)]: 'auto' } });
    expect(t.calls.length).toBe(before);
    expect(readTuningCache(cachePath).adapters.adapter.matmul).toEqual({ [matmulShapeClass(SHORT)]: 'auto' });
    expect(readTuningCache(cachePath).adapters['other adapter']).toBeDefined();
  });

  it('tunes on the test adapter: a median per candidate, a winner among them, the cache written', async () => {
    const gpu = await testGpu();
    const cachePath = tmpCache();
    const shape: TuneShape = { m: 96, n: 64, k: 32 };
    const { choice, classes, source } = await tuneForGpu(gpu, [shape], { mode: 'fresh', cachePath, rounds: 1 });
    expect(source).toBe('tuned');
    expect(Object.keys(classes[0].medians).sort()).toEqual([...candidates(shape)].sort());
    for (const ms of Object.values(classes[0].medians)) expect(ms).toBeGreaterThan(0);
    expect(candidates(shape)).toContain(choice!.matmul![matmulShapeClass(shape)]);
    expect(gpu.uncapturedErrors).toEqual([]);
  });
});
