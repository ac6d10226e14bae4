// Series → chart rows: the debiased EMA, the thinning of long series, a run's series on the step or the
// tokens-seen axis, and the rows of the loss, comparison and κ/α charts.
import { describe, expect, it } from 'vitest';
import { comparisonRows, ema, lossRows, runSeries, thinIndices, weightRows, type RunSeries } from '../../src/ui/chart-data.ts';

describe('ema', () => {
  it('is debiased: the first value is kept, then the weighted mean of what came so far', () => {
    const out = ema([1, 2, 3], 0.5);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeCloseTo(5 / 3, 12); // (0.25·1 + 0.5·2) / 0.75
    expect(out[2]).toBeCloseTo(17 / 7, 12); // (0.125·1 + 0.25·2 + 0.5·3) / 0.875
  });

  it('a constant series stays constant (no pull towards 0 at the start)', () => {
    for (const v of ema([4, 4, 4, 4, 4], 0.99)) expect(v).toBeCloseTo(4, 12);
  });

  it('beta 0 is the identity; an empty series gives an empty one', () => {
    expect(ema([3, 1, 4, 1, 5], 0)).toEqual([3, 1, 4, 1, 5]);
    expect(ema([], 0.9)).toEqual([]);
  });

  it('a NaN or ±Inf repeats the previous smoothed value and does not poison the rest', () => {
    const out = ema([2, Number.NaN, Infinity, -Infinity, 4], 0.5);
    expect(out.slice(0, 4)).toEqual([2, 2, 2, 2]);
    expect(out[4]).toBeCloseTo(10 / 3, 12); // (0.25·2 + 0.5·4) / 0.75: the skipped points count for nothing
  });

  it('a non-finite first value comes out as is; smoothing starts at the next finite one', () => {
    const out = ema([Number.NaN, 6, 8], 0.5);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(6);
    expect(out[2]).toBeCloseTo((0.25 * 6 + 0.5 * 8) / 0.75, 12);
  });
});

describe('thinIndices', () => {
  it('keeps every index when there are at most max', () => {
    expect(thinIndices(0, 5)).toEqual([]);
    expect(thinIndices(1, 5)).toEqual([0]);
    expect(thinIndices(5, 5)).toEqual([0, 1, 2, 3, 4]);
  });

  it('strides evenly and always keeps the last index', () => {
    expect(thinIndices(9, 5)).toEqual([0, 2, 4, 6, 8]);
    expect(thinIndices(10, 5)).toEqual([0, 2, 4, 6, 9]);
    expect(thinIndices(10, 3)).toEqual([0, 4, 9]);
    expect(thinIndices(7, 4)).toEqual([0, 2, 4, 6]);
  });

  it('never returns more than max indices, increasing, from 0 to n-1', () => {
    for (const max of [2, 3, 7, 200, 400, 500]) {
      for (const n of [max + 1, max + 2, 2 * max - 1, 2 * max, 2 * max + 1, 3 * max + 7, 10_007]) {
        const idx = thinIndices(n, max);
        expect(idx.length, `n=${n} max=${max}`).toBeLessThanOrEqual(max);
        expect(idx[0]).toBe(0);
        expect(idx[idx.length - 1]).toBe(n - 1);
        for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
      }
    }
  });

  it('runs of nearly the same length share their thinned indices (comparison rows merge on x)', () => {
    const a = thinIndices(1000, 400), b = thinIndices(1003, 400);
    expect(a.slice(0, -1)).toEqual(b.slice(0, a.length - 1));
  });
});

const metrics = {
  steps: [1, 2, 3, 5],
  tokens: [10, 25, 40, 70],
  loss: [4, 3, 2.5, 2],
  dev: [{ step: 2, loss: 3.2 }, { step: 4, loss: 2.9 }, { step: 5, loss: 2.4 }],
};

describe('runSeries', () => {
  it('step axis: x is the step; every dev evaluation is kept at its step', () => {
    const s = runSeries(metrics, 'step');
    expect(s.xs).toEqual([1, 2, 3, 5]);
    expect(s.loss).toEqual(metrics.loss);
    expect(s.dev).toEqual([{ x: 2, loss: 3.2 }, { x: 4, loss: 2.9 }, { x: 5, loss: 2.4 }]);
  });

  it('tokens axis: x is tokens seen; a dev evaluation goes to the x of its step, or is dropped when that step has no metrics', () => {
    const s = runSeries(metrics, 'tokens');
    expect(s.xs).toEqual([10, 25, 40, 70]);
    expect(s.dev).toEqual([{ x: 25, loss: 3.2 }, { x: 70, loss: 2.4 }]);
  });

  it('an empty run has empty series', () => {
    expect(runSeries({ steps: [], tokens: [], loss: [], dev: [] }, 'tokens')).toEqual({ xs: [], loss: [], dev: [] });
  });
});

