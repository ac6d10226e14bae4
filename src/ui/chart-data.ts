// Series → chart rows: a debiased EMA for the smoothed loss and an even thinning of long series, so a
// chart never draws more than a few hundred points however long the run.

/** TensorBoard-style smoothing: EMA with weight `beta` on the past, debiased for the first points. */
export function ema(values: readonly number[], beta: number): number[] {
  const out: number[] = [];
  let acc = 0, weight = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(out.length > 0 ? out[out.length - 1] : v);
      continue;
    }
    acc = beta * acc + (1 - beta) * v;
    weight = beta * weight + (1 - beta);
    out.push(acc / weight);
  }
  return out;
}

/** Indices 0..n-1 thinned to at most `max` (evenly strided, the last one always kept). */
export function thinIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const stride = Math.ceil(n / max);
  const out: number[] = [];
  for (let i = 0; i < n; i += stride) out.push(i);
  if (out[out.length - 1] !== n - 1) {
    if (out.length >= max) out.pop(); // the last index replaces the last strided one: never more than max
    out.push(n - 1);
  }
  return out;
}

/** The loss charts' x axis: optimizer steps, or target tokens seen (comparable across batch sizes). */
export type XAxisKind = 'step' | 'tokens';

export interface LossRow {
  x: number;
  loss?: number;
  smoothed?: number;
  dev?: number;
}

/** A run's x values per reported step, and the x of its dev evaluations (dev at step s → x of step s). */
export interface RunSeries {
  xs: readonly number[];
  loss: readonly number[];
  dev: readonly { x: number; loss: number }[];
}

/** A run's series on the chosen axis; a dev evaluation at a step with no reported metrics is dropped. */
export function runSeries(m: { steps: readonly number[]; tokens: readonly number[]; loss: readonly number[]; dev: readonly { step: number; loss: number }[] }, axis: XAxisKind): RunSeries {
  const xs = axis === 'step' ? m.steps : m.tokens;
  const xOfStep = new Map(m.steps.map((s, i) => [s, xs[i]]));
  if (axis === 'step') for (const d of m.dev) xOfStep.set(d.step, d.step);
  const dev = m.dev.flatMap((d) => (xOfStep.has(d.step) ? [{ x: xOfStep.get(d.step)!, loss: d.loss }] : []));
  return { xs, loss: m.loss, dev };
}

/** Rows for the loss chart: thinned training loss (raw and smoothed) merged with the dev losses by x. */
export function lossRows(series: RunSeries, beta: number, max = 500): LossRow[] {
  const smoothed = ema(series.loss, beta);
  const rows = new Map<number, LossRow>();
  for (const i of thinIndices(series.xs.length, max)) rows.set(series.xs[i], { x: series.xs[i], loss: series.loss[i], smoothed: smoothed[i] });
  for (const d of series.dev) rows.set(d.x, { ...(rows.get(d.x) ?? { x: d.x }), dev: d.loss });
  return [...rows.values()].sort((a, b) => a.x - b.x);
}

/**
 * Rows for the comparison chart: per run `key`, the smoothed training loss as `<key>` and the dev loss
 * as `<key>_dev`, merged on the shared x axis (runs trained on the same batches share their x values).
 */
export function comparisonRows(runs: readonly { key: string; series: RunSeries }[], beta: number, max = 400): Record<string, number>[] {
  const rows = new Map<number, Record<string, number>>();
  const row = (x: number) => rows.get(x) ?? rows.set(x, { x }).get(x)!;
  for (const { key, series } of runs) {
    const smoothed = ema(series.loss, beta);
    for (const i of thinIndices(series.xs.length, max)) row(series.xs[i])[key] = smoothed[i];
    for (const d of series.dev) row(d.x)[`${key}_dev`] = d.loss;
  }
  return [...rows.values()].sort((a, b) => a.x - b.x);
}

/** Rows {step, b0, b1, ...} of one weight vector series, thinned. */
export function weightRows(steps: readonly number[], series: readonly number[][], max = 200): Record<string, number>[] {
  return thinIndices(series.length, max).map((i) => {
    const row: Record<string, number> = { step: steps[i] };
    series[i].forEach((w, b) => (row[`b${b}`] = w));
    return row;
  });
}

/** A round tick step near range / count: 1, 2, 2.5 or 5 times a power of ten. */
export function niceStep(range: number, count = 5): number {
  if (!(range > 0) || !Number.isFinite(range)) return 1;
  const raw = range / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * power;
}

/**
 * Round ticks covering [min, max] (7.3 / 7.4 / 7.5, not 7.32 / 7.41 / 7.50) and the domain they span.
 * A flat series gets a small band around its value.
 */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; domain: [number, number] } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { ticks: [], domain: [0, 1] };
  if (min > max) [min, max] = [max, min];
  if (max - min < 1e-9) {
    const pad = Math.max(Math.abs(max) * 0.05, 0.05);
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-6; i++) ticks.push(Number((lo + i * step).toPrecision(12)));
  return { ticks, domain: [ticks[0], ticks[ticks.length - 1]] };
}

/** Decimals a tick label needs for ticks this far apart (0.25 → 2, 0.1 → 1, 5 → 0). */
export function tickDecimals(ticks: readonly number[]): number {
  if (ticks.length < 2) return 2;
  const step = Math.abs(ticks[1] - ticks[0]);
  for (let d = 0; d < 6; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 6;
}

/** The smallest and largest finite value of some row keys. */
export function extent(rows: readonly Record<string, unknown>[], keys: readonly string[]): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const r of rows) {
    for (const k of keys) {
      const v = r[k];
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : null;
}
