// CPU reference (f64) of shaders/grad_norm.wgsl: global gradient norm, non-finite flag and clip scale.

export interface GradNormResult {
  norm: number;
  nonfinite: boolean;
  clipScale: number;
}

/** Norm of grads[offset .. offset + count); clipScale = (clip > 0 && norm > clip) ? clip / norm : 1. */
export function gradNorm(grads: ArrayLike<number>, offset: number, count: number, clip = 0): GradNormResult {
  let sumsq = 0;
  let nonfinite = false;
  for (let i = offset; i < offset + count; i++) {
    if (!Number.isFinite(grads[i])) nonfinite = true;
    sumsq += grads[i] * grads[i];
  }
  const norm = Math.sqrt(sumsq);
  nonfinite ||= !Number.isFinite(Math.fround(sumsq));
  const clipScale = !nonfinite && clip > 0 && norm > clip ? clip / norm : 1;
  return { norm, nonfinite, clipScale };
}
