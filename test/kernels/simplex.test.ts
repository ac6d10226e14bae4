// Simplex projection: the reference on hand cases and against an independent solver (bisection on the
// shift) and the closest-point property; the GPU kernel against the reference on (L, M) rows in place.
import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu.ts';
import { readTensor, uploadTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { simplexProject } from '../../src/gpu/kernels/simplex.ts';
import { createStepStatus } from '../../src/gpu/kernels/grad_norm.ts';
import * as ref from '../../src/reference/simplex.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { mulberry32, randomF32 } from '../../src/testing/random.ts';

const EXACTISH = { atol: 1e-15, rtol: 1e-12 };

/** Independent oracle: the shift lambda with sum max(x + lambda, 0) = 1, found by bisection. */
function projectByBisection(x: ArrayLike<number>): Float64Array {
  const xs = Array.from(x);
  let lo = -Math.max(...xs), hi = 1 - Math.max(...xs); // sum at lo is 0 <= 1, at hi >= 1
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    if (xs.reduce((s, v) => s + Math.max(v + mid, 0), 0) < 1) lo = mid;
    else hi = mid;
  }
  return Float64Array.from(xs, (v) => Math.max(v + (lo + hi) / 2, 0));
}

const dist2 = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, i) => s + (v - b[i]) ** 2, 0);

/** A random point of the simplex (normalized exponentials). */
function randomSimplexPoint(m: number, rand: () => number): Float64Array {
  const e = Float64Array.from({ length: m }, () => -Math.log(1 - rand()));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('simplex projection reference', () => {
  const cases: Array<[string, number[], number[]]> = [
    ['on the simplex', [0.2, 0.3, 0.5], [0.2, 0.3, 0.5]],
    ['a vertex', [0, 1, 0, 0], [0, 1, 0, 0]],
    ['all negative', [-1, -2, -3], [1, 0, 0]],
    ['all negative, tied', [-5, -5], [0.5, 0.5]],
    ['ties', [0.5, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]],
    ['tied top two', [2, 2, 0], [0.5, 0.5, 0]],
    ['shift down', [0.5, 0.5, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25]],
    ['partial support', [1, 0.5, -1], [0.75, 0.25, 0]],
    ['M = 1, negative', [-3], [1]],
    ['M = 1, large', [7], [1]],
  ];
  for (const [name, x, w] of cases) {
    it(`hand case: ${name}`, () => assertClose(name, ref.projectSimplex(x), w, EXACTISH));
  }

  it('random vectors (M = 1..16): sums to 1, >= 0, equals bisection, and no simplex point is closer', () => {
    const rand = mulberry32(42);
    for (let trial = 0; trial < 160; trial++) {
      const m = 1 + (trial % 16), scale = [0.1, 1, 10][trial % 3];
      const x = Float64Array.from({ length: m }, () => scale * (2 * rand() - 1));
      const w = ref.projectSimplex(x);
      expect(Math.abs(w.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      expect(Math.min(...w)).toBeGreaterThanOrEqual(0);
      assertClose(`bisection m=${m}`, w, projectByBisection(x), { atol: 1e-12, rtol: 0 });
      const best = dist2(x, w);
      for (let k = 0; k < 50; k++) expect(dist2(x, randomSimplexPoint(m, rand))).toBeGreaterThanOrEqual(best - 1e-12);
      // Local moves along the simplex (mass from j to i) never get closer: the convex problem's optimality.
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          if (i === j || w[j] === 0) continue;
          const z = Float64Array.from(w), t = Math.min(w[j], 1e-3);
          z[i] += t;
          z[j] -= t;
          expect(dist2(x, z)).toBeGreaterThanOrEqual(best - 1e-12);
        }
      }
    }
  });

  it('projecting rows of a flat buffer leaves everything else alone; nonfinite skips', () => {
    const flat = Float64Array.from(randomF32(20, 1));
    const out = ref.simplexProject(flat, { offset: 2, rows: 3, m: 4, stride: 5 });
    for (const i of [0, 1, 6, 11, 16, 17, 18, 19]) expect(out[i]).toBe(flat[i]);
    assertClose('row 1', out.subarray(7, 11), ref.projectSimplex(flat.subarray(7, 11)), EXACTISH);
    expect(Array.from(ref.simplexProject(flat, { offset: 2, rows: 3, m: 4, nonfinite: true }))).toEqual(Array.from(flat));
  });
});

describe('simplex projection kernel', () => {
  for (const [m, rows, stride] of [[1, 5, 1], [3, 37, 3], [4, 70, 6], [8, 65, 8], [16, 33, 16]] as const) {
    it(`(L=${rows}, M=${m}) rows at stride ${stride} match the reference`, async () => {
      const gpu = await testGpu();
      const offset = 7, total = offset + rows * stride + 5;
      const x = randomF32(total, m * 100 + rows, -2, 2);
      x.fill(0.25, offset, offset + m); // row 0: ties (and on the simplex when m = 4)
      if (rows > 1) x.fill(-1, offset + stride, offset + stride + m); // row 1: all negative, tied
      const params = uploadTensor(gpu, x, [total], 'f32');
      await runDispatches(gpu, [simplexProject(gpu, params, createStepStatus(gpu), { offset, rows, m, stride })]);
      const got = await readTensor(gpu, params);
      assertClose('projected', got, ref.simplexProject(x, { offset, rows, m, stride }), { atol: 1e-6, rtol: 1e-6 });
      for (let r = 0; r < rows; r++) {
        const row = got.subarray(offset + r * stride, offset + r * stride + m);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
        expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
      }
    });
  }

  it('writes nothing when the step status says non-finite', async () => {
    const gpu = await testGpu();
    const x = randomF32(64, 5, -2, 2);
    const params = uploadTensor(gpu, x, [64]);
    const status = uploadTensor(gpu, Uint32Array.of(0x7fc00000, 1, 0x3f800000, 1), [4], 'u32');
    await runDispatches(gpu, [simplexProject(gpu, params, status, { offset: 0, rows: 4, m: 16 })]);
    expect(Array.from(await readTensor(gpu, params))).toEqual(Array.from(x));
  });

  it('launcher rejects M > 16, overlapping rows and rows past the buffer', async () => {
    const gpu = await testGpu();
    const params = uploadTensor(gpu, new Float32Array(40), [40]), status = createStepStatus(gpu);
    expect(() => simplexProject(gpu, params, status, { offset: 0, rows: 2, m: 17 })).toThrow(/simplexProject: M = 17/);
    expect(() => simplexProject(gpu, params, status, { offset: 0, rows: 2, m: 4, stride: 3 })).toThrow(/simplexProject: stride/);
    expect(() => simplexProject(gpu, params, status, { offset: 30, rows: 3, m: 4 })).toThrow(/simplexProject: 3 rows/);
  });
});
