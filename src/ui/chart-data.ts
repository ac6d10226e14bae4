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
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

export interface LossRow {
  step: number;
  loss?: number;
  smoothed?: number;
  dev?: number;
}

/** Rows for the loss chart: thinned training loss (raw and smoothed) merged with the dev losses by step. */
export function lossRows(steps: readonly number[], loss: readonly number[], beta: number, dev: readonly { step: number; loss: number }[], max = 500): LossRow[] {
  const smoothed = ema(loss, beta);
  const rows = new Map<number, LossRow>();
  for (const i of thinIndices(steps.length, max)) rows.set(steps[i], { step: steps[i], loss: loss[i], smoothed: smoothed[i] });
  for (const d of dev) rows.set(d.step, { ...(rows.get(d.step) ?? { step: d.step }), dev: d.loss });
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

/** Rows {step, b0, b1, ...} of one weight vector series, thinned. */
export function weightRows(steps: readonly number[], series: readonly number[][], max = 200): Record<string, number>[] {
  return thinIndices(series.length, max).map((i) => {
    const row: Record<string, number> = { step: steps[i] };
    series[i].forEach((w, b) => (row[`b${b}`] = w));
    return row;
  });
}
