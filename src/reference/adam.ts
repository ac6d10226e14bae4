// CPU reference (f64) of shaders/adam.wgsl: one Adam step over a range, in PyTorch's torch.optim.Adam form,
// and model.md's textbook form for comparison.

type Vec = ArrayLike<number>;

export interface AdamStepOptions {
  offset: number;
  count: number;
  /** Step number t, 1-based. */
  step: number;
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Factor applied to the gradient (gradient clipping), default 1. */
  clipScale?: number;
  /** A non-finite gradient was seen: return the inputs unchanged. */
  nonfinite?: boolean;
}

export interface AdamState {
  params: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** PyTorch: m.lerp_(g, 1-b1); v.mul_(b2).addcmul_(g, g, 1-b2); p.addcdiv_(m, sqrt(v)/sqrt(bc2) + eps, -lr/bc1). */
export function adamUpdate(params: Vec, grads: Vec, m: Vec, v: Vec, o: AdamStepOptions): AdamState {
  const out = { params: Float64Array.from(params), m: Float64Array.from(m), v: Float64Array.from(v) };
  if (o.nonfinite) return out;
  const { beta1 = 0.9, beta2 = 0.98, eps = 1e-9, clipScale = 1 } = o;
  const stepSize = o.lr / (1 - beta1 ** o.step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** o.step);
  for (let j = o.offset; j < o.offset + o.count; j++) {
    const g = grads[j] * clipScale;
    out.m[j] = out.m[j] + (1 - beta1) * (g - out.m[j]);
    out.v[j] = out.v[j] * beta2 + (1 - beta2) * g * g;
    out.params[j] -= stepSize * (out.m[j] / (Math.sqrt(out.v[j]) / bc2Sqrt + eps));
  }
  return out;
}

/** model.md: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps). */
export function adamUpdateSpec(params: Vec, grads: Vec, m: Vec, v: Vec, o: AdamStepOptions): AdamState {
  const out = { params: Float64Array.from(params), m: Float64Array.from(m), v: Float64Array.from(v) };
  if (o.nonfinite) return out;
  const { beta1 = 0.9, beta2 = 0.98, eps = 1e-9, clipScale = 1 } = o;
  for (let j = o.offset; j < o.offset + o.count; j++) {
    const g = grads[j] * clipScale;
    out.m[j] = beta1 * out.m[j] + (1 - beta1) * g;
    out.v[j] = beta2 * out.v[j] + (1 - beta2) * g * g;
    const mHat = out.m[j] / (1 - beta1 ** o.step);
    const vHat = out.v[j] / (1 - beta2 ** o.step);
    out.params[j] -= (o.lr * mHat) / (Math.sqrt(vHat) + eps);
  }
  return out;
}
