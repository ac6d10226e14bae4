// CPU references (f64 values, f32 mask bit-exact with the GPU) of shaders/dropout.wgsl.
import { dropoutScale } from './rng.ts';

type Vec = ArrayLike<number>;

/** The multiplier of each element: 0 or 1/(1-rate) in f32, exactly as the GPU draws it. */
export function dropoutMask(n: number, seed: number, stream: number, rate: number): Float64Array {
  const mask = new Float64Array(n);
  for (let i = 0; i < n; i++) mask[i] = dropoutScale(seed, stream, i, rate);
  return mask;
}

/** out = inp * mask (forward); the backward is the same call on dout. */
export function dropoutForward(inp: Vec, seed: number, stream: number, rate: number): Float64Array {
  const out = new Float64Array(inp.length);
  for (let i = 0; i < inp.length; i++) out[i] = inp[i] * dropoutScale(seed, stream, i, rate);
  return out;
}

/** dinp = dout * mask: the forward's mask regenerated from (seed, stream, index). */
export function dropoutBackward(dout: Vec, seed: number, stream: number, rate: number): Float64Array {
  return dropoutForward(dout, seed, stream, rate);
}
