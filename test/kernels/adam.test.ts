// Adam: the reference against hand-computed steps and model.md's form; the GPU kernel against the
// reference over ranges, groups and several steps (schedule rewrites only); clipping; NaN skips the step;
// the update guard skips a step whose update would overflow.
import { describe, expect, it } from 'vitest';
import { gpuObjects, testGpu } from '../helpers/gpu.ts';
import { withLimits, type Gpu } from '../../src/gpu/device.ts';
import { readTensor, uploadTensor, type GpuTensor } from '../../src/gpu/tensor.ts';
import { runDispatches } from '../../src/gpu/kernel.ts';
import { adamGuard, adamUpdate, createAdamSchedule, ADAM_DEFAULTS } from '../../src/gpu/kernels/adam.ts';
import { createStepStatus, gradNorm, readStepStatus } from '../../src/gpu/kernels/grad_norm.ts';
import { simplexProject } from '../../src/gpu/kernels/simplex.ts';
import * as ref from '../../src/reference/adam.ts';
import { gradNorm as refGradNorm } from '../../src/reference/grad_norm.ts';
import { assertClose } from '../../src/testing/compare.ts';
import { randomF32 } from '../../src/testing/random.ts';

const P_TOL = { atol: 1e-6, rtol: 1e-6 };
const M_TOL = { atol: 2e-8, rtol: 2e-6 }; // m sums terms of opposite sign ~0.1|g|: absolute f32 error
const V_TOL = { atol: 1e-10, rtol: 4e-6 };

interface Flat { params: GpuTensor<'f32'>; grads: GpuTensor<'f32'>; m: GpuTensor<'f32'>; v: GpuTensor<'f32'> }

function uploadFlat(gpu: Gpu, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array): Flat {
  const n = p.length;
  return { params: uploadTensor(gpu, p, [n]), grads: uploadTensor(gpu, g, [n]), m: uploadTensor(gpu, m, [n]), v: uploadTensor(gpu, v, [n]) };
}

async function readFlat(gpu: Gpu, f: Flat): Promise<{ params: Float32Array; m: Float32Array; v: Float32Array }> {
  return { params: await readTensor(gpu, f.params), m: await readTensor(gpu, f.m), v: await readTensor(gpu, f.v) };
}

describe('adam reference', () => {
  it('matches hand-computed steps (lr 0.1, g = 2, 1, -0.5 from p = 1, m = v = 0)', () => {
    // t=1: m = 0.1*2 = 0.2, v = 0.02*4 = 0.08; m_hat = 0.2/0.1 = 2, v_hat = 0.08/0.02 = 4; p = 1 - 0.1*2/(2+1e-9)
    // t=2: m = 0.18+0.1 = 0.28, v = 0.0784+0.02 = 0.0984; m_hat = 0.28/0.19, v_hat = 0.0984/0.0396
    // t=3: m = 0.252-0.05 = 0.202, v = 0.096432+0.005 = 0.101432; bc1 = 0.271, bc2 = 0.058808
    const expected = [
      { p: 1 - 0.2 / (2 + 1e-9), m: 0.2, v: 0.08 },
      { p: 0.8065123003655537, m: 0.28, v: 0.0984 },
      { p: 0.7497561685481055, m: 0.202, v: 0.101432 },
    ];
    let s: ref.AdamState = { params: Float64Array.of(1), m: Float64Array.of(0), v: Float64Array.of(0) };
    [2, 1, -0.5].forEach((g, k) => {
      s = ref.adamUpdate(s.params, [g], s.m, s.v, { offset: 0, count: 1, step: k + 1, lr: 0.1 });
      assertClose(`t=${k + 1}`, [s.params[0], s.m[0], s.v[0]], [expected[k].p, expected[k].m, expected[k].v], { atol: 1e-14, rtol: 1e-12 });
    });
  });

  it("PyTorch's form equals model.md's form up to rounding", () => {
    const n = 200, p = randomF32(n, 1), g = randomF32(n, 2), m = randomF32(n, 3, -0.1, 0.1), v = randomF32(n, 4, 0, 0.01);
    const o = { offset: 0, count: n, step: 7, lr: 3e-3 };
    const a = ref.adamUpdate(p, g, m, v, o), b = ref.adamUpdateSpec(p, g, m, v, o);
    assertClose('params', a.params, b.params, { atol: 1e-15, rtol: 1e-13 });
    assertClose('m', a.m, b.m, { atol: 1e-17, rtol: 1e-13 });
  });
});

