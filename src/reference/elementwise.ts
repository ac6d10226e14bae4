// CPU references (f64) of shaders/elementwise.wgsl, same signatures as the launchers' math.

type Vec = ArrayLike<number>;

/** out = a + b */
export function residualAdd(a: Vec, b: Vec): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

/** relu(x) = max(x, 0) */
export function relu(x: Vec): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(x[i], 0);
  return out;
}

/** dinp = dout * (pre > 0) */
export function reluBackward(dout: Vec, pre: Vec): Float64Array {
  const out = new Float64Array(dout.length);
  for (let i = 0; i < dout.length; i++) out[i] = pre[i] > 0 ? dout[i] : 0;
  return out;
}

/** out + a */
export function addInto(out: Vec, a: Vec): Float64Array {
  return residualAdd(out, a);
}

/** out with [offset, offset + count) zeroed */
export function fillZero(out: Vec, offset: number, count: number): Float64Array {
  const r = Float64Array.from(out);
  r.fill(0, offset, offset + count);
  return r;
}