describe('lossRows', () => {
  it('merges the training loss and the dev loss by x, sorted, with the smoothed loss', () => {
    expect(lossRows(runSeries(metrics, 'step'), 0)).toEqual([
      { x: 1, loss: 4, smoothed: 4 },
      { x: 2, loss: 3, smoothed: 3, dev: 3.2 },
      { x: 3, loss: 2.5, smoothed: 2.5 },
      { x: 4, dev: 2.9 },
      { x: 5, loss: 2, smoothed: 2, dev: 2.4 },
    ]);
    expect(lossRows(runSeries(metrics, 'tokens'), 0)).toEqual([
      { x: 10, loss: 4, smoothed: 4 },
      { x: 25, loss: 3, smoothed: 3, dev: 3.2 },
      { x: 40, loss: 2.5, smoothed: 2.5 },
      { x: 70, loss: 2, smoothed: 2, dev: 2.4 },
    ]);
  });

  it('smooths over the whole series before thinning; dev points survive the thinning', () => {
    const rows = lossRows(runSeries(metrics, 'step'), 0.5, 2);
    const smoothed = ema(metrics.loss, 0.5);
    expect(rows).toEqual([
      { x: 1, loss: 4, smoothed: smoothed[0] },
      { x: 2, dev: 3.2 },
      { x: 4, dev: 2.9 },
      { x: 5, loss: 2, smoothed: smoothed[3], dev: 2.4 },
    ]);
  });

  it('a long run is thinned to at most max training points', () => {
    const n = 5000;
    const series: RunSeries = { xs: Array.from({ length: n }, (_, i) => i + 1), loss: Array.from({ length: n }, (_, i) => 10 / (i + 1)), dev: [] };
    const rows = lossRows(series, 0.9, 500);
    expect(rows.length).toBeLessThanOrEqual(500);
    expect(rows[0].x).toBe(1);
    expect(rows[rows.length - 1].x).toBe(n);
  });
});

describe('comparisonRows', () => {
  it('merges the runs on their shared x: <key> is the smoothed loss, <key>_dev the dev loss; sorted by x', () => {
    const r0: RunSeries = { xs: [10, 20, 30], loss: [5, 4, 3], dev: [{ x: 20, loss: 4.5 }] };
    const r1: RunSeries = { xs: [10, 15, 20], loss: [6, 5.5, 5], dev: [{ x: 20, loss: 5.2 }, { x: 25, loss: 5.1 }] };
    expect(comparisonRows([{ key: 'r0', series: r0 }, { key: 'r1', series: r1 }], 0)).toEqual([
      { x: 10, r0: 5, r1: 6 },
      { x: 15, r1: 5.5 },
      { x: 20, r0: 4, r1: 5, r0_dev: 4.5, r1_dev: 5.2 },
      { x: 25, r1_dev: 5.1 },
      { x: 30, r0: 3 },
    ]);
  });

  it('the values are the EMA of each run', () => {
    const loss = [5, 1, 3];
    const rows = comparisonRows([{ key: 'a', series: { xs: [1, 2, 3], loss, dev: [] } }], 0.5);
    expect(rows.map((r) => r.a)).toEqual(ema(loss, 0.5));
  });

  it('no runs, no rows', () => {
    expect(comparisonRows([], 0.9)).toEqual([]);
  });
});

describe('weightRows', () => {
  it('one row per step with b0, b1, ... the weight of each branch', () => {
    expect(weightRows([1, 2, 3], [[0.5, 0.5], [0.6, 0.4], [0.7, 0.3]])).toEqual([
      { step: 1, b0: 0.5, b1: 0.5 },
      { step: 2, b0: 0.6, b1: 0.4 },
      { step: 3, b0: 0.7, b1: 0.3 },
    ]);
  });

  it('thins to at most max rows, keeping the first and the last step', () => {
    const steps = [1, 2, 3, 4, 5];
    const series = steps.map((s) => [s / 10, 1 - s / 10]);
    expect(weightRows(steps, series, 3).map((r) => r.step)).toEqual([1, 3, 5]);
    expect(weightRows([], [], 3)).toEqual([]);
  });
});
