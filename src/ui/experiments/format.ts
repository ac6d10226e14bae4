// Numbers of the Experiments panel: "1.234 ± 0.050" over seeds, with the seed count where it matters.
import type { Summary } from '../../experiments/stats.ts';

/** "mean ± sd" with `digits` decimals; "–" for nothing measured. */
export function meanSd(s: Summary | null | undefined, digits: number): string {
  if (!s || s.n === 0 || !Number.isFinite(s.mean)) return '–';
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}` : s.mean.toFixed(digits);
}

/** A number or "–". */
export function num(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}
