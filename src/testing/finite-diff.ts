// Central finite differences in f64: the check every reference backward must pass.

/**
 * Numerical gradient of scalar f at x: (f(x + h e_i) - f(x - h e_i)) / 2h for each i.
 * `x` is perturbed in place and restored.
 */
export function numericalGradient(f: () => number, x: Float64Array, h = 1e-5): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const plus = f();
    x[i] = saved - h;
    const minus = f();
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/** Scalar loss sum(out * weights): its gradient with respect to `out` is `weights`. */
export function weightedSum(out: ArrayLike<number>, weights: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * weights[i];
  return s;
}
