// κ/α entropies and events on synthetic weight series.
import { describe, expect, it } from 'vitest';
import { branchEvents, BranchTracker, entropy, layerName, type BranchSnapshot } from '../../src/experiments/entropy.ts';

const u = [0.25, 0.25, 0.25, 0.25];

/** Steps 1..n; enc.1's κ loses branch 3 (index 2) to 0 from step `pinFrom`; dec.0's α collapses onto branch 1 from `collapseFrom`. */
function series(n: number, pinFrom: number, collapseFrom: number): BranchSnapshot[] {
  return Array.from({ length: n }, (_, i) => {
    const step = i + 1;
    const kappa = step >= pinFrom ? [0.5, 0.3, 0, 0.2] : [0.4, 0.3, 0.1, 0.2];
    const alpha = step >= collapseFrom ? [0.97, 0.01, 0.01, 0.01] : u;
    return { step, branches: [{ layer: 'enc.0', kappa: u, alpha: u }, { layer: 'enc.1', kappa, alpha: u }, { layer: 'dec.0', kappa: u, alpha }] };
  });
}

describe('entropy', () => {
  it('is log M for uniform weights and 0 for one branch', () => {
    expect(entropy(u)).toBeCloseTo(Math.log(4), 12);
    expect(entropy([1, 0, 0, 0])).toBe(0);
    expect(entropy([0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
  });

  it('gives a series per layer over the steps', () => {
    const t = new BranchTracker();
    for (const s of series(30, 11, 100)) t.add(s);
    const e = t.series();
    expect(e.layers).toEqual(['enc.0', 'enc.1', 'dec.0']);
    expect(e.steps).toHaveLength(30);
    expect(e.kappa[0].every((h) => Math.abs(h - Math.log(4)) < 1e-12)).toBe(true);
    expect(e.kappa[1][20]).toBeCloseTo(entropy([0.5, 0.3, 0.2]), 12);
    expect(e.kappa[1][20]).toBeLessThan(e.kappa[1][0]);
  });
});

describe('events', () => {
  it('finds a branch pinned at 0 by the projection and a collapse, named from 1', () => {
    const events = branchEvents(series(200, 140, 150));
    expect(events.map((e) => e.text)).toEqual([
      'encoder layer 2: κ branch 3 pinned at 0 by the projection from step 140',
      'decoder layer 1: α collapsed onto branch 1 (≥ 0.95) from step 150',
    ]);
    expect(events[0]).toMatchObject({ kind: 'pinned', layer: 'enc.1', which: 'kappa', branch: 2, from: 140, until: null });
    expect(events[1]).toMatchObject({ kind: 'collapsed', layer: 'dec.0', which: 'alpha', branch: 0, from: 150, until: null });
    expect(layerName('dec.3')).toBe('decoder layer 4');
  });

  it('gives a run that ended its last step, and ignores runs shorter than minSteps', () => {
    const s = series(100, 20, 1000).map((x) => (x.step > 60 ? { ...x, branches: x.branches.map((b) => (b.layer === 'enc.1' ? { ...b, kappa: [0.4, 0.3, 0.1, 0.2] } : b)) } : x));
    const [e] = branchEvents(s);
    expect(e.text).toBe('encoder layer 2: κ branch 3 pinned at 0 by the projection from step 20 to step 60');
    expect(branchEvents(series(100, 95, 1000))).toEqual([]); // 6 steps < 10
    expect(branchEvents(series(100, 95, 1000), { minSteps: 5 })).toHaveLength(1);
  });
});
