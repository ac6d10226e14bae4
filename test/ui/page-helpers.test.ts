// The page's small pure helpers of issue 13, each against values worked out by hand: the branch-flow
// diagram's stroke widths and pinned steps, ETAs and the slow-preset offer, software adapter names, round
// chart ticks, the "steps to target" column, and the label of a "new run with this change".
import { describe, expect, it } from 'vitest';
import { layerName, MAX_STROKE, MIN_STROKE, pinnedSince, sparkPoints, stackOrder, strokeWidth } from '../../src/ui/branch-flow.ts';
import { benchEta, compileText, etaSeconds, formatDuration, slowPreset, softwareAdapter } from '../../src/ui/eta.ts';
import { benchProgress, initialBenchState } from '../../src/ui/bench-client.ts';
import { niceStep, niceTicks, tickDecimals } from '../../src/ui/chart-data.ts';
import { changedFields, changeLabel, stepsToTarget } from '../../src/ui/runs.ts';
import { defaultValues, withField } from '../../src/ui/schema.ts';

describe('branch flow', () => {
  it('stroke width grows linearly with the weight; 0 and non-finite get a hairline', () => {
    expect(strokeWidth(0)).toBe(MIN_STROKE);
    expect(strokeWidth(NaN)).toBe(MIN_STROKE);
    expect(strokeWidth(1)).toBeCloseTo(MAX_STROKE, 12);
    expect(strokeWidth(0.5)).toBeCloseTo((MIN_STROKE + MAX_STROKE) / 2, 12);
    expect(strokeWidth(0.3)).toBeLessThan(strokeWidth(0.31));
  });

  it('pinnedSince: the first step of the trailing run of exact zeros', () => {
    const steps = [1, 2, 3, 4, 5];
    const h = [[0.5, 0.5], [0.6, 0.4], [1, 0], [0.9, 0.1], [1, 0]];
    expect(pinnedSince(h, steps, 1)).toBe(5); // zero at 3, back up at 4, zero again from 5
    expect(pinnedSince(h, steps, 0)).toBeNull();
    expect(pinnedSince([[1, 0], [1, 0], [1, 0]], [10, 20, 30], 1)).toBe(10);
    expect(pinnedSince([[0.5, 1e-9]], [7], 1)).toBeNull(); // tiny is not pinned
    expect(pinnedSince([], [], 0)).toBeNull();
  });

  it('stacks encoder layers before decoder layers, names the decoder block its cross-attention', () => {
    expect(stackOrder(['dec.1', 'enc.1', 'dec.0', 'enc.0'])).toEqual(['enc.0', 'enc.1', 'dec.0', 'dec.1']);
    expect(layerName('dec.0')).toEqual({ side: 'dec', index: 0, title: 'Decoder layer 1 · cross-attention' });
    expect(layerName('enc.2').title).toBe('Encoder layer 3 · self-attention');
  });

  it('sparkline points span the width, 1 at the top and 0 at the bottom', () => {
    expect(sparkPoints([0, 1, 0.5], 100, 10)).toBe('0.0,10.0 50.0,0.0 100.0,5.0');
    expect(sparkPoints([], 100, 10)).toBe('');
    expect(sparkPoints(Array.from({ length: 1000 }, () => 0.5), 100, 10, 50).split(' ').length).toBeLessThanOrEqual(51);
  });
});

describe('ETA and the first minute', () => {
  it('formats durations', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(2000 / 0.07)).toBe('7 h 56 min');
    expect(formatDuration(5 * 86400)).toBe('5.0 days');
    expect(formatDuration(NaN)).toBe('unknown');
  });

  it('ETA = remaining steps / rate; no rate, no ETA', () => {
    expect(etaSeconds(100, 1000, 3)).toBe(300);
    expect(etaSeconds(1200, 1000, 3)).toBe(0);
    expect(etaSeconds(0, 1000, 0)).toBeNull();
  });

  it('names the compile phases', () => {
    expect(compileText({ phase: 'shaders', done: 18, total: 42 })).toBe('compiling kernels 18/42');
    expect(compileText({ phase: 'first-step', done: 0, total: 1 })).toBe('first step…');
    expect(compileText({ phase: 'shaders', done: 0, total: 0 })).toBe('compiling kernels: already made');
  });

  it('offers micro only when a measured non-micro run needs over 3 minutes for 200 steps', () => {
    expect(slowPreset('tiny', 0.07, 5, 2000)).toEqual({ preset: 'tiny', stepsPerSec: 0.07, runSeconds: 2000 / 0.07, steps: 2000 });
    expect(slowPreset('tiny', 2, 5, 2000)).toBeNull(); // 200 steps in 100 s
    expect(slowPreset('tiny', 1, 5, 2000)).not.toBeNull(); // 200 steps in 200 s > 180 s
    expect(slowPreset('tiny', 1.2, 5, 2000)).toBeNull(); // 167 s
    expect(slowPreset('tiny', 1, 2, 2000)).toBeNull(); // not measured yet
    expect(slowPreset('micro', 0.01, 5, 2000)).toBeNull();
    expect(slowPreset('tiny', 0.5, 5, 50)).toBeNull(); // a 50-step run: 100 s
  });

  it('names software adapters', () => {
    expect(softwareAdapter('Google SwiftShader (Vulkan)')).toBe('SwiftShader');
    expect(softwareAdapter('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe('llvmpipe');
    expect(softwareAdapter('mesa lavapipe')).toBe('lavapipe');
    expect(softwareAdapter('NVIDIA GeForce RTX 4090')).toBeNull();
  });
});

