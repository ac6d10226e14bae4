// CPU reference (f64) of shaders/layernorm.wgsl: LayerNorm over the last dim, biased variance.

type Vec = ArrayLike<number>;

export const LAYERNORM_EPS = 1e-5;

export interface LayerNormForward {
  y: Float64Array; // (N, D)
  mean: Float64Array; // (N)
  rstd: Float64Array; // (N)
}

export interface LayerNormBackward {
  dx: Float64Array; // (N, D)
  dg: Float64Array; // (D)
  db: Float64Array; // (D)
}

/** y (N, D) = (x - mean) * rstd * g + b, rstd = 1 / sqrt(var + eps) with the biased variance. */
export function layernormForward(x: Vec, g: Vec, b: Vec, rows: number, dim: number, eps = LAYERNORM_EPS): LayerNormForward {
  const y = new Float64Array(rows * dim);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let n = 0; n < rows; n++) {
    const base = n * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[base + d];
    const mu = s / dim;
    let q = 0;
    for (let d = 0; d < dim; d++) q += (x[base + d] - mu) ** 2;
    const r = 1 / Math.sqrt(q / dim + eps);
    for (let d = 0; d < dim; d++) y[base + d] = (x[base + d] - mu) * r * g[d] + b[d];
    mean[n] = mu;
    rstd[n] = r;
  }
  return { y, mean, rstd };
}

/** dx = rstd * (g*dy - mean(g*dy) - xhat * mean(g*dy*xhat)), dg = sum_n dy*xhat, db = sum_n dy. */
export function layernormBackward(dy: Vec, x: Vec, g: Vec, mean: Vec, rstd: Vec, rows: number, dim: number): LayerNormBackward {
  const dx = new Float64Array(rows * dim);
  const dg = new Float64Array(dim);
  const db = new Float64Array(dim);
  for (let n = 0; n < rows; n++) {
    const base = n * dim;
    let s1 = 0;
    let s2 = 0;
    for (let d = 0; d < dim; d++) {
      const xhat = (x[base + d] - mean[n]) * rstd[n];
      const gdy = g[d] * dy[base + d];
      s1 += gdy;
      s2 += gdy * xhat;
      dg[d] += dy[base + d] * xhat;
      db[d] += dy[base + d];
    }
    for (let d = 0; d < dim; d++) {
      const xhat = (x[base + d] - mean[n]) * rstd[n];
      dx[base + d] = rstd[n] * (g[d] * dy[base + d] - s1 / dim - xhat * (s2 / dim));
    }
  }
  return { dx, dg, db };
}