describe('adam kernel', () => {
  it('past one storage binding: update and guard per window, the same bits as one binding', async () => {
    const gpu = await testGpu();
    const small = withLimits(gpu, { maxStorageBufferBindingSize: 4096 }); // 1024 elements per window
    const n = 5000, ranges = [{ offset: 0, count: 3011, group: 0 }, { offset: 3011, count: 1980, group: 1 }];
    const p0 = randomF32(n, 20), m0 = randomF32(n, 21, -0.01, 0.01), v0 = randomF32(n, 22, 0, 1e-4), g = randomF32(n, 23);
    const [a, b] = [uploadFlat(gpu, p0, g, m0, v0), uploadFlat(gpu, p0, g, m0, v0)];
    const schedule = createAdamSchedule(gpu, 2);
    schedule.write(2, [1e-3, 3e-2]);
    const run = async (view: typeof gpu, flat: typeof a) => {
      const bufs = { ...flat, status: createStepStatus(gpu), schedule };
      const dispatches = [...adamGuard(view, bufs, ranges), ...adamUpdate(view, bufs, ranges)];
      await runDispatches(gpu, dispatches);
      return dispatches.length;
    };
    // One binding: one guard check + final, one update for both groups; windows of 1024: 5 of each.
    expect(await run(gpu, a)).toBe(3);
    expect(await run(small, b)).toBe(11);
    expect(await readFlat(gpu, b)).toEqual(await readFlat(gpu, a));
  });

  // Both groups in one dispatch (the trainer's step) against the reference run range by range.
  it.for([false, true])('two groups over ranges (one dispatch: %s), three steps with rewritten schedule, matches the reference', async (oneDispatch) => {
    const gpu = await testGpu();
    const n = 3000, ranges = [{ offset: 0, count: 1700, group: 0 }, { offset: 1700, count: 1290, group: 1 }];
    const p0 = randomF32(n, 10), m0 = randomF32(n, 11, -0.01, 0.01), v0 = randomF32(n, 12, 0, 1e-4);
    const flat = uploadFlat(gpu, p0, new Float32Array(n), m0, v0);
    const status = createStepStatus(gpu), schedule = createAdamSchedule(gpu, 2);
    const dispatches = oneDispatch ? adamUpdate(gpu, { ...flat, status, schedule }, ranges) : ranges.flatMap((r) => adamUpdate(gpu, { ...flat, status, schedule }, r));
    expect(dispatches.length).toBe(oneDispatch ? 1 : 2);
    const before = gpuObjects(gpu);
    let want: ref.AdamState = { params: Float64Array.from(p0), m: Float64Array.from(m0), v: Float64Array.from(v0) };
    for (let step = 1; step <= 3; step++) {
      const g = randomF32(n, 100 + step), lrs = [1e-3 * step, 5e-2 / step];
      gpu.device.queue.writeBuffer(flat.grads.buffer, 0, g);
      schedule.write(step, lrs);
      await runDispatches(gpu, dispatches);
      for (const r of ranges) want = ref.adamUpdate(want.params, g, want.m, want.v, { ...r, step, lr: lrs[r.group] });
      const got = await readFlat(gpu, flat);
      assertClose(`params step ${step}`, got.params, want.params, P_TOL);
      assertClose(`m step ${step}`, got.m, want.m, M_TOL);
      assertClose(`v step ${step}`, got.v, want.v, V_TOL);
    }
    expect(Array.from((await readTensor(gpu, flat.params)).subarray(2990))).toEqual(Array.from(p0.subarray(2990)));
    expect(gpuObjects(gpu)).toEqual(before);
  });

  it('applies the clip scale from the step status', async () => {
    const gpu = await testGpu();
    const n = 777, clip = 2;
    const p0 = randomF32(n, 20), g = randomF32(n, 21, -1, 1), zeros = new Float32Array(n);
    const flat = uploadFlat(gpu, p0, g, zeros, zeros);
    const status = createStepStatus(gpu), schedule = createAdamSchedule(gpu, 1);
    schedule.write(1, [0.01]);
    await runDispatches(gpu, [...gradNorm(gpu, flat.grads, status, { clip }).dispatches, ...adamUpdate(gpu, { ...flat, status, schedule }, { group: 0 })]);
    const { clipScale } = refGradNorm(g, 0, n, clip);
    expect(clipScale).toBeLessThan(0.5);
    expect((await readStepStatus(gpu, status)).clipScale).toBeCloseTo(clipScale, 6);
    const want = ref.adamUpdate(p0, g, zeros, zeros, { offset: 0, count: n, step: 1, lr: 0.01, clipScale });
    const got = await readFlat(gpu, flat);
    assertClose('params', got.params, want.params, P_TOL);
    assertClose('m', got.m, want.m, M_TOL);
    assertClose('v', got.v, want.v, V_TOL);
  });

  it('a NaN gradient sets the flag and leaves params, m, v (and kappa/alpha) untouched', async () => {
    const gpu = await testGpu();
    const n = 1000, m = 4;
    const g = randomF32(n, 30);
    g[512] = NaN;
    const p0 = randomF32(n, 31, 0, 1), m0 = randomF32(n, 32), v0 = randomF32(n, 33, 0, 1);
    const flat = uploadFlat(gpu, p0, g, m0, v0);
    const status = createStepStatus(gpu), schedule = createAdamSchedule(gpu, 1);
    schedule.write(5, [0.1]);
    await runDispatches(gpu, [
      ...gradNorm(gpu, flat.grads, status, { clip: 1 }).dispatches,
      ...adamUpdate(gpu, { ...flat, status, schedule }, { group: 0 }),
      simplexProject(gpu, flat.params, status, { offset: n - 3 * m, rows: 3, m }),
    ]);
    const s = await readStepStatus(gpu, status);
    expect(s.nonfinite).toBe(true);
    expect(s.skipped).toBe(1);
    const got = await readFlat(gpu, flat);
    expect(Array.from(got.params)).toEqual(Array.from(p0));
    expect(Array.from(got.m)).toEqual(Array.from(m0));
    expect(Array.from(got.v)).toEqual(Array.from(v0));
  });

  it('the update guard: an update that would overflow sets status 2 and nothing is written; a finite one changes nothing', async () => {
    const gpu = await testGpu();
    const n = 70000, ranges = [{ offset: 0, count: 40000, group: 0 }, { offset: 40000, count: 30000, group: 1 }];
    const p0 = randomF32(n, 41), g = randomF32(n, 42), m0 = randomF32(n, 43, -0.1, 0.1), v0 = randomF32(n, 44, 0, 0.01);
    for (const [lrs, overflow] of [[[1e-3, 2e-3], false], [[1e-3, 3e38], true]] as const) {
      const flat = uploadFlat(gpu, p0, g, m0, v0);
      const status = createStepStatus(gpu), schedule = createAdamSchedule(gpu, 2);
      schedule.write(3, lrs);
      const bufs = { ...flat, status, schedule };
      await runDispatches(gpu, [...gradNorm(gpu, flat.grads, status).dispatches, ...adamGuard(gpu, bufs, ranges), ...ranges.flatMap((r) => adamUpdate(gpu, bufs, r))]);
      const s = await readStepStatus(gpu, status);
      expect([s.nonfinite, s.nonfiniteUpdate, s.skipped]).toEqual(overflow ? [true, true, 1] : [false, false, 0]);
      expect(Number.isFinite(s.norm)).toBe(true);
      const got = await readFlat(gpu, flat);
      if (overflow) {
        expect(Array.from(got.params)).toEqual(Array.from(p0)); // the first range (a sane lr) is not written either
        expect(Array.from(got.m)).toEqual(Array.from(m0));
      } else {
        let want: ref.AdamState = { params: Float64Array.from(p0), m: Float64Array.from(m0), v: Float64Array.from(v0) };
        for (const r of ranges) want = ref.adamUpdate(want.params, g, want.m, want.v, { ...r, step: 3, lr: lrs[r.group] });
        assertClose('params', got.params, want.params, P_TOL);
      }
    }
  });

  it('launcher rejects mismatched buffers, bad ranges and groups', async () => {
    const gpu = await testGpu();
    const z = new Float32Array(10), flat = uploadFlat(gpu, z, z, z, z);
    const status = createStepStatus(gpu), schedule = createAdamSchedule(gpu, 2, ADAM_DEFAULTS);
    const bufs = { ...flat, status, schedule };
    expect(() => adamUpdate(gpu, { ...bufs, v: uploadTensor(gpu, new Float32Array(9), [9]) }, { group: 0 })).toThrow(/adamUpdate: v has 9/);
    expect(() => adamUpdate(gpu, bufs, { offset: 5, count: 6, group: 0 })).toThrow(/adamUpdate: range/);
    expect(() => adamUpdate(gpu, bufs, { group: 2 })).toThrow(/adamUpdate: group 2/);
    expect(() => schedule.write(0, [1, 1])).toThrow(/step 0/);
    expect(() => schedule.write(1, [1])).toThrow(/1 learning rates for 2 groups/);
  });
});
