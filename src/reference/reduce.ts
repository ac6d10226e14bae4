// CPU reference (f64) of shaders/reduce.wgsl: column sums for bias gradients.

type Vec = ArrayLike<number>;

/** out (batch, cols) = sum over rows of inp (batch, rows, cols). */
export function columnSum(inp: Vec, rows: number, cols: number, batch = 1): Float64Array {
  if (inp.length !== batch * rows * cols) throw new Error(`columnSum: ${inp.length} values for (${batch}, ${rows}, ${cols})`);
  const out = new Float64Array(batch * cols);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < rows; r++) {
      const base = (b * rows + r) * cols;
      for (let c = 0; c < cols; c++) out[b * cols + c] += inp[base + c];
    }
  }
  return out;
}
