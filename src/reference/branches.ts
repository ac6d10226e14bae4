// CPU reference (f64) of shaders/branches.wgsl: kappa scale, alpha sum and the effective branch weights.
// Branch tensors are branch-major (M, len) with len = N*D.

type Vec = ArrayLike<number>;

/** a (M, len) = kappa[m] * h (M, len) */
export function kappaScaleForward(h: Vec, kappa: Vec, m: number): Float64Array {
  const len = h.length / m;
  return Float64Array.from({ length: h.length }, (_, i) => kappa[Math.floor(i / len)] * h[i]);
}

/** dh = kappa[m] * da, dkappa[m] = sum_k da[m, k] * h[m, k] */
export function kappaScaleBackward(da: Vec, h: Vec, kappa: Vec, m: number): { dh: Float64Array; dkappa: Float64Array } {
  const len = h.length / m;
  const dh = kappaScaleForward(da, kappa, m);
  const dkappa = new Float64Array(m);
  for (let j = 0; j < m; j++) for (let k = 0; k < len; k++) dkappa[j] += da[j * len + k] * h[j * len + k];
  return { dh, dkappa };
}

/** y (len) = sum_m alpha[m] * f (M, len) */
export function alphaSumForward(f: Vec, alpha: Vec, m: number): Float64Array {
  const len = f.length / m;
  const y = new Float64Array(len);
  for (let j = 0; j < m; j++) for (let k = 0; k < len; k++) y[k] += alpha[j] * f[j * len + k];
  return y;
}

/** df[m] = alpha[m] * dy, dalpha[m] = sum_k dy[k] * f[m, k] */
export function alphaSumBackward(dy: Vec, f: Vec, alpha: Vec, m: number): { df: Float64Array; dalpha: Float64Array } {
  const len = dy.length;
  const df = new Float64Array(m * len);
  const dalpha = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < len; k++) {
      df[j * len + k] = alpha[j] * dy[k];
      dalpha[j] += dy[k] * f[j * len + k];
    }
  }
  return { df, dalpha };
}

/** w (rows, M) = softmax(logits) per row */
export function weightsSoftmaxForward(logits: Vec, rows: number, m: number): Float64Array {
  const w = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let j = 0; j < m; j++) mx = Math.max(mx, logits[r * m + j]);
    let s = 0;
    for (let j = 0; j < m; j++) s += Math.exp(logits[r * m + j] - mx);
    for (let j = 0; j < m; j++) w[r * m + j] = Math.exp(logits[r * m + j] - mx) / s;
  }
  return w;
}

/** dlogits = w * (dw - sum(dw * w)) per row */
export function weightsSoftmaxBackward(w: Vec, dw: Vec, rows: number, m: number): Float64Array {
  const dlogits = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += dw[r * m + j] * w[r * m + j];
    for (let j = 0; j < m; j++) dlogits[r * m + j] = w[r * m + j] * (dw[r * m + j] - s);
  }
  return dlogits;
}

/** w (rows, M) = 1/M */
export function weightsUniform(rows: number, m: number): Float64Array {
  return new Float64Array(rows * m).fill(1 / m);
}