describe('round ticks', () => {
  it('7.32..7.50 gets ticks 0.05 apart, not odd values', () => {
    const { ticks, domain } = niceTicks(7.32, 7.5, 5);
    expect(ticks).toEqual([7.3, 7.35, 7.4, 7.45, 7.5]);
    expect(domain).toEqual([7.3, 7.5]);
    expect(tickDecimals(ticks)).toBe(2);
  });

  it('steps are 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(0.9, 5)).toBe(0.2);
    expect(niceStep(12, 5)).toBe(2.5);
    expect(niceTicks(0, 37, 4).ticks).toEqual([0, 10, 20, 30, 40]);
    expect(tickDecimals([0, 10])).toBe(0);
    expect(tickDecimals([0, 0.25])).toBe(2);
  });

  it('a flat series gets a band around its value', () => {
    const { domain } = niceTicks(2, 2);
    expect(domain[0]).toBeLessThan(2);
    expect(domain[1]).toBeGreaterThan(2);
  });
});

describe('steps to target', () => {
  const m = { steps: [10, 20, 30, 40], tokens: [100, 200, 300, 400], dev: [{ step: 20, loss: 3.1 }, { step: 40, loss: 2.4 }, { step: 30, loss: 2.9 }] };
  it('the first dev evaluation at or below the target, with the tokens seen by then', () => {
    expect(stepsToTarget(m, 3)).toEqual({ step: 30, tokens: 300 });
    expect(stepsToTarget(m, 2.4)).toEqual({ step: 40, tokens: 400 });
    expect(stepsToTarget(m, 5)).toEqual({ step: 20, tokens: 200 });
  });
  it('never reached, or a target that is not a positive number: null', () => {
    expect(stepsToTarget(m, 1)).toBeNull();
    expect(stepsToTarget(m, 0)).toBeNull();
    expect(stepsToTarget(m, NaN)).toBeNull();
  });
  it('a dev step without metrics on the page has no token count', () => {
    expect(stepsToTarget({ steps: [], tokens: [], dev: [{ step: 5, loss: 1 }] }, 2)).toEqual({ step: 5, tokens: null });
  });
});

describe('a new run with this change', () => {
  it('lists the fields that train differently, not the live or page-only ones', () => {
    const base = defaultValues();
    const next = { ...withField(base, 'dModel', 32), lrScale: 2, autosaveEvery: 5, compare: 'off' as const };
    expect(changedFields(base, next).map((c) => c.name)).toEqual(['dModel']);
    expect(changedFields(base, next)[0]).toMatchObject({ from: base.dModel, to: 32 });
    expect(changeLabel(changedFields(base, next))).toBe('d_model 32');
  });
  it('labels selects by their option', () => {
    const base = defaultValues();
    const next = { ...base, variant: 'baseline' as const, steps: 500 };
    expect(changeLabel(changedFields(base, next))).toBe('Variant multi-head baseline · Steps 500');
    expect(changeLabel([])).toBe('same settings');
  });
});

describe("the Bench view's progress and ETA", () => {
  const plan = { matmulTotal: 4, presetsTotal: 2 };
  it('is unknown until each kind of remaining work has been measured', () => {
    expect(benchEta({ ...plan, matmulDone: 0, presetsDone: 0, elapsed: 5, matmulSeconds: 5 })).toEqual({ fraction: 0, seconds: null });
    expect(benchEta({ ...plan, matmulDone: 4, presetsDone: 0, elapsed: 8, matmulSeconds: 8 })).toEqual({ fraction: 4 / 6, seconds: null });
  });
  it('adds the remaining rows at their measured rates', () => {
    // 4 matmul rows in 8 s, 1 preset in 30 s: one preset left.
    expect(benchEta({ ...plan, matmulDone: 4, presetsDone: 1, elapsed: 38, matmulSeconds: 8 })).toEqual({ fraction: 5 / 6, seconds: 30 });
    expect(benchEta({ matmulTotal: 4, presetsTotal: 0, matmulDone: 1, presetsDone: 0, elapsed: 2, matmulSeconds: 2 })).toEqual({ fraction: 0.25, seconds: 6 });
    expect(benchEta({ ...plan, matmulDone: 4, presetsDone: 2, elapsed: 70, matmulSeconds: 8 })).toEqual({ fraction: 1, seconds: 0 });
  });
  it('counts down from the last finished row in the client state', () => {
    const s = { ...initialBenchState, status: 'running' as const, plan: { matmul: 1, presets: 1 }, startedAt: 0, lastMatmulAt: 2000, matmul: [{}, {}] as never[] };
    expect(benchProgress({ ...s, matmul: [{}] as never[] }, 3000)).toEqual({ fraction: 0.5, secondsLeft: null });
    const one = { ...s, plan: { matmul: 2, presets: 0 }, matmul: [{}] as never[] };
    expect(benchProgress(one, 2500)).toEqual({ fraction: 0.5, secondsLeft: 1.5 }); // 2 s per row, 0.5 s spent on the next
    expect(benchProgress(initialBenchState, 0)).toBeNull();
  });
});
