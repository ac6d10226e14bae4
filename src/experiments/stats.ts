// Summary statistics for experiments over seeds: mean, sample standard deviation, min–max bands of curves,
// and the one-line verdicts ("weighted − baseline dev loss: +0.24 ± 0.05 over 3 seeds at step 1200").
// Plain numbers only, shared by the CLI and the page.

/** Arithmetic mean (NaN for no values). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1 in the denominator); 0 for a single value, NaN for none. */
export function sd(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  if (xs.length === 1) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

export interface Summary {
  mean: number;
  sd: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(xs: readonly number[]): Summary {
  return { mean: mean(xs), sd: sd(xs), min: xs.length ? Math.min(...xs) : Number.NaN, max: xs.length ? Math.max(...xs) : Number.NaN, n: xs.length };
}

/** One point of a band: the mean of the seeds' values at x with their min and max. */
export interface BandPoint {
  x: number;
  mean: number;
  min: number;
  max: number;
  n: number;
}

/**
 * Mean with a min–max band over several curves of (x, y) points (one per seed). Only x values present in
 * every curve are kept, so each point summarizes all seeds (the curves of one experiment share x).
 */
export function band(curves: readonly (readonly { x: number; y: number }[])[]): BandPoint[] {
  if (curves.length === 0) return [];
  const maps = curves.map((c) => new Map(c.map((p) => [p.x, p.y])));
  const xs = curves[0].map((p) => p.x).filter((x) => maps.every((m) => m.has(x)));
  return xs.map((x) => {
    const ys = maps.map((m) => m.get(x)!);
    return { x, mean: mean(ys), min: Math.min(...ys), max: Math.max(...ys), n: ys.length };
  });
}

/** y at x on a curve sorted by x, linearly interpolated; null outside its range. */
export function interpolate(curve: readonly { x: number; y: number }[], x: number): number | null {
  if (curve.length === 0 || x < curve[0].x || x > curve[curve.length - 1].x) return null;
  for (let i = 0; i < curve.length; i++) {
    const p = curve[i];
    if (p.x === x) return p.y;
    if (p.x > x) {
      const q = curve[i - 1];
      return q.y + ((p.y - q.y) * (x - q.x)) / (p.x - q.x);
    }
  }
  return null;
}

/** A difference a − b over seeds, paired by seed (both runs of a seed saw the same batches). */
export interface Difference {
  mean: number;
  sd: number;
  n: number;
  /** True when the spread covers zero (|mean| <= sd) or there are fewer than 2 seeds to measure it. */
  unclear: boolean;
}

/**
 * Paired difference of two runs' values per seed. The spread is ±1 sample standard deviation of the
 * per-seed differences; "no clear difference" when mean − sd <= 0 <= mean + sd, and always with a single
 * seed (no spread can be measured from one pair).
 */
export function pairedDifference(a: readonly number[], b: readonly number[]): Difference {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} values against ${b.length}`);
  const d = a.map((x, i) => x - b[i]);
  const m = mean(d), s = sd(d);
  return { mean: m, sd: s, n: d.length, unclear: d.length < 2 || !(Math.abs(m) > s) };
}

/** "+0.24" / "−0.05": a signed number with `digits` decimals (a real minus sign, as in the paper). */
export function signed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const text = Math.abs(x).toFixed(digits);
  if (Number(text) === 0) return `+${text}`;
  return `${x < 0 ? '−' : '+'}${text}`;
}

/**
 * The verdict line of a difference: "weighted − baseline dev loss: +0.24 ± 0.05 over 3 seeds at step 1200",
 * with ": no clear difference" appended when the spread covers zero (or there is one seed).
 */
export function verdictLine(
  names: { a: string; b: string; metric: string },
  diff: Difference,
  where: string,
  digits = 2,
): string {
  const seeds = `${diff.n} seed${diff.n === 1 ? '' : 's'}`;
  const line = `${names.a} − ${names.b} ${names.metric}: ${signed(diff.mean, digits)} ± ${diff.sd.toFixed(digits)} over ${seeds} ${where}`;
  if (!diff.unclear) return line;
  return `${line}: no clear difference${diff.n < 2 ? ' (one seed: no spread to judge by)' : ''}`;
}
