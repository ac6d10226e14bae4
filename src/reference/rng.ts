// Bit-exact CPU mirror of shaders/rng.wgsl (the dropout RNG), so references reproduce GPU masks.

export function rngHash(x: number): number {
  let v = x >>> 0;
  v ^= v >>> 16;
  v = Math.imul(v, 0x7feb352d) >>> 0;
  v ^= v >>> 15;
  v = Math.imul(v, 0x846ca68b) >>> 0;
  v ^= v >>> 16;
  return v >>> 0;
}

export function rngUniform(seed: number, stream: number, index: number): number {
  const h = rngHash((rngHash((rngHash(seed) + stream) >>> 0) + index) >>> 0);
  return (h >>> 8) / 16777216;
}

/** 0 with probability `rate`, else 1 / (1 - rate), in f32 as the GPU computes it. */
export function dropoutScale(seed: number, stream: number, index: number, rate: number): number {
  if (rate <= 0) return 1;
  return rngUniform(seed, stream, index) >= rate ? Math.fround(1 / Math.fround(1 - rate)) : 0;
}
