// Stats and verdicts of the seed experiments on numbers worked out by hand.
import { describe, expect, it } from 'vitest';
import { band, interpolate, mean, pairedDifference, sd, signed, summarize, verdictLine } from '../../src/experiments/stats.ts';

describe('mean and sd', () => {
  it('match hand values (sample sd, n − 1)', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    // squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; 5 / 3; sqrt = 1.2909944
    expect(sd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(sd([7])).toBe(0);
    expect(mean([])).toBeNaN();
    expect(summarize([3, 1, 2])).toEqual({ mean: 2, sd: 1, min: 1, max: 3, n: 3 });
  });
});

describe('bands and interpolation', () => {
  it('gives mean, min and max at the x every curve has', () => {
    const curves = [
      [{ x: 10, y: 4 }, { x: 20, y: 3 }],
      [{ x: 10, y: 2 }, { x: 20, y: 5 }, { x: 30, y: 1 }],
    ];
    expect(band(curves)).toEqual([
      { x: 10, mean: 3, min: 2, max: 4, n: 2 },
      { x: 20, mean: 4, min: 3, max: 5, n: 2 },
    ]);
  });

  it('interpolates linearly inside the curve and refuses outside', () => {
    const c = [{ x: 100, y: 4 }, { x: 200, y: 2 }];
    expect(interpolate(c, 150)).toBe(3);
    expect(interpolate(c, 200)).toBe(2);
    expect(interpolate(c, 250)).toBeNull();
  });
});

describe('verdicts', () => {
  it('states a clear difference with its spread', () => {
    // differences 0.20, 0.25, 0.27: mean 0.24, sd 0.036
    const d = pairedDifference([2.2, 2.25, 2.27], [2, 2, 2]);
    expect(d.mean).toBeCloseTo(0.24, 12);
    expect(d.sd).toBeCloseTo(Math.sqrt((0.04 ** 2 + 0.01 ** 2 + 0.03 ** 2) / 2), 12);
    expect(d.unclear).toBe(false);
    expect(verdictLine({ a: 'weighted', b: 'baseline', metric: 'dev loss' }, d, 'at step 1200')).toBe('weighted − baseline dev loss: +0.24 ± 0.04 over 3 seeds at step 1200');
  });

  it('says "no clear difference" when the spread covers zero', () => {
    const d = pairedDifference([1.1, 0.9, 1.05], [1, 1, 1]); // +0.1, −0.1, +0.05: mean 0.0167, sd 0.104
    expect(d.unclear).toBe(true);
    expect(verdictLine({ a: 'weighted', b: 'baseline', metric: 'dev loss' }, d, 'at 5000 tokens')).toBe('weighted − baseline dev loss: +0.02 ± 0.10 over 3 seeds at 5000 tokens: no clear difference');
  });

  it('never calls one seed clear, and writes negative differences with a minus sign', () => {
    const d = pairedDifference([30], [41]);
    expect(d).toEqual({ mean: -11, sd: 0, n: 1, unclear: true });
    expect(verdictLine({ a: 'weighted', b: 'baseline', metric: 'dev BLEU' }, d, 'at step 1200', 1)).toBe(
      'weighted − baseline dev BLEU: −11.0 ± 0.0 over 1 seed at step 1200: no clear difference (one seed: no spread to judge by)',
    );
    expect(signed(-0.001, 2)).toBe('+0.00');
    expect(() => pairedDifference([1], [1, 2])).toThrow();
  });
});
