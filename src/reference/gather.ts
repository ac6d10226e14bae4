// CPU reference of shaders/gather.wgsl (f64): out (R, C) = inp[index[r], :], zero rows for indices outside.
export function gatherRows(inp: ArrayLike<number>, cols: number, index: ArrayLike<number>): Float64Array {
  const n = inp.length / cols;
  const out = new Float64Array(index.length * cols);
  for (let r = 0; r < index.length; r++) {
    const src = index[r];
    if (src < 0 || src >= n) continue;
    for (let c = 0; c < cols; c++) out[r * cols + c] = inp[src * cols + c];
  }
  return out;
}
