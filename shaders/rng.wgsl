// Counter-based random numbers for dropout: no state, the same (seed, stream, index) always gives the
// same value, so a backward pass regenerates the forward's mask. Included with `//!include rng.wgsl`.
// Hash: Chris Wellons' "lowbias32" integer hash; mirrored bit-exactly by src/reference/rng.ts.

fn rng_hash(x: u32) -> u32 {
  var v = x;
  v ^= v >> 16u;
  v *= 0x7feb352du;
  v ^= v >> 15u;
  v *= 0x846ca68bu;
  v ^= v >> 16u;
  return v;
}

// Uniform in [0, 1) with 24 random bits. `seed` changes per step, `stream` per dropout site,
// `index` is the element's flat index in its tensor.
fn rng_uniform(seed: u32, stream: u32, index: u32) -> f32 {
  let h = rng_hash(rng_hash(rng_hash(seed) + stream) + index);
  return f32(h >> 8u) * (1.0 / 16777216.0);
}

// Dropout multiplier: 0 with probability `rate`, else 1 / (1 - rate).
fn dropout_scale(seed: u32, stream: u32, index: u32, rate: f32) -> f32 {
  if (rate <= 0.0) { return 1.0; }
  return select(0.0, 1.0 / (1.0 - rate), rng_uniform(seed, stream, index) >= rate);
}
