// Seeded test data (mulberry32): the same seed gives the same inputs in Node, Chromium and references.
import { mulberry32 } from '../util/random.ts';

export { mulberry32 };

/** n values uniform in [lo, hi) as float32 (so GPU and reference see the same inputs). */
export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** n integers uniform in [lo, hi). */
export function randomInts(n: number, seed: number, lo: number, hi: number): Int32Array {
  const rand = mulberry32(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor((hi - lo) * rand());
  return out;
}
