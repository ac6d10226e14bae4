// The validator of every GPU-vs-reference test: |actual - expected| <= atol + rtol * |expected|,
// failing with the first few mismatches and their indices (llm.c's validate_result).

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface CloseReport {
  ok: boolean;
  mismatches: number;
  maxAbsError: number;
  message: string;
}

type Numeric = ArrayLike<number>;

export function compareClose(name: string, actual: Numeric, expected: Numeric, tol: Tolerance, show = 5): CloseReport {
  if (actual.length !== expected.length) {
    return { ok: false, mismatches: -1, maxAbsError: Infinity, message: `${name}: length ${actual.length} != expected ${expected.length}` };
  }
  let mismatches = 0;
  let maxAbsError = 0;
  const lines: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    const bad = !(err <= tol.atol + tol.rtol * Math.abs(e)) && !(Number.isNaN(a) && Number.isNaN(e)) && a !== e;
    if (Number.isFinite(err)) maxAbsError = Math.max(maxAbsError, err);
    if (bad) {
      mismatches++;
      if (lines.length < show) lines.push(`  [${i}] got ${a}, expected ${e} (|diff| ${err.toExponential(3)})`);
    }
  }
  const message =
    mismatches === 0
      ? `${name}: ${expected.length} values within atol ${tol.atol}, rtol ${tol.rtol} (max |diff| ${maxAbsError.toExponential(3)})`
      : `${name}: ${mismatches} of ${expected.length} values differ beyond atol ${tol.atol} + rtol ${tol.rtol}·|ref|, first:\n${lines.join('\n')}`;
  return { ok: mismatches === 0, mismatches, maxAbsError, message };
}

/** Throw with the report's message unless all values are close. */
export function assertClose(name: string, actual: Numeric, expected: Numeric, tol: Tolerance): void {
  const report = compareClose(name, actual, expected, tol);
  if (!report.ok) throw new Error(report.message);
}

/** Largest |x| of an array (for tolerances relative to a tensor's scale). */
export function maxAbs(values: Numeric): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}
