// CPU reference (f64) of shaders/simplex.wgsl: Euclidean projection onto the probability simplex
// (sort-based, Wang & Carreira-Perpinan 2013, arXiv 1101.6081), for one vector and for rows of a flat buffer.

type Vec = ArrayLike<number>;

/** argmin_w ||w - x|| subject to w_i >= 0, sum w = 1. */
export function projectSimplex(x: Vec): Float64Array {
  const u = Array.from(x).sort((a, b) => b - a);
  let cumsum = 0;
  let lambda = 0;
  for (let j = 0; j < u.length; j++) {
    cumsum += u[j];
    const t = (1 - cumsum) / (j + 1);
    if (u[j] + t > 0) lambda = t; // the last passing j is rho
  }
  return Float64Array.from(x, (xi) => Math.max(xi + lambda, 0));
}

export interface SimplexRowsOptions {
  offset: number;
  rows: number;
  m: number;
  stride?: number;
  /** The step was skipped: return the buffer unchanged. */
  nonfinite?: boolean;
}

/** A copy of the flat buffer with rows r < rows (at offset + r * stride, m entries) projected. */
export function simplexProject(params: Vec, o: SimplexRowsOptions): Float64Array {
  const out = Float64Array.from(params);
  if (o.nonfinite) return out;
  const stride = o.stride ?? o.m;
  for (let r = 0; r < o.rows; r++) {
    const base = o.offset + r * stride;
    out.set(projectSimplex(out.subarray(base, base + o.m)), base);
  }
  return out;
}
